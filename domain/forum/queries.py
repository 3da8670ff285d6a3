"""Reads of the forum for people:

- `next_meetings`: upcoming forum or Core Group dates with free slots and deadlines (no pupil
  data: open to everyone, like the offer's own dates page);
- `my_bookings`: a school's upcoming bookings and waiting places (its SENCO sees all of them, a
  head of year the ones they made);
- `agenda`: a meeting's cases for a reader: forum bookings, or the referrals listed for a Core
  Group; identity by the case's sharing and the reader (`model.shows_name`). Audited as a view;
  `current_agenda` is the one the Partnership is working on (a meeting of the last fortnight
  with cases still awaiting advice, else the next with cases);
- `case_for_advice`: one booked case as the advice form shows it (`RUN_FORUM`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock, SystemClock
from db.engine import Database
from db.models.forum import ForumAdvice, ForumBooking
from db.models.referrals import Referral as ReferralRow
from domain.access import Action, RecordKind, Target
from domain.audit import AuditAction
from domain.directory.queries import get_pupil, get_school
from domain.forum import store
from domain.forum.model import (
    ACTIVE,
    Agenda,
    AgendaCase,
    Booking,
    BookingStatus,
    Meeting,
    MeetingKind,
    NextStep,
    Reader,
    Sharing,
    shows_name,
)
from domain.forum.service import ForumError, audit, forum_case, next_with_space, open_meeting, require, unit
from domain.referrals import store as referrals
from domain.referrals.model import OPEN_STATES, Referral, ReferralKind, ReferralStatus
from domain.requester import Requester

NEEDS = {
    "communication_interaction": "Communication and interaction",
    "cognition_learning": "Cognition and learning",
    "semh": "Social, emotional and mental health",
    "sensory_physical": "Sensory and/or physical",
}
SEN = {
    "none": "No SEN recorded",
    "sen_support": "SEN support",
    "ehcna_requested": "EHC needs assessment asked for",
    "ehcp": "EHCP",
}


@dataclass(frozen=True)
class MyBooking:
    booking: Booking
    meeting: Meeting
    position: int | None  # on the waiting list
    reference: str | None


async def next_meetings(
    database: Database, kind: MeetingKind | None, clock: Clock = SystemClock(), *, limit: int = 6
) -> list[Meeting]:
    async with database.session() as session:
        return (await store.upcoming(session, kind, clock.now()))[:limit]


async def get_meeting(database: Database, meeting_id: int) -> Meeting | None:
    async with database.session() as session:
        return await store.get_meeting(session, meeting_id)


@dataclass(frozen=True)
class AdviceGiven:
    advice: str | None  # None once erased
    services: list[str]
    next_step: NextStep


async def booking_and_meeting(
    database: Database, booking_id: object, meeting_id: object
) -> tuple[Booking | None, Meeting | None]:
    """A notice's booking and meeting as they are now (for its renderer); ids as the payload has them."""
    async with database.session() as session:
        booking = await store.get_booking(session, booking_id) if isinstance(booking_id, int) else None
        meeting = await store.get_meeting(session, meeting_id) if isinstance(meeting_id, int) else None
        return booking, meeting


async def listed_referral(database: Database, referral_id: object, meeting: Meeting) -> Referral | None:
    """A notice's referral if it is still listed for this Core Group meeting's day (for its renderer)."""
    if not isinstance(referral_id, int):
        return None
    async with database.session() as session:
        referral = await referrals.load(session, referral_id)
    listed = referral is not None and referral.status is ReferralStatus.LISTED_FOR_CORE_GROUP
    return referral if listed and referral is not None and referral.core_group_on == meeting.day else None


async def advice_given(database: Database, booking_id: int) -> AdviceGiven | None:
    async with database.session() as session:
        row = await session.scalar(select(ForumAdvice).where(ForumAdvice.booking_id == booking_id))
        return AdviceGiven(row.advice, list(row.services or ()), NextStep(row.next_step)) if row else None


async def my_bookings(database: Database, requester: Requester, clock: Clock = SystemClock()) -> list[MyBooking]:
    person = requester.person
    if person is None or person.school_id is None:
        return []
    async with unit(database) as session:
        target = Target(RecordKind.FORUM_BOOKING, school_id=person.school_id, owner_person_id=person.id)
        await require(session, requester, Action.VIEW_FORUM_AGENDA, target, f"school:{person.school_id}")
        found: list[MyBooking] = []
        for booking, meeting in await store.bookings_of_school(session, person.school_id, clock.now()):
            if not requester.decide(Action.CHANGE_FORUM_BOOKING, booking.target).allowed:
                continue
            position = (
                await store.waiting_position(session, booking) if booking.status is BookingStatus.WAITING else None
            )
            referral = await referrals.load(session, booking.referral_id)
            found.append(MyBooking(booking, meeting, position, referral.reference if referral else None))
        return found
    raise AssertionError("unreachable")  # pragma: no cover


