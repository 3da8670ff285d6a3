"""What a school does with the forum, each one transaction: book a forum case on a meeting
(or join its waiting list), accept a freed slot offered to it, move a booking to another
meeting, cancel one (freeing its slot for the first school waiting). The Partnership's side is
in `meetings.py` (meeting records) and `advice.py` (the advice per case), on these helpers.

Identity is the `Requester`, never an id from a card. A refusal raises `NotAllowed` after its
audit entry is committed; `ForumError` carries a plain-English reason and changes nothing.
A full meeting or a passed deadline is not an error: `BookingResult` says what happened and
which meeting to offer instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock, SystemClock
from db.engine import Database
from domain.access import Action, NotAllowed, RecordKind, Target
from domain.audit import AuditAction, record_audit
from domain.forum import notices, store
from domain.forum.model import (
    HOLDS_A_SLOT,
    Booking,
    BookingStatus,
    IllegalTransition,
    Meeting,
    MeetingKind,
    MeetingStatus,
    Sharing,
    Timings,
    move,
)
from domain.notices import Notice
from domain.notifier import queue_notice
from domain.referrals import store as referrals
from domain.referrals.model import OPEN_STATES, Referral, ReferralKind
from domain.requester import Requester, authorise
from domain.scheduler import cancel_once, schedule_once

B = BookingStatus
MAX_QUESTION = 500
OFFER_JOB = "forum.offer_lapses"


class ForumError(ValueError):
    """A request that can't be done as asked; `reason` is plain English for the person."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Outcome(StrEnum):
    BOOKED = "booked"
    WAITING = "waiting"  # on the meeting's waiting list
    FULL = "full"  # no slot: offer `alternative` (the next with space) or the waiting list
    PAST_DEADLINE = "past_deadline"  # offer `alternative` (the next still open)


@dataclass(frozen=True)
class BookingResult:
    outcome: Outcome
    meeting: Meeting
    booking: Booking | None = None
    alternative: Meeting | None = None
    position: int | None = None  # on the waiting list


@asynccontextmanager
async def unit(database: Database) -> AsyncIterator[AsyncSession]:
    """One transaction; a refusal raised inside still commits its audit entry, then is raised."""
    refusal: NotAllowed | None = None
    async with database.session() as session:
        try:
            yield session
        except NotAllowed as error:
            refusal = error
    if refusal is not None:
        raise refusal


async def require(session: AsyncSession, requester: Requester, action: Action, target: Target, record: str) -> None:
    decision = await authorise(session, requester, action, target, record_type="forum", record_id=record)
    if not decision.allowed:
        raise NotAllowed(decision)


async def audit(
    session: AsyncSession,
    requester: Requester,
    action: AuditAction,
    record_type: str,
    record_id: int,
    *,
    meeting_id: int | None = None,
    status: str | None = None,
    kind: str | None = None,
    count: int | None = None,
) -> None:
    await record_audit(
        session,
        actor_id=requester.person_id,
        action=action,
        record_type=record_type,
        record_id=str(record_id),
        detail={"meeting_id": meeting_id, "status": status, "kind": kind, "count": count, **requester.audit_detail},
    )


async def tell(session: AsyncSession, notice: Notice, people: Iterable[int | None], now: datetime) -> None:
    for person_id in dict.fromkeys(p for p in people if p is not None):
        await queue_notice(session, notice, to_person=person_id, now=now)


def clean_question(raw: str) -> str:
    question = " ".join((raw or "").split())
    if not question or len(question) > MAX_QUESTION or any(ord(c) < 32 for c in question):
        raise ForumError(
            f"Please write the question you'd like the forum to help with (up to {MAX_QUESTION} characters)."
        )
    return question


async def open_meeting(session: AsyncSession, meeting_id: int) -> Meeting:
    meeting = await store.get_meeting(session, meeting_id)
    if meeting is None or meeting.status is MeetingStatus.CANCELLED:
        raise ForumError("I can't find that meeting. It may have been cancelled.")
    if meeting.kind is not MeetingKind.FORUM:
        raise ForumError("Cases are booked at the Inclusion Forum; the Core Group hears referrals listed for it.")
    return meeting


async def next_with_space(session: AsyncSession, now: datetime, *, besides: int | None = None) -> Meeting | None:
    for meeting in await store.upcoming(session, MeetingKind.FORUM, now):
        if meeting.id != besides and meeting.open_for_booking(now) and meeting.free_slots > 0:
            return meeting
    return None


