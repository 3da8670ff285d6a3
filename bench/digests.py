"""One school day's attendance digests through the real notifier, against a stand-in connector
that enforces Teams' limits: `python -m bench.digests [--schools 1000] [--json FILE]`.

Each of `--schools` member schools has one placed pupil and two recipients (its DSL and
attendance lead), each in their own 1:1 chat, all in one tenant. The digest job's function
(`queue_digests`) queues the day's notices on a fresh SQLite database; the notifier renders
each with the attendance feature's renderer and sends it through `LimitedConnector`, which
answers 429 with `Retry-After` whenever a send would break a limit (7 a second and 60 in 30 s
into one conversation, 50 a second per app per tenant) and records every message it accepts.

Figures: the time to deliver all, the bound the limits set (the tenant's 50 a second is the
binding one: each conversation gets one message), their ratio (goal <= 1.1), the 429s, and
messages lost (accepted never) or duplicated (accepted twice), and this process's CPU per
message while sending. The register card's turn CPU beside the echo bot is `bench.turns`'s
`register` scenario (bench/README.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import tempfile
import time
from collections import Counter, deque
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from core.clock import SystemClock
from db.engine import Database
from db.migrate import upgrade_to_head
from db.models.directory import Pupil, School
from db.models.school_calendar import TermDatesRow
from dialogs.attendance.notices import renderers
from domain.attendance.jobs import queue_digests
from domain.conversations import ConversationAddress, remember
from domain.directory.rules import upn_check_letter
from domain.directory.writes import save_person
from domain.notifier import Notifier, SendResult
from domain.roles import Role

TENANT = "00000000-0000-0000-0000-0000000000aa"
PER_CONVERSATION = ((7, 1.0), (60, 30.0))
PER_TENANT = ((50, 1.0),)


class LimitedConnector:
    """Accepts a send only within Teams' limits; else 429 with Retry-After (seconds)."""

    def __init__(self) -> None:
        self.accepted: Counter[str] = Counter()
        self.throttled = 0
        self._times: dict[str, deque[float]] = {}

    def _wait(self, key: str, windows: tuple[tuple[int, float], ...], now: float) -> float:
        times = self._times.setdefault(key, deque())
        while times and times[0] <= now - max(w for _, w in windows):
            times.popleft()
        wait = 0.0
        for limit, seconds in windows:
            inside = [t for t in times if t > now - seconds]
            if len(inside) >= limit:
                wait = max(wait, inside[len(inside) - limit] + seconds - now)
        return wait

    async def send(self, address: ConversationAddress, card: dict[str, Any], text: str, alert: bool) -> SendResult:
        now = time.monotonic()
        conversation = address.conversation_id
        wait = max(self._wait(conversation, PER_CONVERSATION, now), self._wait(TENANT, PER_TENANT, now))
        if wait > 0:
            self.throttled += 1
            return SendResult(429, retry_after=round(wait + 0.05, 3))
        self._times[conversation].append(now)
        self._times[TENANT].append(now)
        self.accepted[conversation] += 1
        return SendResult(201)


def chat_address(user: str, service_url: str = "http://127.0.0.1:1/") -> ConversationAddress:
    """A 1:1 chat with `user` in the bench's tenant (the stand-ins here never call the default
    service URL; `bench.alerts` gives its stand-in connector's)."""
    return ConversationAddress(
        channel_id="msteams",
        service_url=service_url,
        conversation_id=f"a:{user}",
        conversation_type="personal",
        tenant_id=TENANT,
        bot_id="28:bot",
        bot_name="LNCIP assistant",
        user_aad_object_id=None,
        user_id=f"29:{user}",
    )


async def deliver(notifier: Notifier, connector: LimitedConnector, queued: int) -> tuple[float, float]:
    """Run the notifier until the stand-in has accepted `queued` messages; the seconds it took and
    this process's CPU seconds meanwhile."""
    started, cpu_started = time.perf_counter(), time.process_time()
    while sum(connector.accepted.values()) < queued:
        if not await notifier.run_due(max_batch=50):
            await asyncio.sleep(0.01)
        if time.perf_counter() - started > 60 + queued:  # something is wrong: stop with the figures
            break
    return time.perf_counter() - started, time.process_time() - cpu_started