def need_of(referral: Referral) -> str:
    values = referral.values
    need = values.get("primary_need")
    if isinstance(need, str) and need in NEEDS:
        return NEEDS[need]
    sen = values.get("sen_status")
    return SEN.get(sen, "Not given") if isinstance(sen, str) else "Not given"


async def _case(
    session: AsyncSession,
    booking_id: int,
    referral: Referral,
    sharing: Sharing,
    question: str,
    reader: Reader,
    *,
    advice_recorded: bool = False,
) -> AgendaCase:
    school = await get_school(session, referral.school_id)
    name = None
    if shows_name(sharing, reader) and referral.pupil_id is not None:
        pupil = await get_pupil(session, referral.pupil_id)
        name = pupil.display_name if pupil is not None and not pupil.erased else None
    return AgendaCase(
        booking_id=booking_id,
        referral_id=referral.id,
        school=school.name if school else "A partnership school",
        year_group=referral.year_group,
        need=need_of(referral),
        question=question,
        sharing=sharing,
        pupil_name=name,
        reference=referral.reference if shows_name(sharing, reader) else None,
        advice_recorded=advice_recorded,
    )


async def build_agenda(session: AsyncSession, meeting: Meeting, reader: Reader) -> Agenda:
    """The agenda without an access check (the agenda job's, and `agenda`'s after its check)."""
    cases: list[AgendaCase] = []
    if meeting.kind is MeetingKind.FORUM:
        for booking in await store.bookings_on(session, meeting.id, (BookingStatus.BOOKED, BookingStatus.DISCUSSED)):
            referral = await referrals.load(session, booking.referral_id)
            if referral is not None:
                cases.append(await _booked_case(session, booking, referral, reader))
    else:
        for referral in await core_group_referrals(session, meeting):
            support = str(referral.values.get("requested_support") or "").replace("_", " ")
            question = f"Decision on: {support}" if support else "Decision on the referral"
            cases.append(await _case(session, 0, referral, Sharing.NAMED, question, reader))
    return Agenda(meeting, reader, cases)


async def _booked_case(session: AsyncSession, booking: Booking, referral: Referral, reader: Reader) -> AgendaCase:
    discussed = booking.status is BookingStatus.DISCUSSED
    return await _case(
        session, booking.id, referral, booking.sharing, booking.question or "", reader, advice_recorded=discussed
    )


async def core_group_referrals(session: AsyncSession, meeting: Meeting) -> list[Referral]:
    """The referrals listed for decision at this Core Group (by its UK date), oldest first."""
    ids = await session.scalars(
        select(ReferralRow.id)
        .where(
            ReferralRow.status == ReferralStatus.LISTED_FOR_CORE_GROUP.value,
            ReferralRow.core_group_on == meeting.day,
        )
        .order_by(ReferralRow.submitted_at, ReferralRow.id)
    )
    found = [await referrals.load(session, referral_id) for referral_id in list(ids)]
    return [referral for referral in found if referral is not None]


async def cases_on(database: Database, meeting: Meeting) -> int:
    """How many cases a meeting's agenda has: its booked (or discussed) forum cases, or the
    referrals listed for a Core Group. No pupil data, so no access check (the agenda notice's)."""
    async with database.session() as session:
        if meeting.kind is MeetingKind.CORE_GROUP:
            return len(await core_group_referrals(session, meeting))
        return len(await store.bookings_on(session, meeting.id, (BookingStatus.BOOKED, BookingStatus.DISCUSSED)))


async def agenda(
    database: Database,
    requester: Requester,
    meeting_id: int,
    reader: Reader = Reader.PARTNERSHIP,
    *,
    shown_on: str = "teams",
) -> Agenda:
    """A meeting's agenda for the Partnership team (`VIEW_FORUM_AGENDA` on the whole forum);
    `shown_on` ("teams", or "page" for the shared screen's HTML page) goes into the audit entry."""
    async with unit(database) as session:
        meeting = await store.get_meeting(session, meeting_id)
        if meeting is None:
            raise ForumError("I can't find that meeting.")
        await require(session, requester, Action.VIEW_FORUM_AGENDA, Target(RecordKind.FORUM), f"meeting:{meeting.id}")
        built = await build_agenda(session, meeting, reader)
        await audit(
            session,
            requester,
            AuditAction.VIEWED,
            "forum_meeting",
            meeting.id,
            kind=reader.value,
            status=shown_on,
            count=len(built.cases),
        )
        return built
    raise AssertionError("unreachable")  # pragma: no cover


