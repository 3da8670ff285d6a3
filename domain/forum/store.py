"""Forum rows in the caller's unit of work: meetings and bookings as records, the slot count
changed by conditional UPDATEs (so two schools booking the last slot at once cannot both get
it, on SQLite and on PostgreSQL: the second UPDATE finds no row with a free slot), the waiting
list in order, and erasure's reach. No access checks here: `service.py` asks the policy first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models.forum import ForumAdvice, ForumBooking, ForumMeeting
from db.models.referrals import Referral as ReferralRow
from domain.forum.model import (
    ACTIVE,
    Booking,
    BookingStatus,
    Meeting,
    MeetingKind,
    MeetingStatus,
    Sharing,
)


def meeting_record(row: ForumMeeting) -> Meeting:
    attendees = row.attendees or {}
    return Meeting(
        id=row.id,
        kind=MeetingKind(row.kind),
        status=MeetingStatus(row.status),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        booking_deadline=row.booking_deadline,
        teams_link=row.teams_link,
        slots=row.slots,
        slots_taken=row.slots_taken,
        attendee_roles=tuple(attendees.get("roles") or ()),
        services=tuple(attendees.get("services") or ()),
        agenda_sent_at=row.agenda_sent_at,
    )


def booking_record(row: ForumBooking) -> Booking:
    return Booking(
        id=row.id,
        meeting_id=row.meeting_id,
        referral_id=row.referral_id,
        school_id=row.school_id,
        booked_by=row.booked_by,
        status=BookingStatus(row.status),
        sharing=Sharing(row.sharing),
        created_at=row.created_at,
        updated_at=row.updated_at,
        question=row.question,
        offered_until=row.offered_until,
    )


async def get_meeting(session: AsyncSession, meeting_id: int) -> Meeting | None:
    row = await session.get(ForumMeeting, meeting_id, populate_existing=True)
    return meeting_record(row) if row is not None else None


async def get_booking(session: AsyncSession, booking_id: int, *, for_update: bool = False) -> Booking | None:
    query = select(ForumBooking).where(ForumBooking.id == booking_id).execution_options(populate_existing=True)
    row = await session.scalar(query.with_for_update() if for_update else query)
    return booking_record(row) if row is not None else None


async def upcoming(
    session: AsyncSession, kind: MeetingKind | None, after: datetime, *, until: datetime | None = None
) -> list[Meeting]:
    """Scheduled meetings starting after `after` (and before `until`), soonest first."""
    query = select(ForumMeeting).where(
        ForumMeeting.status == MeetingStatus.SCHEDULED.value, ForumMeeting.starts_at > after
    )
    if kind is not None:
        query = query.where(ForumMeeting.kind == kind.value)
    if until is not None:
        query = query.where(ForumMeeting.starts_at < until)
    rows = await session.scalars(query.order_by(ForumMeeting.starts_at, ForumMeeting.id))
    return [meeting_record(row) for row in rows]


async def take_slot(session: AsyncSession, meeting_id: int) -> bool:
    """Take one slot if one is free: the one statement that settles a race for the last slot."""
    taken = await session.execute(
        update(ForumMeeting)
        .where(ForumMeeting.id == meeting_id, ForumMeeting.slots_taken < ForumMeeting.slots)
        .values(slots_taken=ForumMeeting.slots_taken + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(taken.rowcount)  # type: ignore[attr-defined]


async def free_slot(session: AsyncSession, meeting_id: int) -> None:
    await session.execute(
        update(ForumMeeting)
        .where(ForumMeeting.id == meeting_id, ForumMeeting.slots_taken > 0)
        .values(slots_taken=ForumMeeting.slots_taken - 1)
        .execution_options(synchronize_session=False)
    )


async def add_booking(session: AsyncSession, booking: Booking) -> Booking:
    row = ForumBooking(
        meeting_id=booking.meeting_id,
        referral_id=booking.referral_id,
        school_id=booking.school_id,
        booked_by=booking.booked_by,
        status=booking.status.value,
        sharing=booking.sharing.value,
        question=booking.question,
        created_at=booking.created_at,
        updated_at=booking.updated_at,
        offered_until=booking.offered_until,
    )
    session.add(row)
    await session.flush()
    return booking_record(row)


async def save_booking(session: AsyncSession, booking: Booking) -> None:
    await session.execute(
        update(ForumBooking)
        .where(ForumBooking.id == booking.id)
        .values(
            meeting_id=booking.meeting_id,
            status=booking.status.value,
            sharing=booking.sharing.value,
            question=booking.question,
            updated_at=booking.updated_at,
            offered_until=booking.offered_until,
        )
        .execution_options(synchronize_session=False)
    )


async def active_booking_for(session: AsyncSession, referral_id: int) -> Booking | None:
    row = await session.scalar(
        select(ForumBooking)
        .where(ForumBooking.referral_id == referral_id, ForumBooking.status.in_([s.value for s in ACTIVE]))
        .limit(1)
    )
    return booking_record(row) if row is not None else None


async def first_waiting(session: AsyncSession, meeting_id: int) -> Booking | None:
    """The first school on the meeting's waiting list (who joined first)."""
    row = await session.scalar(
        select(ForumBooking)
        .where(ForumBooking.meeting_id == meeting_id, ForumBooking.status == BookingStatus.WAITING.value)
        .order_by(ForumBooking.created_at, ForumBooking.id)
        .limit(1)
        .with_for_update()
    )
    return booking_record(row) if row is not None else None


