"""The register card's turn CPU beside the stock echo bot's, both in this process (local mode,
SQLite, a stand-in connector that answers every send): `measure_turns(turns, folder)`.

Each measured turn is a `register` message from a Partnership staff member with ten pupils
expected today, answered with the register card; the echo turn is the stock sample answering
"Echo: register". CPU is this process's (`time.process_time`) over the turns, client and
stand-in included for both, divided by the turns: the difference is the bot's extra work.
"""

from __future__ import annotations

import socket
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from core.clock import SystemClock
from core.settings import Settings
from db.engine import Database
from db.migrate import upgrade_to_head
from db.models.directory import Pupil, School
from db.models.school_calendar import TermDatesRow
from domain.directory.rules import upn_check_letter
from domain.directory.writes import save_person
from domain.roles import Role

STAFF_AAD = "00000000-0000-0000-0000-00000000b001"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = _port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}"


async def _seed(url: str) -> None:
    database = Database(url)
    now, today = datetime.now(UTC), datetime.now(UTC).date()
    try:
        async with database.session() as session:
            session.add(TermDatesRow(kind="term", start_on=today, end_on=today, name="", imported_at=now))
            school = School(dfe_urn="990901", name="Bench Academy", is_member=True)
            session.add(school)
            await session.flush()
            every_day = {day: "centre" for day in WEEKDAYS}
            session.add_all(
                Pupil(
                    first_name="Pat",
                    last_name=f"Pupil{n}",
                    upn=_upn(n),
                    date_of_birth=date(2011, 1, 1),
                    year_group=10,
                    school_id=school.id,
                    provision="ks4_programme",
                    programme_time="full_time",
                    timetable_pattern=every_day,
                )
                for n in range(10)
            )
            await save_person(
                session,
                email="staff@bench.example.org",
                display_name="Bench Staff",
                roles=[Role.PARTNERSHIP_STAFF],
                school_id=None,
                aad_object_id=STAFF_AAD,
            )
    finally:
        await database.dispose()


def _activity(connector: str, text: str) -> dict[str, Any]:
    return {
        "type": "message",
        "id": uuid.uuid4().hex,
        "channelId": "msteams",
        "serviceUrl": connector,
        "text": text,
        "from": {"id": "29:bench", "aadObjectId": STAFF_AAD},
        "recipient": {"id": "28:bot"},
        "conversation": {"id": "a:bench", "conversationType": "personal", "tenantId": "t"},
        "channelData": {"tenant": {"id": "t"}},
    }


async def _cpu_per_turn(url: str, connector: str, turns: int, text: str) -> float:
    async with aiohttp.ClientSession() as session:
        for _ in range(3):  # warm-up
            async with session.post(f"{url}/api/messages", json=_activity(connector, text)) as response:
                await response.read()
        started = time.process_time()
        for _ in range(turns):
            async with session.post(f"{url}/api/messages", json=_activity(connector, text)) as response:
                await response.read()
                assert response.status in (200, 201), response.status
        return round((time.process_time() - started) * 1000 / turns, 2)


async def measure_turns(turns: int, folder: Path) -> dict[str, float | int]:
    from app import create_app
    from bench.echo_bot import APP as ECHO

    async def answer(_request: web.Request) -> web.Response:
        return web.json_response({"id": "stand-in"})

    stand_in = web.Application()
    stand_in.router.add_route("*", "/{tail:.*}", answer)
    connector_runner, connector = await _serve(stand_in)
    url = f"sqlite+aiosqlite:///{folder / 'turns.db'}"
    await upgrade_to_head(url)
    await _seed(url)
    bot_runner, bot = await _serve(create_app(Settings(data_dir=folder, database_url=url), clock=SystemClock()))
    echo_runner, echo = await _serve(ECHO)
    try:
        register = await _cpu_per_turn(bot, connector, turns, "register")
        echoed = await _cpu_per_turn(echo, connector, turns, "register")
    finally:
        for runner in (bot_runner, echo_runner, connector_runner):
            await runner.cleanup()
    return {"turns": turns, "register_cpu_ms": register, "echo_cpu_ms": echoed}


def _upn(n: int) -> str:
    body = f"8554101{n:05d}"
    return upn_check_letter(body) + body
