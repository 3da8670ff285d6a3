"""The scheduler's rows: each recurring job's state and the one-off runs, claimed as the outbox
claims a notification (`domain.outbox`).

Claiming: PostgreSQL selects due rows `FOR UPDATE SKIP LOCKED`; SQLite (one writer at a time)
claims with one conditional UPDATE. A claim carries a token and a lease; a row whose lease ran
out (its instance died mid-run) is due again, so a run is made at least once, and by one
instance at a time. Every later write names the token, so an instance that lost its claim
changes nothing.

What to run and when it is next due is `domain.scheduler.runner`'s rule; this is storage only.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import Database, DatabaseOrSession, unit_of_work
from db.models.scheduler import ScheduledJob, ScheduledRun


class RunStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Outcome(StrEnum):
    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"  # its day stopped being a school day after it was scheduled


@dataclass(frozen=True)
class JobState:
    """Where a recurring job stands."""

    name: str
    schedule: str
    next_due_at: datetime
    claimed_until: datetime | None
    last_due_at: datetime | None
    last_run_at: datetime | None
    last_outcome: str | None
    last_error: str | None


@dataclass(frozen=True)
class ClaimedJob:
    """A recurring job this instance may run until `claimed_until`."""

    name: str
    schedule: str
    next_due_at: datetime
    token: str
    claimed_until: datetime


@dataclass(frozen=True)
class ClaimedRun:
    """A one-off run this instance may make until `claimed_until`."""

    id: int
    key: str
    job_name: str
    due_at: datetime
    payload: dict[str, Any]
    attempts: int
    token: str
    claimed_until: datetime


@dataclass(frozen=True)
class RunState:
    key: str
    job_name: str
    due_at: datetime
    status: RunStatus
    attempts: int
    last_error: str | None


# ---- recurring jobs ---------------------------------------------------------------------


async def job_states(db: DatabaseOrSession) -> dict[str, JobState]:
    async with unit_of_work(db) as session:
        rows = (await session.scalars(select(ScheduledJob))).all()
        return {row.name: _job_state(row) for row in rows}


def _job_state(row: ScheduledJob) -> JobState:
    return JobState(
        row.name,
        row.schedule,
        row.next_due_at,
        row.claimed_until,
        row.last_due_at,
        row.last_run_at,
        row.last_outcome,
        row.last_error,
    )


async def add_job(db: Database, name: str, schedule: str, next_due_at: datetime) -> None:
    """Store a job seen for the first time; a row another instance stored first is kept."""
    async with db.session() as session:
        await session.execute(
            _insert(session, ScheduledJob)
            .values(name=name, schedule=schedule, next_due_at=next_due_at)
            .on_conflict_do_nothing(index_elements=["name"])
        )


async def reschedule(db: Database, name: str, *, was: str, schedule: str, next_due_at: datetime) -> bool:
    """A job whose schedule changed in the code: due by the new one (unless it is running)."""
    async with db.session() as session:
        changed = await session.execute(
            update(ScheduledJob)
            .where(ScheduledJob.name == name, ScheduledJob.schedule == was, ScheduledJob.claim_token.is_(None))
            .values(schedule=schedule, next_due_at=next_due_at)
            .execution_options(synchronize_session=False)
        )
    return bool(changed.rowcount)  # type: ignore[attr-defined]


def _job_due(now: datetime | ColumnElement[datetime]) -> ColumnElement[bool]:
    """Due and unclaimed, or claimed by an instance whose lease ran out."""
    return and_(
        ScheduledJob.next_due_at <= now,
        or_(ScheduledJob.claimed_until.is_(None), ScheduledJob.claimed_until <= now),
    )


def _run_due(now: datetime | ColumnElement[datetime]) -> ColumnElement[bool]:
    return and_(
        ScheduledRun.status == RunStatus.PENDING,
        ScheduledRun.due_at <= now,
        or_(ScheduledRun.claimed_until.is_(None), ScheduledRun.claimed_until <= now),
    )


# Built once, with no expanding parameters, so they run on the driver itself (`Database.read_rows`).
_NOW = bindparam("now", type_=ScheduledJob.next_due_at.type)
_DUE_JOBS = select(ScheduledJob.name).where(_job_due(_NOW)).limit(100)
_DUE_RUNS = select(ScheduledRun.job_name).where(_run_due(_NOW)).limit(100)


async def due_job_names(db: Database, now: datetime) -> set[str]:
    """The names of jobs with a run due (recurring or one-off): reads only, so an idle pass
    writes nothing."""
    names = {row[0] for row in await db.read_rows(_DUE_JOBS, {"now": now})}
    return names | {row[0] for row in await db.read_rows(_DUE_RUNS, {"now": now})}


async def claim_jobs(db: Database, now: datetime, names: Collection[str], *, lease: timedelta) -> list[ClaimedJob]:
    """Claim every due recurring job among `names` (the jobs this instance knows)."""
    token = uuid.uuid4().hex
    due = and_(_job_due(now), ScheduledJob.name.in_(list(names)))
    claim = {"claim_token": token, "claimed_until": now + lease}
    async with db.session() as session:
        if db.is_sqlite:
            # SQLite lets one writer in at a time, so this single UPDATE is the claim.
            await session.execute(
                update(ScheduledJob).where(due).values(**claim).execution_options(synchronize_session=False)
            )
        else:
            locked = select(ScheduledJob.name).where(due).with_for_update(skip_locked=True)
            claimed = list((await session.execute(locked)).scalars())
            if not claimed:
                return []
            await session.execute(
                update(ScheduledJob)
                .where(ScheduledJob.name.in_(claimed))
                .values(**claim)
                .execution_options(synchronize_session=False)
            )
        rows = await session.scalars(
            select(ScheduledJob).where(ScheduledJob.claim_token == token).order_by(ScheduledJob.next_due_at)
        )
        return [ClaimedJob(r.name, r.schedule, r.next_due_at, token, now + lease) for r in rows]


async def finish_job(
    db: Database,
    job: ClaimedJob,
    *,
    due_at: datetime,
    next_due_at: datetime,
    outcome: Outcome,
    error: str | None,
    now: datetime,
) -> bool:
    """Record how the run for `due_at` went and when the job is next due, ending the claim.
    False if the claim was lost meanwhile (the lease ran out and another instance took it)."""
    async with db.session() as session:
        changed = await session.execute(
            update(ScheduledJob)
            .where(ScheduledJob.name == job.name, ScheduledJob.claim_token == job.token)
            .values(
                next_due_at=next_due_at,
                claim_token=None,
                claimed_until=None,
                last_due_at=due_at,
                last_run_at=now,
                last_outcome=outcome,
                last_error=error[:100] if error else None,
            )
            .execution_options(synchronize_session=False)
        )
    return bool(changed.rowcount)  # type: ignore[attr-defined]


async def release_job(db: Database, job: ClaimedJob) -> None:
    """Hand a claimed job back unrun, due as it was."""
    async with db.session() as session:
        await session.execute(
            update(ScheduledJob)
            .where(ScheduledJob.name == job.name, ScheduledJob.claim_token == job.token)
            .values(claim_token=None, claimed_until=None)
            .execution_options(synchronize_session=False)
        )


# ---- one-off runs -----------------------------------------------------------------------


async def schedule_once(
    session: AsyncSession,
    job_name: str,
    key: str,
    due_at: datetime,
    payload: Mapping[str, Any],
    *,
    now: datetime,
) -> bool:
    """Store a run of `job_name` due at `due_at`, in the caller's transaction, once per `key`
    (e.g. "concern:42:rung:2"). False when that key is already stored: the first one stands,
    whatever its due time, payload or status. The payload holds ids and facts, never text."""
    if due_at.tzinfo is None:
        raise ValueError("a due time must be aware (UTC)")
    stored = await session.execute(
        _insert(session, ScheduledRun)
        .values(
            key=key,
            job_name=job_name,
            due_at=due_at,
            payload=dict(payload),
            status=RunStatus.PENDING,
            attempts=0,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(ScheduledRun.id)
    )
    return stored.scalar_one_or_none() is not None


async def cancel_once(session: AsyncSession, key: str, *, now: datetime) -> bool:
    """Cancel a one-off that has not run (a concern acknowledged before its next rung). True if
    it was pending. A run already under way finishes; its job should check the record anyway."""
    changed = await session.execute(
        update(ScheduledRun)
        .where(ScheduledRun.key == key, ScheduledRun.status == RunStatus.PENDING)
        .values(status=RunStatus.CANCELLED, finished_at=now, claim_token=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    return bool(changed.rowcount)  # type: ignore[attr-defined]


async def run_state(db: DatabaseOrSession, key: str) -> RunState | None:
    async with unit_of_work(db) as session:
        row = await session.scalar(select(ScheduledRun).where(ScheduledRun.key == key))
        if row is None:
            return None
        return RunState(row.key, row.job_name, row.due_at, RunStatus(row.status), row.attempts, row.last_error)


async def claim_runs(
    db: Database, now: datetime, names: Collection[str], *, lease: timedelta, max_batch: int
) -> list[ClaimedRun]:
    """Claim up to `max_batch` due one-off runs of the jobs in `names`, oldest due first."""
    token = uuid.uuid4().hex
    due = and_(_run_due(now), ScheduledRun.job_name.in_(list(names)))
    oldest_first = select(ScheduledRun.id).where(due).order_by(ScheduledRun.due_at, ScheduledRun.id).limit(max_batch)
    claim = {"claim_token": token, "claimed_until": now + lease}
    async with db.session() as session:
        if db.is_sqlite:
            await session.execute(
                update(ScheduledRun)
                .where(ScheduledRun.id.in_(oldest_first), due)
                .values(**claim)
                .execution_options(synchronize_session=False)
            )
        else:
            ids = list((await session.execute(oldest_first.with_for_update(skip_locked=True))).scalars())
            if not ids:
                return []
            await session.execute(
                update(ScheduledRun)
                .where(ScheduledRun.id.in_(ids))
                .values(**claim)
                .execution_options(synchronize_session=False)
            )
        rows = await session.scalars(
            select(ScheduledRun).where(ScheduledRun.claim_token == token).order_by(ScheduledRun.due_at, ScheduledRun.id)
        )
        return [
            ClaimedRun(r.id, r.key, r.job_name, r.due_at, dict(r.payload), r.attempts, token, now + lease) for r in rows
        ]


async def finish_run(
    db: Database,
    run: ClaimedRun,
    status: RunStatus,
    *,
    now: datetime,
    error: str | None,
    retry_at: datetime | None = None,
) -> bool:
    """Record a try at a one-off run, ending the claim: done, failed, or (with `retry_at`)
    pending again at that time. False if the claim was lost meanwhile."""
    async with db.session() as session:
        changed = await session.execute(
            update(ScheduledRun)
            .where(ScheduledRun.id == run.id, ScheduledRun.claim_token == run.token)
            .values(
                status=status,
                attempts=run.attempts + 1,
                due_at=retry_at if retry_at is not None else run.due_at,
                claim_token=None,
                claimed_until=None,
                finished_at=None if status == RunStatus.PENDING else now,
                last_error=error[:100] if error else None,
            )
            .execution_options(synchronize_session=False)
        )
    return bool(changed.rowcount)  # type: ignore[attr-defined]


async def release_run(db: Database, run: ClaimedRun) -> None:
    """Hand a claimed one-off back untried."""
    async with db.session() as session:
        await session.execute(
            update(ScheduledRun)
            .where(ScheduledRun.id == run.id, ScheduledRun.claim_token == run.token)
            .values(claim_token=None, claimed_until=None)
            .execution_options(synchronize_session=False)
        )


def _insert(session: AsyncSession, table: type[Any]) -> Any:
    """INSERT with ON CONFLICT, in the session's own dialect."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
