"""A bot process killed inside a turn, just after its reply reached Teams, comes back at the
state the person sees: Save on the form on screen saves."""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from bot.card_text import visible_text
from bot.storage import DatabaseConversationState
from core.settings import Settings
from domain.roles import Role
from tests.fixtures.bot_process import start_bot_process
from tests.fixtures.bot_server import BotClient
from tests.fixtures.connector import ConnectorStandIn
from tests.fixtures.directory import ADMIN_AAD, lookup
from tests.fixtures.people_form import form, save_data, submit
from tests.fixtures.serving import serving


class KillingConnector(ConnectorStandIn):
    """The Bot Connector stand-in, which kills `victim` as soon as a card reaches it (before
    answering the bot's request): the reply has left, the turn has not finished."""

    victim: subprocess.Popen[bytes] | None = None

    async def handle(self, request: web.Request) -> web.Response:
        response = await super().handle(request)
        if self.victim is not None and self.sent[-1].cards:
            self.victim.kill()
            self.victim.wait(timeout=10)
            self.victim = None
        return response


@pytest.fixture
async def killing_connector() -> AsyncIterator[KillingConnector]:
    stand_in = KillingConnector()
    app = web.Application()
    app.router.add_post("/v3/conversations/{conversation_id}/activities", stand_in.handle)
    app.router.add_post("/v3/conversations/{conversation_id}/activities/{activity_id}", stand_in.handle)
    async with serving(app) as url:
        stand_in.url = url
        yield stand_in


async def test_a_kill_just_after_the_form_left_comes_back_at_the_form(
    seeded_settings: Settings, killing_connector: KillingConnector
) -> None:
    async with aiohttp.ClientSession() as session:
        first, url = await start_bot_process(seeded_settings, session)
        try:
            admin = BotClient(url, session, killing_connector).conversation(aad_object_id=ADMIN_AAD)
            await admin.ask("people")
            killing_connector.victim = first
            before = len(killing_connector.sent)
            with pytest.raises(aiohttp.ServerDisconnectedError):  # the form reaches Teams, then the bot dies
                await admin.say("kill.test@lncip.example.org")
            card = form([s.activity for s in killing_connector.sent[before:]])
            assert first.poll() is not None, "the bot was not killed"
        finally:
            if first.poll() is None:
                first.kill()
                first.wait(timeout=10)

        second, url = await start_bot_process(seeded_settings, session)
        try:
            admin.client = BotClient(url, session, killing_connector)
            value = save_data(card) | {"display_name": "Kit Ill", "school": "partnership", "roles": "coordinator"}
            reply = visible_text(await submit(admin, value | {"active": "true"}))
        finally:
            second.terminate()
            second.wait(timeout=20)
    assert "Added Kit Ill" in reply
    assert (await lookup(seeded_settings, "kill.test@lncip.example.org")).roles == frozenset({Role.COORDINATOR})


async def test_a_turn_whose_state_is_not_stored_shows_nothing_of_it(
    seeded_bot: BotClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other side of the same rule: the form is not shown if its state could not be stored."""
    admin = seeded_bot.conversation(aad_object_id=ADMIN_AAD)
    await admin.ask("people")

    async def fails(*_args: object, **_kwargs: object) -> None:
        raise ConnectionError("the database went away")

    monkeypatch.setattr(DatabaseConversationState, "save_changes", fails)
    replies = await admin.ask("held.test@lncip.example.org")
    assert [r.get("attachments") for r in replies] == [None]
    assert "went wrong" in visible_text(replies)
