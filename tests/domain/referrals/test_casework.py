"""The Partnership's side: received to decided and closed, with every notice it sends; places
against the offer's 9 KS3 and 26 KS4, and the waiting list; who may do what."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from db.models.referrals import ProgrammePlace, ReferralStatusChange
from domain.access import NotAllowed
from domain.referrals import casework, queries, store
from domain.referrals.model import Outcome, PlaceState, Referral, ReferralKind, ReferralStatus
from domain.referrals.service import ReferralError
from tests.domain.referrals.conftest import PROGRAMME, World
from tests.domain.referrals.helpers import audited, queued, submitted

S = ReferralStatus
CORE_GROUP = date(2026, 1, 21)


async def test_from_received_to_closed_with_every_notice(world: World) -> None:
    referral_id = await submitted(world)
    psenco, director, coordinator = world.as_("psenco"), world.as_("director"), world.as_("coordinator")
    senco_id, psenco_id = world.people["senco"].id, world.people["psenco"].id
    before = len(await queued(world))
    clock = world.clock

    await casework.receive(world.db, psenco, referral_id, clock=clock)
    clock.advance(timedelta(hours=1))
    await casework.request_information(world.db, psenco, referral_id, "Please send the EP report.", clock=clock)
    clock.advance(timedelta(hours=1))
    await casework.give_information(world.db, world.as_("senco"), referral_id, "Attached to the MIS.", clock=clock)
    await casework.list_for_core_group(world.db, coordinator, referral_id, CORE_GROUP, clock=clock)
    decision = await casework.decide(world.db, director, referral_id, Outcome.IN_SCHOOL_SUPPORT, clock=clock)
    assert decision.referral.status is S.DECIDED and decision.place is None
    closed = await casework.complete_task(world.db, coordinator, decision.task_id, clock=clock)
    assert closed.status is S.CLOSED

    sent = [(kind, person, payload.get("to_status")) for kind, person, payload in (await queued(world))[before:]]
    assert sent == [
        ("referrals.status_changed", senco_id, "received"),
        ("referrals.status_changed", senco_id, "information_requested"),
        ("referrals.status_changed", psenco_id, "information_given"),  # whoever asked hears the answer
        ("referrals.status_changed", senco_id, "listed_for_core_group"),
        ("referrals.status_changed", senco_id, "decided"),
        ("referrals.decided", senco_id, None),
        ("referrals.task", world.people["coordinator"].id, None),
        ("referrals.status_changed", senco_id, "closed"),
    ]
    listed = [p for k, _, p in await queued(world) if p.get("to_status") == "listed_for_core_group"][0]
    assert listed["core_group_on"] == "2026-01-21"
    async with world.db.session() as session:
        history = list(await session.scalars(select(ReferralStatusChange).order_by(ReferralStatusChange.id)))
    assert [(h.from_status, h.to_status) for h in history] == [
        ("draft", "submitted"),
        ("submitted", "received"),
        ("received", "information_requested"),
        ("information_requested", "information_given"),
        ("information_given", "listed_for_core_group"),
        ("listed_for_core_group", "decided"),
        ("decided", "closed"),
    ]
    assert history[2].at < history[3].at
    decided = [e for e in await audited(world, "decided")]
    assert decided[-1].detail["outcome"] == "in_school_support"


async def test_an_illegal_move_is_refused_in_plain_words(world: World) -> None:
    referral_id = await submitted(world)
    with pytest.raises(ReferralError, match="This referral is submitted, so it can't be decided now."):
        await casework.decide(world.db, world.as_("director"), referral_id, Outcome.MANAGED_MOVE, clock=world.clock)
    with pytest.raises(ReferralError, match="no question waiting"):
        await casework.give_information(world.db, world.as_("senco"), referral_id, "Here", clock=world.clock)
    with pytest.raises(ReferralError, match="past"):
        await casework.list_for_core_group(
            world.db, world.as_("psenco"), referral_id, date(2025, 12, 1), clock=world.clock
        )


async def test_withdrawn_by_the_school_from_an_open_state(world: World) -> None:
    referral_id = await submitted(world)
    await casework.receive(world.db, world.as_("psenco"), referral_id, clock=world.clock)
    withdrawn = await casework.withdraw(world.db, world.as_("senco"), referral_id, clock=world.clock)
    assert withdrawn.status is S.WITHDRAWN
    with pytest.raises(ReferralError):
        await casework.withdraw(world.db, world.as_("senco"), referral_id, clock=world.clock)


async def test_the_school_and_the_coordinator_cannot_do_the_partnerships_part(world: World) -> None:
    referral_id = await submitted(world)
    with pytest.raises(NotAllowed):
        await casework.receive(world.db, world.as_("senco"), referral_id, clock=world.clock)
    with pytest.raises(NotAllowed):
        await casework.withdraw(world.db, world.as_("senco_b"), referral_id, clock=world.clock)
    await casework.receive(world.db, world.as_("psenco"), referral_id, clock=world.clock)
    await casework.list_for_core_group(world.db, world.as_("psenco"), referral_id, CORE_GROUP, clock=world.clock)
    with pytest.raises(NotAllowed):
        await casework.decide(world.db, world.as_("coordinator"), referral_id, Outcome.FRESH_START, clock=world.clock)
    refused = [e.detail["kind"] for e in await audited(world, "refused")]
    assert refused == ["progress_referral", "withdraw_referral", "decide_referral"]


async def _fill_places(world: World, key_stage: int, count: int) -> None:
    """`count` programme places already taken at a key stage (earlier decisions)."""
    now = world.clock.now()
    async with world.db.session() as session:
        for _ in range(count):
            senco = world.people["senco"].id
            base = Referral(0, ReferralKind.PARTNERSHIP_REFERRAL, S.DECIDED, world.school_a, senco, now, now)
            referral = await store.add(session, base)
            session.add(ProgrammePlace(referral_id=referral.id, key_stage=key_stage, state="placed", since=now))


async def _listed(world: World, pupil: str, **changes: object) -> int:
    referral_id = await submitted(world, pupil, **changes)
    await casework.receive(world.db, world.as_("psenco"), referral_id, clock=world.clock)
    await casework.list_for_core_group(world.db, world.as_("psenco"), referral_id, CORE_GROUP, clock=world.clock)
    return referral_id


async def test_the_27th_ks4_place_goes_to_the_waiting_list(world: World) -> None:
    await _fill_places(world, 4, 25)
    director = world.as_("director")
    twenty_sixth = await _listed(world, "Oliver Brown", **PROGRAMME)
    twenty_seventh = await _listed(world, "Jacqueline Smyth", **PROGRAMME)
    placed = await casework.decide(world.db, director, twenty_sixth, Outcome.PART_TIME_PROGRAMME, clock=world.clock)
    waiting = await casework.decide(world.db, director, twenty_seventh, Outcome.FULL_TIME_PROGRAMME, clock=world.clock)
    assert (placed.place, waiting.place) == (PlaceState.PLACED, PlaceState.WAITING)
    told = [p for k, person, p in await queued(world) if k == "referrals.decided"]
    assert [p["place"] for p in told] == ["placed", "waiting"]
    ks3, ks4 = await queries.capacity(world.db, director, clock=world.clock)
    assert (ks3.places, ks3.used, ks3.waiting) == (9, 0, 0)
    assert (ks4.places, ks4.used, ks4.waiting, ks4.free) == (26, 26, 1, 0)


async def test_a_ks3_programme_counts_against_the_ks3_places(world: World) -> None:
    await _fill_places(world, 3, 9)
    changes = {**PROGRAMME, "requested_support": "ks3_out_of_school"}
    referral_id = await _listed(world, "Jack Smith", **changes)
    decision = await casework.decide(
        world.db, world.as_("psenco"), referral_id, Outcome.FULL_TIME_PROGRAMME, clock=world.clock
    )
    assert decision.place is PlaceState.WAITING


async def test_an_ended_placement_frees_its_place_for_the_first_on_the_waiting_list(world: World) -> None:
    await _fill_places(world, 4, 25)
    director = world.as_("director")
    placed = await _listed(world, "Oliver Brown", **PROGRAMME)
    waiting = await _listed(world, "Jacqueline Smyth", **PROGRAMME)
    for referral_id in (placed, waiting):
        await casework.decide(world.db, director, referral_id, Outcome.PART_TIME_PROGRAMME, clock=world.clock)
    with pytest.raises(NotAllowed):  # the school does not end the Partnership's placements
        await casework.end_placement(world.db, world.as_("senco"), placed, clock=world.clock)

    ended = await casework.end_placement(world.db, director, placed, clock=world.clock)
    assert ended.was is PlaceState.PLACED and ended.given_to is not None and ended.given_to.id == waiting
    ks4 = (await queries.capacity(world.db, director, clock=world.clock))[1]
    assert (ks4.used, ks4.waiting, ks4.free) == (26, 0, 0)
    given = [(person, p["key_stage"]) for k, person, p in await queued(world) if k == "referrals.place_given"]
    assert given == [(world.people["senco"].id, 4)]  # the referrer, who is the school's SENCO: once
    assert [e.detail["decision"] for e in await audited(world, "changed")][-2:] == ["placed_ended", "place_given"]
    with pytest.raises(ReferralError):
        await casework.end_placement(world.db, director, placed, clock=world.clock)

    off_the_list = await casework.end_placement(world.db, director, waiting, clock=world.clock)
    assert (off_the_list.was, off_the_list.given_to) == (PlaceState.PLACED, None)
    ks4 = (await queries.capacity(world.db, director, clock=world.clock))[1]
    assert (ks4.used, ks4.waiting, ks4.free) == (25, 0, 1)
