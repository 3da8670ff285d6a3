"""Safeguarding concerns, their notes and their append-only chronology, guarded by triggers.

What the triggers refuse, on SQLite and PostgreSQL alike (as 0002 does for audit_log):
- the chronology: any UPDATE or DELETE (and TRUNCATE on PostgreSQL);
- a concern or a note: DELETE; changing what it recorded (who, when, which pupil or school,
  the immediate-danger answers); changing its text except to blank it (pupil erasure);
  taking back or rewriting an acknowledgement; moving the ladder back down;
- on SQLite, an INSERT OR REPLACE over an existing row of any of the three (REPLACE deletes
  the old row without firing delete triggers).
Someone who can drop triggers (the database owner) is not stopped; that takes a migration.

Revision ID: 0008
Revises: 0005 (re-pointed at the merge)
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUBJECTS = ("pupil", "adult", "headteacher")
STATUSES = ("raised", "acknowledged", "closed")
ENTRY_KINDS = ("raised", "notified", "delivered", "undeliverable", "viewed", "acknowledged", "note", "escalated")

CHRONOLOGY = "safeguarding_chronology is append-only"
CONCERN = "a safeguarding concern is recorded once and never deleted"
NOTE = "a safeguarding note is recorded once and never deleted"

# (table, refusal, columns fixed once written, text columns that may only be blanked)
GUARDED = (
    (
        "safeguarding_concerns",
        CONCERN,
        (
            "id",
            "subject",
            "school_id",
            "pupil_id",
            "reporter_id",
            "raised_at",
            "happened_at",
            "immediate_danger",
            "called_999",
            "child_at_risk",
        ),
        ("account", "actions_taken", "location"),
    ),
    ("safeguarding_notes", NOTE, ("id", "concern_id", "author_id", "at"), ("text",)),
)


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def _changed(table: str, fixed: tuple[str, ...], blankable: tuple[str, ...], differs: str) -> str:
    """The WHEN condition of a guarded table's update trigger."""
    parts = [f"NEW.{c} {differs} OLD.{c}" for c in fixed]
    parts += [f"(NEW.{c} {differs} OLD.{c} AND NEW.{c} IS NOT NULL)" for c in blankable]
    parts.append(f"(OLD.erased_at IS NOT NULL AND NEW.erased_at {differs} OLD.erased_at)")
    if table == "safeguarding_concerns":
        parts.append(
            f"(OLD.acknowledged_at IS NOT NULL AND (NEW.acknowledged_at {differs} OLD.acknowledged_at"
            f" OR NEW.acknowledged_by {differs} OLD.acknowledged_by))"
        )
        parts.append("NEW.rung < OLD.rung")
    return " OR ".join(parts)


def _sqlite_up() -> list[str]:
    statements = [
        f"CREATE TRIGGER safeguarding_chronology_no_update BEFORE UPDATE ON safeguarding_chronology "
        f"BEGIN SELECT RAISE(ABORT, '{CHRONOLOGY}'); END",
        f"CREATE TRIGGER safeguarding_chronology_no_delete BEFORE DELETE ON safeguarding_chronology "
        f"BEGIN SELECT RAISE(ABORT, '{CHRONOLOGY}'); END",
        f"CREATE TRIGGER safeguarding_chronology_no_replace BEFORE INSERT ON safeguarding_chronology "
        f"WHEN EXISTS (SELECT 1 FROM safeguarding_chronology WHERE id = NEW.id) "
        f"BEGIN SELECT RAISE(ABORT, '{CHRONOLOGY}'); END",
    ]
    for table, refusal, fixed, blankable in GUARDED:
        statements += [
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} BEGIN SELECT RAISE(ABORT, '{refusal}'); END",
            f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
            f"WHEN EXISTS (SELECT 1 FROM {table} WHERE id = NEW.id) BEGIN SELECT RAISE(ABORT, '{refusal}'); END",
            f"CREATE TRIGGER {table}_no_rewrite BEFORE UPDATE ON {table} "
            f"WHEN {_changed(table, fixed, blankable, 'IS NOT')} BEGIN SELECT RAISE(ABORT, '{refusal}'); END",
        ]
    return statements


def _sqlite_down() -> list[str]:
    names = ["safeguarding_chronology_no_update", "safeguarding_chronology_no_delete"]
    names += ["safeguarding_chronology_no_replace"]
    names += [f"{table}_{what}" for table, *_ in GUARDED for what in ("no_delete", "no_replace", "no_rewrite")]
    return [f"DROP TRIGGER IF EXISTS {name}" for name in names]


# One statement per execute: asyncpg prepares each statement and takes only one.
def _postgres_up() -> list[str]:
    statements = [
        """
        CREATE FUNCTION safeguarding_refuse_change() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'insufficient_privilege';
        END;
        $$
        """,
        f"CREATE TRIGGER safeguarding_chronology_no_change BEFORE UPDATE OR DELETE ON safeguarding_chronology "
        f"FOR EACH ROW EXECUTE FUNCTION safeguarding_refuse_change('{CHRONOLOGY}')",
    ]
    for table, refusal, fixed, blankable in GUARDED:
        statements += [
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION safeguarding_refuse_change('{refusal}')",
            f"CREATE TRIGGER {table}_no_rewrite BEFORE UPDATE ON {table} FOR EACH ROW "
            f"WHEN ({_changed(table, fixed, blankable, 'IS DISTINCT FROM')}) "
            f"EXECUTE FUNCTION safeguarding_refuse_change('{refusal}')",
        ]
    # TRUNCATE fires no row triggers, so each table needs a statement-level one.
    for table, refusal in (("safeguarding_chronology", CHRONOLOGY), *((t, r) for t, r, *_ in GUARDED)):
        statements.append(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION safeguarding_refuse_change('{refusal}')"
        )
    return statements