async def bookings_on(
    session: AsyncSession, meeting_id: int, statuses: Sequence[BookingStatus] = (BookingStatus.BOOKED,)
) -> list[Booking]:
    rows = await session.scalars(
        select(ForumBooking)
        .where(ForumBooking.meeting_id == meeting_id, ForumBooking.status.in_([s.value for s in statuses]))
        .order_by(ForumBooking.created_at, ForumBooking.id)
    )
    return [booking_record(row) for row in rows]


async def bookings_of_school(session: AsyncSession, school_id: int, after: datetime) -> list[tuple[Booking, Meeting]]:
    rows = await session.execute(
        select(ForumBooking, ForumMeeting)
        .join(ForumMeeting, ForumMeeting.id == ForumBooking.meeting_id)
        .where(
            ForumBooking.school_id == school_id,
            ForumBooking.status.in_([s.value for s in ACTIVE]),
            ForumMeeting.ends_at > after,
        )
        .order_by(ForumMeeting.starts_at, ForumBooking.id)
    )
    return [(booking_record(b), meeting_record(m)) for b, m in rows]


async def waiting_position(session: AsyncSession, booking: Booking) -> int:
    ahead = await session.scalar(
        select(func.count())
        .select_from(ForumBooking)
        .where(
            ForumBooking.meeting_id == booking.meeting_id,
            ForumBooking.status == BookingStatus.WAITING.value,
            (ForumBooking.created_at < booking.created_at)
            | ((ForumBooking.created_at == booking.created_at) & (ForumBooking.id < booking.id)),
        )
    )
    return int(ahead or 0) + 1


async def forget_pupil(session: AsyncSession, pupil_id: int) -> None:
    """Erasure's reach (run by `domain.erasure.erase_pupil`, same transaction): the school's
    questions and the advice on the pupil's forum cases are emptied."""
    referral_ids = select(ReferralRow.id).where(ReferralRow.pupil_id == pupil_id)
    booking_ids = select(ForumBooking.id).where(ForumBooking.referral_id.in_(referral_ids))
    await session.execute(
        update(ForumBooking)
        .where(ForumBooking.referral_id.in_(referral_ids))
        .values(question=None)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(ForumAdvice)
        .where(ForumAdvice.booking_id.in_(booking_ids))
        .values(advice=None)
        .execution_options(synchronize_session=False)
    )
