"""What can be done with the register, each one transaction that asks the access policy,
changes the records, audits and queues any notice:

- `record_register`: Partnership staff record a session's marks (and actions taken); sending
  again corrects a mark, its old values kept and the change audited with the marks' codes;
  the immediate alerts are queued in the same transaction (`alerts.py`);
- `mark_chased`: the school takes on an unexplained absence (the digest's "chased" button);
- `attendance_digest`: a school's digest as it stands, for its DSL, attendance lead or head,
  or the Partnership;
- `unmarked_pupils`: who is still to be marked, for the person taking the register;
- `last_school_day`: the day a register or digest asked for "today" is about: today, or on a
  weekend or in a holiday the last school day before it (shown as such, never a blank).

`apply_marks` is the write both the register and a provider's file go through
(`provider_files.py`), so a mark from either is checked, stored and alerted the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock, SystemClock
from db.engine import Database
from db.models.attendance import AttendanceChase
from domain.access import Action, NotAllowed, RecordKind, Target
from domain.attendance import alerts, digest, queries, writes
from domain.attendance.model import PARTNERSHIP_SETTINGS, ActionTaken, Mark, MarkKind, Session, expected_setting
from domain.attendance.queries import Chase
from domain.attendance.welfare import has_welfare_flag
from domain.audit import AuditAction, record_audit
from domain.directory.model import PupilRecord
from domain.directory.queries import get_pupil
from domain.requester import Requester, authorise
from domain.scheduler.schedules import LONDON
from domain.school_calendar.model import TermDates
from domain.school_calendar.queries import load_term_dates

LOOK_BACK_DAYS = 366  # how far back `last_school_day` looks (the summer holiday is about six weeks)


class RegisterError(ValueError):
    """A register that cannot be stored as sent; `problems` says why, without pupil data."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class RegisterResult:
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    actions: int = 0
    alerts: int = 0


def london_day(now: datetime) -> date:
    return now.astimezone(LONDON).date()


def last_school_day(calendar: TermDates, day: date) -> date | None:
    """`day` if it is a school day, else the last school day before it; None if there was
    none in the year before (a calendar closed all year)."""
    for back in range(LOOK_BACK_DAYS):
        if calendar.is_school_day(earlier := day - timedelta(days=back)):
            return earlier
    return None


async def record_register(
    database: Database,
    requester: Requester,
    day: date,
    which: Session,
    marks: Sequence[Mark],
    *,
    actions: Mapping[int, Iterable[ActionTaken]] | None = None,
    clock: Clock = SystemClock(),
) -> RegisterResult:
    """Store one session's marks for the pupils in `marks` (Partnership staff, placed pupils
    only). Raises `RegisterError` (nothing stored) or `NotAllowed` (refusals audited)."""
    now = clock.now()
    async with database.session() as session:
        pupils = await check_register(session, day, which, marks, now)
        for pupil in pupils.values():
            decision = await authorise(
                session,
                requester,
                Action.TAKE_REGISTER,
                register_target(pupil),
                record_type="attendance",
                record_id=str(pupil.id),
            )
            if not decision.allowed:
                break
        else:
            return await apply_marks(
                session, requester, day, which, marks, pupils, actions or {}, source="teams", now=now
            )
    raise NotAllowed(decision)


def register_target(pupil: PupilRecord) -> Target:
    return Target(
        RecordKind.ATTENDANCE, school_id=pupil.school_id, placed_with_partnership=pupil.placed_with_partnership
    )


async def check_register(
    session: AsyncSession, day: date, which: Session, marks: Sequence[Mark], now: datetime
) -> dict[int, PupilRecord]:
    """The pupils the marks are for, or `RegisterError` naming every problem."""
    problems: list[str] = []
    if not (await load_term_dates(session)).is_school_day(day):
        problems.append("that day is not a school day, so there is no register")
    if day > london_day(now):
        problems.append("a register cannot be taken for a day still to come")
    ids = [m.pupil_id for m in marks]
    if len(set(ids)) != len(ids):
        problems.append("a pupil appears twice in the register")
    pupils: dict[int, PupilRecord] = {}
    for pupil_id in dict.fromkeys(ids):
        pupil = await get_pupil(session, pupil_id)
        if pupil is None or pupil.erased:
            problems.append(f"pupil {pupil_id} is not in the directory")
        else:
            pupils[pupil_id] = pupil
    if not marks:
        problems.append("the register has no marks")
    if problems:
        raise RegisterError(problems)
    return pupils


