"""The attendance feature over HTTP: the real app on the `database` fixture's database (SQLite,
then PostgreSQL), on the manual clock, with the register tests' small partnership (`world`)
and Entra ids for the people who talk to the bot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from app import create_app
from core.clock import ManualClock
from db.engine import Database
from domain.directory.writes import save_person
from tests.domain.attendance.conftest import World, move_to, utc, world  # noqa: F401 (the fixture)
from tests.fixtures.bot_server import BotClient, Conversation, make_settings, shared_knowledge
from tests.fixtures.connector import ConnectorStandIn, Sent
from tests.fixtures.serving import start_serving

STAFF_AAD = "00000000-0000-0000-0000-00000000a001"
DSL_AAD = "00000000-0000-0000-0000-00000000a002"
LEAD_AAD = "00000000-0000-0000-0000-00000000a003"
DSL_B_AAD = "00000000-0000-0000-0000-00000000a004"
START = utc(2026, 11, 2, 7, 0)  # Monday 2 November 2026, 07:00 in London (GMT)


@dataclass
class Running:
    app: web.Application
    client: BotClient
    connector: ConnectorStandIn
    url: str

    def chat(self, aad: str, user_id: str) -> Conversation:
        return self.client.conversation(aad_object_id=aad, user_id=user_id)

    def sent_to(self, chat: Conversation) -> list[Sent]:
        return [s for s in self.connector.sent if s.conversation_id == chat.id]


def cards_of(sent: list[Sent]) -> list[dict[str, Any]]:
    return [card for s in sent for card in s.cards]


def card_text(card: dict[str, Any]) -> str:
    return str(card.get("fallbackText", ""))


@pytest.fixture
async def running(
    database: Database,
    clock: ManualClock,
    world: World,  # noqa: F811 (the imported fixture)
    tmp_path: Path,
    connector: ConnectorStandIn,
) -> AsyncIterator[Running]:
    for person, aad in (
        (world.staff, STAFF_AAD),
        (world.dsl_a, DSL_AAD),
        (world.lead_a, LEAD_AAD),
        (world.dsl_b, DSL_B_AAD),
    ):
        async with database.session() as session:
            await save_person(
                session,
                email=person.email,
                display_name=person.display_name,
                roles=person.roles,
                school_id=person.school_id,
                aad_object_id=aad,
                person_id=person.id,
            )
    move_to(clock, START)  # the scheduler's first pass sees this morning, not a missed week
    settings = make_settings(tmp_path, database_url=database.url)
    runner, url = await start_serving(create_app(settings, clock=clock, knowledge=shared_knowledge()))
    async with aiohttp.ClientSession() as session:
        try:
            yield Running(runner.app, BotClient(url, session, connector), connector, url)
        finally:
            await runner.cleanup()
