"""PostgreSQL least privilege: migrations run as the owner, the bot as a role granted only what it
needs (db/bot_role.py), which can use every table but cannot change the audit log, even by
switching its triggers off.

Each test creates its own role (roles belong to the whole server, which other engineers' test
runs share), and drops it at the end."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.exc import DBAPIError

from core.settings import Settings
from db.base import Base
from db.bot_role import APPEND_ONLY, READ_ONLY, BotRoleError
from db.engine import Database
from db.migrate import migrate_for, upgrade_to_head
from db.state_store import StateStore
from domain.audit import read_audit, record_audit
from domain.directory.service import export_directory, import_directory
from domain.requester import Requester
from tests.fixtures.database import admin_execute

pytestmark = pytest.mark.postgres
REPO_ROOT = Path(__file__).resolve().parents[2]
SCHOOLS = "urn,name,member\n100001,Charnwood Vale Academy,yes\n"
PEOPLE = (
    "email,display_name,school_urn,roles,aad_object_id,active\n"
    "admin@lncip.example.org,Pat Admin,,partnership_admin,,yes\n"
)


@dataclass(frozen=True)
class BotRole:
    name: str
    url: str  # the session's database, connecting as this role


@pytest.fixture
async def bot_role(postgres_server_url: str, postgres_url: str, postgres_database: Database) -> AsyncIterator[BotRole]:
    name = f"lncip_bot_{uuid.uuid4().hex[:12]}"
    password = uuid.uuid4().hex
    await admin_execute(postgres_server_url, f"CREATE ROLE \"{name}\" LOGIN PASSWORD '{password}'")
    url = make_url(postgres_url).set(username=name, password=password).render_as_string(hide_password=False)
    try:
        yield BotRole(name, url)
    finally:
        await admin_execute(postgres_url, f'DROP OWNED BY "{name}"')  # its grants on this database
        await admin_execute(postgres_server_url, f'DROP ROLE IF EXISTS "{name}"')


async def exercise_the_bot_role(role: BotRole) -> None:
    """Everything the bot does works as `role`; nothing it could do changes the audit log."""
    bot = Database(role.url)
    try:
        assert (await import_directory(bot, Requester.system(), "schools", SCHOOLS)).accepted
        assert (await import_directory(bot, Requester.system(), "people", PEOPLE)).accepted
        assert "admin@lncip.example.org" in await export_directory(bot, Requester.system(), "people")
        await StateStore(bot).write({"conversation/1": ({"step": 1}, None)})
        async with bot.session() as session:
            await record_audit(session, actor_id=7, action="viewed", record_type="pupil", record_id="40")
        async with bot.session() as session:
            before = await read_audit(session)
        assert [e.action for e in before] == ["imported", "created", "imported", "exported", "viewed"]
        # Every other table may be read, written and emptied.
        for table in sorted(set(Base.metadata.tables) - APPEND_ONLY - READ_ONLY):
            column = next(iter(Base.metadata.tables[table].primary_key.columns)).name
            async with bot.session() as session:
                await session.execute(text(f'SELECT * FROM "{table}" LIMIT 1'))
                await session.execute(text(f'UPDATE "{table}" SET "{column}" = "{column}" WHERE false'))
                await session.execute(text(f'DELETE FROM "{table}" WHERE false'))

        for statement in (
            "UPDATE audit_log SET action = 'erased'",
            "DELETE FROM audit_log",
            "TRUNCATE audit_log",
            "INSERT INTO audit_log (id, actor_id, action, record_type, record_id, detail)"
            f" VALUES ({before[-1].id}, 9, 'erased', 'pupil', '40', '{{}}')"
            " ON CONFLICT (id) DO UPDATE SET action = 'erased'",
            "ALTER TABLE audit_log DISABLE TRIGGER ALL",
            "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_or_delete",
            "DROP TRIGGER audit_log_no_update_or_delete ON audit_log",
            "SET session_replication_role = replica",  # what the test fixture uses to empty the log
            "UPDATE alembic_version SET version_num = '0001'",
            "CREATE OR REPLACE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql"
            " AS $$ BEGIN RETURN NEW; END; $$",
        ):
            with pytest.raises(DBAPIError, match="permission denied|must be owner"):
                async with bot.session() as session:
                    await session.execute(text(statement))
        async with bot.session() as session:
            assert await read_audit(session) == before
    finally:
        await bot.dispose()


async def test_the_bot_role_uses_every_table_but_cannot_change_the_audit_log(
    bot_role: BotRole, postgres_url: str
) -> None:
    # As the app and `python -m cli migrate` do with MIGRATION_DATABASE_URL set.
    settings = Settings(database_url=bot_role.url, migration_database_url=postgres_url)
    assert settings.bot_role == bot_role.name
    await migrate_for(settings)
    await exercise_the_bot_role(bot_role)


async def test_python_m_cli_grant_bot_role(bot_role: BotRole, postgres_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": postgres_url, "LOG_LEVEL": "WARNING"}
    env.pop("MIGRATION_DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "cli", "grant-bot-role", bot_role.name],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert f"Role {bot_role.name} may now do what the bot needs" in result.stdout
    await exercise_the_bot_role(bot_role)


async def test_an_owner_or_superuser_is_not_granted(postgres_url: str) -> None:
    with pytest.raises(BotRoleError, match="superuser"):
        await upgrade_to_head(postgres_url, grant_to=make_url(postgres_url).username)
    with pytest.raises(BotRoleError, match="there is no role"):
        await upgrade_to_head(postgres_url, grant_to=f"lncip_nobody_{uuid.uuid4().hex[:8]}")


async def test_a_role_that_owns_a_table_is_not_granted(
    bot_role: BotRole, postgres_url: str, postgres_server_url: str
) -> None:
    await admin_execute(postgres_url, f'GRANT "{bot_role.name}" TO CURRENT_USER')
    await admin_execute(postgres_url, f'ALTER TABLE term_dates OWNER TO "{bot_role.name}"')
    try:
        with pytest.raises(BotRoleError, match="owns term_dates"):
            await upgrade_to_head(postgres_url, grant_to=bot_role.name)
    finally:
        await admin_execute(postgres_url, "ALTER TABLE term_dates OWNER TO CURRENT_USER")