async def apply_marks(
    session: AsyncSession,
    requester: Requester,
    day: date,
    which: Session,
    marks: Sequence[Mark],
    pupils: Mapping[int, PupilRecord],
    actions: Mapping[int, Iterable[ActionTaken]],
    *,
    source: str,
    now: datetime,
    provider_id: int | None = None,
) -> RegisterResult:
    """Write checked marks in the caller's transaction: audit the register and each
    correction (from and to codes only), record actions, queue the immediate alerts."""
    counts = {"added": 0, "changed": 0, "unchanged": 0}
    alerted = 0
    providers = await queries.providers_of(session, pupils)
    for mark in marks:
        pupil = pupils[mark.pupil_id]
        setting = expected_setting(pupil.timetable, day)
        placed_with = provider_id or (providers[pupil.id].id if pupil.id in providers else None)
        written = await writes.write_mark(
            session,
            day,
            which,
            mark,
            setting=setting,
            provider_id=placed_with if setting and setting.value == "ap" else None,
            source=source,
            by=requester.person_id,
            now=now,
        )
        counts[written.outcome] += 1
        before = written.before.mark if written.before else None
        if written.outcome == "changed" and before is not None:
            await record_audit(
                session,
                actor_id=requester.person_id,
                action=AuditAction.CHANGED,
                record_type="attendance",
                record_id=f"{pupil.id}:{day.isoformat()}:{which.value}",
                detail={"from_status": before.kind.value, "to_status": mark.kind.value, **requester.audit_detail},
            )
        if written.outcome == "unchanged":
            continue
        if mark.kind is MarkKind.LEFT_EARLY and setting in PARTNERSHIP_SETTINGS and mark.at is not None:
            if before is None or before.kind is not MarkKind.LEFT_EARLY:
                assert setting is not None
                alerted += await alerts.alert_left_placement(session, pupil, day, which, setting, mark.at, now)
        if mark.unexplained and (before is None or not before.unexplained):
            if await has_welfare_flag(session, pupil.id):
                alerted += await alerts.alert_unexplained_absence(session, pupil, day, which, now)
    taken = 0
    for pupil_id, done in actions.items():
        if pupil_id not in pupils:
            raise RegisterError([f"an action is for pupil {pupil_id}, who is not in this register"])
        taken += await writes.add_actions(session, pupil_id, day, set(done), by=requester.person_id, now=now)
    if counts["added"] or taken:
        await record_audit(
            session,
            actor_id=requester.person_id,
            action=AuditAction.CREATED,
            record_type="attendance_register",
            record_id=f"{day.isoformat()}:{which.value}",
            detail={"count": counts["added"], "channel": source, **requester.audit_detail},
        )
    return RegisterResult(counts["added"], counts["changed"], counts["unchanged"], taken, alerted)


async def mark_chased(
    database: Database, requester: Requester, pupil_id: int, day: date, clock: Clock = SystemClock()
) -> Chase:
    """The school takes on the pupil's unexplained absence on `day`; the first to do so is kept
    (pressing again, or a colleague pressing, changes nothing). Audited."""
    now = clock.now()
    async with database.session() as session:
        pupil = await get_pupil(session, pupil_id)
        if pupil is None or pupil.erased:
            raise RegisterError([f"pupil {pupil_id} is not in the directory"])
        decision = await authorise(
            session,
            requester,
            Action.CHASE_ABSENCE,
            register_target(pupil),
            record_type="attendance",
            record_id=f"{pupil_id}:{day.isoformat()}",
        )
        if decision.allowed:
            existing = (await queries.chases_on(session, [pupil_id], day)).get(pupil_id)
            if existing is not None:
                return existing
            marks = (await queries.marks_between(session, [pupil_id], day, day)).get(pupil_id, [])
            if not any(m.mark.unexplained for m in marks):
                raise RegisterError(["there is no unexplained absence to chase for that pupil on that day"])
            session.add(AttendanceChase(pupil_id=pupil_id, on_date=day, chased_by=requester.person_id, chased_at=now))
            await record_audit(
                session,
                actor_id=requester.person_id,
                action=AuditAction.ACKNOWLEDGED,
                record_type="attendance",
                record_id=f"{pupil_id}:{day.isoformat()}",
                detail={"kind": "chased", **requester.audit_detail},
            )
            return Chase(pupil_id, day, requester.person_id, now)
    raise NotAllowed(decision)


async def attendance_digest(
    database: Database, requester: Requester, school_id: int, day: date, clock: Clock = SystemClock()
) -> digest.SchoolDigest:
    """The school's digest for `day` as it stands ("today's attendance"), for those who may
    see the school's attendance. Placed pupils only, so Partnership staff may ask too."""
    async with database.session() as session:
        decision = await authorise(
            session,
            requester,
            Action.VIEW_ATTENDANCE,
            Target(RecordKind.SCHOOL, school_id=school_id, placed_with_partnership=True),
            record_type="school",
            record_id=str(school_id),
        )
        if decision.allowed:
            return await digest.build_digest(session, school_id, day)
    raise NotAllowed(decision)


async def unmarked_pupils(database: Database, day: date, which: Session) -> list[PupilRecord]:
    """Pupils expected at the Centre or a provider on `day` not yet marked for `which`."""
    return await queries.unmarked_pupils(database, day, which)
