"""The agenda the Partnership is working on: during and after a meeting, until every case has
its advice, then the next meeting with cases; and the advice form's case, for RUN_FORUM only."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from domain.access import NotAllowed
from domain.forum import advice, queries, service
from domain.forum.model import NextStep, Reader, Sharing
from tests.domain.forum.conftest import a_forum, forum_case
from tests.domain.referrals.conftest import World


async def test_the_current_agenda_stays_on_a_past_meeting_until_its_advice_is_recorded(world: World) -> None:
    first = await a_forum(world, date(2024, 10, 10), deadline=date(2024, 10, 9))
    second = await a_forum(world, date(2024, 10, 24), deadline=date(2024, 10, 21))
    booked = await service.book_case(
        world.db,
        world.as_("senco"),
        first.id,
        await forum_case(world),
        sharing=Sharing.ANONYMOUS,
        question="What next?",
        clock=world.clock,
    )
    assert booked.booking is not None
    later = await service.book_case(
        world.db,
        world.as_("senco"),
        second.id,
        await forum_case(world, "Oliver Brown"),
        sharing=Sharing.NAMED,
        question="And now?",
        clock=world.clock,
    )
    assert later.booking is not None
    world.clock._now = datetime(2024, 10, 11, 9, 0, tzinfo=UTC)  # the day after the first forum
    current = await queries.current_agenda(world.db, world.as_("director"), Reader.EXTERNAL, world.clock)
    assert current is not None and current.meeting.id == first.id
    assert [(c.pupil_name, c.advice_recorded) for c in current.cases] == [(None, False)]

    with pytest.raises(NotAllowed):
        await queries.case_for_advice(world.db, world.as_("senco"), booked.booking.id)
    meeting, case = await queries.case_for_advice(world.db, world.as_("psenco"), booked.booking.id)
    assert (meeting.id, case.booking_id, case.pupil_name) == (first.id, booked.booking.id, None)

    await advice.record_advice(
        world.db, world.as_("psenco"), booked.booking.id, "Advice", [], NextStep.NO_FURTHER_ACTION, clock=world.clock
    )
    shown = await queries.agenda(world.db, world.as_("psenco"), first.id)
    assert [c.advice_recorded for c in shown.cases] == [True]
    with pytest.raises(service.ForumError):
        await queries.case_for_advice(world.db, world.as_("psenco"), booked.booking.id)
    current = await queries.current_agenda(world.db, world.as_("psenco"), clock=world.clock)
    assert current is not None and current.meeting.id == second.id

    world.clock._now += timedelta(days=30)  # past both: nothing in hand
    assert await queries.current_agenda(world.db, world.as_("psenco"), clock=world.clock) is None
