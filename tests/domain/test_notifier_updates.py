"""A sent message's activity id is stored, and a notice naming another (`update_of`) replaces that
message in place; notices held for a chat go out when the person's chat is first stored."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import ManualClock
from db.engine import Database
from domain import outbox
from domain.conversations import remember
from domain.notices import JsonValue, Notice
from domain.notifier import Notifier, SendResult, queue_notice
from domain.outbox import NotificationStatus
from tests.fixtures.conversations import personal
from tests.fixtures.directory_rows import add_person
from tests.fixtures.fakes import FakeSleep
from tests.fixtures.outbox import FakeSender, Message, reachable_person


async def render(notice: Notice) -> Message:
    return Message({"type": "AdaptiveCard", "body": []}, notice.kind)


def notifier(database: Database, sender: FakeSender, clock: ManualClock) -> Notifier:
    return Notifier(database, sender, clock, FakeSleep(clock), render=render)


async def test_an_update_replaces_the_sent_message_by_its_stored_id(database: Database, clock: ManualClock) -> None:
    sender = FakeSender(clock)
    person = await reachable_person(database, clock)
    first = await queue_notice(database, Notice("test.alert", {}, "alert:1"), to_person=person, now=clock.now())
    await notifier(database, sender, clock).run_due()
    sent = await outbox.delivery(database, first)
    assert sent.status is NotificationStatus.SENT and sent.activity_id == "sent-1"
    update = Notice("test.done", {"updates": "alert:1"}, "done:1")
    second = await queue_notice(database, update, to_person=person, now=clock.now())
    await notifier(database, sender, clock).run_due()
    assert (await outbox.delivery(database, second)).status is NotificationStatus.SENT
    assert [p.text for p in sender.posted] == ["test.alert", "test.done"]


async def test_an_update_of_a_message_that_never_went_is_cancelled(database: Database, clock: ManualClock) -> None:
    person = await add_person(database, "nochat@school.example")
    await queue_notice(database, Notice("test.alert", {}, "alert:2"), to_person=person, now=clock.now())
    update = await queue_notice(
        database, Notice("test.done", {"updates": "alert:2"}, "done:2"), to_person=person, now=clock.now()
    )
    sender = FakeSender(clock)
    await notifier(database, sender, clock).run_due()
    delivery = await outbox.delivery(database, update)
    assert (delivery.status, delivery.last_error) == (NotificationStatus.UNDELIVERABLE, "no_conversation")
    assert sender.posted == []


async def test_a_held_notice_still_wanted_goes_out_when_the_chat_is_first_stored(
    database: Database, clock: ManualClock
) -> None:
    async def wanted(_session: AsyncSession, payload: Mapping[str, JsonValue]) -> bool:
        return payload.get("open") is True

    outbox.hold_for_a_chat("test.held", wanted)
    person = await add_person(database, "later@school.example")
    kept = await queue_notice(
        database, Notice("test.held", {"open": True}, "held:1"), to_person=person, now=clock.now()
    )
    dropped = await queue_notice(
        database, Notice("test.held", {"open": False}, "held:2"), to_person=person, now=clock.now()
    )
    other = await queue_notice(database, Notice("test.other", {}, "other:1"), to_person=person, now=clock.now())
    await remember(database, personal("a:later", "29:later"), person, clock.now())
    sender = FakeSender(clock)
    await notifier(database, sender, clock).run_due()
    assert (await outbox.delivery(database, kept)).status is NotificationStatus.SENT
    assert (await outbox.delivery(database, dropped)).status is NotificationStatus.UNDELIVERABLE
    assert (await outbox.delivery(database, other)).status is NotificationStatus.UNDELIVERABLE
    assert [p.text for p in sender.posted] == ["test.held"]


async def test_a_held_notice_that_reached_no_server_goes_out_to_the_chat_opened_later(
    database: Database, clock: ManualClock
) -> None:
    """Every try refused at the door (the chat's host gone, as a closed Playground is): failed;
    when the person opens a chat again, it goes there, if still wanted. Other failures stay."""

    async def wanted(_session: AsyncSession, _payload: Mapping[str, JsonValue]) -> bool:
        return True

    outbox.hold_for_a_chat("test.held_refused", wanted)
    person = await reachable_person(database, clock)
    refused = SendResult(0, None, outbox.CONNECTION_ERROR)
    sender = FakeSender(clock, script=[refused] * 5 + [SendResult(400, None, "BadRequest")])
    held = await queue_notice(database, Notice("test.held_refused", {}, "refused:1"), to_person=person, now=clock.now())
    for _ in range(5):
        await notifier(database, sender, clock).run_due()
        await clock.wait(600)
    other = await queue_notice(
        database, Notice("test.held_refused", {}, "refused:2"), to_person=person, now=clock.now()
    )
    await notifier(database, sender, clock).run_due()
    assert (await outbox.delivery(database, held)).status is NotificationStatus.FAILED
    assert (await outbox.delivery(database, other)).status is NotificationStatus.FAILED  # a 400: not for want of a chat

    await remember(database, personal("a:chat-again", "29:user-1"), person, clock.now())
    await notifier(database, sender, clock).run_due()
    assert (await outbox.delivery(database, held)).status is NotificationStatus.SENT
    assert sender.posted[-1].address.conversation_id == "a:chat-again"
    assert (await outbox.delivery(database, other)).status is NotificationStatus.FAILED
