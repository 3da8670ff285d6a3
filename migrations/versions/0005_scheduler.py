"""The scheduler and the school calendar: scheduled_jobs, scheduled_runs, term_dates.

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-28

"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JOB_OUTCOMES = ("ok", "failed", "skipped")
RUN_STATUSES = ("pending", "done", "failed", "cancelled")
DAY_KINDS = ("term", "holiday", "bank_holiday", "inset")


def _when(name: str, nullable: bool) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def upgrade() -> None:
    op.create_table(
        "scheduled_jobs",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("schedule", sa.String(length=200), nullable=False),
        _when("next_due_at", False),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        _when("claimed_until", True),
        _when("last_due_at", True),
        _when("last_run_at", True),
        sa.Column("last_outcome", sa.String(length=20), nullable=True),
        sa.Column("last_error", sa.String(length=100), nullable=True),
        sa.CheckConstraint(_one_of("last_outcome", JOB_OUTCOMES), name=op.f("ck_scheduled_jobs_last_outcome")),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_scheduled_jobs")),
    )

    op.create_table(
        "scheduled_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("job_name", sa.String(length=100), nullable=False),
        _when("due_at", False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        _when("claimed_until", True),
        _when("created_at", False),
        _when("finished_at", True),
        sa.Column("last_error", sa.String(length=100), nullable=True),
        sa.CheckConstraint(_one_of("status", RUN_STATUSES), name=op.f("ck_scheduled_runs_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_runs")),
        sa.UniqueConstraint("key", name=op.f("uq_scheduled_runs_key")),
    )
    op.create_index("ix_scheduled_runs_due", "scheduled_runs", ["status", "due_at"], unique=False)

    op.create_table(
        "term_dates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("end_on", sa.Date(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        _when("imported_at", False),
        sa.CheckConstraint(_one_of("kind", DAY_KINDS), name=op.f("ck_term_dates_kind")),
        sa.CheckConstraint("end_on >= start_on", name=op.f("ck_term_dates_dates_in_order")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_term_dates")),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("term_dates")
    op.drop_index("ix_scheduled_runs_due", table_name="scheduled_runs")
    op.drop_table("scheduled_runs")
    op.drop_table("scheduled_jobs")
