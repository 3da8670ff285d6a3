"""The Partnership's casework over HTTP: the referral tests' small partnership (two schools,
their staff, pupils, the Partnership's team), each person with a Microsoft Entra id and a chat
with the bot, and the real app with the Partnership's side registered as a test feature."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from app import DATABASE, NOTIFIER
from core.clock import ManualClock
from db.engine import Database
from db.models.proactive import Notification
from domain.directory.queries import get_person_by_email, list_schools, pupils_for_school
from domain.directory.service import import_directory
from domain.notifier import Notifier
from domain.requester import Requester
from tests.domain.referrals.conftest import PEOPLE, PUPILS, SCHOOLS, START, World
from tests.fixtures.bot_server import BotClient, Conversation, make_settings, start_app
from tests.fixtures.connector import ConnectorStandIn
from tests.fixtures.outbox import deliver_all

CARD = "application/vnd.microsoft.card.adaptive"


def aad(n: int) -> str:
    return f"0b0b0b0b-0000-4000-8000-{n:012d}"


def _people_with_entra_ids() -> str:
    lines = PEOPLE.strip().splitlines()
    return "\n".join([lines[0], *(line.replace(",,yes", f",{aad(i)},yes") for i, line in enumerate(lines[1:], 1))])


@dataclass
class Casework:
    world: World
    client: BotClient
    notifier: Notifier
    chats: dict[str, Conversation]

    def chat(self, who: str) -> Conversation:
        return self.chats[who]

    async def deliver(self) -> None:
        await deliver_all(self.notifier, self.client.connector)

    def received(self, who: str) -> list[dict[str, Any]]:
        """Every activity the bot sent to `who`'s chat (PUTs included), oldest first."""
        conversation_id = self.chats[who].id
        return [s.activity for s in self.client.connector.sent if s.conversation_id == conversation_id]

    async def outbox(self) -> list[tuple[str, int | None, dict[str, Any]]]:
        async with self.world.db.session() as session:
            rows = await session.scalars(select(Notification).order_by(Notification.id))
            return [(row.kind, row.person_id, dict(row.payload)) for row in rows]

    async def press(self, who: str, data: dict[str, Any], reply_to_id: str | None = None) -> list[dict[str, Any]]:
        """`who` presses a button with `data`; what the bot sent back in this turn."""
        before = len(self.client.connector.sent)
        assert await self.chats[who].submit(data, reply_to_id=reply_to_id) in (200, 201, 202)
        conversation_id = self.chats[who].id
        return [s.activity for s in self.client.connector.sent[before:] if s.conversation_id == conversation_id]


def texts(activities: list[dict[str, Any]]) -> str:
    """What the activities show: their text and their cards' fallback text."""
    shown = []
    for activity in activities:
        shown.append(str(activity.get("text") or ""))
        shown += [str(a["content"].get("fallbackText", "")) for a in activity.get("attachments") or []]
    return "\n".join(shown)


def cards(activities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [a["content"] for act in activities for a in act.get("attachments") or [] if a.get("contentType") == CARD]


def buttons(card: dict[str, Any]) -> list[dict[str, Any]]:
    """Every Action.Submit's data on a card, wherever it sits."""
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Submit":
                found.append({"title": node.get("title"), **node.get("data", {})})
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return found


@pytest.fixture
async def casework(database: Database, tmp_path: Path, connector: ConnectorStandIn) -> AsyncIterator[Casework]:
    people_csv = _people_with_entra_ids()
    for kind, csv in (("schools", SCHOOLS), ("people", people_csv), ("pupils", PUPILS)):
        assert (await import_directory(database, Requester.system(), kind, csv)).accepted  # type: ignore[arg-type]
    people = {}
    for line in people_csv.splitlines()[1:]:
        email = line.split(",")[0]
        person = await get_person_by_email(database, email)
        assert person is not None
        people[email.split("@")[0] + ("_b" if "@b." in email else "")] = person
    schools = {s.dfe_urn: s.id for s in await list_schools(database)}
    pupils = {}
    for school_id in schools.values():
        pupils |= {f"{p.first_name} {p.last_name}": p.id for p in await pupils_for_school(database, school_id)}
    clock = ManualClock(START)
    runner, url = await start_app(make_settings(tmp_path, database_url=database.url), clock=clock)
    # The test works through the app's own Database: on SQLite, a second one in this process
    # could wait on the file lock from the event loop's thread while the app holds it.
    world = World(runner.app[DATABASE], clock, people, pupils, schools["100001"], schools["100002"])
    try:
        async with aiohttp.ClientSession() as session:
            client = BotClient(url, session, connector)
            chats = {
                who: client.conversation(aad_object_id=person.aad_object_id or "", user_id=f"29:{who}")
                for who, person in people.items()
            }
            for chat in chats.values():
                await chat.ask("me")  # the bot now knows each person's chat
            yield Casework(world, client, runner.app[NOTIFIER], chats)
    finally:
        await runner.cleanup()
