"""The agenda in named and anonymised views, the reminder the day before a meeting after the
October clock change, the advice handed to the referral feature, a restart between a job's
due time and its run, and a meeting (or Core Group, with its referrals) moved after its agenda
went out getting a new agenda and slot notices."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from db.engine import Database
from domain.access import NotAllowed
from domain.forum import advice, meetings, queries, service
from domain.forum.jobs import jobs
from domain.forum.model import MeetingKind, NextStep, Reader, Sharing
from domain.referrals import casework
from domain.referrals import service as referrals
from domain.referrals.service import SubmissionRefused
from domain.scheduler import Scheduler
from tests.domain.forum.conftest import a_forum, case_values, forum_case
from tests.domain.referrals.conftest import World
from tests.domain.referrals.helpers import queued, ready_draft

OCT_28 = date(2024, 10, 28)  # the Monday after the clocks go back (27 October 2024)
NOV_7 = date(2024, 11, 7)


async def booked(world: World, meeting_id: int, referral_id: int, sharing: Sharing = Sharing.NAMED) -> int:
    result = await service.book_case(
        world.db, world.as_("senco"), meeting_id, referral_id, sharing=sharing, question="What next?", clock=world.clock
    )
    assert result.booking is not None
    return result.booking.id


async def notices_of(world: World, kind: str) -> list[tuple[int | None, dict[str, object]]]:
    return [(person, payload) for k, person, payload in await queued(world) if k == kind]


async def test_the_agenda_names_pupils_by_consent_and_reader(world: World) -> None:
    forum = await a_forum(world, NOV_7, slots=4)
    await booked(world, forum.id, await forum_case(world), Sharing.NAMED)
    await booked(world, forum.id, await forum_case(world, "Oliver Brown"), Sharing.PARTNERSHIP_ONLY)
    await booked(world, forum.id, await forum_case(world, anonymous=True), Sharing.NAMED)  # kept anonymous
    partnership = await queries.agenda(world.db, world.as_("psenco"), forum.id, Reader.PARTNERSHIP)
    external = await queries.agenda(world.db, world.as_("psenco"), forum.id, Reader.EXTERNAL)
    assert [c.pupil_name for c in partnership.cases] == ["Jack Smith", "Oliver Brown", None]
    assert [c.pupil_name for c in external.cases] == ["Jack Smith", None, None]
    first = partnership.cases[0]
    assert (first.school, first.year_group, first.need, first.question) == (
        "Charnwood Vale Academy",
        9,
        "Social, emotional and mental health",
        "What next?",
    )
    with pytest.raises(NotAllowed):
        await queries.agenda(world.db, world.as_("teacher"), forum.id)


async def test_the_reminder_the_day_before_a_meeting_after_the_october_change(world: World) -> None:
    forum = await a_forum(world, OCT_28)
    assert forum.starts_at == datetime(2024, 10, 28, 9, 30, tzinfo=UTC)  # 09:30 GMT, booked in BST
    booking_id = await booked(world, forum.id, await forum_case(world))
    scheduler = Scheduler(world.db, world.clock, jobs())
    await scheduler.run_due()
    world.clock._now = datetime(2024, 10, 27, 8, 30, tzinfo=UTC)  # 08:30 GMT: 09:00 would be BST's 08:00 UTC
    await scheduler.run_due()
    assert await notices_of(world, "forum.reminder") == []
    world.clock._now = datetime(2024, 10, 27, 9, 0, tzinfo=UTC)  # 09:00 GMT on the Sunday
    await scheduler.run_due()
    [(person, payload)] = await notices_of(world, "forum.reminder")
    assert person == world.people["senco"].id
    assert payload["booking_id"] == booking_id
    assert payload["starts_at"] == "2024-10-28T09:30:00+00:00"


async def test_a_restart_between_due_time_and_run_sends_the_agenda_and_reminder_once(world: World) -> None:
    forum = await a_forum(world, NOV_7)
    await booked(world, forum.id, await forum_case(world))
    await Scheduler(world.db, world.clock, jobs()).run_due()
    world.clock._now = datetime(2024, 11, 6, 11, 0, tzinfo=UTC)  # down over Wednesday's 09:00 run
    restarted = Database(world.db.url)
    try:
        await Scheduler(restarted, world.clock, jobs()).run_due()
        await Scheduler(restarted, world.clock, jobs()).run_due()
    finally:
        await restarted.dispose()
    assert len(await notices_of(world, "forum.reminder")) == 1
    agendas = await notices_of(world, "forum.agenda")
    assert sorted(person for person, _ in agendas) == sorted(world.people[p].id for p in ("psenco", "director"))


async def test_the_core_group_agenda_lists_referrals_listed_for_it_and_tells_their_schools(world: World) -> None:
    core = await a_forum(world, NOV_7, kind=MeetingKind.CORE_GROUP)
    await casework.record_forum_discussion(
        world.db, world.as_("psenco"), world.pupils["Jack Smith"], date(2024, 9, 20), clock=world.clock
    )
    referral_id = await ready_draft(world, consent_date="2024-09-20", interventions=case_values()["interventions"])
    await referrals.submit(world.db, world.as_("senco"), referral_id, clock=world.clock)
    await casework.receive(world.db, world.as_("psenco"), referral_id, clock=world.clock)
    await casework.list_for_core_group(world.db, world.as_("psenco"), referral_id, NOV_7, clock=world.clock)
    agenda = await queries.agenda(world.db, world.as_("director"), core.id)
    assert [(c.referral_id, c.pupil_name) for c in agenda.cases] == [(referral_id, "Jack Smith")]
    scheduler = Scheduler(world.db, world.clock, jobs())
    await scheduler.run_due()
    world.clock._now = datetime(2024, 11, 4, 8, 0, tzinfo=UTC)  # three days before, 08:00 GMT
    await scheduler.run_due()
    [(person, payload)] = await notices_of(world, "forum.core_group_slot")
    assert (person, payload["position"]) == (world.people["senco"].id, 1)


async def test_advice_is_handed_to_the_referral_so_forum_first_no_longer_holds_it_back(world: World) -> None:
    forum = await a_forum(world, date(2024, 10, 10), deadline=date(2024, 10, 9))
    booking_id = await booked(world, forum.id, await forum_case(world))
    draft = await ready_draft(world, consent_date="2024-09-20", interventions=case_values()["interventions"])
    with pytest.raises(SubmissionRefused) as refused:
        await referrals.submit(world.db, world.as_("senco"), draft, clock=world.clock)
    assert "forum_first" in [b.code for b in refused.value.breaches]
    world.clock.advance(timedelta(days=3))
    recorded = await advice.record_advice(
        world.db,
        world.as_("psenco"),
        booking_id,
        "Try a reduced timetable with a key adult; EP to observe.",
        ["LCC Educational Psychologist"],
        NextStep.REFERRAL_TO_PARTNERSHIP,
        clock=world.clock,
    )
    assert recorded.handed_over
    sent = await referrals.submit(world.db, world.as_("senco"), draft, clock=world.clock)
    assert sent.reference is not None
    [(person, payload)] = await notices_of(world, "forum.advice")
    assert (person, payload["booking_id"]) == (world.people["senco"].id, booking_id)
    with pytest.raises(service.ForumError):
        await advice.record_advice(
            world.db, world.as_("psenco"), booking_id, "Again", [], NextStep.NO_FURTHER_ACTION, clock=world.clock
        )


async def test_erasing_the_pupil_empties_the_question_and_the_advice(world: World) -> None:
    from sqlalchemy import select

    from db.models.forum import ForumAdvice, ForumBooking
    from domain.erasure import erase

    forum = await a_forum(world, date(2024, 10, 10), deadline=date(2024, 10, 9))
    booking_id = await booked(world, forum.id, await forum_case(world))
    world.clock.advance(timedelta(days=3))
    await advice.record_advice(
        world.db, world.as_("psenco"), booking_id, "Advice", [], NextStep.NO_FURTHER_ACTION, clock=world.clock
    )
    async with world.db.session() as session:
        await erase(session, world.pupils["Jack Smith"], world.clock.now())
    async with world.db.session() as session:
        assert await session.scalar(select(ForumBooking.question)) is None
        assert await session.scalar(select(ForumAdvice.advice)) is None


async def test_a_meeting_moved_after_its_agenda_went_out_gets_a_new_agenda(world: World) -> None:
    forum = await a_forum(world, NOV_7)
    await booked(world, forum.id, await forum_case(world))
    scheduler = Scheduler(world.db, world.clock, jobs())
    await scheduler.run_due()
    world.clock._now = datetime(2024, 11, 4, 8, 0, tzinfo=UTC)  # three days before, 08:00 GMT
    await scheduler.run_due()
    leads = sorted(world.people[p].id for p in ("psenco", "director"))
    first = await notices_of(world, "forum.agenda")
    assert sorted(person for person, _ in first) == leads
    nov_14 = date(2024, 11, 14)
    await meetings.move_meeting(
        world.db, world.as_("psenco"), forum.id, nov_14, time(9, 30), time(11, 30), clock=world.clock
    )
    world.clock._now = datetime(2024, 11, 11, 8, 0, tzinfo=UTC)  # three days before the new date
    await scheduler.run_due()
    agendas = await notices_of(world, "forum.agenda")
    assert len(agendas) == 4
    again = agendas[2:]
    assert sorted(person for person, _ in again) == leads
    assert {payload["starts_at"] for _, payload in again} == {"2024-11-14T09:30:00+00:00"}


async def test_a_core_group_moved_after_its_agenda_takes_its_referrals_and_tells_them_again(world: World) -> None:
    core = await a_forum(world, NOV_7, kind=MeetingKind.CORE_GROUP)
    await casework.record_forum_discussion(
        world.db, world.as_("psenco"), world.pupils["Jack Smith"], date(2024, 9, 20), clock=world.clock
    )
    referral_id = await ready_draft(world, consent_date="2024-09-20", interventions=case_values()["interventions"])
    await referrals.submit(world.db, world.as_("senco"), referral_id, clock=world.clock)
    await casework.receive(world.db, world.as_("psenco"), referral_id, clock=world.clock)
    with pytest.raises(referrals.ReferralError, match="no Core Group meeting on that date"):
        await casework.list_for_core_group(
            world.db, world.as_("psenco"), referral_id, NOV_7 - timedelta(days=1), clock=world.clock
        )
    await casework.list_for_core_group(world.db, world.as_("psenco"), referral_id, NOV_7, clock=world.clock)
    scheduler = Scheduler(world.db, world.clock, jobs())
    await scheduler.run_due()
    world.clock._now = datetime(2024, 11, 4, 8, 0, tzinfo=UTC)  # three days before, 08:00 GMT
    await scheduler.run_due()
    assert len(await notices_of(world, "forum.core_group_slot")) == 1
    nov_14 = date(2024, 11, 14)
    await meetings.move_meeting(
        world.db, world.as_("director"), core.id, nov_14, time(13, 30), time(15, 30), clock=world.clock
    )
    [(person, told)] = await notices_of(world, "forum.core_group_moved")
    assert (person, told["referral_id"], told["starts_at"]) == (
        world.people["senco"].id,
        referral_id,
        "2024-11-14T13:30:00+00:00",
    )
    agenda = await queries.agenda(world.db, world.as_("director"), core.id)
    assert [c.referral_id for c in agenda.cases] == [referral_id]  # listed for the new day
    world.clock._now = datetime(2024, 11, 11, 8, 0, tzinfo=UTC)  # three days before the new day
    await scheduler.run_due()
    slots = await notices_of(world, "forum.core_group_slot")
    assert [(p, payload["starts_at"]) for p, payload in slots] == [
        (world.people["senco"].id, "2024-11-07T09:30:00+00:00"),
        (world.people["senco"].id, "2024-11-14T13:30:00+00:00"),
    ]