@dataclass
class DigestFigures:
    schools: int
    messages: int
    seconds: float
    bound_seconds: float
    ratio: float
    throttled: int
    cpu_ms_per_message: float  # this process's CPU while sending, per message (render, outbox, send)
    lost: int
    duplicated: int


async def seed(database: Database, schools: int, day: date, service_url: str = "http://127.0.0.1:1/") -> None:
    now = datetime.now(UTC)
    async with database.session() as session:
        session.add(TermDatesRow(kind="term", start_on=day, end_on=day, name="", imported_at=now))
    for n in range(schools):
        async with database.session() as session:
            school = School(dfe_urn=f"{900000 + n}", name=f"Bench School {n}", is_member=True)
            session.add(school)
            await session.flush()
            session.add(
                Pupil(
                    first_name="Pat",
                    last_name=f"Pupil{n}",
                    upn=_upn(n),
                    date_of_birth=date(2011, 1, 1),
                    year_group=10,
                    school_id=school.id,
                    provision="ks4_programme",
                    programme_time="full_time",
                    timetable_pattern={k: "centre" for k in ("mon", "tue", "wed", "thu", "fri")},
                )
            )
            for role in (Role.DSL, Role.ATTENDANCE_LEAD):
                person, _ = await save_person(
                    session,
                    email=f"{role.value}{n}@bench.example.org",
                    display_name="Bench",
                    roles=[role],
                    school_id=school.id,
                )
                await remember(session, chat_address(f"{role.value}-{n}", service_url), person.id, now)


async def measure_digests(schools: int, folder: Path) -> DigestFigures:
    url = f"sqlite+aiosqlite:///{folder / 'digests.db'}"
    await upgrade_to_head(url)
    database = Database(url)
    try:
        day = datetime.now(UTC).date()
        await seed(database, schools, day)
        clock = SystemClock()
        queued = await queue_digests(database, day, clock.now())
        connector = LimitedConnector()
        notifier = Notifier(database, connector, clock, render=_render(database, clock), batch_size=50)
        seconds, cpu = await deliver(notifier, connector, queued)
    finally:
        await database.dispose()
    # The tenant's window lets 50 go at once, then 50 more each second: the last can go after this.
    bound = float(max(math.ceil(queued / PER_TENANT[0][0]) - 1, 0))
    delivered = connector.accepted
    return DigestFigures(
        schools=schools,
        messages=queued,
        seconds=round(seconds, 2),
        bound_seconds=round(bound, 2),
        ratio=round(seconds / bound, 3) if bound else 0.0,
        throttled=connector.throttled,
        cpu_ms_per_message=round(cpu * 1000 / queued, 2) if queued else 0.0,
        lost=queued - len(delivered),
        duplicated=sum(count - 1 for count in delivered.values()),
    )


def _render(database: Database, clock: SystemClock) -> Any:
    from bot.notices import NoticeRenderers

    return NoticeRenderers.of([renderers(database, clock)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.digests", description=__doc__.split("\n")[0])
    parser.add_argument("--schools", type=int, default=1000)
    parser.add_argument("--json", type=Path)
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        figures = asyncio.run(measure_digests(options.schools, Path(folder)))
    print(
        f"digests: {figures.messages} to {figures.schools} schools in {figures.seconds} s; the limits' bound "
        f"{figures.bound_seconds} s; ratio {figures.ratio} (goal <= 1.1); 429s {figures.throttled}; "
        f"CPU {figures.cpu_ms_per_message} ms a message; lost {figures.lost}; duplicated {figures.duplicated}"
    )
    if options.json:
        options.json.write_text(json.dumps({"digests": asdict(figures)}, indent=2), encoding="utf-8")
    return 0


def _upn(n: int) -> str:
    body = f"8554101{n:05d}"
    return upn_check_letter(body) + body


if __name__ == "__main__":
    raise SystemExit(main())
