"""What a turn builds and writes: clients kept per service URL, no needless state or address writes.

These check behaviour (which client, which rows, which statements), never timings.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from botbuilder.core import TurnContext
from botbuilder.dialogs import DialogContext, DialogSet
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import Activity
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import (
    AuthenticateRequestResult,
    AuthenticationConstants,
    ClaimsIdentity,
    MicrosoftAppCredentials,
)
from sqlalchemy import event, func, select

from app import DATABASE, create_app
from bot.proactive import BotFrameworkSender
from bot.qa_cards import render_reply, without_message_back
from bot.sdk_fastpaths.adapter import KeptClients, ReusingClientsAuthentication
from bot.web import ADAPTER
from core.clock import ManualClock
from db.direct_reads import CompiledRead, DirectReads
from db.engine import Database
from db.models.proactive import ConversationRef
from db.models.state import StoredState
from domain.conversations import REFRESH_AFTER, mark_stale
from tests.fixtures.bot_server import (
    BotClient,
    Conversation,
    make_settings,
    shared_knowledge,
)
from tests.fixtures.connector import ConnectorStandIn
from tests.fixtures.conversations import CARD, address_at
from tests.fixtures.directory import ADMIN_AAD, seed
from tests.fixtures.serving import serving

# --- connector and token clients -------------------------------------------------------------


def incoming(service_url: str, conversation_id: str = "a:chat-1") -> Activity:
    return Activity().deserialize(
        {
            "type": "message",
            "id": uuid.uuid4().hex,
            "channelId": "msteams",
            "serviceUrl": service_url,
            "from": {"id": "29:user-1", "name": "Sam Teacher"},
            "recipient": {"id": "28:lncip-bot", "name": "LNCIP assistant"},
            "conversation": {"id": conversation_id, "conversationType": "personal"},
            "text": "hello",
        }
    )


async def turn_clients(adapter: CloudAdapter, activity: Activity, reply: bool = True) -> tuple[Any, Any]:
    """Run one incoming turn; return its connector client and user token client."""
    seen: list[Any] = []

    async def logic(context: TurnContext) -> None:
        seen.append(context.turn_state[adapter.BOT_CONNECTOR_CLIENT_KEY])
        seen.append(context.turn_state[adapter.USER_TOKEN_CLIENT_KEY])
        if reply:
            await context.send_activity("hi")

    await adapter.process_activity("", activity, logic)
    return seen[0], seen[1]


async def test_two_turns_to_one_service_url_use_one_client(connector: ConnectorStandIn, adapter: CloudAdapter) -> None:
    first, first_tokens = await turn_clients(adapter, incoming(connector.url, "a:chat-1"))
    second, second_tokens = await turn_clients(adapter, incoming(connector.url, "a:chat-2"))
    assert first is second
    assert first_tokens is second_tokens
    assert [s.conversation_id for s in await connector.wait_for(2)] == ["a:chat-1", "a:chat-2"]


async def test_different_service_urls_do_not_share_a_client(connector: ConnectorStandIn, adapter: CloudAdapter) -> None:
    uk, _ = await turn_clients(adapter, incoming(connector.url))
    other = "http://localhost:1/emea/"  # loopback: the adapter is in local mode
    emea, _ = await turn_clients(adapter, incoming(other), reply=False)
    assert uk is not emea
    assert (uk.config.base_url, emea.config.base_url) == (connector.url, other)


async def test_proactive_tuning_does_not_reach_replies(connector: ConnectorStandIn, adapter: CloudAdapter) -> None:
    assert (await BotFrameworkSender(adapter, "").send(address_at(connector.url), CARD, "", alert=False)).status == 200
    reply_client, _ = await turn_clients(adapter, incoming(connector.url))
    assert reply_client.config.retry_policy.retries == 3  # msrest's default: the sender's 0 stays its own
    assert reply_client.config.connection.timeout == 100
    proactive = adapter.bot_framework_authentication.proactive_clients
    assert len(proactive) == 1 and proactive.get(("", connector.url, None)) is not reply_client
    await BotFrameworkSender(adapter, "").send(address_at(connector.url), CARD, "", alert=False)
    assert len(proactive) == 1  # the second send kept the first one's client
    assert len(await connector.wait_for(3)) == 3


def authenticated() -> ReusingClientsAuthentication:
    config = SimpleNamespace(
        APP_ID="00000000-0000-0000-0000-0000000000aa",
        APP_PASSWORD="secret",
        APP_TYPE="SingleTenant",
        APP_TENANTID="00000000-0000-0000-0000-0000000000bb",
    )
    return ReusingClientsAuthentication(ConfigurationBotFrameworkAuthentication(config))


def claims_for(app_id: str) -> ClaimsIdentity:
    return ClaimsIdentity({AuthenticationConstants.AUDIENCE_CLAIM: app_id}, True)


async def test_with_an_app_id_each_kept_client_keeps_its_credentials() -> None:
    auth = authenticated()
    claims = claims_for("00000000-0000-0000-0000-0000000000aa")
    factory = auth.create_connector_factory(claims)
    first = await factory.create("https://smba.trafficmanager.net/uk/", None)
    again = await auth.create_connector_factory(claims).create("https://smba.trafficmanager.net/uk/", None)
    other = await factory.create("https://smba.trafficmanager.net/emea/", None)
    assert first is again and first is not other
    # The same credentials object, hence the same MSAL token cache, refreshed by MSAL itself.
    assert first.config.credentials.microsoft_app_id == "00000000-0000-0000-0000-0000000000aa"
    tokens = await auth.create_user_token_client(claims)
    assert await auth.create_user_token_client(claims) is tokens


@dataclass
class CountingFactory:
    made: list[tuple[str, str | None]] = field(default_factory=list)

    async def create(self, service_url: str, audience: str | None) -> Any:
        self.made.append((service_url, audience))
        return ConnectorClient(MicrosoftAppCredentials.empty(), base_url=service_url)


class FakeAuthentication(ConfigurationBotFrameworkAuthentication):  # type: ignore[misc]
    """Validates nothing; hands each request the app id it is given, and a counting factory."""

    def __init__(self) -> None:
        self.factory = CountingFactory()

    async def authenticate_request(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        result = AuthenticateRequestResult()
        result.claims_identity = claims_for(auth_header)
        result.audience = "https://api.botframework.com"
        result.connector_factory = self.factory
        return result


async def test_clients_are_kept_per_app_id_service_url_and_audience() -> None:
    inner = FakeAuthentication()
    auth = ReusingClientsAuthentication(inner)
    clients = []
    keys = [("a", "u1", "x"), ("a", "u1", "x"), ("b", "u1", "x"), ("a", "u2", "x"), ("a", "u1", "y")]
    for app_id, url, audience in keys:
        result = await auth.authenticate_request(Activity(), app_id)
        clients.append(await result.connector_factory.create(url, audience))
    assert clients[0] is clients[1]
    assert len({id(c) for c in clients}) == 4
    assert inner.factory.made == [("u1", "x"), ("u1", "x"), ("u2", "x"), ("u1", "y")]


def test_kept_clients_are_bounded_least_recently_used_first() -> None:
    kept: KeptClients[str] = KeptClients(capacity=2)
    kept.keep("a", "A")
    kept.keep("b", "B")
    assert kept.get("a") == "A"  # now "b" is the least recently used
    kept.keep("c", "C")
    assert (kept.get("a"), kept.get("b"), kept.get("c"), len(kept)) == ("A", None, "C", 2)
    assert kept.keep("c", "another C") == "C"  # two turns built one at once: the first kept wins


# --- what a turn writes ----------------------------------------------------------------------


@dataclass
class RunningBot:
    client: BotClient
    database: Database
    clock: ManualClock
    statements: list[str]

    def writes(self, table: str) -> int:
        return sum(1 for s in self.statements if s.split()[0] in ("INSERT", "UPDATE", "DELETE") and f" {table}" in s)

    async def stored_state(self) -> Any:
        async with self.database.session() as session:
            [data] = (await session.execute(select(StoredState.data))).scalars().all()
        return data

    async def count(self, model: Any) -> int:
        async with self.database.session() as session:
            return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


@pytest.fixture
async def running(
    tmp_path: Path, connector: ConnectorStandIn, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[RunningBot]:
    settings = make_settings(tmp_path)
    await seed(settings)
    clock = ManualClock()
    app = create_app(settings, clock=clock, knowledge=shared_knowledge())
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(" ".join(statement.split()))

    run_direct = DirectReads.rows

    async def record_direct(reads: DirectReads, read: CompiledRead, params: Any) -> list[Any]:
        statements.append(" ".join(read.sql.split()))  # the per-turn reads bypass the engine's events
        return await run_direct(reads, read, params)

    monkeypatch.setattr(DirectReads, "rows", record_direct)

    async with serving(app) as url, aiohttp.ClientSession() as session:
        database = app[DATABASE]
        event.listen(database.engine.sync_engine, "before_cursor_execute", record)
        assert isinstance(app[ADAPTER], CloudAdapter)
        yield RunningBot(BotClient(url, session, connector), database, clock, statements)


async def ask(chat: Conversation, text: str) -> None:
    assert await chat.ask(text), f"no reply to {text!r}"


async def test_questions_and_help_write_no_dialog_state(running: RunningBot) -> None:
    chat = running.client.conversation()
    for text in ("how many KS4 places?", "help", "KS3 places?"):
        await ask(chat, text)
    assert running.writes("bot_state") == 0
    # ...and each turn reads the state once (a dialog may have started on another instance).
    assert sum(1 for s in running.statements if s.startswith("SELECT") and "FROM bot_state" in s) == 3
    assert await running.count(StoredState) == 0


async def test_only_turns_with_a_dialog_build_a_dialog_context(
    running: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[str] = []
    create_context = DialogSet.create_context

    async def counted(dialog_set: DialogSet, turn_context: TurnContext) -> DialogContext:
        built.append(turn_context.activity.text)
        return await create_context(dialog_set, turn_context)

    monkeypatch.setattr(DialogSet, "create_context", counted)
    admin = running.client.conversation(aad_object_id=ADMIN_AAD)
    for text in ("how many KS4 places?", "help", "cancel"):
        await ask(admin, text)
    assert built == []
    await ask(admin, "people")  # a command: it may start a dialog
    await ask(admin, "not an email")  # the dialog goes on: it re-asks
    await ask(admin, "cancel")
    await ask(admin, "KS3 places?")  # the stack is empty again
    assert built == ["people", "not an email", "cancel"]


async def test_a_dialog_keeps_its_state_in_the_database(running: RunningBot) -> None:
    admin = running.client.conversation(aad_object_id=ADMIN_AAD)
    await ask(admin, "people")
    assert "'people'" in str(await running.stored_state())
    await ask(admin, "cancel")
    stored = str(await running.stored_state())
    assert "_dialog_stack" in stored and "'people'" not in stored  # the ended dialog is written away


async def test_repeated_messages_write_their_address_once(running: RunningBot) -> None:
    chat = running.client.conversation()
    for text in ("help", "how many KS4 places?", "KS3 places?"):
        await ask(chat, text)
    assert running.writes("conversation_refs") == 1
    await ask(running.client.conversation(), "help")  # another chat is another row
    assert running.writes("conversation_refs") == 2


async def test_an_address_is_refreshed_once_the_refresh_interval_has_passed(running: RunningBot) -> None:
    chat = running.client.conversation()
    await ask(chat, "help")
    first_seen = running.clock.now()
    running.clock.advance(REFRESH_AFTER)
    await ask(chat, "help")
    assert running.writes("conversation_refs") == 2
    async with running.database.session() as session:
        [row] = (await session.execute(select(ConversationRef))).scalars().all()
    assert (row.first_seen_at, row.last_seen_at) == (first_seen, first_seen + REFRESH_AFTER)


async def test_a_changed_address_is_written_at_once(running: RunningBot) -> None:
    chat = running.client.conversation()
    await ask(chat, "help")
    chat.id = "a:new-chat-after-reinstall"
    await ask(chat, "help")
    async with running.database.session() as session:
        [row] = (await session.execute(select(ConversationRef))).scalars().all()
    assert row.conversation_id == "a:new-chat-after-reinstall"


async def test_a_message_after_a_stale_mark_clears_it_at_once(running: RunningBot) -> None:
    chat = running.client.conversation()
    await ask(chat, "help")
    async with running.database.session() as session:
        [address_id] = (await session.execute(select(ConversationRef.id))).scalars().all()
    assert await mark_stale(running.database, address_id, "http_403", running.clock.now())
    await ask(chat, "help")
    async with running.database.session() as session:
        [stale_at] = (await session.execute(select(ConversationRef.stale_at))).scalars().all()
    assert stale_at is None


async def test_installs_always_write_their_address(running: RunningBot) -> None:
    chat = running.client.conversation()
    await ask(chat, "help")
    assert await chat.added() in (200, 201)
    assert await chat.added() in (200, 201)
    assert running.writes("conversation_refs") == 3


async def test_a_question_asked_again_gets_the_same_card_and_the_kept_card_is_never_changed(
    running: RunningBot,
) -> None:
    """Replies and their cards are kept per question (a repeat costs no search or rendering):
    the second reply is the same as the first, and sending a card leaves the kept one as it was."""
    knowledge = shared_knowledge()
    question = "how many KS4 places?"
    card = copy.deepcopy(render_reply(knowledge.reply(question)).card)
    first = await running.client.conversation().ask(question)
    second = await running.client.conversation().ask(question)
    assert [a["attachments"] for a in first] == [a["attachments"] for a in second]
    sent = first[0]["attachments"][0]["content"]
    # The kept card, with the feedback feature's rating buttons added to a copy (never to the kept
    # one), and in local mode its question buttons plain (no messageBack: see without_message_back).
    local = without_message_back(render_reply(knowledge.reply(question))).card
    assert {**sent, "body": sent["body"][:-1]} == local and sent["body"][-1]["id"] == "feedback"
    assert render_reply(knowledge.reply(question)).card == card
    assert render_reply(knowledge.reply(question)) is render_reply(knowledge.reply(question))