async def forum_case(session: AsyncSession, requester: Requester, referral_id: int) -> Referral:
    """The forum case to attach, if the requester may book it (their school's, sent, open)."""
    referral = await referrals.load(session, referral_id)
    if referral is None:
        raise ForumError("I can't find that forum case.")
    target = Target(RecordKind.FORUM_BOOKING, school_id=referral.school_id, owner_person_id=requester.person_id)
    await require(session, requester, Action.BOOK_FORUM_CASE, target, f"referral:{referral.id}")
    if referral.kind is not ReferralKind.FORUM_CASE:
        raise ForumError("Only a forum case can be booked at the forum; start one with the referral form first.")
    if referral.status not in OPEN_STATES:
        raise ForumError("That forum case hasn't been sent yet (or is closed), so it can't be booked.")
    return referral


def sharing_for(referral: Referral, asked: Sharing) -> Sharing:
    if referral.anonymous:
        return Sharing.ANONYMOUS
    if asked is not Sharing.ANONYMOUS and referral.values.get("parental_consent") is not True:
        raise ForumError("A named case needs the parents' consent; book it anonymously instead.")
    return asked


async def book_case(
    database: Database,
    requester: Requester,
    meeting_id: int,
    referral_id: int,
    *,
    sharing: Sharing,
    question: str,
    wait_if_full: bool = False,
    clock: Clock = SystemClock(),
) -> BookingResult:
    """Book the case on the meeting if a slot is free. Full: `Outcome.FULL` with the next meeting
    with space (or, with `wait_if_full`, a place on this one's waiting list). Past the deadline:
    `Outcome.PAST_DEADLINE` with the next meeting still open."""
    now = clock.now()
    asked = clean_question(question)
    async with unit(database) as session:
        referral = await forum_case(session, requester, referral_id)
        shared = sharing_for(referral, sharing)
        meeting = await open_meeting(session, meeting_id)
        if not meeting.open_for_booking(now):
            return BookingResult(Outcome.PAST_DEADLINE, meeting, alternative=await next_with_space(session, now))
        existing = await store.active_booking_for(session, referral.id)
        if existing is not None:
            raise ForumError("This case is already booked (or waiting) for a forum; see 'my forum bookings'.")
        assert requester.person_id is not None  # the policy allows named school staff only
        fresh = Booking(0, meeting.id, referral.id, referral.school_id, requester.person_id, B.BOOKED, shared, now, now)
        fresh = replace(fresh, question=asked)
        if await store.take_slot(session, meeting.id):
            booking = await store.add_booking(session, fresh)
            await audit(session, requester, AuditAction.CREATED, "forum_booking", booking.id, meeting_id=meeting.id)
            return BookingResult(Outcome.BOOKED, meeting, booking)
        if not wait_if_full:
            return BookingResult(
                Outcome.FULL, meeting, alternative=await next_with_space(session, now, besides=meeting.id)
            )
        booking = await store.add_booking(session, replace(fresh, status=B.WAITING))
        await audit(session, requester, AuditAction.CREATED, "forum_booking", booking.id, status="waiting")
        position = await store.waiting_position(session, booking)
        return BookingResult(Outcome.WAITING, meeting, booking, position=position)
    raise AssertionError("unreachable")  # pragma: no cover


async def _own_booking(session: AsyncSession, requester: Requester, booking_id: int) -> Booking:
    booking = await store.get_booking(session, booking_id, for_update=True)
    if booking is None:
        raise ForumError("I can't find that booking.")
    await require(session, requester, Action.CHANGE_FORUM_BOOKING, booking.target, f"booking:{booking.id}")
    return booking


def _moved(booking: Booking, to: BookingStatus, now: datetime) -> Booking:
    try:
        return move(booking, to, at=now)
    except IllegalTransition as error:
        raise ForumError(error.reason) from None


async def offer_freed_slot(session: AsyncSession, meeting_id: int, now: datetime, timings: Timings) -> Booking | None:
    """A slot came free: offer it to the first school waiting, for `timings.offer_hold` (less if
    the meeting starts sooner); a one-off run passes it on if they have not accepted by then."""
    meeting = await store.get_meeting(session, meeting_id)
    if meeting is None or meeting.status is MeetingStatus.CANCELLED or meeting.starts_at <= now:
        return None
    waiting = await store.first_waiting(session, meeting_id)
    if waiting is None or not await store.take_slot(session, meeting_id):
        return None
    until = min(now + timings.offer_hold, meeting.starts_at)
    offered = replace(_moved(waiting, B.OFFERED, now), offered_until=until)
    await store.save_booking(session, offered)
    await schedule_once(session, OFFER_JOB, f"forum-offer:{offered.id}", until, {"booking_id": offered.id}, now=now)
    await tell(session, notices.slot_offered(offered, until), [offered.booked_by], now)
    return offered


