"""The audit log hardened: no insert may overwrite an entry, and an entry's time is the database's.

- SQLite: `INSERT OR REPLACE` (and an UPSERT's `ON CONFLICT (id) DO UPDATE`) rewrote an
  existing entry in spite of 0002's triggers: REPLACE deletes the old row without firing
  delete triggers (unless `recursive_triggers` is on). A BEFORE INSERT trigger now refuses any
  insert whose id is already taken, before the conflict is resolved. PostgreSQL needs none:
  its `ON CONFLICT DO UPDATE` fires 0002's update trigger (and the bot's role has no UPDATE).
- `at` gets a server default, the database's own now in UTC, and no caller chooses it:
  on PostgreSQL a BEFORE INSERT trigger sets it (overriding any value given); on SQLite,
  where a trigger cannot change the row being inserted, a trigger refuses a time that is not
  the database's now. SQLite keeps the text SQLAlchemy writes for `db.base.UtcDateTime`
  (naive UTC, "YYYY-MM-DD HH:MM:SS.ffffff"), so old and new entries read and sort alike.

SQLite cannot change a column's default in place, so audit_log is rebuilt (batch mode); its
rows are copied as they are and 0002's triggers are created again on the new table.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFUSAL = "audit_log is append-only"
TIME_REFUSAL = "audit_log times are set by the database"
# The database's now in UTC, as the text SQLAlchemy stores for a naive datetime on SQLite.
SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f000', 'now')"

SQLITE_0002_TRIGGERS = [
    f"""
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END
    """,
    f"""
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END
    """,
]
SQLITE_0002_DROPS = [
    "DROP TRIGGER IF EXISTS audit_log_no_delete",
    "DROP TRIGGER IF EXISTS audit_log_no_update",
]
SQLITE_UP = [
    f"""
    CREATE TRIGGER audit_log_no_overwrite BEFORE INSERT ON audit_log
    WHEN EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id)
    BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END
    """,
    # 'now' is the same for every call within one statement, so the default and this check
    # agree exactly; the few seconds allowed only guard against that ever changing.
    f"""
    CREATE TRIGGER audit_log_time_from_database BEFORE INSERT ON audit_log
    WHEN julianday(NEW.at) IS NULL OR abs(julianday(NEW.at) - julianday('now')) > 5.0 / 86400
    BEGIN SELECT RAISE(ABORT, '{TIME_REFUSAL}'); END
    """,
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS audit_log_time_from_database",
    "DROP TRIGGER IF EXISTS audit_log_no_overwrite",
]

# One statement per execute: asyncpg prepares each statement and takes only one.
POSTGRES_UP = [
    "ALTER TABLE audit_log ALTER COLUMN at SET DEFAULT CURRENT_TIMESTAMP",
    """
    CREATE FUNCTION audit_log_time_from_database() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        NEW.at := CURRENT_TIMESTAMP;
        RETURN NEW;
    END;
    $$
    """,
    """
    CREATE TRIGGER audit_log_time_from_database BEFORE INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_time_from_database()
    """,
]
POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS audit_log_time_from_database ON audit_log",
    "DROP FUNCTION IF EXISTS audit_log_time_from_database()",
    "ALTER TABLE audit_log ALTER COLUMN at DROP DEFAULT",
]


def _sqlite_default(default: sa.TextClause | None) -> None:
    """Rebuild audit_log with `default` on `at`, and 0002's triggers on the new table."""
    for statement in SQLITE_0002_DROPS:
        op.execute(statement)
    with op.batch_alter_table("audit_log", recreate="always") as batch:
        batch.alter_column(
            "at", existing_type=sa.DateTime(timezone=True), existing_nullable=False, server_default=default
        )
    for statement in SQLITE_0002_TRIGGERS:
        op.execute(statement)


def upgrade() -> None:
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        _sqlite_default(sa.text(f"({SQLITE_NOW})"))
        statements = SQLITE_UP
    elif dialect == "postgresql":
        statements = POSTGRES_UP
    else:
        raise NotImplementedError(f"no audit triggers written for {dialect}")
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_DOWN:
            op.execute(statement)
        _sqlite_default(None)
    elif dialect == "postgresql":
        for statement in POSTGRES_DOWN:
            op.execute(statement)
    else:
        raise NotImplementedError(f"no audit triggers written for {dialect}")
