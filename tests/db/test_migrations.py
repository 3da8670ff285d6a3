"""Migrations build exactly the schema the models describe, on SQLite and PostgreSQL,
and several instances may migrate one database at the same moment."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

import db.models  # noqa: F401
from db.base import Base
from db.engine import Database
from db.migrate import alembic_config, current_revision, head_revision, upgrade_to_head
from tests.db import workers
from tests.fixtures.database import (
    create_postgres_database,
    drop_postgres_database,
    sqlite_url,
)

REPO_ROOT = Path(__file__).resolve().parents[2]


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def schema_differences(database: Database) -> list[Any]:
    async with database.engine.connect() as connection:
        return await connection.run_sync(_differences)


async def revision_of(database: Database) -> str | None:
    async with database.engine.connect() as connection:
        return await connection.run_sync(current_revision)


async def test_migrated_schema_matches_the_models(database: Database) -> None:
    assert await schema_differences(database) == []
    assert await revision_of(database) == head_revision()


def test_the_first_revision_is_0001() -> None:
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config())
    first = scripts.get_revision("0001")
    assert first is not None and first.down_revision is None


async def test_upgrade_twice_is_a_no_op(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "twice.db")
    await upgrade_to_head(url)
    await upgrade_to_head(url)
    database = Database(url)
    try:
        assert await revision_of(database) == head_revision()
    finally:
        await database.dispose()


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_0001_downgrades_cleanly(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "down.db")
    database = Database(url)
    try:
        async with database.engine.begin() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection.sync_connection
            await connection.run_sync(lambda _: command.upgrade(config, "0001"))
            assert {"schools", "people", "person_roles", "pupils", "bot_state"} <= await connection.run_sync(_tables)
            await connection.run_sync(lambda _: command.downgrade(config, "base"))
            assert await connection.run_sync(_tables) == {"alembic_version"}
    finally:
        await database.dispose()


def _run_concurrently(target: Any, args_for: list[tuple[Any, ...]]) -> list[int | None]:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(args_for))
    processes = [context.Process(target=target, args=(*args, barrier)) for args in args_for]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    return [process.exitcode for process in processes]


@pytest.mark.postgres
async def test_two_processes_migrate_one_postgres_database_at_once(postgres_server_url: str) -> None:
    url = await create_postgres_database(postgres_server_url, prefix="lncip_tmig_")
    try:
        assert _run_concurrently(workers.migrate, [(url,), (url,)]) == [0, 0]
        database = Database(url)
        try:
            assert await revision_of(database) == head_revision()
            assert await schema_differences(database) == []
        finally:
            await database.dispose()
    finally:
        await drop_postgres_database(postgres_server_url, url)


async def test_two_processes_migrate_one_sqlite_file_at_once(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "race.db")
    assert _run_concurrently(workers.migrate, [(url,), (url,)]) == [0, 0]
    database = Database(url)
    try:
        assert await revision_of(database) == head_revision()
    finally:
        await database.dispose()


def test_python_m_db_migrate(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": sqlite_url(tmp_path / "cli.db"), "LOG_LEVEL": "WARNING"}
    result = subprocess.run(
        [sys.executable, "-m", "db.migrate"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert f"revision {head_revision()}" in result.stdout