def _postgres_down() -> list[str]:
    drops = ["DROP TRIGGER IF EXISTS safeguarding_chronology_no_change ON safeguarding_chronology"]
    for table in ("safeguarding_chronology", *(t for t, *_ in GUARDED)):
        drops.append(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    for table, *_ in GUARDED:
        drops += [f"DROP TRIGGER IF EXISTS {table}_no_delete ON {table}"]
        drops += [f"DROP TRIGGER IF EXISTS {table}_no_rewrite ON {table}"]
    return [*drops, "DROP FUNCTION IF EXISTS safeguarding_refuse_change()"]


def _statements(up: bool) -> list[str]:
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        return _sqlite_up() if up else _sqlite_down()
    if dialect == "postgresql":
        return _postgres_up() if up else _postgres_down()
    raise NotImplementedError(f"no safeguarding triggers written for {dialect}")


def _when(name: str, nullable: bool) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "safeguarding_concerns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=20), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=True),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        _when("raised_at", False),
        _when("happened_at", True),
        sa.Column("immediate_danger", sa.Boolean(), nullable=False),
        sa.Column("called_999", sa.Boolean(), nullable=False),
        sa.Column("child_at_risk", sa.Boolean(), nullable=False),
        sa.Column("account", sa.Text(), nullable=True),
        sa.Column("actions_taken", sa.Text(), nullable=True),
        sa.Column("location", sa.String(length=200), nullable=True),
        _when("erased_at", True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("rung", sa.SmallInteger(), nullable=False),
        sa.Column("acknowledged_by", sa.Integer(), nullable=True),
        _when("acknowledged_at", True),
        sa.CheckConstraint(_one_of("subject", SUBJECTS), name=op.f("ck_safeguarding_concerns_subject")),
        sa.CheckConstraint(_one_of("status", STATUSES), name=op.f("ck_safeguarding_concerns_status")),
        sa.CheckConstraint(
            "subject <> 'pupil' OR pupil_id IS NOT NULL", name=op.f("ck_safeguarding_concerns_pupil_named")
        ),
        sa.CheckConstraint(
            "erased_at IS NOT NULL OR account IS NOT NULL",
            name=op.f("ck_safeguarding_concerns_account_unless_erased"),
        ),
        sa.CheckConstraint(
            "status = 'raised' OR (acknowledged_by IS NOT NULL AND acknowledged_at IS NOT NULL)",
            name=op.f("ck_safeguarding_concerns_acknowledged_by_someone"),
        ),
        sa.ForeignKeyConstraint(["school_id"], ["schools.id"], name=op.f("fk_safeguarding_concerns_school_id_schools")),
        sa.ForeignKeyConstraint(["pupil_id"], ["pupils.id"], name=op.f("fk_safeguarding_concerns_pupil_id_pupils")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safeguarding_concerns")),
    )
    for column in ("school_id", "pupil_id", "reporter_id"):
        op.create_index(op.f(f"ix_safeguarding_concerns_{column}"), "safeguarding_concerns", [column])
    op.create_index("ix_safeguarding_concerns_open", "safeguarding_concerns", ["status", "raised_at"])

    op.create_table(
        "safeguarding_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("concern_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        _when("at", False),
        sa.Column("text", sa.Text(), nullable=True),
        _when("erased_at", True),
        sa.ForeignKeyConstraint(
            ["concern_id"],
            ["safeguarding_concerns.id"],
            name=op.f("fk_safeguarding_notes_concern_id_safeguarding_concerns"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safeguarding_notes")),
    )
    op.create_index(op.f("ix_safeguarding_notes_concern_id"), "safeguarding_notes", ["concern_id"])

    op.create_table(
        "safeguarding_chronology",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("concern_id", sa.Integer(), nullable=False),
        _when("at", False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("rung", sa.SmallInteger(), nullable=True),
        sa.Column("notification_id", sa.Integer(), nullable=True),
        sa.Column("note_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.CheckConstraint(_one_of("kind", ENTRY_KINDS), name=op.f("ck_safeguarding_chronology_kind")),
        sa.ForeignKeyConstraint(
            ["concern_id"],
            ["safeguarding_concerns.id"],
            name=op.f("fk_safeguarding_chronology_concern_id_safeguarding_concerns"),
        ),
        sa.ForeignKeyConstraint(
            ["note_id"], ["safeguarding_notes.id"], name=op.f("fk_safeguarding_chronology_note_id_safeguarding_notes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safeguarding_chronology")),
    )
    op.create_index(op.f("ix_safeguarding_chronology_concern_id"), "safeguarding_chronology", ["concern_id"])
    for statement in _statements(up=True):
        op.execute(statement)


def downgrade() -> None:
    for statement in _statements(up=False):
        op.execute(statement)
    op.drop_index(op.f("ix_safeguarding_chronology_concern_id"), table_name="safeguarding_chronology")
    op.drop_table("safeguarding_chronology")
    op.drop_index(op.f("ix_safeguarding_notes_concern_id"), table_name="safeguarding_notes")
    op.drop_table("safeguarding_notes")
    op.drop_index("ix_safeguarding_concerns_open", table_name="safeguarding_concerns")
    for column in ("reporter_id", "pupil_id", "school_id"):
        op.drop_index(op.f(f"ix_safeguarding_concerns_{column}"), table_name="safeguarding_concerns")
    op.drop_table("safeguarding_concerns")
