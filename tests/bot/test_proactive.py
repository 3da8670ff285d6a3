"""The Bot Framework sender over real HTTP, against the stand-in connector, in local mode (no app id)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity

from bot.cards import RenderedCard
from bot.notices import NoticeRenderers
from bot.proactive import (
    BotFrameworkSender,
    address_from_activity,
    reference_for,
    retry_after_seconds,
)
from core.clock import ManualClock
from db.engine import Database
from domain.conversations import ConversationAddress, personal_address_for, remember
from domain.notices import Notice
from domain.notifier import Notifier, SendResult, queue_notice
from domain.outbox import NotificationStatus
from tests.fixtures.connector import ConnectorStandIn
from tests.fixtures.conversations import CARD, TENANT, address_at
from tests.fixtures.directory_rows import add_person
from tests.fixtures.fakes import FakeSleep


async def test_a_card_and_text_arrive_without_a_token_in_local_mode(
    adapter: CloudAdapter, connector: ConnectorStandIn
) -> None:
    sender = BotFrameworkSender(adapter, "")
    result = await sender.send(address_at(connector.url), CARD, "A forum has been booked", alert=True)
    assert result == SendResult(200, activity_id="sent-1")
    [sent] = await connector.wait_for(1)
    assert sent.conversation_id == "a:chat-1"
    assert sent.cards == [CARD]
    # The text goes as the notification's summary only: beside the card it would be a message of its own.
    assert (sent.text, sent.activity["summary"]) == ("", "A forum has been booked")
    assert sent.activity["channelData"] == {"notification": {"alert": True}}
    assert sent.activity["recipient"]["id"] == "29:user-1"
    assert sent.activity["from"]["id"] == "28:lncip-bot"
    assert sent.activity["conversation"]["tenantID"] == TENANT  # msrest's spelling
    assert "replyToId" not in sent.activity  # a new message, not a reply to a made-up id


async def test_without_alert_there_is_no_feed_notification(adapter: CloudAdapter, connector: ConnectorStandIn) -> None:
    await BotFrameworkSender(adapter, "").send(address_at(connector.url), {}, "Just text", alert=False)
    [sent] = await connector.wait_for(1)
    assert sent.text == "Just text"
    assert sent.cards == []
    assert "notification" not in (sent.activity.get("channelData") or {})


async def test_throttling_is_reported_with_its_retry_after(adapter: CloudAdapter, connector: ConnectorStandIn) -> None:
    connector.failures = [(429, {"Retry-After": "2"})]
    result = await BotFrameworkSender(adapter, "").send(address_at(connector.url), CARD, "", alert=False)
    assert result == SendResult(429, 2.0, "Stand-in")
    assert connector.sent == []  # and msrest did not quietly retry it


async def test_a_blocked_chat_is_reported_as_403(adapter: CloudAdapter, connector: ConnectorStandIn) -> None:
    connector.failures = [(403, {})]
    result = await BotFrameworkSender(adapter, "").send(address_at(connector.url), CARD, "", alert=False)
    assert (result.status, result.retry_after) == (403, None)


async def test_a_turn_error_handler_does_not_swallow_the_failure(
    adapter: CloudAdapter, connector: ConnectorStandIn
) -> None:
    handled: list[Exception] = []

    async def on_turn_error(context: TurnContext, error: Exception) -> None:
        handled.append(error)

    adapter.on_turn_error = on_turn_error
    connector.failures = [(404, {})]
    result = await BotFrameworkSender(adapter, "").send(address_at(connector.url), CARD, "", alert=False)
    assert result.status == 404
    assert handled == []


async def test_a_refused_connection_is_a_connection_error(adapter: CloudAdapter) -> None:
    result = await BotFrameworkSender(adapter, "").send(address_at("http://127.0.0.1:9"), CARD, "", alert=False)
    assert result == SendResult(0, None, "connection_error")


async def test_a_send_that_never_answers_times_out(adapter: CloudAdapter, silent_connector: str) -> None:
    result = await BotFrameworkSender(adapter, "", timeout=0.2).send(
        address_at(silent_connector), CARD, "", alert=False
    )
    assert result == SendResult(0, None, "timeout")


def forum_renderers() -> NoticeRenderers:
    """Renders `forum.booked` as CARD, with the payload's text."""

    async def forum_booked(notice: Notice) -> RenderedCard:
        return RenderedCard(CARD, str(notice.payload["text"]))

    renderers = NoticeRenderers()
    renderers.register("forum.booked", forum_booked)
    return renderers


