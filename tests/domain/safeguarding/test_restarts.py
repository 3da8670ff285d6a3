"""Never lost, never doubled: a rung run twice (a restart between its due time and its run, the
one-off run again, two instances at once) queues its alerts once; a crash between queueing and
sending loses nothing."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from core.clock import ManualClock
from db.engine import Database
from db.models.safeguarding import SafeguardingEntry
from domain.notices import Notice
from domain.notifier import Notifier
from domain.safeguarding import service
from domain.safeguarding.jobs import escalation_job
from domain.safeguarding.model import rung_key
from domain.scheduler import JobContext
from tests.domain.safeguarding.conftest import LADDERS, WAIT, World
from tests.fixtures.fakes import FakeSleep
from tests.fixtures.outbox import FakeSender, Message


async def raise_one(world: World) -> int:
    reporter = await world.requester("reporter")
    return (await service.raise_concern(world.database, reporter, world.report(), world.clock, LADDERS)).id


async def escalations(database: Database) -> int:
    async with database.session() as session:
        query = select(func.count()).select_from(SafeguardingEntry).where(SafeguardingEntry.kind == "escalated")
        return int(await session.scalar(query) or 0)


async def test_a_restart_between_due_time_and_run_runs_the_rung_once(world: World, clock: ManualClock) -> None:
    concern_id = await raise_one(world)
    clock.advance(WAIT + timedelta(minutes=3))  # the process was down at the due time
    restarted = Database(world.database.url)
    try:
        await world.scheduler(restarted).run_due()
        await world.scheduler(restarted).run_due()
    finally:
        await restarted.dispose()
    assert await world.alerted() == [("dsl", 1), ("deputy", 2)]
    # The one-off run again (its instance died before recording it done): nothing new.
    job = escalation_job(LADDERS)
    context = JobContext(
        world.database, clock, job.name, clock.now(), rung_key(concern_id, 2), {"concern_id": concern_id, "rung": 2}
    )
    await job.run(context)
    await job.run(context)
    assert await world.alerted() == [("dsl", 1), ("deputy", 2)]
    assert await escalations(world.database) == 1


async def test_two_instances_run_each_rung_once(world: World, clock: ManualClock) -> None:
    concerns = [await raise_one(world) for _ in range(5)]
    other = Database(world.database.url)
    try:
        for _ in range(3):
            clock.advance(WAIT)
            await asyncio.gather(world.scheduler().run_due(), world.scheduler(other).run_due())
    finally:
        await other.dispose()
    alerted = await world.alerted()
    assert [rung for _, rung in alerted].count(2) == len(concerns)
    assert [rung for _, rung in alerted].count(3) == 2 * len(concerns)
    assert await escalations(world.database) == 2 * len(concerns)


async def test_the_same_rung_run_by_two_instances_at_once_is_reached_once(world: World, clock: ManualClock) -> None:
    concern_id = await raise_one(world)
    clock.advance(WAIT)
    job = escalation_job(LADDERS)
    other = Database(world.database.url)
    try:
        payload = {"concern_id": concern_id, "rung": 2}
        runs = [
            JobContext(db, clock, job.name, clock.now(), rung_key(concern_id, 2), payload)
            for db in (world.database, other)
        ]
        await asyncio.gather(*(job.run(context) for context in runs))
    finally:
        await other.dispose()
    assert await world.alerted() == [("dsl", 1), ("deputy", 2)]
    assert await escalations(world.database) == 1


async def test_a_crash_between_queueing_and_sending_loses_nothing(
    world: World, clock: ManualClock, sleep: FakeSleep
) -> None:
    concern_id = await raise_one(world)
    url = world.database.url
    await world.database.dispose()  # the process dies before the notifier sends anything
    restarted = Database(url)
    try:
        sender = FakeSender(clock)
        rendered: list[Notice] = []

        async def render(notice: Notice) -> Message:
            rendered.append(notice)
            return Message({}, "Urgent safeguarding concern: please open")

        await Notifier(restarted, sender, clock, sleep, render=render).run_due()
        assert [(n.kind, n.payload["concern_id"], n.alert) for n in rendered] == [
            ("safeguarding.alert", concern_id, True)
        ]
        assert len(sender.posted) == 1 and sender.posted[0].text == "Urgent safeguarding concern: please open"
        assert await Notifier(restarted, sender, clock, sleep, render=render).run_due() == 0  # sent once
    finally:
        await restarted.dispose()