async def release(
    session: AsyncSession, booking: Booking, to: BookingStatus, now: datetime, timings: Timings
) -> Booking:
    """Move a booking out (cancelled or lapsed), freeing its slot for the next school waiting."""
    held = booking.status in HOLDS_A_SLOT
    released = _moved(booking, to, now)
    await store.save_booking(session, released)
    if booking.status is B.OFFERED:
        await cancel_once(session, f"forum-offer:{booking.id}", now=now)
    if held:
        await store.free_slot(session, booking.meeting_id)
        await offer_freed_slot(session, booking.meeting_id, now, timings)
    return released


async def cancel_booking(
    database: Database,
    requester: Requester,
    booking_id: int,
    *,
    timings: Timings = Timings(),
    clock: Clock = SystemClock(),
) -> Booking:
    """Cancel a booking (or a place on a waiting list, or decline an offer); a held slot is freed."""
    now = clock.now()
    async with unit(database) as session:
        booking = await _own_booking(session, requester, booking_id)
        cancelled = await release(session, booking, B.CANCELLED, now, timings)
        await audit(session, requester, AuditAction.CHANGED, "forum_booking", booking.id, status="cancelled")
        return cancelled
    raise AssertionError("unreachable")  # pragma: no cover


async def accept_offer(
    database: Database, requester: Requester, booking_id: int, clock: Clock = SystemClock()
) -> Booking:
    now = clock.now()
    async with unit(database) as session:
        booking = await _own_booking(session, requester, booking_id)
        if booking.status is not B.OFFERED or (booking.offered_until is not None and now >= booking.offered_until):
            raise ForumError("Sorry, that slot is no longer held for you: the time to accept has passed.")
        booked = replace(_moved(booking, B.BOOKED, now), offered_until=None)
        await store.save_booking(session, booked)
        await cancel_once(session, f"forum-offer:{booking.id}", now=now)
        await audit(session, requester, AuditAction.CHANGED, "forum_booking", booking.id, status="booked")
        return booked
    raise AssertionError("unreachable")  # pragma: no cover


async def move_booking(
    database: Database,
    requester: Requester,
    booking_id: int,
    to_meeting_id: int,
    *,
    timings: Timings = Timings(),
    clock: Clock = SystemClock(),
) -> BookingResult:
    """Move a booked case to another forum with a free slot (the old slot goes to the waiting list)."""
    now = clock.now()
    async with unit(database) as session:
        booking = await _own_booking(session, requester, booking_id)
        if booking.status is not B.BOOKED:
            raise ForumError("Only a booked case can be moved; a place on a waiting list can be cancelled instead.")
        if booking.meeting_id == to_meeting_id:
            raise ForumError("The case is already booked at that forum.")
        target = await open_meeting(session, to_meeting_id)
        if not target.open_for_booking(now):
            return BookingResult(Outcome.PAST_DEADLINE, target, booking, await next_with_space(session, now))
        if not await store.take_slot(session, target.id):
            return BookingResult(Outcome.FULL, target, booking, await next_with_space(session, now, besides=target.id))
        moved = replace(_moved(booking, B.BOOKED, now), meeting_id=target.id)
        await store.save_booking(session, moved)
        await store.free_slot(session, booking.meeting_id)
        await offer_freed_slot(session, booking.meeting_id, now, timings)
        await audit(session, requester, AuditAction.CHANGED, "forum_booking", booking.id, meeting_id=target.id)
        return BookingResult(Outcome.BOOKED, target, moved)
    raise AssertionError("unreachable")  # pragma: no cover


async def lapse_offer(database: Database, booking_id: int, now: datetime, timings: Timings = Timings()) -> bool:
    """The offer's time passed without an answer: it lapses and goes to the next school waiting.
    Run by the one-off job; a run repeated after a restart finds the booking moved on and does
    nothing. True if it lapsed."""
    async with database.session() as session:
        booking = await store.get_booking(session, booking_id, for_update=True)
        if booking is None or booking.status is not B.OFFERED:
            return False
        if booking.offered_until is not None and now < booking.offered_until:
            return False
        await release(session, booking, B.LAPSED, now, timings)
        await record_audit(
            session,
            actor_id=None,
            action=AuditAction.CHANGED,
            record_type="forum_booking",
            record_id=str(booking.id),
            detail={"status": "lapsed", "source": "system"},
        )
        return True
    raise AssertionError("unreachable")  # pragma: no cover