def forum_booked(text: str = "", *, alert: bool = False) -> Notice:
    return Notice("forum.booked", {"forum_id": 5, "text": text}, "forum.booked:5", alert=alert)


async def test_through_the_notifier_a_429_waits_then_succeeds(
    adapter: CloudAdapter, connector: ConnectorStandIn, database: Database
) -> None:
    clock = ManualClock()
    sleep = FakeSleep(clock)
    notifier = Notifier(database, BotFrameworkSender(adapter, ""), clock, sleep, render=forum_renderers())
    person = await add_person(database)
    await remember(database, address_at(connector.url), person, clock.now())
    notice = forum_booked("Forum booked", alert=True)
    notification_id = await queue_notice(database, notice, to_person=person, now=clock.now())
    connector.failures = [(429, {"Retry-After": "1"})]

    assert await notifier.run_due(10) == 1
    assert (await notifier.delivery(notification_id)).status == NotificationStatus.RETRYING
    assert await notifier.run_due(10) == 1
    assert sleep.waits == [1.0]
    [sent] = await connector.wait_for(1)
    assert sent.cards == [CARD]
    assert sent.activity["summary"] == "Forum booked"
    assert sent.activity["channelData"] == {"notification": {"alert": True}}
    delivery = await notifier.delivery(notification_id)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (NotificationStatus.SENT, 2, 200)


async def test_through_the_notifier_a_403_is_undeliverable(
    adapter: CloudAdapter, connector: ConnectorStandIn, database: Database
) -> None:
    clock = ManualClock()
    notifier = Notifier(database, BotFrameworkSender(adapter, ""), clock, FakeSleep(clock), render=forum_renderers())
    person = await add_person(database)
    await remember(database, address_at(connector.url), person, clock.now())
    notification_id = await queue_notice(database, forum_booked(), to_person=person, now=clock.now())
    connector.failures = [(403, {})]

    await notifier.run_due(10)
    delivery = await notifier.delivery(notification_id)
    assert (delivery.status, delivery.last_status_code) == (NotificationStatus.UNDELIVERABLE, 403)
    assert await personal_address_for(database, person) is None
    assert connector.sent == []


def teams_activity(conversation: dict[str, Any], channel_data: dict[str, Any]) -> Activity:
    return Activity().deserialize(
        {
            "type": "message",
            "id": "1",
            "channelId": "msteams",
            "serviceUrl": "https://smba.trafficmanager.net/uk/",
            "from": {"id": "29:user-1", "name": "Sam Teacher", "aadObjectId": "aad-user-1"},
            "recipient": {"id": "28:lncip-bot", "name": "LNCIP assistant"},
            "conversation": conversation,
            "channelData": channel_data,
        }
    )


def test_the_address_of_a_personal_chat() -> None:
    activity = teams_activity(
        {"id": "a:chat-1", "conversationType": "personal", "tenantId": TENANT}, {"tenant": {"id": TENANT}}
    )
    address = address_from_activity(activity)
    assert address == ConversationAddress(
        channel_id="msteams",
        service_url="https://smba.trafficmanager.net/uk/",
        conversation_id="a:chat-1",
        conversation_type="personal",
        tenant_id=TENANT,
        bot_id="28:lncip-bot",
        bot_name="LNCIP assistant",
        user_aad_object_id="aad-user-1",
        user_id="29:user-1",
    )
    reference = reference_for(address)
    assert (reference.conversation.id, reference.user.id, reference.bot.id) == ("a:chat-1", "29:user-1", "28:lncip-bot")
    assert reference.conversation.tenant_id == TENANT


def test_the_address_of_a_channel_takes_the_tenant_and_channel_from_channel_data() -> None:
    activity = teams_activity(
        {"id": "19:abc@thread.tacv2;messageid=42", "conversationType": "channel", "isGroup": True},
        {"tenant": {"id": TENANT}, "channel": {"id": "19:abc@thread.tacv2"}, "team": {"id": "19:team"}},
    )
    address = address_from_activity(activity)
    assert (address.conversation_type, address.tenant_id, address.channel) == ("channel", TENANT, "19:abc@thread.tacv2")
    assert address.key == "conversation:19:abc@thread.tacv2"


def test_retry_after_is_seconds_or_an_http_date() -> None:
    now = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    assert retry_after_seconds("3", now) == 3.0
    assert retry_after_seconds("Mon, 05 Jan 2026 08:00:30 GMT", now) == 30.0
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds(None, now) is None
