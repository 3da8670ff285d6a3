"""The SQLite engine skips ROLLBACKs that would do nothing, and keeps every one that matters."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest
from sqlalchemy import text

from db.engine import Database


@pytest.fixture
async def sqlite(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'engine.db'}")
    async with database.engine.begin() as connection:
        await connection.execute(text("CREATE TABLE t (n INTEGER)"))
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
def rollbacks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Each ROLLBACK that reaches SQLite (through aiosqlite)."""
    seen: list[int] = []
    original = aiosqlite.Connection.rollback

    async def counting(self: aiosqlite.Connection) -> None:
        seen.append(1)
        await original(self)

    monkeypatch.setattr(aiosqlite.Connection, "rollback", counting)
    return seen


async def count(database: Database) -> int:
    async with database.reading() as connection:
        return int((await connection.execute(text("SELECT count(*) FROM t"))).scalar_one())


async def test_reads_and_commits_send_no_rollback(sqlite: Database, rollbacks: list[int]) -> None:
    assert await count(sqlite) == 0
    async with sqlite.engine.begin() as connection:
        await connection.execute(text("INSERT INTO t VALUES (1)"))
    async with sqlite.session() as session:
        await session.execute(text("INSERT INTO t VALUES (2)"))
    assert await count(sqlite) == 2
    assert rollbacks == []


async def test_work_left_uncommitted_is_still_rolled_back(sqlite: Database, rollbacks: list[int]) -> None:
    async with sqlite.engine.connect() as connection:
        await connection.execute(text("INSERT INTO t VALUES (1)"))
        # closed without a commit
    with pytest.raises(RuntimeError):
        async with sqlite.session() as session:
            await session.execute(text("INSERT INTO t VALUES (2)"))
            raise RuntimeError("the unit of work fails")
    assert await count(sqlite) == 0
    assert len(rollbacks) == 2