RECENT = timedelta(days=14)  # advice is recorded during or soon after the meeting


def _in_hand(agenda: Agenda, now: datetime) -> bool:
    """Cases, and either the meeting is still to come or some case still awaits its advice."""
    pending = any(not case.advice_recorded for case in agenda.cases)
    return bool(agenda.cases) and (agenda.meeting.starts_at > now or pending)


async def current_agenda(
    database: Database, requester: Requester, reader: Reader = Reader.PARTNERSHIP, clock: Clock = SystemClock()
) -> Agenda | None:
    """The agenda the Partnership is working on: the first meeting since `RECENT` ago that is
    still to come or has a case awaiting advice, with cases; None when there is none."""
    now = clock.now()
    async with unit(database) as session:
        await require(session, requester, Action.VIEW_FORUM_AGENDA, Target(RecordKind.FORUM), "meeting:current")
        for meeting in await store.upcoming(session, None, now - RECENT):
            built = await build_agenda(session, meeting, reader)
            if _in_hand(built, now):
                count = len(built.cases)
                await audit(
                    session, requester, AuditAction.VIEWED, "forum_meeting", meeting.id, kind=reader.value, count=count
                )
                return built
        return None
    raise AssertionError("unreachable")  # pragma: no cover


async def case_for_advice(
    database: Database, requester: Requester, booking_id: int, reader: Reader = Reader.PARTNERSHIP
) -> tuple[Meeting, AgendaCase]:
    """One forum case as the advice form shows it, for the Partnership SENCO or Director
    (`RUN_FORUM`); `ForumError` when it is not (or no longer) a case awaiting advice."""
    async with unit(database) as session:
        booking = await store.get_booking(session, booking_id)
        if booking is None:
            raise ForumError("I can't find that case on the agenda.")
        target = Target(RecordKind.FORUM_BOOKING, booking.school_id)
        await require(session, requester, Action.RUN_FORUM, target, f"booking:{booking.id}")
        meeting = await store.get_meeting(session, booking.meeting_id)
        referral = await referrals.load(session, booking.referral_id)
        if meeting is None or referral is None:
            raise ForumError("I can't find that case on the agenda.")
        if booking.status is BookingStatus.DISCUSSED:
            raise ForumError("The advice on this case is already recorded.")
        if booking.status is not BookingStatus.BOOKED:
            raise ForumError("This case is no longer booked on the agenda, so there is no advice to record.")
        case = await _booked_case(session, booking, referral, reader)
        await audit(session, requester, AuditAction.VIEWED, "forum_booking", booking.id, kind=reader.value)
        return meeting, case
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass(frozen=True)
class CaseToBook:
    """A school's sent forum case with no booking or waiting place yet (no pupil name: the
    school knows its case by its reference)."""

    referral_id: int
    reference: str | None
    year_group: int | None
    anonymous: bool
    consent: bool  # the parents agreed to the pupil being named
    need: str


@dataclass(frozen=True)
class BookingPreview:
    """What the confirm card shows before a school books: the meeting, the case, what may be
    shared (the choices the case's consent allows, the first the default) and who attends."""

    meeting: Meeting
    case: CaseToBook
    school: str
    sharing: tuple[Sharing, ...]
    full: bool
    waiting: int  # schools on the meeting's waiting list now


MAX_CASES = 20


def _case_to_book(referral: Referral) -> CaseToBook:
    return CaseToBook(
        referral.id,
        referral.reference,
        referral.year_group,
        referral.anonymous,
        referral.values.get("parental_consent") is True,
        need_of(referral),
    )


def _school_target(requester: Requester) -> Target:
    school_id = requester.person.school_id if requester.person else None
    return Target(RecordKind.FORUM_BOOKING, school_id=school_id, owner_person_id=requester.person_id)


async def may_book(database: Database, requester: Requester) -> None:
    """Raises `NotAllowed` (the refusal audited) unless the requester may book their school's
    forum cases (before starting a new forum case to book)."""
    async with unit(database) as session:
        target = _school_target(requester)
        await require(session, requester, Action.BOOK_FORUM_CASE, target, f"school:{target.school_id}")


