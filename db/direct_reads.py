"""The reads made on every turn, run on the database driver itself.

SQLAlchemy stays the one place where statements are written and compiled: each `select` is
compiled once for the database's dialect, with SQLAlchemy's own conversions of its parameters
and columns. What these reads skip is the machinery around each run of it (a pool checkout, an
execution context and result object and, on PostgreSQL, the hop into a greenlet and back), which
cost several times the read: a one-row read of bot state took 96 µs of CPU on SQLite and 227 µs
on PostgreSQL through SQLAlchemy, and about 4 and 60 µs on the driver (`python -m bench.state_io`).

They keep connections of their own, outside the engine's pool:
- SQLite: one `sqlite3` connection, used on the event loop's thread as the engine's are
  (`db.sqlite_inline`), read-only (`PRAGMA query_only`). WAL lets it read beside a writer.
- PostgreSQL: up to `POSTGRES_CONNECTIONS` asyncpg connections, opened with the engine's connect
  arguments and SQLAlchemy's own JSON codecs, used in autocommit (no BEGIN or ROLLBACK), as the
  engine's reads were. A read that finds its connection dead (the server restarted) drops it and
  every idle one, and is tried once more on a new connection.
A driver's error reaches the caller as SQLAlchemy's `DBAPIError`, as through the engine.
"""

from __future__ import annotations

import asyncio
import collections
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import asyncpg
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Executable, Select

POSTGRES_CONNECTIONS = 10  # per process, beside the engine's pool
COMPILED_KEPT = 256  # statements kept compiled; the per-turn ones are a handful of module constants
_NO_VALUE = object()


@dataclass(frozen=True)
class CompiledRead:
    """A `select` compiled once: its SQL, how to turn named parameters into the driver's
    positional ones, and how to turn the driver's rows into named rows as SQLAlchemy would."""

    sql: str
    parameters: tuple[tuple[str, Any, Callable[[Any], Any] | None], ...]  # (name, default, convert)
    row: Any  # a namedtuple class made for this statement's columns
    columns: tuple[Callable[[Any], Any] | None, ...]

    def arguments(self, params: Mapping[str, Any] | None) -> tuple[Any, ...]:
        given = params or {}
        values = []
        for name, default, convert in self.parameters:
            value = given.get(name, default)
            if value is _NO_VALUE:
                raise KeyError(f"no value for the parameter {name!r}")
            values.append(value if convert is None else convert(value))
        return tuple(values)

    def rows(self, records: Sequence[Sequence[Any]]) -> list[Any]:
        if not any(self.columns):
            return [self.row._make(record) for record in records]
        return [
            self.row._make(
                value if convert is None else convert(value)
                for convert, value in zip(self.columns, record, strict=True)
            )
            for record in records
        ]


def compile_read(statement: Executable, dialect: Dialect) -> CompiledRead | None:
    """`statement` compiled for the driver, or None where only SQLAlchemy's execution will do: not
    a `select`, a list parameter (`IN` expanded per call), or columns that are not plain names."""
    if not isinstance(statement, Select):
        return None
    keys = list(statement.selected_columns.keys())
    if len(set(keys)) != len(keys) or not all(key.isidentifier() and not key.startswith("_") for key in keys):
        return None
    compiled = statement.compile(dialect=dialect)
    binds = compiled.binds
    names = compiled.positiontup or []
    if any(binds[name].expanding for name in names):  # a name used twice is simply given twice
        return None
    if compiled.literal_execute_params or compiled.post_compile_params:
        return None
    parameters = tuple(
        (
            name,
            _NO_VALUE if binds[name].required else binds[name].effective_value,
            binds[name].type.dialect_impl(dialect).bind_processor(dialect),
        )
        for name in names
    )
    columns = tuple(
        column.type.dialect_impl(dialect).result_processor(dialect, None) for column in statement.selected_columns
    )
    return CompiledRead(compiled.string, parameters, collections.namedtuple("Row", keys), columns)  # type: ignore[misc]


class _Driver(Protocol):
    async def fetch(self, sql: str, arguments: tuple[Any, ...]) -> Sequence[Sequence[Any]]: ...

    async def close(self) -> None: ...


class DirectReads:
    """Runs `select`s on the driver (`rows`); None from `compiled` means use the engine instead."""

    def __init__(self, driver: _Driver, dialect: Dialect) -> None:
        self._driver = driver
        self._dialect = dialect
        self._compiled: dict[int, tuple[Executable, CompiledRead | None]] = {}

    def compiled(self, statement: Executable) -> CompiledRead | None:
        kept = self._compiled.get(id(statement))
        if kept is not None and kept[0] is statement:
            return kept[1]
        if len(self._compiled) >= COMPILED_KEPT:  # statements built per call: start again
            self._compiled.clear()
        read = compile_read(statement, self._dialect)
        self._compiled[id(statement)] = (statement, read)  # keeps `statement` alive, so its id stays its own
        return read

    async def rows(self, read: CompiledRead, params: Mapping[str, Any] | None) -> list[Any]:
        arguments = read.arguments(params)
        return read.rows(await self._driver.fetch(read.sql, arguments))

    async def close(self) -> None:
        await self._driver.close()


