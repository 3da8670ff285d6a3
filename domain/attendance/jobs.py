"""The daily digest job: each school day at `DEFAULT_DIGEST_AT` (London time, configurable),
one `attendance.digest` notice per school with pupils placed, to each of its DSLs and
attendance leads, keyed `attendance-digest:<school_id>:<date>` so a re-run, a restart or a
second instance queues it once. A school with no DSL the bot can reach in Teams is reported to
the Partnership admin(s) as undeliverable, never skipped in silence.

Why 10:00: the digest's job is "chase today" (the first-day response, domain.md §2.4). The
morning register closes about 30 minutes after the session starts (§2.1), so about 09:30 at
the Centre, and providers need a little longer to send their marks; 10:00 holds the morning's
marks while the school still has the day to ring home. §2.7's PM update and end-of-day
picture are the same digest asked for later ("today's attendance"), and what cannot wait (a
pupil leaving a placement, a vulnerable pupil's unexplained absence) is alerted at once by
the register itself (`alerts.py`).

The unmarked-pupils jobs (`unmarked_job`): at a set time after each session's register should
be closed, the pupils expected at the Centre or a provider and still unmarked are flagged to
whoever takes the register: the Partnership staff who recorded marks that day, or, when nobody
has yet, every active Partnership staff member and the Coordinator.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import Database
from db.models.attendance import AttendanceMarkRow
from domain.access import Action, Actor, RecordKind, Target, decide
from domain.attendance import notices
from domain.attendance.model import Session
from domain.attendance.queries import schools_with_placed_pupils, unmarked_pupils
from domain.conversations import personal_address_for
from domain.directory.queries import dsl_for, get_school, list_people
from domain.notifier import queue_notice
from domain.roles import Role
from domain.scheduler import Daily, Job, JobContext
from domain.scheduler.schedules import LONDON

DIGEST_JOB = "attendance.digest"
DEFAULT_DIGEST_AT = time(10, 0)
UNMARKED_JOB = "attendance.unmarked"
DEFAULT_UNMARKED_AT = {Session.AM: time(9, 40), Session.PM: time(13, 40)}


def digest_job(at: time = DEFAULT_DIGEST_AT) -> Job:
    """The job to give the scheduler (the feature registers it)."""
    return Job(DIGEST_JOB, Daily(at, school_days_only=True), send_digests)


async def send_digests(context: JobContext) -> None:
    """Queue the day's digests; the day is the due time's, so a late run still does its day."""
    await queue_digests(context.database, context.due_at.astimezone(LONDON).date(), context.clock.now())


async def queue_digests(database: Database, day: date, now: datetime) -> int:
    """Queue every school's digest for `day`, one school per transaction (one school's failure
    leaves the others queued; the job's re-run finds them already queued). Returns how many
    notifications were asked for."""
    queued = 0
    for school_id in await schools_with_placed_pupils(database, day):
        async with database.session() as session:
            queued += await _queue_school(session, school_id, day, now)
    return queued


async def digest_recipients(session: AsyncSession, school_id: int) -> list[int]:
    """The school's active staff the policy lets receive its digest (`RECEIVE_ATTENDANCE_DIGEST`:
    its DSLs, deputies and attendance leads), each once. While the school has a DSL, a deputy
    gets it only if another of their roles would: it reaches safeguarding without every deputy."""
    school = Target(RecordKind.SCHOOL, school_id=school_id, placed_with_partnership=True)

    def receives(actor: Actor) -> bool:
        return decide(actor, Action.RECEIVE_ATTENDANCE_DIGEST, school).allowed

    allowed = [p for p in await list_people(session, school_id) if receives(p.actor)]
    if any(p.has_role(Role.DSL) for p in allowed):
        allowed = [p for p in allowed if receives(replace(p.actor, roles=p.roles - {Role.DEPUTY_DSL}))]
    return [p.id for p in allowed]


async def _queue_school(session: AsyncSession, school_id: int, day: date, now: datetime) -> int:
    school = await get_school(session, school_id)
    if school is None or not school.is_member:
        return 0
    recipients = await digest_recipients(session, school_id)
    notice = notices.digest(school_id, day)
    for person_id in recipients:
        await queue_notice(session, notice, to_person=person_id, now=now)
    dsls = await dsl_for(session, school_id)
    reachable = [p for p in dsls if await personal_address_for(session, p.id) is not None]
    if reachable:
        return len(recipients)
    reason = "no_dsl_in_teams" if dsls else "no_dsl"
    admins = await list_people(session, role=Role.PARTNERSHIP_ADMIN, partnership=True)
    for admin in admins:
        await queue_notice(session, notices.digest_undeliverable(school_id, day, reason), to_person=admin.id, now=now)
    return len(recipients) + len(admins)


def unmarked_job(which: Session, at: time | None = None) -> Job:
    """The job flagging `which` session's unmarked pupils at `at` (school days, London time)."""

    async def flag(context: JobContext) -> None:
        day, now = context.due_at.astimezone(LONDON).date(), context.clock.now()
        if day == now.astimezone(LONDON).date():  # a run missed on an earlier day flags nothing now
            await flag_unmarked(context.database, day, which, now)

    return Job(f"{UNMARKED_JOB}.{which.value}", Daily(at or DEFAULT_UNMARKED_AT[which], school_days_only=True), flag)


async def register_takers(session: AsyncSession, day: date) -> list[int]:
    """Who recorded marks in Teams on `day`; when nobody has yet, the Partnership's staff and
    Coordinator (active), so the flag always reaches someone who can take the register."""
    recorded = await session.scalars(
        select(AttendanceMarkRow.recorded_by)
        .where(
            AttendanceMarkRow.on_date == day,
            AttendanceMarkRow.source == "teams",
            AttendanceMarkRow.recorded_by.is_not(None),
        )
        .distinct()
    )
    takers = sorted({person_id for person_id in recorded if person_id is not None})
    if takers:
        return takers
    staff = await list_people(session, role=Role.PARTNERSHIP_STAFF, partnership=True)
    staff += await list_people(session, role=Role.COORDINATOR, partnership=True)
    return sorted({person.id for person in staff})


async def flag_unmarked(database: Database, day: date, which: Session, now: datetime) -> int:
    """Queue the flag for `which` session if anyone is unmarked; returns how many were queued."""
    missing = await unmarked_pupils(database, day, which)
    if not missing:
        return 0
    async with database.session() as session:
        takers = await register_takers(session, day)
        for person_id in takers:
            await queue_notice(session, notices.unmarked(day, which, len(missing)), to_person=person_id, now=now)
    return len(takers)