async def cases_to_book(
    database: Database, requester: Requester, *, for_referral: int | None = None
) -> list[CaseToBook]:
    """The requester's school's sent forum cases not yet booked (or waiting), that the requester
    may book, newest first; `for_referral`: only those about the same pupil as that referral (a
    Referral to the Partnership held back for want of a forum discussion)."""
    async with unit(database) as session:
        target = _school_target(requester)
        await require(session, requester, Action.BOOK_FORUM_CASE, target, f"school:{target.school_id}")
        query = (
            select(ReferralRow.id)
            .where(
                ReferralRow.school_id == target.school_id,
                ReferralRow.kind == ReferralKind.FORUM_CASE.value,
                ReferralRow.status.in_([s.value for s in OPEN_STATES]),
                ~ReferralRow.id.in_(
                    select(ForumBooking.referral_id).where(ForumBooking.status.in_([s.value for s in ACTIVE]))
                ),
            )
            .order_by(ReferralRow.submitted_at.desc(), ReferralRow.id.desc())
            .limit(MAX_CASES * 2)
        )
        if for_referral is not None:
            held = await referrals.load(session, for_referral)
            if held is None or held.pupil_id is None or held.school_id != target.school_id:
                return []
            await require(session, requester, Action.VIEW_REFERRAL, held.target, f"referral:{held.id}")
            query = query.where(ReferralRow.pupil_id == held.pupil_id)
        found: list[CaseToBook] = []
        for referral_id in list(await session.scalars(query)):
            referral = await referrals.load(session, referral_id)
            if referral is not None and requester.decide(Action.VIEW_REFERRAL, referral.target).allowed:
                found.append(_case_to_book(referral))
        return found[:MAX_CASES]
    raise AssertionError("unreachable")  # pragma: no cover


async def preview_booking(
    database: Database, requester: Requester, meeting_id: int, referral_id: int
) -> BookingPreview:
    """The confirm card's facts, after the same checks `service.book_case` makes (the case is
    the requester's school's, sent and open; the meeting a forum)."""
    async with unit(database) as session:
        referral = await forum_case(session, requester, referral_id)
        meeting = await open_meeting(session, meeting_id)
        if await store.active_booking_for(session, referral.id) is not None:
            raise ForumError("This case is already booked (or waiting) for a forum; see 'my forum bookings'.")
        case = _case_to_book(referral)
        if case.anonymous or not case.consent:
            sharing: tuple[Sharing, ...] = (Sharing.ANONYMOUS,)
        else:
            sharing = (Sharing.NAMED, Sharing.PARTNERSHIP_ONLY, Sharing.ANONYMOUS)
        school = await get_school(session, referral.school_id)
        waiting = len(await store.bookings_on(session, meeting.id, (BookingStatus.WAITING,)))
        return BookingPreview(
            meeting, case, school.name if school else "Your school", sharing, meeting.free_slots == 0, waiting
        )
    raise AssertionError("unreachable")  # pragma: no cover


async def next_open_forum(
    database: Database, clock: Clock = SystemClock(), *, besides: int | None = None
) -> Meeting | None:
    """The next forum still taking bookings with a free slot."""
    async with database.session() as session:
        return await next_with_space(session, clock.now(), besides=besides)


@dataclass(frozen=True)
class ManagedMeeting:
    meeting: Meeting
    cases: int  # bookings and waiting places on it now


async def meetings_to_manage(
    database: Database, requester: Requester, clock: Clock = SystemClock(), *, meeting_id: int | None = None
) -> list[ManagedMeeting]:
    """Upcoming forum and Core Group meetings (or just `meeting_id`), for the Partnership SENCO
    or Director to move or cancel (`RUN_FORUM`), each with how many schools have a case on it."""
    async with unit(database) as session:
        await require(session, requester, Action.RUN_FORUM, Target(RecordKind.FORUM), f"meeting:{meeting_id or 'all'}")
        if meeting_id is None:
            meetings = (await store.upcoming(session, None, clock.now()))[:12]
        else:
            one = await store.get_meeting(session, meeting_id)
            meetings = [one] if one is not None else []
        return [
            ManagedMeeting(meeting, len(await store.bookings_on(session, meeting.id, tuple(ACTIVE))))
            for meeting in meetings
        ]
    raise AssertionError("unreachable")  # pragma: no cover
