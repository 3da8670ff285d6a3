"""A safeguarding concern's time from "report" to the DSL's card, while the day's attendance digests
go out: `python -m bench.alerts [--schools 1000] [--concerns 100] [--reporters 8] [--pause 1] [--json FILE]`.

The app runs in this process (local mode, a fresh SQLite database, its own notifier and
scheduler) and is spoken to over HTTP, as Teams would: every turn is a POST to `/api/messages`.
The schools, their placed pupils and their DSLs' and attendance leads' chats are the digest
benchmark's (`bench.digests.seed`); the stand-in Bot Connector is `bench.connector`'s, which takes
the bot's replies, with `bench.digests.LimitedConnector` in front of the proactive sends: a send
that would break Teams' limits (7 a second and 60 in 30 s into one chat, 50 a second for the
tenant) is answered 429 with `Retry-After`.

At the start the digest job's function (`queue_digests`) queues one digest to every DSL and
attendance lead (2 x `--schools`, about 2 x schools / 50 seconds of sending at the tenant's
limit), and at the same moment `--reporters` Partnership staff members, each in their own chat,
report `--concerns` concerns between them through the whole dialog ("report a safeguarding
concern", "no", the pupil's name, what was seen, what was done), each about a pupil of another
school, about `--pause` seconds between a reporter's answers (typing: each pause is `--pause` give
or take half, seeded, so that the reporters do not answer in step; 0: each answer as soon as the
last reply is in, which keeps the bot's one event loop busy with turns all the time).

**A concern's latency** runs from just before the POST of its last answer (the turn that records
it) to the arrival of its alert card at the stand-in (each card carries its concern's marker).
Figures: p50, p99 and the slowest (goal p99 under 2 s), how many digests were still waiting when
each concern was recorded, the time the digests took and the 429s; then the stock echo bot's turn
(POST to its reply) through the same client and stand-in, as the floor.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import statistics
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import func, select

from bench.activities import BOT_ID, ActivityTemplate, VirtualUser, json_text
from bench.connector import StandInConnector
from bench.digests import TENANT, LimitedConnector, seed
from bench.in_process import serve
from core.clock import SystemClock
from core.settings import Settings
from db.engine import Database
from db.migrate import upgrade_to_head
from db.models.proactive import Notification
from domain.attendance import notices
from domain.attendance.jobs import queue_digests
from domain.conversations import ConversationAddress
from domain.directory.writes import save_person
from domain.roles import Role

MARKER = re.compile(rb"bench concern (\d+)\b")
DIGEST = notices.DIGEST
ALERT_TIMEOUT = 120.0  # seconds a concern's alert may take before it counts as lost
REPORTER_AAD = "00000000-0000-0000-0000-00000000c{:03d}"


class LimitedStandIn(StandInConnector):
    """`StandInConnector` for the bot's replies; its proactive posts (the notifier's: a POST to
    `/activities` with no activity id) pass `LimitedConnector`'s limits or get 429 and
    `Retry-After`. The arrival of each concern's alert is kept by its marker."""

    def __init__(self) -> None:
        super().__init__()
        self.limits = LimitedConnector()
        self.alerts: dict[int, float] = {}
        self.proactive = 0

    async def _handle(self, request: web.Request) -> web.Response:
        if request.method != "POST" or request.match_info.get("activity_id"):
            return await super()._handle(request)
        arrived = time.perf_counter()
        body = await request.read()
        address = ConversationAddress(
            "msteams",
            self.url,
            request.match_info["conversation_id"],
            "personal",
            TENANT,
            BOT_ID,
            "LNCIP assistant",
            user_id="29:someone",
        )
        result = await self.limits.send(address, {}, "", False)
        if not result.ok:
            headers = {"Retry-After": str(result.retry_after)}
            return web.json_response({"error": {"code": "Throttled"}}, status=429, headers=headers)
        self.proactive += 1
        found = MARKER.search(body)
        if found:
            self.alerts.setdefault(int(found.group(1)), arrived)
        return web.json_response({"id": f"stand-in-{self.proactive}"}, status=201)


@dataclass
class Concern:
    number: int
    reported_at: float = 0.0  # perf_counter just before the last answer's POST
    digests_waiting: int = 0  # digests not yet sent at that moment


@dataclass
class AlertFigures:
    concerns: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    lost: int
    digests: int
    digests_seconds: float
    digests_waiting_median: float
    digests_waiting_min: int
    throttled: int
    echo_p50_ms: float
    echo_p99_ms: float
    latencies_ms: list[float] = field(default_factory=list)


