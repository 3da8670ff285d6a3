"""Tables for the scheduler: each recurring job's state (`scheduled_jobs`) and one-off runs at a
given due time (`scheduled_runs`). A run is claimed with a token and a lease, as the outbox
claims a notification (`domain.scheduler.store`). Errors are stored as type names, never text.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UtcDateTime

JOB_OUTCOMES = ("ok", "failed", "skipped")
RUN_STATUSES = ("pending", "done", "failed", "cancelled")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{value}'" for value in values) + ")"


class ScheduledJob(Base):
    """One recurring job, by name: when it is next due and how its last run went."""

    __tablename__ = "scheduled_jobs"
    __table_args__ = (CheckConstraint(_one_of("last_outcome", JOB_OUTCOMES), name="last_outcome"),)

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    # The schedule `next_due_at` was worked out from, as text: a changed schedule is re-read.
    schedule: Mapped[str] = mapped_column(String(200))
    next_due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_run_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_outcome: Mapped[str | None] = mapped_column(String(20))
    last_error: Mapped[str | None] = mapped_column(String(100))


class ScheduledRun(Base):
    """One run of a job at a given time (an escalation rung, a reminder), stored once per key."""

    __tablename__ = "scheduled_runs"
    __table_args__ = (
        CheckConstraint(_one_of("status", RUN_STATUSES), name="status"),
        Index("ix_scheduled_runs_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)  # e.g. "concern:42:rung:2"
    job_name: Mapped[str] = mapped_column(String(100))
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Ids and facts for the job, never message text or pupil data.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(String(100))
