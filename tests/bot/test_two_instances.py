"""Two bot processes share one PostgreSQL database: a dialog moves freely between them and
no update to dialog state is lost, even with many conversations at once."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest

from core.settings import Settings
from db.engine import Database
from domain.directory.queries import list_people
from tests.fixtures.bot_process import start_bot_process
from tests.fixtures.bot_server import BotClient, make_settings
from tests.fixtures.connector import ConnectorStandIn
from tests.fixtures.database import (
    create_postgres_database,
    drop_postgres_database,
    run_sync,
)
from tests.fixtures.directory import ADMIN_AAD, seed
from tests.fixtures.people_form import form, save_data, submit

pytestmark = pytest.mark.postgres


@pytest.fixture
def shared_postgres(postgres_server_url: str, tmp_path: Path) -> Iterator[Settings]:
    url = run_sync(create_postgres_database(postgres_server_url, prefix="lncip_two_"))
    settings = replace(make_settings(tmp_path), database_url=url)
    run_sync(seed(settings))
    try:
        yield settings
    finally:
        run_sync(drop_postgres_database(postgres_server_url, url))


@pytest.fixture
async def two_bots(
    shared_postgres: Settings, connector: ConnectorStandIn
) -> AsyncIterator[tuple[BotClient, BotClient]]:
    async with aiohttp.ClientSession() as session:
        started = [await start_bot_process(shared_postgres, session) for _ in range(2)]
        try:
            yield tuple(BotClient(url, session, connector) for _, url in started)  # type: ignore[misc]
        finally:
            for process, _ in started:
                os.killpg(process.pid, signal.SIGTERM)
            for process, _ in started:
                assert process.wait(timeout=20) == 0, "the bot did not shut down cleanly on SIGTERM"


async def run_dialog(first: BotClient, second: BotClient, n: int) -> str:
    """One admin adds one person, each step landing on the other process."""
    chat = first.conversation(aad_object_id=ADMIN_AAD, user_id=f"29:admin-{n}")
    await chat.ask("people")
    chat.client = second
    card = form(await chat.ask(f"person{n}@lncip.example.org"))
    chat.client = first
    value = save_data(card) | {"display_name": f"Person {n}", "school": "partnership", "roles": "coordinator"}
    sent = await submit(chat, value | {"active": "true"})
    return str(sent[-1].get("text", "")) if sent else ""


async def test_a_dialog_moves_between_two_processes_without_losing_state(
    two_bots: tuple[BotClient, BotClient], shared_postgres: Settings
) -> None:
    a, b = two_bots
    replies = await asyncio.gather(*(run_dialog(a, b, n) if n % 2 else run_dialog(b, a, n) for n in range(12)))
    assert all(reply.startswith("Added Person") for reply in replies), replies
    database = Database(shared_postgres.database_url)
    try:
        names = {p.display_name for p in await list_people(database, partnership=True)}
    finally:
        await database.dispose()
    assert {f"Person {n}" for n in range(12)} <= names
