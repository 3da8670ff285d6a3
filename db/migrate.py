"""Bring a database up to the newest migration, safely when several instances start at once.

PostgreSQL: the whole upgrade runs in one transaction on one connection that first takes
`pg_advisory_xact_lock(MIGRATION_LOCK_KEY)`. A second instance waits on the lock, then
finds the database at head and does nothing; the lock ends with the transaction.
SQLite: an exclusive `flock` on `<database file>.migrate.lock` does the same job between
processes on one machine (SQLite itself cannot run DDL for two writers at once).

Run at start-up (`await migrate_for(settings)`) or by hand: `python -m db.migrate` (or
`python -m cli migrate`). With `MIGRATION_DATABASE_URL` set, migrations run as that (owner)
role and then grant the bot's role (the user in `DATABASE_URL`) exactly its rights, in the same
transaction (`db.bot_role`).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import pool, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import create_async_engine

from core.logs import log_event
from core.settings import REPO_ROOT, Settings
from db.bot_role import grant_bot_role

# Any fixed 64-bit number; the same for every instance of this app ("LNCIPMIG").
MIGRATION_LOCK_KEY = 0x4C4E4349504D4947

logger = logging.getLogger(__name__)


def alembic_config(url: str | None = None) -> Config:
    """The Alembic config for this repository, independent of the working directory."""
    config = Config(str(REPO_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(REPO_ROOT / "migrations"))
    if url:
        config.attributes["url"] = url
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


@contextlib.asynccontextmanager
async def _sqlite_file_lock(url: str) -> AsyncIterator[None]:
    database = make_url(url).database
    if not database or database == ":memory:":
        yield
        return
    lock_path = Path(database).with_name(Path(database).name + ".migrate.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+b") as handle:
        # Waits (off the event loop) until another process has finished migrating.
        await asyncio.to_thread(fcntl.flock, handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _upgrade(connection: Connection, config: Config, grant_to: str | None) -> tuple[str | None, str | None]:
    before = current_revision(connection)
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
    if grant_to is not None:
        grant_bot_role(connection, grant_to)
    return before, current_revision(connection)


async def upgrade_to_head(url: str, *, grant_to: str | None = None) -> None:
    """Apply every pending migration to the database at `url` (idempotent, lock-protected);
    then, if `grant_to` names the bot's role, grant it its rights (`db.bot_role`)."""
    config = alembic_config(url)
    is_sqlite = make_url(url).get_backend_name() == "sqlite"
    engine = create_async_engine(url, poolclass=pool.NullPool)
    try:
        async with _sqlite_file_lock(url) if is_sqlite else contextlib.nullcontext():
            async with engine.connect() as connection:
                if not is_sqlite:
                    await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
                before, after = await connection.run_sync(_upgrade, config, grant_to)
                await connection.commit()
    finally:
        await engine.dispose()
    if before != after:
        log_event(logger, "database migrated", from_revision=before, to_revision=after)


async def migrate_for(settings: Settings) -> None:
    """Migrate the database the settings name, as the migration role when there is one."""
    await upgrade_to_head(settings.migration_url, grant_to=settings.bot_role)


async def migrate(settings: Settings) -> str:
    """`migrate_for`, and the line that reports it."""
    await migrate_for(settings)
    granted = f"; role {settings.bot_role} granted the bot's rights" if settings.bot_role else ""
    return f"Database at revision {head_revision()}{granted}."


def main() -> int:
    from core.settings import load_for_command

    settings = load_for_command("db.migrate")
    if settings is None:
        return 2
    print(asyncio.run(migrate(settings)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
