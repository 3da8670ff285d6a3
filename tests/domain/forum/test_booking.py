"""Booking a case at the Inclusion Forum: a free slot, a full forum and its waiting list, the
booking deadline, a cancellation and the freed slot offered on, and the race for the last slot."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest

from db.engine import Database
from domain.access import NotAllowed
from domain.forum import meetings, queries, service
from domain.forum.jobs import jobs
from domain.forum.model import BookingStatus, MeetingKind, Sharing
from domain.forum.service import ForumError, Outcome
from domain.scheduler import Scheduler
from tests.domain.forum.conftest import a_forum, forum_case
from tests.domain.referrals.conftest import World
from tests.domain.referrals.helpers import queued

NOV_7 = date(2024, 11, 7)
DEC_5 = date(2024, 12, 5)
QUESTION = "How can we keep him in lessons?"


async def book(
    world: World, meeting_id: int, referral_id: int, who: str = "senco", **kwargs: object
) -> service.BookingResult:
    return await service.book_case(
        world.db,
        world.as_(who),
        meeting_id,
        referral_id,
        sharing=Sharing.NAMED,
        question=QUESTION,
        clock=world.clock,
        **kwargs,  # type: ignore[arg-type]
    )


async def test_a_senco_books_a_case_on_a_forum_with_a_free_slot(world: World) -> None:
    forum = await a_forum(world, NOV_7)
    case = await forum_case(world)
    result = await book(world, forum.id, case)
    assert result.outcome is Outcome.BOOKED and result.booking is not None
    assert result.booking.status is BookingStatus.BOOKED
    [mine] = await queries.my_bookings(world.db, world.as_("senco"), world.clock)
    assert (mine.meeting.id, mine.meeting.slots_taken) == (forum.id, 1)
    with pytest.raises(ForumError, match="already booked"):
        await book(world, forum.id, case)


async def test_a_teacher_may_not_book_and_another_schools_case_is_refused(world: World) -> None:
    forum = await a_forum(world, NOV_7)
    case = await forum_case(world)
    with pytest.raises(NotAllowed):
        await book(world, forum.id, case, who="teacher")
    with pytest.raises(NotAllowed):
        await book(world, forum.id, case, who="senco_b")


async def test_a_full_forum_offers_the_next_with_space_or_its_waiting_list(world: World) -> None:
    full = await a_forum(world, NOV_7, slots=1)
    later = await a_forum(world, DEC_5)
    await book(world, full.id, await forum_case(world))
    second = await forum_case(world, "Oliver Brown")
    result = await book(world, full.id, second)
    assert result.outcome is Outcome.FULL
    assert result.alternative is not None and result.alternative.id == later.id
    waiting = await book(world, full.id, second, wait_if_full=True)
    assert waiting.outcome is Outcome.WAITING and waiting.position == 1


async def test_past_the_deadline_the_next_forum_is_offered(world: World) -> None:
    soon = await a_forum(world, date(2024, 10, 10), deadline=date(2024, 10, 8))
    later = await a_forum(world, NOV_7)
    world.clock.advance(timedelta(days=2))  # 9 October: the deadline was the end of the 8th
    result = await book(world, soon.id, await forum_case(world))
    assert result.outcome is Outcome.PAST_DEADLINE
    assert result.alternative is not None and result.alternative.id == later.id


async def test_a_cancellation_frees_the_slot_for_the_first_waiting_who_may_accept(world: World) -> None:
    forum = await a_forum(world, NOV_7, slots=1)
    first = await book(world, forum.id, await forum_case(world))
    waiting = await book(world, forum.id, await forum_case(world, "Oliver Brown"), wait_if_full=True)
    assert first.booking and waiting.booking
    await service.cancel_booking(world.db, world.as_("senco"), first.booking.id, clock=world.clock)
    offers = [payload for kind, _, payload in await queued(world) if kind == "forum.slot_offered"]
    assert [o["booking_id"] for o in offers] == [waiting.booking.id]
    accepted = await service.accept_offer(world.db, world.as_("senco"), waiting.booking.id, clock=world.clock)
    assert accepted.status is BookingStatus.BOOKED
    meeting = await queries.get_meeting(world.db, forum.id)
    assert meeting is not None and meeting.slots_taken == 1


async def test_an_offer_not_accepted_in_time_passes_to_the_next_school(world: World) -> None:
    forum = await a_forum(world, NOV_7, slots=1)
    first = await book(world, forum.id, await forum_case(world))
    second = await book(world, forum.id, await forum_case(world, "Oliver Brown"), wait_if_full=True)
    third = await book(world, forum.id, await forum_case(world, "Jacqueline Smyth"), wait_if_full=True)
    assert first.booking and second.booking and third.booking
    await service.cancel_booking(world.db, world.as_("senco"), first.booking.id, clock=world.clock)
    world.clock.advance(timedelta(hours=49))  # the 48 hours to accept have passed
    await Scheduler(world.db, world.clock, jobs()).run_due()
    with pytest.raises(ForumError, match="no longer held"):
        await service.accept_offer(world.db, world.as_("senco"), second.booking.id, clock=world.clock)
    offers = [payload["booking_id"] for kind, _, payload in await queued(world) if kind == "forum.slot_offered"]
    assert offers == [second.booking.id, third.booking.id]


async def test_two_schools_booking_the_last_slot_at_once_exactly_one_gets_it(world: World) -> None:
    forum = await a_forum(world, NOV_7, slots=1)
    ours, theirs = await forum_case(world), await forum_case(world, "Jack Smithson", who="senco_b")
    other = Database(world.db.url)
    try:
        results = await asyncio.gather(
            service.book_case(
                world.db,
                world.as_("senco"),
                forum.id,
                ours,
                sharing=Sharing.NAMED,
                question=QUESTION,
                clock=world.clock,
            ),
            service.book_case(
                other,
                world.as_("senco_b"),
                forum.id,
                theirs,
                sharing=Sharing.NAMED,
                question=QUESTION,
                clock=world.clock,
            ),
        )
    finally:
        await other.dispose()
    assert sorted(r.outcome for r in results) == [Outcome.BOOKED, Outcome.FULL]
    meeting = await queries.get_meeting(world.db, forum.id)
    assert meeting is not None and meeting.slots_taken == 1


async def test_a_core_group_takes_no_bookings_and_an_anonymous_case_stays_anonymous(world: World) -> None:
    core = await a_forum(world, NOV_7, kind=MeetingKind.CORE_GROUP)
    forum = await a_forum(world, DEC_5)
    anonymous = await forum_case(world, anonymous=True)
    with pytest.raises(ForumError, match="Core Group"):
        await book(world, core.id, anonymous)
    result = await book(world, forum.id, anonymous)
    assert result.booking is not None and result.booking.sharing is Sharing.ANONYMOUS


async def test_moving_a_booking_frees_its_old_slot(world: World) -> None:
    first, second = await a_forum(world, NOV_7, slots=1), await a_forum(world, DEC_5)
    booked = await book(world, first.id, await forum_case(world))
    assert booked.booking is not None
    moved = await service.move_booking(world.db, world.as_("senco"), booked.booking.id, second.id, clock=world.clock)
    assert moved.outcome is Outcome.BOOKED
    assert [m.slots_taken for m in await queries.next_meetings(world.db, MeetingKind.FORUM, world.clock)] == [0, 1]
    cancelled = await meetings.cancel_meeting(world.db, world.as_("psenco"), second.id, clock=world.clock)
    assert cancelled.status.value == "cancelled"
    assert await queries.my_bookings(world.db, world.as_("senco"), world.clock) == []
