"""The real app over HTTP on the `database` fixture's database (SQLite, then PostgreSQL) and a
manual clock, with a stand-in Bot Connector: a school with a DSL, a deputy and a headteacher,
the Partnership Director, a Partnership reporter and a placed pupil, each person with an
Entra id (`World.chat(name)` is their 1:1 chat with the bot)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from app import NOTIFIER, SCHEDULER, create_app
from core.clock import ManualClock
from db.engine import Database
from db.models.directory import Person, PersonRole
from domain.notifier import Notifier
from domain.roles import Role
from domain.scheduler import Scheduler
from tests.fixtures.bot_server import BotClient, Conversation, make_settings, shared_knowledge
from tests.fixtures.connector import ConnectorStandIn, Sent
from tests.fixtures.directory_rows import add_pupil, add_school
from tests.fixtures.outbox import deliver_all
from tests.fixtures.serving import start_serving

PEOPLE = {  # name: (at the school?, role)
    "dsl": (True, Role.DSL),
    "deputy": (True, Role.DEPUTY_DSL),
    "head": (True, Role.HEADTEACHER),
    "teacher": (True, Role.TEACHER),
    "director": (False, Role.PARTNERSHIP_DIRECTOR),
    "reporter": (False, Role.PARTNERSHIP_STAFF),
    "coordinator": (False, Role.COORDINATOR),
    "admin": (False, Role.PARTNERSHIP_ADMIN),  # may raise a concern, never see its detail
}
ACCOUNT = "She said: 'he hit me with a belt last night'. Bruise on her left forearm."


def aad(n: int) -> str:
    return f"5a5a5a5a-0000-4000-8000-{n:012d}"


async def seed_world(database: Database) -> dict[str, Any]:
    school = await add_school(database)
    pupil = await add_pupil(
        database,
        school,
        "855410125001",
        first_name="Jordan",
        last_name="Smith",
        provision="ks4_programme",
        year_group=10,
    )
    ids: dict[str, int] = {}
    for n, (name, (at_school, role)) in enumerate(PEOPLE.items(), start=1):
        async with database.session() as session:
            person = Person(
                display_name=f"{name.title()} Person",
                email=f"{name}@example.org",
                school_id=school if at_school else None,
                aad_object_id=aad(n),
            )
            session.add(person)
            await session.flush()
            session.add(PersonRole(person_id=person.id, role=role.value))
            ids[name] = person.id
    return {"school": school, "pupil": pupil, "people": ids}


@dataclass
class World:
    database: Database
    clock: ManualClock
    connector: ConnectorStandIn
    client: BotClient
    notifier: Notifier
    scheduler: Scheduler
    school: int
    pupil: int
    people: dict[str, int]
    chats: dict[str, Conversation] = field(default_factory=dict)

    def chat(self, name: str) -> Conversation:
        if name not in self.chats:
            n = list(PEOPLE).index(name) + 1
            self.chats[name] = self.client.conversation(id=f"a:chat-{name}", aad_object_id=aad(n), user_id=f"29:{name}")
        return self.chats[name]

    async def hello(self, *names: str) -> None:
        """Each says something, so the bot has their chat (a conversation reference)."""
        for name in names:
            await self.chat(name).ask("hello")

    async def report(self, name: str = "reporter", *, danger: bool = False, about: str = "Jordan Smth") -> None:
        chat = self.chat(name)
        for answer in (
            "report a safeguarding concern",
            "yes" if danger else "no",
            about,
            ACCOUNT,
            "Took her to the office",
        ):
            await chat.ask(answer)

    async def report_adult(self, *, headteacher: bool = False) -> None:
        chat = self.chat("reporter")
        for answer in (
            "report a safeguarding concern",
            "no",
            "adult",
            "Charnwood Vale",
            "yes" if headteacher else "no",
            "A member of staff shouted at a pupil and grabbed his arm.",
            "none",
        ):
            await chat.ask(answer)

    async def deliver(self) -> None:
        """Send what is due, and wait for what the app's own sender loop claimed meanwhile (so
        the clock never jumps past the claim of a send in flight)."""
        await deliver_all(self.notifier, self.connector)

    async def send_what_is_due(self) -> None:
        """One pass of this instance's notifier, waiting for nothing another instance holds (a
        dead instance's claim, say)."""
        while await self.notifier.run_due():
            pass

    async def tick(self, minutes: float = 0) -> None:
        """Time passes: due rungs run, the delivery follower runs, due notices go out."""
        from datetime import timedelta

        self.clock.advance(timedelta(minutes=minutes))
        await self.deliver()
        await self.scheduler.run_due()
        await self.deliver()
        self.clock.advance(timedelta(seconds=31))  # the delivery follower's next run
        await self.scheduler.run_due()
        await self.deliver()

    async def until(self, done: Callable[[], bool], timeout: float = 10) -> None:
        """Deliver until `done()`, up to `timeout` seconds: the app's own sender loop (on real
        time) may be sending a notice the test's pass found claimed."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not done() and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)  # polling for the other loop's send
            await self.deliver()

    def to(self, name: str) -> list[Sent]:
        return [s for s in self.connector.sent if s.conversation_id == f"a:chat-{name}"]

    def alerts_to(self, name: str) -> list[Sent]:
        return [
            s
            for s in self.to(name)
            if not s.is_update and s.activity.get("summary") == "Urgent safeguarding concern: please open"
        ]

    def updates_to(self, name: str) -> list[Sent]:
        return [s for s in self.to(name) if s.is_update]


@contextlib.asynccontextmanager
async def running_world(
    database: Database,
    tmp_path: Path,
    connector: ConnectorStandIn,
    clock: ManualClock,
    seeded: dict[str, Any] | None = None,
) -> AsyncIterator[World]:
    seeded = seeded or await seed_world(database)
    app = create_app(make_settings(tmp_path, database_url=database.url), clock=clock, knowledge=shared_knowledge())
    runner, url = await start_serving(app)
    try:
        async with aiohttp.ClientSession() as session:
            client = BotClient(url, session, connector)
            yield World(
                database,
                clock,
                connector,
                client,
                app[NOTIFIER],
                app[SCHEDULER],
                seeded["school"],
                seeded["pupil"],
                seeded["people"],
            )
    finally:
        await runner.cleanup()


@pytest.fixture
async def world(
    database: Database, tmp_path: Path, connector: ConnectorStandIn, clock: ManualClock
) -> AsyncIterator[World]:
    async with running_world(database, tmp_path, connector, clock) as built:
        yield built


__all__ = ["web"]
