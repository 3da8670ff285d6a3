"""A concern's alerts over HTTP through the real app, on the manual clock, on SQLite and
PostgreSQL, when delivery goes wrong: Teams answers 429 with `Retry-After`; the process dies
after the concern is committed and before the notifier sends (the alert not yet claimed), and
while its post is in flight (sent again once, marked "maybe_twice" in the concern's chronology);
two instances share one PostgreSQL database."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from core.clock import ManualClock
from db.engine import Database
from db.models.proactive import DeliveryAttempt, Notification
from db.models.safeguarding import SafeguardingEntry
from db.models.scheduler import ScheduledRun
from domain import outbox
from domain.outbox import ClaimedNotification
from domain.safeguarding.model import EntryKind
from tests.bot.safeguarding.conftest import World, running_world, seed_world
from tests.bot.safeguarding.test_ladder_e2e import concern_row
from tests.fixtures.connector import ConnectorStandIn

LEASE = timedelta(minutes=1)  # the notifier's claim when the app does not set one


async def chronology(world: World, concern_id: int) -> list[SafeguardingEntry]:
    async with world.database.session() as session:
        query = select(SafeguardingEntry).where(SafeguardingEntry.concern_id == concern_id)
        return list((await session.scalars(query.order_by(SafeguardingEntry.id))).all())


async def alert_row(world: World, person: str, *, settled: bool = True) -> Notification:
    """The alert to `person`; once `settled`: the app's own sender loop (on real time) may be
    finishing a send the test's pass found claimed, so it waits for that, up to a deadline."""
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        async with world.database.session() as session:
            row = await session.scalar(
                select(Notification).where(
                    Notification.kind == "safeguarding.alert", Notification.person_id == world.people[person]
                )
            )
        assert row is not None
        if not settled or row.status != "sending" or asyncio.get_running_loop().time() > deadline:
            return row
        await asyncio.sleep(0.05)  # polling the database until the other loop's write lands