def for_database(url: str, dialect: Dialect) -> DirectReads | None:
    """Direct reads for the (file or server) database at `url`; None for a driver they do not know."""
    parsed = make_url(url)
    args, kwargs = dialect.create_connect_args(parsed)
    if parsed.get_backend_name() == "sqlite":
        return DirectReads(_SqliteDriver(args, kwargs), dialect)
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() == "asyncpg":
        return DirectReads(_PostgresDriver(dialect, args, kwargs, POSTGRES_CONNECTIONS), dialect)
    return None


class _SqliteDriver:
    """One read-only `sqlite3` connection, opened at the first read: a read never awaits, so one
    connection serves every task in turn."""

    def __init__(self, args: Sequence[Any], kwargs: Mapping[str, Any]) -> None:
        self._args, self._kwargs = args, {**kwargs, "check_same_thread": False}
        self._connection: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(*self._args, **self._kwargs)
        connection.execute("PRAGMA busy_timeout=5000")
        connection.execute("PRAGMA query_only=ON")
        return connection

    async def fetch(self, sql: str, arguments: tuple[Any, ...]) -> list[Any]:
        try:
            if self._connection is None:
                self._connection = self._connect()
            return self._connection.execute(sql, arguments).fetchall()
        except sqlite3.Error as error:
            raise DBAPIError.instance(sql, arguments, error, sqlite3.Error, hide_parameters=True) from error

    async def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class _CodecTarget:
    """What SQLAlchemy's codec set-up expects: its adapted connection, holding asyncpg's."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection


class _PostgresDriver:
    """A few asyncpg connections of its own, opened when needed, kept idle between reads."""

    def __init__(self, dialect: Dialect, args: Sequence[Any], kwargs: Mapping[str, Any], limit: int) -> None:
        self._dialect = dialect
        self._args = args
        # SQLAlchemy's own options, which its adapter takes out before it calls asyncpg.connect
        sqlalchemy_only = ("prepared_statement_cache_size", "async_creator_fn")
        self._kwargs = {k: v for k, v in kwargs.items() if k not in sqlalchemy_only}
        self._idle: list[asyncpg.Connection] = []
        self._slots = asyncio.Semaphore(limit)

    async def _open(self) -> asyncpg.Connection:
        connection = await asyncpg.connect(*self._args, **self._kwargs)
        try:
            # The same JSON and JSONB codecs as the engine's connections (SQLAlchemy's on-connect).
            await self._dialect.setup_asyncpg_json_codec(_CodecTarget(connection))  # type: ignore[attr-defined]
            await self._dialect.setup_asyncpg_jsonb_codec(_CodecTarget(connection))  # type: ignore[attr-defined]
        except BaseException:
            connection.terminate()
            raise
        return connection

    async def fetch(self, sql: str, arguments: tuple[Any, ...]) -> list[Any]:
        async with self._slots:
            for attempt in (1, 2):
                connection = await self._take(sql, arguments)
                try:
                    records = await connection.fetch(sql, *arguments)
                except BaseException as error:
                    connection.terminate()  # after an error or a cancel its state is unknown
                    if not isinstance(error, _DRIVER_ERRORS):
                        raise
                    lost = isinstance(error, _CONNECTION_LOST)
                    if lost and attempt == 1:  # the server restarted: the idle ones are gone too
                        for idle in self._idle:
                            idle.terminate()
                        self._idle.clear()
                        continue  # a read is safe to run again
                    raise _sqlalchemy_error(sql, arguments, error, lost) from error
                self._idle.append(connection)
                return records
        raise AssertionError("unreachable: the second attempt returns or raises")

    async def _take(self, sql: str, arguments: tuple[Any, ...]) -> asyncpg.Connection:
        while self._idle:
            connection = self._idle.pop()
            if not connection.is_closed():
                return connection
        try:
            return await self._open()
        except _DRIVER_ERRORS as error:
            raise _sqlalchemy_error(sql, arguments, error, True) from error

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            await connection.close()


_DRIVER_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.exceptions.InternalClientError, OSError)
# The connection, not the statement, failed: closed by the server (a restart, an administrator)
# or found broken mid-read (asyncpg may see the server's goodbye only as a protocol error).
_CONNECTION_LOST = (
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,
    OSError,
)


def _sqlalchemy_error(sql: str, arguments: tuple[Any, ...], error: Exception, invalidated: bool) -> DBAPIError:
    return DBAPIError.instance(  # type: ignore[return-value]  # a DBAPIError for a driver error
        sql, arguments, error, Exception, hide_parameters=True, connection_invalidated=invalidated
    )
