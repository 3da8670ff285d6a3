"""The async engine and session factory for one database URL (SQLite or PostgreSQL), and
`unit_of_work`, which lets a query join the caller's session or open its own (`read_rows`
does the same for the plain reads made on every turn)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Row, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.sql import Executable
from sqlalchemy.util import greenlet_spawn

from core.logs import log_event
from db import direct_reads, sqlite_inline

T = TypeVar("T")
logger = logging.getLogger(__name__)

_PING = text("SELECT 1")
POOL_SIZE = 10  # connections kept open per process
POOL_OVERFLOW = 10  # more, opened for a burst and closed after


class Database:
    """Owns one engine; `session()` opens a unit of work that commits or rolls back."""

    def __init__(self, url: str) -> None:
        self.url = url
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        in_memory = self.is_sqlite and (not parsed.database or parsed.database == ":memory:")
        if self.is_sqlite and parsed.database and not in_memory:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # Every turn opens a few short sessions. With the default pool (5 kept, 10 more on demand)
        # a burst of turns kept opening and closing extra connections (the PRAGMAs per SQLite
        # connection, a login per PostgreSQL one) turn after turn; keep more.
        # No ping before lending a connection (SQLAlchemy's costs three round trips on asyncpg,
        # doubling a state write): `_closed_by_server` swaps one the server has closed for a new one.
        kwargs: dict[str, object] = {}
        if not in_memory:  # an in-memory database has one connection (a StaticPool)
            kwargs.update(pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW)
        if self.is_sqlite:
            kwargs["async_creator"] = self._connect_sqlite
        # An error's message never quotes a statement's values (a pupil's name, a card's text).
        self.engine: AsyncEngine = create_async_engine(url, hide_parameters=True, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        else:
            event.listen(self.engine.sync_engine, "checkout", _closed_by_server)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # On SQLite, statements run on the event loop's thread (`db.sqlite_inline`), so units of
        # work that may write take turns in this process rather than wait on SQLite's file lock.
        self._writers = _TaskLock() if self.is_sqlite else None
        # Reads outside a transaction; SQLite opens none for a SELECT, PostgreSQL needs telling.
        sync_engine = self.engine.sync_engine
        self._autocommit = sync_engine.execution_options(isolation_level="AUTOCOMMIT")
        self._reader = sync_engine if self.is_sqlite else self._autocommit
        # An in-memory SQLite database is seen only through the engine's one connection.
        self._direct = None if in_memory else direct_reads.for_database(url, sync_engine.dialect)

    async def _connect_sqlite(self) -> sqlite_inline.InlineConnection:
        args, kwargs = self.engine.sync_engine.dialect.create_connect_args(self.engine.sync_engine.url)
        return await sqlite_inline.connect(*args, **kwargs)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self._writer_turn():
            async with self.sessions() as session:
                async with session.begin():
                    yield session

    async def transaction(self, work: Callable[[Connection], T]) -> T:
        """`work` on a plain connection in one transaction, as one step for SQLAlchemy's async
        layer: committed when it returns, rolled back when it raises."""
        async with self._writer_turn():
            return await greenlet_spawn(self._in_transaction, work)

    async def standalone(self, work: Callable[[Connection], T]) -> T:
        """`work` whose statements need no transaction around them, each being atomic and right
        on its own (a compare-and-set `UPDATE`, say): on PostgreSQL they run in autocommit, with
        no BEGIN or COMMIT round trip; on SQLite, where those cost nothing, in one transaction."""
        if self.is_sqlite:
            return await self.transaction(work)
        return await greenlet_spawn(self._autocommitted, work)

    def _in_transaction(self, work: Callable[[Connection], T]) -> T:
        with self.engine.sync_engine.begin() as connection:
            return work(connection)

    def _autocommitted(self, work: Callable[[Connection], T]) -> T:
        with self._autocommit.connect() as connection:
            return work(connection)

    def _writer_turn(self) -> AbstractAsyncContextManager[None]:
        return self._writers.held() if self._writers is not None else nullcontext()

    async def read_rows(self, statement: Executable, params: Mapping[str, Any] | None = None) -> Sequence[Any]:
        """The rows of a Core `select`, outside any transaction: the reads made on every turn.
        Rows are indexed, unpacked, or read by column name (`row.email`).

        A `select` the driver can run as compiled goes straight to it (`db.direct_reads`).
        Anything else takes one step for SQLAlchemy's async layer (take a pooled connection, run,
        give it back) and, on PostgreSQL, no BEGIN or ROLLBACK."""
        read = self._direct.compiled(statement) if self._direct is not None else None
        if read is not None:
            return await self._direct.rows(read, params)  # type: ignore[union-attr]
        return await greenlet_spawn(self._read_rows, statement, params)

    def _read_rows(self, statement: Executable, params: Mapping[str, Any] | None) -> Sequence[Row[Any]]:
        with self._reader.connect() as connection:
            return connection.execute(statement, params).all()

    async def checkpoint_wal(self) -> bool:
        """SQLite: copy the write-ahead log into the database file and truncate the log, so a value
        a transaction overwrote (an erased pupil's name) is left in neither file (`secure_delete`
        zeroes it in the database's pages). False if a reader's older snapshot kept it from
        finishing; the next checkpoint finishes it. PostgreSQL: nothing to do here (what it keeps
        until VACUUM is in the README's "Data protection")."""
        if not self.is_sqlite:
            return True
        async with self._writer_turn():
            finished = await greenlet_spawn(self._checkpoint_wal)
        if not finished:
            log_event(logger, "wal checkpoint unfinished", logging.WARNING)
        return finished

    def _checkpoint_wal(self) -> bool:
        with self._autocommit.connect() as connection:
            busy, _pages, _moved = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
        return not busy

    async def ping(self) -> bool:
        await self.read_rows(_PING)
        return True

    async def dispose(self) -> None:
        if self._direct is not None:
            await self._direct.close()
        await self.engine.dispose()


DatabaseOrSession = Database | AsyncSession


@asynccontextmanager
async def unit_of_work(db: DatabaseOrSession) -> AsyncIterator[AsyncSession]:
    """Join the caller's open session as it is, or open (and commit) a new one on the database."""
    if isinstance(db, AsyncSession):
        yield db
    else:
        async with db.session() as session:
            yield session


async def read_rows(
    db: DatabaseOrSession, statement: Executable, params: Mapping[str, Any] | None = None
) -> Sequence[Any]:
    """The rows of a Core `select`: in the caller's session as it is, or `Database.read_rows`."""
    if isinstance(db, AsyncSession):
        return (await db.execute(statement, params)).all()
    return await db.read_rows(statement, params)


def _closed_by_server(_dbapi_connection: object, record: ConnectionPoolEntry, _proxy: object) -> None:
    """Before a pooled asyncpg connection is lent: if its socket has been closed (the server
    restarted, or ended it), the pool opens a new one in its place (SQLAlchemy's documented use
    of `DisconnectionError` at checkout). asyncpg learns of the close as soon as the event loop
    reads it, so this costs no round trip."""
    if record.driver_connection is not None and record.driver_connection.is_closed():
        raise DisconnectionError("the server closed this connection")


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    # Deleted and overwritten content is zeroed, not left in free space (erasure: domain/erasure.py).
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class _TaskLock:
    """An asyncio lock that the task holding it may take again (a unit of work inside another).
    Another task is another holder: a unit of work that starts a task and waits for it while that
    task opens a unit of its own would wait for ever. Nothing does; keep it that way."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None

    @asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        task = asyncio.current_task()
        if task is not None and task is self._owner:
            yield
            return
        async with self._lock:
            self._owner = task
            try:
                yield
            finally:
                self._owner = None
