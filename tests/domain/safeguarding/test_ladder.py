"""The ladder on the manual clock: rung 1 (the DSL) at once, every deputy after the wait, then
the headteacher and the Director with the reporter told to phone; an acknowledgement at any
rung stops it; a rung nobody can be reached on moves on at once, saying why."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.clock import ManualClock
from db.engine import Database
from domain.notifier import Notifier, SendResult
from domain.safeguarding import service
from domain.safeguarding.jobs import follow_deliveries
from domain.safeguarding.model import EntryKind, Status, Subject
from domain.safeguarding.queries import chronology, get_concern
from tests.domain.safeguarding.conftest import LADDERS, WAIT, World, build_world
from tests.fixtures.outbox import FakeSender, Message


async def raise_one(world: World, **changes: object) -> int:
    reporter = await world.requester("reporter")
    concern = await service.raise_concern(world.database, reporter, world.report(**changes), world.clock, LADDERS)
    return concern.id


async def entries(world: World, concern_id: int) -> list[tuple[str, str | None, int | None, str | None]]:
    names = {v: k for k, v in world.people.items()}
    async with world.database.session() as session:
        found = await chronology(session, concern_id)
    return [(e.kind.value, names.get(e.person_id or 0), e.rung, e.reason) for e in found]


async def test_the_full_ladder_to_its_last_rung(world: World, clock: ManualClock) -> None:
    concern_id = await raise_one(world, child_at_risk=True)
    scheduler = world.scheduler()
    assert await world.alerted() == [("dsl", 1)]
    clock.advance(WAIT - timedelta(seconds=1))
    await scheduler.run_due()
    assert await world.alerted() == [("dsl", 1)]  # not before the wait
    clock.advance(timedelta(seconds=1))
    await scheduler.run_due()
    assert await world.alerted() == [("dsl", 1), ("deputy", 2)]
    clock.advance(WAIT)
    await scheduler.run_due()
    assert await world.alerted() == [("dsl", 1), ("deputy", 2), ("head", 3), ("director", 3)]
    clock.advance(WAIT * 6)
    await scheduler.run_due()
    assert len(await world.alerted()) == 4  # the last rung: nothing more
    status = await world.notices("safeguarding.status")
    assert [key.split("|")[1] for _, _, key, _ in status] == [
        f"concern:{concern_id}:reporter:rung:2",
        f"concern:{concern_id}:reporter:rung:3",
    ]
    async with world.database.session() as session:
        concern = await get_concern(session, concern_id)
        assert concern is not None and (concern.status, concern.rung) == (Status.RAISED, 3)
    timeline = await entries(world, concern_id)
    assert ("escalated", None, 2, "not_acknowledged") in timeline
    assert ("escalated", None, 3, "not_acknowledged") in timeline
    assert ("notified", "reporter", 3, "phone_school") in timeline
    report = await service.status(world.database, await world.requester("reporter"), concern_id, clock)
    assert [(a.name, a.rung) for a in report.alerts] == [
        ("Dsl Person", 1),
        ("Deputy Person", 2),
        ("Head Person", 3),
        ("Director Person", 3),
    ]
    assert [(e.rung, e.reason) for e in report.escalations] == [(2, "not_acknowledged"), (3, "not_acknowledged")]


@pytest.mark.parametrize(("rung", "who"), [(1, "dsl"), (2, "deputy"), (3, "head"), (3, "director")])
async def test_an_acknowledgement_at_any_rung_stops_the_ladder(
    world: World, clock: ManualClock, rung: int, who: str
) -> None:
    concern_id = await raise_one(world)
    scheduler = world.scheduler()
    for _ in range(rung - 1):
        clock.advance(WAIT)
        await scheduler.run_due()
    done = await service.acknowledge(world.database, await world.requester(who), concern_id, clock, LADDERS)
    assert (done.by, done.already) == (world.people[who], False)
    before = await world.alerted()
    assert before[-1][1] == rung
    clock.advance(WAIT * 5)
    await scheduler.run_due()
    assert await world.alerted() == before
    updated = await world.notices("safeguarding.acknowledged")
    assert sorted(name for _, name, _, _ in updated) == sorted(name for name, _ in before)
    reporter_told = await world.notices("safeguarding.status")
    assert reporter_told[-1][2].endswith(f"concern:{concern_id}:reporter:acknowledged")
    again = await service.acknowledge(world.database, await world.requester("dsl"), concern_id, clock, LADDERS)
    assert (again.by, again.at, again.already, again.by_name) == (done.by, done.at, True, done.by_name)


async def test_a_dsl_with_no_teams_chat_moves_the_ladder_on_at_once(database: Database, clock: ManualClock) -> None:
    world = await build_world(database, clock, unreachable=("dsl",))
    concern_id = await raise_one(world)
    assert await world.alerted() == [("dsl", 1), ("deputy", 2)]
    timeline = await entries(world, concern_id)
    assert ("undeliverable", "dsl", 1, "no_conversation") in timeline
    assert ("escalated", None, 2, "unreachable") in timeline
    clock.advance(WAIT)
    await world.scheduler().run_due()
    assert [rung for _, rung in await world.alerted()] == [1, 2, 3, 3]


async def test_a_403_mid_ladder_moves_it_on_without_waiting(world: World, clock: ManualClock, sleep: object) -> None:
    concern_id = await raise_one(world)
    clock.advance(WAIT)
    await world.scheduler().run_due()  # rung 2: the deputy
    sender = FakeSender(clock, script=[SendResult(201), SendResult(403), SendResult(201)])

    async def render(notice: object) -> Message:
        return Message({}, "Urgent safeguarding concern: please open")

    notifier = Notifier(world.database, sender, clock, sleep, render=render)  # type: ignore[arg-type]
    await notifier.run_due()  # the DSL's alert, the deputy's (403), the reporter's status
    assert await follow_deliveries(world.database, clock, LADDERS) == 1
    assert [rung for _, rung in await world.alerted()] == [1, 2, 3, 3]
    timeline = await entries(world, concern_id)
    assert ("delivered", "dsl", 1, None) in timeline
    assert ("undeliverable", "deputy", 2, "http_403") in timeline
    assert ("escalated", None, 3, "unreachable") in timeline
    assert await follow_deliveries(world.database, clock, LADDERS) == 0  # recorded once
    assert len(await entries(world, concern_id)) == len(timeline)


async def test_a_concern_about_an_adult_goes_to_the_headteacher(world: World, clock: ManualClock) -> None:
    concern_id = await raise_one(world, subject=Subject.ADULT, pupil_id=None, school_id=world.school)
    assert await world.alerted() == [("head", 1)]
    dsl = await world.requester("dsl")
    with pytest.raises(service.NotAllowed):
        await service.view(world.database, dsl, concern_id, clock)
    clock.advance(WAIT)
    await world.scheduler().run_due()
    assert await world.alerted() == [("head", 1), ("director", 2)]
    done = await service.acknowledge(world.database, await world.requester("director"), concern_id, clock, LADDERS)
    assert done.by == world.people["director"]


async def test_a_concern_about_the_headteacher_goes_to_the_director(world: World, clock: ManualClock) -> None:
    concern_id = await raise_one(world, subject=Subject.HEADTEACHER, pupil_id=None, school_id=world.school)
    assert await world.alerted() == [("director", 1)]
    for who in ("head", "dsl"):
        with pytest.raises(service.NotAllowed):
            await service.acknowledge(world.database, await world.requester(who), concern_id, clock, LADDERS)
    clock.advance(WAIT)
    await world.scheduler().run_due()
    assert await world.alerted() == [("director", 1)]  # rung 2 alerts nobody new ...
    assert ("notified", "reporter", 2, "contact_lado") in await entries(world, concern_id)  # ... the reporter is told


async def test_the_director_may_not_acknowledge_before_the_ladder_reaches_them(
    world: World, clock: ManualClock
) -> None:
    concern_id = await raise_one(world)
    with pytest.raises(service.NotAllowed):
        await service.acknowledge(world.database, await world.requester("director"), concern_id, clock, LADDERS)
    assert any(kind == EntryKind.RAISED.value for kind, *_ in await entries(world, concern_id))


async def test_the_reporter_is_told_once_a_rung_is_delivered(world: World, clock: ManualClock, sleep: object) -> None:
    concern_id = await raise_one(world)

    async def render(notice: object) -> Message:
        return Message({}, "a card")

    notifier = Notifier(world.database, FakeSender(clock), clock, sleep, render=render)  # type: ignore[arg-type]
    await notifier.run_due()  # the DSL's alert goes out
    assert await follow_deliveries(world.database, clock, LADDERS) == 0
    status = await world.notices("safeguarding.status")
    assert [(to, key.split("|")[1]) for _, to, key, _ in status] == [
        ("reporter", f"concern:{concern_id}:reporter:delivered:1")
    ]
    assert ("notified", "reporter", 1, "delivered") in await entries(world, concern_id)
    await notifier.run_due()
    await follow_deliveries(world.database, clock, LADDERS)  # the reporter's own card: told once only
    assert len(await world.notices("safeguarding.status")) == 1


async def test_the_delivery_follower_runs_every_five_seconds() -> None:
    from domain.safeguarding.jobs import delivery_job
    from domain.scheduler import Every

    assert delivery_job(LADDERS).schedule == Every(timedelta(seconds=5))
