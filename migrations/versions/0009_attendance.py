"""The register: attendance_providers, provider_placements, provider_api_keys, attendance_marks,
attendance_mark_history, attendance_actions, attendance_chases, attendance_imports; and the
pupils' welfare flags (child protection plan, child in need plan, looked after).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SESSIONS = ("am", "pm")
MARKS = ("present", "late", "absent", "left_early", "not_expected")
SETTINGS = ("centre", "ap", "school")
WELFARE_FLAGS = ("child_protection_plan", "child_in_need_plan", "looked_after")


def _when(name: str, nullable: bool) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def _pupil(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["pupil_id"], ["pupils.id"], name=op.f(f"fk_{table}_pupil_id_pupils"), ondelete="CASCADE"
    )


def upgrade() -> None:
    with op.batch_alter_table("pupils") as batch:
        for flag in WELFARE_FLAGS:
            batch.add_column(sa.Column(flag, sa.Boolean(), nullable=False, server_default=sa.false()))

    op.create_table(
        "attendance_providers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("registered_school", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _when("created_at", False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance_providers")),
        sa.UniqueConstraint("name", name=op.f("uq_attendance_providers_name")),
    )
    op.create_table(
        "provider_placements",
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["attendance_providers.id"],
            name=op.f("fk_provider_placements_provider_id_attendance_providers"),
            ondelete="CASCADE",
        ),
        _pupil("provider_placements"),
        sa.PrimaryKeyConstraint("provider_id", "pupil_id", name=op.f("pk_provider_placements")),
    )
    op.create_index("ix_provider_placements_pupil_id", "provider_placements", ["pupil_id"])
    op.create_table(
        "provider_api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        _when("issued_at", False),
        sa.Column("issued_by", sa.Integer(), nullable=True),
        _when("revoked_at", True),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["attendance_providers.id"],
            name=op.f("fk_provider_api_keys_provider_id_attendance_providers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_api_keys")),
        sa.UniqueConstraint("key_id", name=op.f("uq_provider_api_keys_key_id")),
    )
    op.create_index("ix_provider_api_keys_provider_id", "provider_api_keys", ["provider_id"])
    op.create_table(
        "attendance_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("session", sa.String(length=2), nullable=False),
        sa.Column("mark", sa.String(length=20), nullable=False),
        sa.Column("at_time", sa.Time(), nullable=True),
        sa.Column("reason", sa.String(length=30), nullable=True),
        sa.Column("given_by", sa.String(length=30), nullable=True),
        sa.Column("setting", sa.String(length=10), nullable=True),
        sa.Column("provider_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        _when("recorded_at", False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(_one_of("session", SESSIONS), name=op.f("ck_attendance_marks_session")),
        sa.CheckConstraint(_one_of("mark", MARKS), name=op.f("ck_attendance_marks_mark")),
        sa.CheckConstraint(
            "setting IS NULL OR " + _one_of("setting", SETTINGS), name=op.f("ck_attendance_marks_setting")
        ),
        _pupil("attendance_marks"),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["attendance_providers.id"],
            name=op.f("fk_attendance_marks_provider_id_attendance_providers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance_marks")),
        sa.UniqueConstraint("pupil_id", "on_date", "session", name="uq_attendance_marks_pupil_day_session"),
    )
    op.create_index("ix_attendance_marks_day", "attendance_marks", ["on_date", "session"])
    op.create_table(
        "attendance_mark_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mark_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("mark", sa.String(length=20), nullable=False),
        sa.Column("at_time", sa.Time(), nullable=True),
        sa.Column("reason", sa.String(length=30), nullable=True),
        sa.Column("given_by", sa.String(length=30), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        _when("recorded_at", False),
        _when("replaced_at", False),
        sa.Column("replaced_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["mark_id"],
            ["attendance_marks.id"],
            name=op.f("fk_attendance_mark_history_mark_id_attendance_marks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance_mark_history")),
    )
    op.create_index("ix_attendance_mark_history_mark_id", "attendance_mark_history", ["mark_id"])
    op.create_table(
        "attendance_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("taken_by", sa.Integer(), nullable=True),
        _when("taken_at", False),
        _pupil("attendance_actions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance_actions")),
        sa.UniqueConstraint("pupil_id", "on_date", "action", name="uq_attendance_actions_pupil_day_action"),
    )
    op.create_index("ix_attendance_actions_pupil_id", "attendance_actions", ["pupil_id"])
    op.create_table(
        "attendance_chases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("chased_by", sa.Integer(), nullable=True),
        _when("chased_at", False),
        _pupil("attendance_chases"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance_chases")),
        sa.UniqueConstraint("pupil_id", "on_date", name="uq_attendance_chases_pupil_day"),
    )
    op.create_index("ix_attendance_chases_pupil_id", "attendance_chases", ["pupil_id"])
    op.create_table(
        "attendance_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.String(length=80), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        _when("imported_at", False),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["attendance_providers.id"],
            name=op.f("fk_attendance_imports_provider_id_attendance_providers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance_imports")),
        sa.UniqueConstraint("provider_id", "batch_id", name="uq_attendance_imports_provider_batch"),
    )


def downgrade() -> None:
    op.drop_table("attendance_imports")
    op.drop_index("ix_attendance_chases_pupil_id", table_name="attendance_chases")
    op.drop_table("attendance_chases")
    op.drop_index("ix_attendance_actions_pupil_id", table_name="attendance_actions")
    op.drop_table("attendance_actions")
    op.drop_index("ix_attendance_mark_history_mark_id", table_name="attendance_mark_history")
    op.drop_table("attendance_mark_history")
    op.drop_index("ix_attendance_marks_day", table_name="attendance_marks")
    op.drop_table("attendance_marks")
    op.drop_index("ix_provider_api_keys_provider_id", table_name="provider_api_keys")
    op.drop_table("provider_api_keys")
    op.drop_index("ix_provider_placements_pupil_id", table_name="provider_placements")
    op.drop_table("provider_placements")
    op.drop_table("attendance_providers")
    with op.batch_alter_table("pupils") as batch:
        for flag in reversed(WELFARE_FLAGS):
            batch.drop_column(flag)
