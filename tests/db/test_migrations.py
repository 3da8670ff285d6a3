"""Migrations build exactly the schema the models describe, on SQLite and PostgreSQL,
and several instances may migrate one database at the same moment."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

import db.models  # noqa: F401
from db.base import Base
from db.engine import Database
from db.migrate import alembic_config, current_revision, head_revision, upgrade_to_head
from domain.audit import read_audit
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


async def _at_revision(url: str, revision: str, down: bool = False) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection.sync_connection
            step = command.downgrade if down else command.upgrade
            await connection.run_sync(lambda _: step(config, revision))
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_0006_keeps_the_entries_and_the_append_only_triggers_both_ways(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if backend == "sqlite":
        url, server = sqlite_url(tmp_path / "audit.db"), None
    else:
        server = request.getfixturevalue("postgres_server_url")
        url = await create_postgres_database(server, prefix="lncip_t0006_")
    insert = text(
        "INSERT INTO audit_log (at, actor_id, action, record_type, record_id, detail)"
        " VALUES (:at, 7, 'viewed', 'pupil', '40', '{}')"
    )
    when = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    try:
        await _at_revision(url, "0005")
        database = Database(url)
        try:
            async with database.session() as session:  # an entry written before 0006
                await session.execute(insert, {"at": when.replace(tzinfo=None) if database.is_sqlite else when})
        finally:
            await database.dispose()
        for revision, down in (("head", False), ("0005", True), ("head", False)):
            await _at_revision(url, revision, down)
            database = Database(url)
            try:
                async with database.session() as session:
                    (entry,) = await read_audit(session)
                assert (entry.at, entry.actor_id) == (when, 7)
                with pytest.raises(DBAPIError, match="append-only"):
                    async with database.session() as session:
                        await session.execute(text("UPDATE audit_log SET action = 'erased'"))
                with pytest.raises(DBAPIError, match="append-only"):
                    async with database.session() as session:
                        await session.execute(text("DELETE FROM audit_log"))
            finally:
                await database.dispose()
    finally:
        if server is not None:
            await drop_postgres_database(server, url)
