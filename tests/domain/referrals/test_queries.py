"""Who sees which referrals, the queue's order, drafts, and pupils matched by typed name."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.access import NotAllowed
from domain.referrals import casework, queries, service
from domain.referrals.model import ReferralKind, ReferralStatus
from tests.domain.referrals.conftest import World
from tests.domain.referrals.helpers import audited, on_forum, ready_draft, submitted


async def test_each_person_sees_what_the_policy_allows(world: World) -> None:
    by_senco = await submitted(world)
    world.clock.advance(timedelta(minutes=5))
    await on_forum(world, "Oliver Brown")
    hoy_draft = await ready_draft(world, "Oliver Brown", who="hoy")
    by_hoy = (await service.submit(world.db, world.as_("hoy"), hoy_draft, clock=world.clock)).id

    async def ids(who: str) -> set[int]:
        return {line.id for line in await queries.my_referrals(world.db, world.as_(who), clock=world.clock)}

    assert await ids("senco") == {by_senco, by_hoy}
    assert await ids("dsl") == {by_senco, by_hoy}
    assert await ids("hoy") == {by_hoy}
    assert await ids("psenco") == {by_senco, by_hoy}
    assert await ids("senco_b") == set()
    with pytest.raises(NotAllowed):
        await queries.my_referrals(world.db, world.as_("teacher"), clock=world.clock)
    views = [e for e in await audited(world, "viewed") if e.record_id == "mine"]
    assert views[0].detail["referral_ids"] == [by_hoy, by_senco]  # newest change first


async def test_the_queue_is_open_referrals_oldest_first(world: World) -> None:
    first = await submitted(world)
    world.clock.advance(timedelta(days=1))
    second = await submitted(world, "Oliver Brown")
    world.clock.advance(timedelta(days=1))
    await casework.receive(world.db, world.as_("psenco"), first, clock=world.clock)  # now newest in its state
    third = await submitted(world, "Jacqueline Smyth")
    await casework.withdraw(world.db, world.as_("senco"), third, clock=world.clock)
    queue = await queries.queue(world.db, world.as_("coordinator"), clock=world.clock)
    assert [(line.id, line.status) for line in queue.referrals] == [
        (second, ReferralStatus.SUBMITTED),
        (first, ReferralStatus.RECEIVED),
    ]
    assert queue.tasks == []
    with pytest.raises(NotAllowed):
        await queries.queue(world.db, world.as_("senco"), clock=world.clock)


async def test_the_queue_is_grouped_by_state_in_the_order_of_the_lifecycle(world: World) -> None:
    received = await submitted(world)
    await casework.receive(world.db, world.as_("psenco"), received, clock=world.clock)
    world.clock.advance(timedelta(days=1))
    newer = await submitted(world, "Oliver Brown")  # waiting less long than `received`, an earlier state
    queue = await queries.queue(world.db, world.as_("psenco"), clock=world.clock)
    assert [(line.id, line.status) for line in queue.referrals] == [
        (newer, ReferralStatus.SUBMITTED),
        (received, ReferralStatus.RECEIVED),
    ]


async def test_drafts_are_their_authors(world: World) -> None:
    mine = await ready_draft(world)
    await ready_draft(world, who="hoy")
    drafts = await queries.drafts_of(world.db, world.as_("senco"), clock=world.clock)
    assert [(d.id, d.kind) for d in drafts] == [(mine, ReferralKind.PARTNERSHIP_REFERRAL)]


async def test_pupils_matched_by_typed_name_only_from_the_own_roll(world: World) -> None:
    found = await queries.match_pupils(world.db, world.as_("senco"), "Jak Smtih", clock=world.clock)
    assert found and found[0].pupil_id == world.pupils["Jack Smith"] and found[0].year_group == 9
    assert world.pupils["Jack Smithson"] not in {m.pupil_id for m in found}  # school B's pupil
    other = await queries.match_pupils(world.db, world.as_("senco_b"), "Jack Smith", clock=world.clock)
    assert [m.pupil_id for m in other] == [world.pupils["Jack Smithson"]]
    assert await queries.match_pupils(world.db, world.as_("senco"), "zzzz", clock=world.clock) == []
    with pytest.raises(NotAllowed):
        await queries.match_pupils(world.db, world.as_("teacher"), "Jack", clock=world.clock)
