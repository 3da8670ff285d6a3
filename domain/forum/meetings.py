"""The Partnership's meeting records, each one audited transaction (Partnership SENCO or
Director, `RUN_FORUM`): create a forum or Core Group meeting, move it (the schools with cases
are told; a Core Group's listed referrals move with it and their referrers are told), cancel it
(their bookings are cancelled and they are told), and import a term's dates from CSV
(`IMPORT_MEETINGS`, also the command line's: `python -m cli import meetings FILE`), all or
nothing, with a row report like the directory's.

The CSV file (Excel-style, UTF-8 with or without a byte-order mark, one heading row):

    kind,date,start,end,teams_link,slots,booking_deadline,services
    forum,14/01/2027,09:30,11:30,https://teams.microsoft.com/l/meetup-join/...,8,07/01/2027,EP;NHS Care Navigator
    core_group,21/01/2027,13:30,15:30,https://teams.microsoft.com/l/meetup-join/...,6,,

The card's services are typed as one line, separated by semicolons or commas (`services_from`);
the file's by semicolons. Times are UK local times (GMT or BST as the day has it); `booking_deadline` is a date (the end
of that day, UK time) and defaults to `Timings.deadline_days_before` days before; `slots` to 8.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock, SystemClock
from db.engine import Database
from db.models.forum import ForumMeeting
from domain.access import Action, RecordKind, Target
from domain.audit import AuditAction
from domain.csv_tables import Problem, heading, read_table
from domain.directory.csv_files import parse_date
from domain.forum import notices, store
from domain.forum.model import (
    ACTIVE,
    DEFAULT_ATTENDEE_ROLES,
    DEFAULT_SERVICES,
    BookingStatus,
    Meeting,
    MeetingKind,
    MeetingStatus,
    Timings,
    uk_instant,
)
from domain.forum.service import ForumError, audit, release, require, tell, unit
from domain.referrals import casework
from domain.requester import Requester

FORUM = Target(RecordKind.FORUM)
COLUMNS = ("kind", "date", "start", "end", "teams_link", "slots", "booking_deadline", "services")
REQUIRED = ("kind", "date", "start", "end")
DEFAULT_SLOTS = 8
MAX_SLOTS = 30
MAX_SERVICES = 12  # external services named as attending one meeting
MAX_SERVICE_CHARS = 100
MAX_SERVICES_TEXT = MAX_SERVICES * (MAX_SERVICE_CHARS + 2)  # as typed, with separators
_SERVICE_SEPARATORS = re.compile(r"[;,\n]")
TEAMS_LINK = re.compile(r"https://[A-Za-z0-9.-]+\.(microsoft|office|live)\.com/\S{1,900}")


@dataclass(frozen=True)
class MeetingPlan:
    """A meeting as asked for: UK local date and times."""

    kind: MeetingKind
    day: date
    start: time
    end: time
    teams_link: str = ""
    slots: int = DEFAULT_SLOTS
    booking_deadline: date | None = None
    services: tuple[str, ...] = DEFAULT_SERVICES


@dataclass
class MeetingsReport:
    problems: list[Problem] = field(default_factory=list)
    plans: list[MeetingPlan] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        if self.problems:
            return [f"meetings: file rejected, nothing changed ({len(self.problems)} problem(s)):"] + [
                f"  {problem}" for problem in self.problems
            ]
        return [f"meetings: {len(self.plans)} added"]


def services_from(typed: str) -> tuple[str, ...]:
    """The services as typed on the card ("EP; NHS Care Navigator, Early Help"): split on
    semicolons, commas or new lines, each trimmed, blanks and repeats dropped; none typed is the
    defaults. `check_plan` then holds each to `MAX_SERVICE_CHARS` and the count to `MAX_SERVICES`."""
    names: dict[str, str] = {}
    for typed_name in _SERVICE_SEPARATORS.split(typed or ""):
        name = " ".join(typed_name.split())
        if name:
            names.setdefault(name.casefold(), name)  # the first spelling of a repeat
    return tuple(names.values()) or DEFAULT_SERVICES


def check_plan(plan: MeetingPlan) -> str | None:
    """What is wrong with a plan, in plain words, or None."""
    if len(plan.services) > MAX_SERVICES:
        return f"Please name up to {MAX_SERVICES} services attending."
    if any(len(name) > MAX_SERVICE_CHARS for name in plan.services):
        return f"Each service's name can be up to {MAX_SERVICE_CHARS} characters."
    if plan.end <= plan.start:
        return "The meeting must end after it starts."
    if not 1 <= plan.slots <= MAX_SLOTS:
        return f"A meeting has 1 to {MAX_SLOTS} case slots."
    if plan.teams_link and not TEAMS_LINK.fullmatch(plan.teams_link):
        return "The meeting link must be a Teams link (https://teams.microsoft.com/...)."
    if plan.booking_deadline is not None and plan.booking_deadline > plan.day:
        return "The booking deadline must be on or before the meeting's day."
    return None


def _deadline(plan: MeetingPlan, timings: Timings) -> datetime:
    day = plan.booking_deadline or plan.day - timedelta(days=timings.deadline_days_before)
    return uk_instant(day + timedelta(days=1), time(0, 0))  # the end of that day, UK time


def _row(plan: MeetingPlan, actor: int | None, now: datetime, timings: Timings) -> ForumMeeting:
    return ForumMeeting(
        kind=plan.kind.value,
        status=MeetingStatus.SCHEDULED.value,
        starts_at=uk_instant(plan.day, plan.start),
        ends_at=uk_instant(plan.day, plan.end),
        booking_deadline=min(_deadline(plan, timings), uk_instant(plan.day, plan.start)),
        teams_link=plan.teams_link,
        slots=plan.slots,
        slots_taken=0,
        attendees={"roles": list(DEFAULT_ATTENDEE_ROLES), "services": list(plan.services)},
        created_by=actor,
        created_at=now,
        updated_at=now,
    )


async def create_meeting(
    database: Database,
    requester: Requester,
    plan: MeetingPlan,
    *,
    timings: Timings = Timings(),
    clock: Clock = SystemClock(),
) -> Meeting:
    now = clock.now()
    async with unit(database) as session:
        await require(session, requester, Action.RUN_FORUM, FORUM, "new")
        if problem := check_plan(plan):
            raise ForumError(problem)
        if uk_instant(plan.day, plan.start) <= now:
            raise ForumError("The meeting can't be in the past.")
        row = _row(plan, requester.person_id, now, timings)
        session.add(row)
        await session.flush()
        await audit(session, requester, AuditAction.CREATED, "forum_meeting", row.id, kind=plan.kind.value)
        return store.meeting_record(row)
    raise AssertionError("unreachable")  # pragma: no cover


async def move_meeting(
    database: Database,
    requester: Requester,
    meeting_id: int,
    day: date,
    start: time,
    end: time,
    *,
    clock: Clock = SystemClock(),
) -> Meeting:
    """New date and times; the deadline moves with the meeting; each school with a case is told."""
    now = clock.now()
    async with unit(database) as session:
        await require(session, requester, Action.RUN_FORUM, FORUM, f"meeting:{meeting_id}")
        meeting = await store.get_meeting(session, meeting_id)
        if meeting is None or meeting.status is MeetingStatus.CANCELLED:
            raise ForumError("I can't find that meeting. It may have been cancelled.")
        starts_at, ends_at = uk_instant(day, start), uk_instant(day, end)
        if ends_at <= starts_at or starts_at <= now:
            raise ForumError("The new time must be in the future, and end after it starts.")
        shift = starts_at - meeting.starts_at
        await session.execute(
            update(ForumMeeting)
            .where(ForumMeeting.id == meeting.id)
            .values(
                starts_at=starts_at,
                ends_at=ends_at,
                booking_deadline=min(meeting.booking_deadline + shift, starts_at),
                agenda_sent_at=None,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        moved = await store.get_meeting(session, meeting.id)
        assert moved is not None
        for booking in await store.bookings_on(session, meeting.id, tuple(ACTIVE)):
            await tell(session, notices.meeting_changed(booking, moved, "moved"), [booking.booked_by], now)
        if meeting.kind is MeetingKind.CORE_GROUP and moved.day != meeting.day:
            await _move_listings(session, requester, meeting, moved, now)
        await audit(session, requester, AuditAction.CHANGED, "forum_meeting", meeting.id, status="moved")
        return moved
    raise AssertionError("unreachable")  # pragma: no cover


async def _move_listings(
    session: AsyncSession, requester: Requester, meeting: Meeting, moved: Meeting, now: datetime
) -> None:
    """The referrals listed for a moved Core Group follow it to its new day, and each referrer is
    told, unless another Core Group still meets on the old day (then they stay listed for that)."""
    still = [m for m in await store.upcoming(session, MeetingKind.CORE_GROUP, now) if m.day == meeting.day]
    if still:
        return
    for referral in await casework.follow_moved_core_group(session, requester, meeting.day, moved.day, now):
        await tell(session, notices.core_group_moved(moved, referral.id), [referral.referrer_id], now)


async def cancel_meeting(
    database: Database, requester: Requester, meeting_id: int, *, clock: Clock = SystemClock()
) -> Meeting:
    """Cancel a meeting: every booking and waiting place on it is cancelled, and its school told."""
    now = clock.now()
    async with unit(database) as session:
        await require(session, requester, Action.RUN_FORUM, FORUM, f"meeting:{meeting_id}")
        meeting = await store.get_meeting(session, meeting_id)
        if meeting is None or meeting.status is MeetingStatus.CANCELLED:
            raise ForumError("I can't find that meeting. It may have been cancelled already.")
        await session.execute(
            update(ForumMeeting)
            .where(ForumMeeting.id == meeting.id)
            .values(status=MeetingStatus.CANCELLED.value, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        cancelled = await store.get_meeting(session, meeting.id)
        assert cancelled is not None
        for booking in await store.bookings_on(session, meeting.id, tuple(ACTIVE)):
            # The meeting is cancelled, so the freed slot is offered to no one.
            await release(session, booking, BookingStatus.CANCELLED, now, Timings())
            await tell(session, notices.meeting_changed(booking, cancelled, "cancelled"), [booking.booked_by], now)
        await audit(session, requester, AuditAction.CHANGED, "forum_meeting", meeting.id, status="cancelled")
        return cancelled
    raise AssertionError("unreachable")  # pragma: no cover


async def import_meetings(
    database: Database,
    requester: Requester,
    data: bytes | str,
    *,
    timings: Timings = Timings(),
    clock: Clock = SystemClock(),
) -> MeetingsReport:
    """Add the file's meetings, all or nothing: any problem and nothing is stored."""
    now = clock.now()
    async with unit(database) as session:
        await require(session, requester, Action.IMPORT_MEETINGS, FORUM, "import")
    report = read_meetings(data, now)
    if not report.accepted:
        return report
    async with unit(database) as session:
        rows = [_row(plan, requester.person_id, now, timings) for plan in report.plans]
        session.add_all(rows)
        await session.flush()
        await audit(session, requester, AuditAction.IMPORTED, "forum_meeting", 0, count=len(rows), kind="csv")
    return report