class Chat:
    """One reporter's personal chat with the bot: a turn is one POST, its replies are what the
    stand-in received for the chat while the POST was answered."""

    def __init__(
        self, client: aiohttp.ClientSession, bot: str, template: ActivityTemplate, user: VirtualUser, pause: float
    ) -> None:
        self.client, self.bot, self.template, self.user, self.pause = client, bot, template, user, pause
        self.replies: list[bytes] = []
        # People do not answer in step: each pause is `pause` give or take half (seeded per chat).
        self.typing = random.Random(user.conversation_id)

    async def typed(self) -> None:
        if self.pause:
            await asyncio.sleep(self.pause * self.typing.uniform(0.5, 1.5))

    async def say(self, text: str, *, typed: bool = True) -> str:
        if typed:
            await self.typed()  # the reporter reads the question and types
        seen = len(self.replies)
        body = self.template.body(self.user, uuid.uuid4().hex, json_text(text))
        headers = {"Content-Type": "application/json"}
        async with self.client.post(f"{self.bot}/api/messages", data=body, headers=headers) as response:
            await response.read()
            if response.status not in (200, 201):
                raise RuntimeError(f"the bot answered {response.status} to {text!r}")
        return " ".join(reply.decode() for reply in self.replies[seen:])


async def _digests_waiting(database: Database) -> int:
    async with database.session() as session:
        query = select(func.count()).where(Notification.kind == DIGEST, Notification.sent_at.is_(None))
        return int(await session.scalar(query) or 0)


async def _report(chat: Chat, concern: Concern, pupil: str, database: Database) -> None:
    await chat.say("report a safeguarding concern")
    await chat.say("no")
    said = await chat.say(pupil)
    if "Which pupil?" in said:  # names alike (Pat Pupil12, Pat Pupil120): take the one named
        picked = re.search(rf"\*\*(\d+)\*\* {re.escape(pupil)} \(", said)
        if picked is None:
            raise RuntimeError(f"no choice for {pupil} in {said[:300]!r}")
        said = await chat.say(picked.group(1))
    if "What did you see or hear?" not in said:
        raise RuntimeError(f"unexpected reply to the pupil's name: {said[:300]!r}")
    await chat.say(f"Said 'I am scared to go home' (bench concern {concern.number}).")
    await chat.typed()  # before the clock starts
    concern.digests_waiting = await _digests_waiting(database)
    concern.reported_at = time.perf_counter()
    said = await chat.say("Stayed with the pupil.", typed=False)
    if "Recorded." not in said:
        raise RuntimeError(f"the concern was not recorded: {said[:300]!r}")


async def _reporter(chat: Chat, concerns: list[Concern], schools: int, database: Database) -> None:
    for concern in concerns:
        school = (concern.number * 7) % schools  # spread over the schools
        await _report(chat, concern, f"Pat Pupil{school}", database)


async def _add_reporters(database: Database, count: int) -> list[str]:
    ids = [REPORTER_AAD.format(n) for n in range(count)]
    async with database.session() as session:
        for n, aad in enumerate(ids):
            await save_person(
                session,
                email=f"reporter{n}@bench.example.org",
                display_name=f"Bench Reporter {n}",
                roles=[Role.PARTNERSHIP_STAFF],
                school_id=None,
                aad_object_id=aad,
            )
    return ids


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


async def _echo_latencies(client: aiohttp.ClientSession, connector: str, turns: int) -> list[float]:
    from botbuilder.integration.aiohttp import aiohttp_error_middleware

    from bench.echo_bot import messages

    # The stock sample, served as its own `APP` is; a new application, since one can be served
    # on one event loop only and the register benchmark serves `APP`.
    app = web.Application(middlewares=[aiohttp_error_middleware])
    app.router.add_post("/api/messages", messages)
    runner, echo = await serve(app)
    template, user = ActivityTemplate(connector), VirtualUser.numbered("echo", 0)
    latencies = []
    try:
        for n in range(turns + 5):
            body = template.body(user, uuid.uuid4().hex, json_text("Stayed with the pupil."))
            started = time.perf_counter()
            async with client.post(
                f"{echo}/api/messages", data=body, headers={"Content-Type": "application/json"}
            ) as r:
                await r.read()
            if n >= 5:  # warm-up
                latencies.append((time.perf_counter() - started) * 1000)
    finally:
        await runner.cleanup()
    return latencies


