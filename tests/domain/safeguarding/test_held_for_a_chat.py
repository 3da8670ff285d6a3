"""Whoever could not be reached in Teams when a concern's notice went (no chat yet, or the chat
gone: 403, 404) gets what is still wanted once they open the bot again: the DSL an alert while
the concern is open, the reporter the acknowledgement (not the escalations it made moot)."""

from __future__ import annotations

from core.clock import ManualClock
from db.engine import Database
from domain.conversations import remember
from domain.notifier import Notifier, SendResult
from domain.outbox import NotificationStatus
from domain.safeguarding import service
from tests.domain.safeguarding.conftest import LADDERS, WAIT, World, build_world
from tests.fixtures.conversations import personal
from tests.fixtures.fakes import FakeSleep
from tests.fixtures.outbox import FakeSender, Message

CARD = {"type": "AdaptiveCard", "version": "1.5", "body": []}


async def render(_notice: object) -> Message:
    return Message(CARD, "")


async def statuses(world: World, kind: str) -> list[tuple[str, str]]:
    """(the key's last part, status) of each notice of `kind`, oldest first."""
    return [(key.rsplit(":", 1)[-1], status) for _, _, key, status in await world.notices(kind)]


async def test_the_reporter_gets_the_acknowledgement_but_not_the_moot_escalations_when_she_opens_the_bot(
    database: Database, clock: ManualClock
) -> None:
    world = await build_world(database, clock, unreachable=("reporter",))
    reporter = await world.requester("reporter")
    concern = await service.raise_concern(database, reporter, world.report(), clock, LADDERS)
    clock.advance(WAIT)
    await world.scheduler().run_due()  # nobody acknowledged: the deputy, and the reporter is told
    await service.acknowledge(database, await world.requester("deputy"), concern.id, clock, LADDERS)
    assert await statuses(world, "safeguarding.status") == [
        ("2", NotificationStatus.UNDELIVERABLE),
        ("acknowledged", NotificationStatus.UNDELIVERABLE),
    ]

    await remember(database, personal("a:reporter-back", "29:reporter"), world.people["reporter"], clock.now())
    assert await statuses(world, "safeguarding.status") == [
        ("2", NotificationStatus.UNDELIVERABLE),  # escalated, since acknowledged: not wanted
        ("acknowledged", NotificationStatus.PENDING),
    ]


async def test_a_dsl_whose_chat_was_gone_gets_the_open_alert_when_she_opens_the_bot_again(
    world: World, clock: ManualClock, sleep: FakeSleep
) -> None:
    sender = FakeSender(clock, script=[SendResult(404, error_code="ConversationNotFound")])
    notifier = Notifier(world.database, sender, clock, sleep, render=render)
    reporter = await world.requester("reporter")
    await service.raise_concern(world.database, reporter, world.report(), clock, LADDERS)
    await notifier.run_due()
    assert await statuses(world, "safeguarding.alert") == [("1", NotificationStatus.UNDELIVERABLE)]

    await remember(world.database, personal("a:dsl-again", "29:user-1"), world.people["dsl"], clock.now())
    assert (await statuses(world, "safeguarding.alert"))[0] == ("1", NotificationStatus.PENDING)
    await notifier.run_due()
    assert (await statuses(world, "safeguarding.alert"))[0] == ("1", NotificationStatus.SENT)
