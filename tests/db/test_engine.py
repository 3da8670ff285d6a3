"""The engine: SQLite runs on the event loop's thread, write-capable units of work take turns
in-process, uncommitted work is rolled back, and `read_rows` survives a restarted server."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import create_async_engine

from db.engine import Database, _sqlite_pragmas, read_rows
from db.models.state import StoredState
from db.state_store import StateStore
from tests.fixtures.database import admin_execute

_COUNT = text("SELECT count(*) FROM t")


@pytest.fixture
async def sqlite(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'engine.db'}")
    await database.transaction(lambda connection: connection.execute(text("CREATE TABLE t (n INTEGER PRIMARY KEY)")))
    try:
        yield database
    finally:
        await database.dispose()


def insert_one(connection: Connection) -> None:
    connection.execute(text("INSERT INTO t VALUES (1)"))


async def count(database: Database) -> int:
    return int((await database.read_rows(_COUNT))[0][0])


async def test_sqlite_starts_no_thread_and_runs_on_the_loop(sqlite: Database) -> None:
    threads_before = set(threading.enumerate())
    seen: list[str] = []

    def where(_: object) -> int:
        seen.append(threading.current_thread().name)
        return 1

    def insert(connection: Connection) -> None:
        connection.connection.dbapi_connection.create_function("where_am_i", 1, where)  # type: ignore[union-attr]
        connection.execute(text("INSERT INTO t VALUES (where_am_i(1))"))

    await sqlite.transaction(insert)
    assert await count(sqlite) == 1
    assert seen == [threading.current_thread().name]
    assert set(threading.enumerate()) == threads_before


async def test_errors_reach_the_caller_as_sqlalchemy_errors(sqlite: Database) -> None:
    await sqlite.transaction(insert_one)
    with pytest.raises(IntegrityError):
        await sqlite.transaction(insert_one)
    assert await count(sqlite) == 1


async def test_work_left_uncommitted_is_rolled_back(sqlite: Database) -> None:
    async with sqlite.engine.connect() as connection:
        await connection.execute(text("INSERT INTO t VALUES (1)"))
        # closed without a commit
    with pytest.raises(RuntimeError):
        async with sqlite.session() as session:
            await session.execute(text("INSERT INTO t VALUES (2)"))
            raise RuntimeError("the unit of work fails")
    assert await count(sqlite) == 0


async def test_units_of_work_that_pause_mid_write_take_turns(sqlite: Database) -> None:
    """Each holds SQLite's write lock across a pause. Without turns the second would wait for the
    file lock on the event loop's thread, which the first needs to finish: "database is locked"."""
    order: list[str] = []

    async def unit(n: int) -> None:
        async with sqlite.session() as session:
            await session.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
            order.append(f"wrote {n}")
            await asyncio.sleep(0.05)
        order.append(f"committed {n}")

    await asyncio.wait_for(asyncio.gather(unit(1), unit(2)), timeout=3)
    assert order == ["wrote 1", "committed 1", "wrote 2", "committed 2"]
    assert await count(sqlite) == 2


async def test_a_unit_of_work_may_open_another_in_the_same_task(sqlite: Database) -> None:
    async with sqlite.session() as outer:
        await outer.execute(text("INSERT INTO t VALUES (1)"))
        async with asyncio.timeout(3):
            async with sqlite.session() as inner:  # reads the last committed state
                assert (await inner.execute(_COUNT)).scalar_one() == 0
    assert await count(sqlite) == 1


async def test_reads_see_committed_rows_during_another_units_pause(sqlite: Database) -> None:
    started, release = asyncio.Event(), asyncio.Event()

    async def writer() -> None:
        async with sqlite.session() as session:
            await session.execute(text("INSERT INTO t VALUES (1)"))
            started.set()
            await release.wait()

    task = asyncio.create_task(writer())
    await started.wait()
    assert await count(sqlite) == 0  # not blocked by the open write, not seeing it either
    release.set()
    await task
    assert await count(sqlite) == 1


async def test_read_rows_joins_the_callers_session(sqlite: Database) -> None:
    async with sqlite.session() as session:
        await session.execute(text("INSERT INTO t VALUES (1)"))
        assert (await read_rows(session, _COUNT))[0][0] == 1  # sees its own uncommitted row
        assert (await read_rows(sqlite, _COUNT))[0][0] == 0


@pytest.mark.postgres
async def test_reads_and_writes_survive_a_restarted_postgresql(postgres_database: Database) -> None:
    """When the server has closed every connection, a direct read finds its connection dead and
    tries once more on a new one, and the engine's pool swaps each closed one for a new one before
    lending it, so units of work go on too."""
    store = StateStore(postgres_database)
    async with asyncio.TaskGroup() as group:  # a few idle connections in the pool and the direct reads
        for n in range(3):
            group.create_task(store.write({f"k{n}": ({"n": 1}, None)}))
            group.create_task(store.read([f"k{n}"]))
    await _drop_other_connections(postgres_database)
    assert (await store.read(["k0"]))["k0"].data == {"n": 1}
    async with asyncio.TaskGroup() as group:
        for n in range(3):
            group.create_task(store.write({f"k{n}": ({"n": 2}, None)}))
    async with postgres_database.session() as session:
        assert (await session.execute(text("SELECT count(*) FROM bot_state"))).scalar() == 3
    rows = await postgres_database.read_rows(select(StoredState.data).where(StoredState.key == "k2"))
    assert rows[0][0] == {"n": 2}


async def _drop_other_connections(database: Database) -> None:
    """What a server restart does to the pool: every connection it holds is closed (and, as a
    restart takes a while, the process has seen its sockets close before the next turn)."""
    others = "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    await admin_execute(database.url, f"SELECT pg_terminate_backend(pid) {others}")
    checker = create_async_engine(database.url)
    try:
        async with asyncio.timeout(10), checker.connect() as connection:
            while (await connection.execute(text(f"SELECT count(*) {others}"))).scalar():
                await asyncio.sleep(0.02)
    finally:
        await checker.dispose()
    await asyncio.sleep(0.1)


def test_sqlite_connections_zero_what_they_delete() -> None:
    # Many SQLite builds (Python's own on Windows and macOS) leave secure_delete off; then a
    # deleted or overwritten value (an erased pupil's name) stays in the file's free space.
    connection = sqlite3.connect(":memory:")
    try:
        connection.execute("PRAGMA secure_delete=OFF")  # as such a build starts
        _sqlite_pragmas(connection, None)
        assert connection.execute("PRAGMA secure_delete").fetchone() == (1,)
    finally:
        connection.close()


async def test_a_checkpoint_empties_the_write_ahead_log(sqlite: Database, tmp_path: Path) -> None:
    await sqlite.transaction(insert_one)
    wal = tmp_path / "engine.db-wal"
    assert wal.stat().st_size > 0
    assert await sqlite.checkpoint_wal()
    assert wal.stat().st_size == 0
    assert await count(sqlite) == 1