def read_meetings(data: bytes | str, now: datetime) -> MeetingsReport:
    report = MeetingsReport()
    rows = read_table(data, COLUMNS, REQUIRED, report.problems)
    for number, cells in rows:
        plan = _plan(number, cells, report, now)
        if plan is not None:
            report.plans.append(plan)
    if not rows and not report.problems:
        report.problems.append(Problem(0, "file", "no meetings in the file"))
    if report.problems:
        report.plans.clear()
    return report


def _time(raw: str) -> time:
    match = re.fullmatch(r"(\d{1,2})[:.](\d{2})", raw)
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ValueError("not a time: use 09:30")
    return time(int(match.group(1)), int(match.group(2)))


def _plan(number: int, cells: dict[str, str], report: MeetingsReport, now: datetime) -> MeetingPlan | None:
    before = len(report.problems)

    def parsed(column: str, parse: object, default: object = None) -> object:
        raw = cells.get(column, "")
        if not raw:
            if column in REQUIRED:
                report.problems.append(Problem(number, column, "missing"))
            return default
        try:
            return parse(raw)  # type: ignore[operator]
        except ValueError as error:
            report.problems.append(Problem(number, column, str(error)))
            return default

    kind = parsed("kind", _kind)
    day = parsed("date", parse_date)
    start, end = parsed("start", _time), parsed("end", _time)
    slots = parsed("slots", _slots, DEFAULT_SLOTS)
    deadline = parsed("booking_deadline", parse_date)
    services = (
        tuple(s.strip()[:MAX_SERVICE_CHARS] for s in cells.get("services", "").split(";") if s.strip())
        or DEFAULT_SERVICES
    )
    if len(report.problems) > before:
        return None
    assert isinstance(kind, MeetingKind) and isinstance(day, date) and isinstance(start, time)
    assert isinstance(end, time) and isinstance(slots, int)
    plan = MeetingPlan(
        kind,
        day,
        start,
        end,
        cells.get("teams_link", ""),
        slots,
        deadline if isinstance(deadline, date) else None,
        services,
    )
    if problem := check_plan(plan):
        report.problems.append(Problem(number, "file" if "link" not in problem else "teams_link", problem))
        return None
    if uk_instant(day, start) <= now:
        report.problems.append(Problem(number, "date", "is in the past"))
        return None
    return plan


def _kind(raw: str) -> MeetingKind:
    try:
        return MeetingKind(heading(raw))
    except ValueError:
        raise ValueError("must be forum or core_group") from None


def _slots(raw: str) -> int:
    if not raw.isdigit():
        raise ValueError("must be a whole number")
    return int(raw)
