"""Every incoming activity keeps the sender's address current; the notifier reaches them later."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from app import DATABASE, NOTIFIER
from bot.cards import RenderedCard
from bot.notices import NoticeRenderers
from core.clock import SystemClock
from core.settings import Settings
from domain.conversations import personal_address_for
from domain.directory.queries import get_person_by_email
from domain.notices import Notice
from domain.notifier import Notifier, queue_notice
from tests.fixtures.bot_server import BotClient, start_app
from tests.fixtures.connector import ConnectorStandIn
from tests.fixtures.directory import TEACHER_AAD

CARD = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "Register taken"}]}
REGISTER_TAKEN = Notice("register.taken", {"register_id": 3}, "register.taken:3")


def register_renderer(notifier: Notifier) -> None:
    """What a feature would register where the app is wired: `register.taken` as CARD."""

    async def register_taken(notice: Notice) -> RenderedCard:
        return RenderedCard(CARD, "Register taken")

    renderers = notifier.render
    assert isinstance(renderers, NoticeRenderers)
    renderers.register("register.taken", register_taken)


async def test_a_message_stores_the_address_and_a_card_reaches_the_person_later(
    seeded_settings: Settings, connector: ConnectorStandIn, tmp_path: Path
) -> None:
    runner, url = await start_app(seeded_settings)
    try:
        database, notifier = runner.app[DATABASE], runner.app[NOTIFIER]
        teacher = await get_person_by_email(database, "teacher@cva.example.org")
        assert teacher is not None
        assert await personal_address_for(database, teacher.id) is None
        async with aiohttp.ClientSession() as session:
            chat = BotClient(url, session, connector).conversation(aad_object_id=TEACHER_AAD, user_id="29:teacher")
            await chat.ask("help")
        address = await personal_address_for(database, teacher.id)
        assert address is not None and address.conversation_id == chat.id

        register_renderer(notifier)
        before = len(connector.sent)
        notification = await queue_notice(database, REGISTER_TAKEN, to_person=teacher.id, now=SystemClock().now())
        await notifier.run_due()
        sent = await connector.wait_for(before + 1)
        assert sent[-1].conversation_id == chat.id
        assert sent[-1].cards[0]["body"][0]["text"] == "Register taken"
        assert (await notifier.delivery(notification)).status == "sent"
    finally:
        await runner.cleanup()


async def test_a_person_who_never_spoke_to_the_bot_is_reported_undeliverable(
    seeded_settings: Settings, connector: ConnectorStandIn
) -> None:
    runner, _url = await start_app(seeded_settings)
    try:
        database, notifier = runner.app[DATABASE], runner.app[NOTIFIER]
        admin = await get_person_by_email(database, "admin@lncip.example.org")
        assert admin is not None
        register_renderer(notifier)
        notification = await queue_notice(database, REGISTER_TAKEN, to_person=admin.id, now=SystemClock().now())
        await notifier.run_due()
        assert (await notifier.delivery(notification)).status == "undeliverable"
        assert connector.sent == []
    finally:
        await runner.cleanup()