async def measure_alerts(schools: int, concerns: int, reporters: int, folder: Path, pause: float = 1.0) -> AlertFigures:
    from app import create_app

    url = f"sqlite+aiosqlite:///{folder / 'alerts.db'}"
    await upgrade_to_head(url)
    database = Database(url)
    async with LimitedStandIn() as connector:
        day = datetime.now(UTC).date()
        await seed(database, schools, day, service_url=connector.url)
        aads = await _add_reporters(database, reporters)
        app = create_app(Settings(data_dir=folder, database_url=url), clock=SystemClock())
        runner, bot = await serve(app)
        template = ActivityTemplate(connector.url)
        work = [Concern(n) for n in range(concerns)]
        try:
            async with aiohttp.ClientSession() as client:
                chats = []
                for n, aad in enumerate(aads):
                    user = VirtualUser(f"a:reporter-{n}", f"29:reporter-{n}".encode(), aad.encode())
                    chat = Chat(client, bot, template, user, pause)
                    chat.replies = connector.capture(user.conversation_id)
                    chats.append(chat)
                await chats[0].say("hello")  # the app's first turn loads what it loads once
                digests_started = time.perf_counter()
                queued = asyncio.create_task(queue_digests(database, day, datetime.now(UTC)))
                await asyncio.sleep(0.5)  # the job is under way: the first digests are queued
                await asyncio.gather(
                    *(_reporter(chat, work[n::reporters], schools, database) for n, chat in enumerate(chats))
                )
                digests = await queued
                deadline = time.perf_counter() + ALERT_TIMEOUT
                while time.perf_counter() < deadline and (
                    len(connector.alerts) < concerns or await _digests_waiting(database)
                ):
                    await asyncio.sleep(0.1)
                digests_seconds = time.perf_counter() - digests_started
                echo = await _echo_latencies(client, connector.url, 200)
        finally:
            await runner.cleanup()
            await database.dispose()
    latencies = [(connector.alerts[c.number] - c.reported_at) * 1000 for c in work if c.number in connector.alerts]
    waiting = [c.digests_waiting for c in work]
    return AlertFigures(
        concerns=concerns,
        p50_ms=round(_percentile(latencies, 0.50), 1),
        p99_ms=round(_percentile(latencies, 0.99), 1),
        max_ms=round(max(latencies, default=0.0), 1),
        lost=concerns - len(latencies),
        digests=digests,
        digests_seconds=round(digests_seconds, 1),
        digests_waiting_median=statistics.median(waiting) if waiting else 0,
        digests_waiting_min=min(waiting, default=0),
        throttled=connector.limits.throttled,
        echo_p50_ms=round(_percentile(echo, 0.50), 1),
        echo_p99_ms=round(_percentile(echo, 0.99), 1),
        latencies_ms=[round(value, 1) for value in latencies],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.alerts", description=__doc__.split("\n")[0])
    parser.add_argument("--schools", type=int, default=1000, help="schools getting the day's digests")
    parser.add_argument("--concerns", type=int, default=100)
    parser.add_argument("--reporters", type=int, default=8, help="Partnership staff reporting at once")
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between a reporter's answers")
    parser.add_argument("--json", type=Path)
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        figures = asyncio.run(
            measure_alerts(options.schools, options.concerns, options.reporters, Path(folder), options.pause)
        )
    print(
        f"alerts: {figures.concerns} concerns by {options.reporters} reporters ({options.pause} s between answers); "
        f"report -> DSL's card p50 "
        f"{figures.p50_ms} ms, p99 {figures.p99_ms} ms, slowest {figures.max_ms} ms (goal p99 < 2000 ms); "
        f"lost {figures.lost}"
    )
    print(
        f"digests at the same moment: {figures.digests} to {options.schools} schools, all sent after "
        f"{figures.digests_seconds} s; still waiting when a concern was recorded: median "
        f"{figures.digests_waiting_median}, fewest {figures.digests_waiting_min}; 429s {figures.throttled}"
    )
    print(
        f"echo bot turn (POST to its reply, same client and stand-in): p50 {figures.echo_p50_ms} ms, "
        f"p99 {figures.echo_p99_ms} ms"
    )
    if options.json:
        data: dict[str, Any] = {"options": vars(options) | {"json": str(options.json)}, "figures": asdict(figures)}
        options.json.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return 0 if figures.lost == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
