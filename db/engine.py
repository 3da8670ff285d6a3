"""The async engine and session factory for one database URL (SQLite or PostgreSQL), and
`unit_of_work`, which lets a query join the caller's session or open its own (`for_reading`
does the same for the plain reads made on every turn)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

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
        # a burst of turns kept opening and closing extra connections (a new thread and the
        # PRAGMAs per SQLite connection, a login per PostgreSQL one) turn after turn; keep more.
        kwargs: dict[str, object] = {"pool_pre_ping": not self.is_sqlite}
        if not in_memory:  # an in-memory database has one connection (a StaticPool)
            kwargs.update(pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW)
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            dialect = self.engine.sync_engine.dialect
            rollback = _rollback_if_in_transaction(dialect.do_rollback)
            dialect.do_rollback = rollback  # type: ignore[method-assign,assignment]
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            async with session.begin():
                yield session

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncConnection]:
        """A plain connection for a few reads on every turn: about half the cost of an ORM
        session, nothing to commit (it is rolled back when it goes back to the pool)."""
        async with self.engine.connect() as connection:
            yield connection

    async def ping(self) -> bool:
        from sqlalchemy import text

        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True

    async def dispose(self) -> None:
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


@asynccontextmanager
async def for_reading(db: DatabaseOrSession) -> AsyncIterator[AsyncSession | AsyncConnection]:
    """For a Core `select` on every turn: join the caller's session as it is, or take a plain
    connection (`Database.reading`), which costs about half an ORM session."""
    if isinstance(db, AsyncSession):
        yield db
    else:
        async with db.reading() as connection:
            yield connection


def _rollback_if_in_transaction(rollback: Callable[[Any], None]) -> Callable[[Any], None]:
    """SQLite's ROLLBACK, only when SQLite has a transaction open. SQLAlchemy rolls back every
    connection it closes or returns to the pool, even after a commit or a plain read (SQLite
    opens no transaction for a SELECT), where ROLLBACK does nothing; with aiosqlite each one is
    still a round trip to the connection's thread, a fifth of the cost of a one-row read."""

    def do_rollback(dbapi_connection: Any) -> None:
        if dbapi_connection.driver_connection.in_transaction:
            rollback(dbapi_connection)

    return do_rollback


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
