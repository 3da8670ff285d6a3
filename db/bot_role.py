"""PostgreSQL least privilege: the rights the bot's own role gets when migrations run as another.

The role that owns the tables can always rewrite the audit log (`ALTER TABLE audit_log DISABLE
TRIGGER`, or dropping the triggers), so in production the bot should not be it. Migrations run
as the owner (`MIGRATION_DATABASE_URL`) and the bot connects as a role (`DATABASE_URL`) that:

- may read and write every table of this app, but only SELECT and INSERT `audit_log` (no
  UPDATE, DELETE or TRUNCATE) and only SELECT `alembic_version`;
- may use the sequences behind the tables' ids (to insert);
- owns nothing and is not a superuser, so it cannot disable a trigger or drop one.

`grant_bot_role` grants exactly that, and takes away anything else this app's tables had granted
to the role, so running it again is harmless. `db.migrate` runs it after every upgrade when
`MIGRATION_DATABASE_URL` is set (new tables get their rights with the migration that makes
them); `python -m cli grant-bot-role ROLE` runs it by hand.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

import db.models  # noqa: F401  (registers every table on Base.metadata)
from db.base import Base

APPEND_ONLY = frozenset({"audit_log"})  # SELECT and INSERT only
READ_ONLY = frozenset({"alembic_version"})  # SELECT only


class BotRoleError(ValueError):
    """The role cannot be the bot's least-privileged role; the message says why."""


def table_rights(tables: list[str]) -> dict[str, str]:
    """Each table, and the rights the bot's role has on it."""
    rights = {}
    for table in tables:
        if table in READ_ONLY:
            rights[table] = "SELECT"
        elif table in APPEND_ONLY:
            rights[table] = "SELECT, INSERT"
        else:
            rights[table] = "SELECT, INSERT, UPDATE, DELETE"
    return rights


def grant_bot_role(connection: Connection, role: str) -> list[str]:
    """Grant `role` exactly the rights the bot needs on this app's tables, in the connection's
    transaction (run as the tables' owner); returns the tables granted. Raises `BotRoleError`
    when the role does not exist, is a superuser, or owns (or is a member of the owner of) a
    table: such a role could switch the audit log's triggers off."""
    if connection.dialect.name != "postgresql":
        raise BotRoleError("separate roles are for PostgreSQL; SQLite has no roles")
    found = connection.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = :role"), {"role": role}).first()
    if found is None:
        raise BotRoleError(f"there is no role {role!r}: create it first (CREATE ROLE ... LOGIN PASSWORD ...)")
    if found.rolsuper:
        raise BotRoleError(f"role {role!r} is a superuser: it could switch off the audit log's triggers")
    ours = sorted({*Base.metadata.tables, *READ_ONLY})
    present = connection.execute(
        text(
            "SELECT tablename, pg_has_role(:role, tableowner, 'MEMBER') AS owns FROM pg_tables"
            " WHERE schemaname = current_schema() AND tablename = ANY(:tables)"
        ),
        {"role": role, "tables": ours},
    ).all()
    owned = sorted(row.tablename for row in present if row.owns)
    if owned:
        raise BotRoleError(
            f"role {role!r} owns {', '.join(owned)} (or is a member of the owner): the bot must connect as another role"
        )
    tables = sorted(row.tablename for row in present)
    sequences = connection.scalars(
        text(
            "SELECT DISTINCT s.relname FROM pg_class s"
            " JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid"
            " JOIN pg_class t ON d.refobjid = t.oid"
            " WHERE s.relkind = 'S' AND t.relnamespace = current_schema()::regnamespace AND t.relname = ANY(:tables)"
        ),
        {"tables": tables},
    ).all()
    quote = connection.dialect.identifier_preparer.quote
    grantee = quote(role)
    statements = [f"GRANT USAGE ON SCHEMA {quote(connection.scalar(text('SELECT current_schema()')))} TO {grantee}"]
    for table, rights in table_rights(tables).items():
        statements += [f"REVOKE ALL ON {quote(table)} FROM {grantee}", f"GRANT {rights} ON {quote(table)} TO {grantee}"]
    for sequence in sorted(sequences):
        statements += [f"REVOKE ALL ON SEQUENCE {quote(sequence)} FROM {grantee}"]
        statements += [f"GRANT USAGE ON SEQUENCE {quote(sequence)} TO {grantee}"]
    for statement in statements:
        connection.execute(text(statement))
    return tables