async def test_a_429_with_retry_after_then_200_delivers_the_card_once_after_the_wait(world: World) -> None:
    await world.hello("dsl")
    world.connector.failures_in["a:chat-dsl"] = [(429, {"Retry-After": "30"})]
    await world.report()
    await world.tick()
    assert world.connector.refused == [("a:chat-dsl", 429)]
    [alert] = world.alerts_to("dsl")
    row = await alert_row(world, "dsl")
    async with world.database.session() as session:
        attempts = list(
            (await session.scalars(select(DeliveryAttempt).where(DeliveryAttempt.notification_id == row.id))).all()
        )
    assert [a.status_code for a in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= timedelta(seconds=30)  # Retry-After was waited out
    assert row.activity_id == alert.id
    concern = await concern_row(world)
    delivered = [
        e
        for e in await chronology(world, concern.id)
        if e.kind == EntryKind.DELIVERED and e.person_id != concern.reporter_id
    ]
    assert [(e.person_id, e.notification_id) for e in delivered] == [(world.people["dsl"], row.id)]


async def test_a_crash_after_the_concern_is_committed_and_before_the_send_sends_it_once_after_restart(
    database: Database, tmp_path: Path, connector: ConnectorStandIn, clock: ManualClock
) -> None:
    seeded = await seed_world(database)
    async with running_world(database, tmp_path / "first", connector, clock, seeded) as first:
        await first.hello("dsl")
        first.notifier.run_due = nothing_sent  # type: ignore[method-assign]  # it dies before sending
        await first.report()
        concern = await concern_row(first)
        assert first.alerts_to("dsl") == []
    async with running_world(database, tmp_path / "second", connector, clock, seeded) as second:
        await second.deliver()
        await second.tick()
        await second.until(lambda: len(second.alerts_to("dsl")) > 0)  # its own sender loop may hold it
        assert len(second.alerts_to("dsl")) == 1
        row = await alert_row(second, "dsl")
        assert (row.status, row.attempts, row.activity_id) == ("sent", 1, second.alerts_to("dsl")[0].id)
        await second.tick()  # the delivery follower records it
        alerts = [e for e in await chronology(second, concern.id) if e.person_id != concern.reporter_id]
        assert [e.kind for e in alerts].count(EntryKind.DELIVERED) == 1  # the alert's (the reporter's status aside)


async def test_a_crash_mid_post_sends_the_alert_again_once_when_the_claim_runs_out_and_says_maybe_twice(
    database: Database, tmp_path: Path, connector: ConnectorStandIn, clock: ManualClock
) -> None:
    seeded = await seed_world(database)
    reached, crash = asyncio.Event(), asyncio.Event()

    async def dies_mid_send(job: ClaimedNotification, _rendered: object = None) -> bool:
        assert await outbox.mark_posting(database, job, clock.now())  # the post is leaving...
        reached.set()
        await crash.wait()  # ... and the process is gone: nothing after that is recorded
        return False

    async with running_world(database, tmp_path / "first", connector, clock, seeded) as first:
        await first.hello("dsl")
        first.notifier._deliver = dies_mid_send  # type: ignore[method-assign]
        await first.report()
        sending = asyncio.create_task(first.notifier.run_due())
        await asyncio.wait_for(reached.wait(), 10)
        assert (await alert_row(first, "dsl", settled=False)).status == "sending"
        crash.set()
        await sending
    async with running_world(database, tmp_path / "second", connector, clock, seeded) as second:
        await second.send_what_is_due()
        assert second.alerts_to("dsl") == []  # still claimed by the dead process
        clock.advance(LEASE)
        await second.send_what_is_due()
        await second.send_what_is_due()
        assert len(second.alerts_to("dsl")) == 1
        row = await alert_row(second, "dsl")
        assert (row.status, row.last_error) == ("sent", "maybe_twice")  # Teams may show it twice
        await second.tick()
        concern = await concern_row(second)
        delivered = [
            e
            for e in await chronology(second, concern.id)
            if e.kind == EntryKind.DELIVERED and e.person_id != concern.reporter_id  # not the reporter's status
        ]
        assert [(e.person_id, e.reason) for e in delivered] == [(second.people["dsl"], "maybe_twice")]


async def nothing_sent(max_batch: int = 20) -> int:
    return 0


@pytest.mark.postgres
async def test_two_instances_on_one_postgresql_database_send_each_alert_once_and_run_each_rung_once(
    postgres_database: Database, tmp_path: Path, connector: ConnectorStandIn, clock: ManualClock
) -> None:
    seeded = await seed_world(postgres_database)
    async with (
        running_world(postgres_database, tmp_path / "a", connector, clock, seeded) as a,
        running_world(postgres_database, tmp_path / "b", connector, clock, seeded) as b,
    ):
        await a.hello("dsl", "deputy")
        b.chats = a.chats
        await b.hello("head", "director")
        for world in (a, b, a, b):
            await world.report()
        for minutes in (0, 10, 10, 10):
            clock.advance(timedelta(minutes=minutes))
            for _ in range(2):
                await asyncio.gather(
                    a.send_what_is_due(), b.send_what_is_due(), a.scheduler.run_due(), b.scheduler.run_due()
                )
        await asyncio.gather(a.send_what_is_due(), b.send_what_is_due())
        cards = Counter(
            (s.conversation_id, s.cards[0]["actions"][0]["data"]["id"])
            for s in connector.sent
            if not s.is_update and s.activity.get("summary") == "Urgent safeguarding concern: please open"
        )
        async with postgres_database.session() as session:
            escalated = Counter(
                (e.concern_id, e.rung)
                for e in (
                    await session.scalars(select(SafeguardingEntry).where(SafeguardingEntry.kind == "escalated"))
                ).all()
            )
            runs = list((await session.scalars(select(ScheduledRun))).all())
    concerns = sorted({concern for _, concern in cards})
    assert len(concerns) == 4
    expected = {(f"a:chat-{name}", c) for c in concerns for name in ("dsl", "deputy", "head", "director")}
    assert set(cards) == expected and set(cards.values()) == {1}, cards
    assert escalated == {(c, rung): 1 for c in concerns for rung in (2, 3)}
    assert sorted((r.status, r.attempts) for r in runs) == [("done", 1)] * 8
