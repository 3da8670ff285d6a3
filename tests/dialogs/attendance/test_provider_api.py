"""`POST /api/attendance/{provider_id}` over HTTP, on SQLite and PostgreSQL: a good file, the
same file twice, a bad row, a wrong key, another provider's pupil, too big a body."""

from __future__ import annotations

import io
from typing import Any

import aiohttp

from core.clock import ManualClock
from db.engine import Database
from domain.attendance.providers import add_provider, issue_key
from domain.requester import Requester
from tests.dialogs.attendance.conftest import Running
from tests.domain.attendance.conftest import World, move_to, utc
from tests.domain.attendance.test_providers import AT_CENTRE, GOOD, marks


async def post(running: Running, provider: int, key: str, body: str | bytes) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{running.url}/api/attendance/{provider}",
            data=io.BytesIO(body.encode() if isinstance(body, str) else body),
            headers={"X-Api-Key": key, "Content-Type": "text/csv"},
        ) as response:
            return response.status, await response.json()


async def test_a_provider_sends_its_register_by_api_key(
    running: Running, database: Database, clock: ManualClock, world: World
) -> None:
    move_to(clock, utc(2026, 11, 2, 16, 0))
    operator = Requester.at_command_line()
    key = (await issue_key(database, operator, world.provider, clock=clock)).secret

    status, body = await post(running, world.provider, key, GOOD)
    assert (status, body["accepted"], body["added"], body["already_imported"]) == (200, True, 2, False)
    status, body = await post(running, world.provider, key, GOOD)  # the same file again
    assert (status, body["already_imported"], body["added"]) == (200, True, 0)
    assert await marks(database) == 2

    bad = GOOD.replace("late,09:20", "late,") + "X,2026-11-02,zz,present,,,\n"
    status, body = await post(running, world.provider, key, bad)
    assert status == 422 and body["accepted"] is False
    assert {"row": 2, "column": "mark", "problem": "a late mark needs a time"} in body["problems"]
    assert await marks(database) == 2  # nothing of the batch applied

    theirs = "upn,date,session,mark,time,reason,given_by\n" + f"{AT_CENTRE},2026-11-02,am,present,,,\n"
    status, body = await post(running, world.provider, key, theirs)
    assert status == 422 and body["problems"] == [
        {"row": 2, "column": "upn", "problem": "not a pupil placed with this provider"}
    ]
    assert AT_CENTRE not in str(body)

    other = await add_provider(database, operator, "Another Provider", clock=clock)
    other_key = (await issue_key(database, operator, other.id, clock=clock)).secret
    for provider, wrong in ((world.provider, key[:-2] + "xx"), (world.provider, other_key), (world.provider, "")):
        status, body = await post(running, provider, wrong, GOOD)
        assert status == 401 and "accepted" not in body
    status, body = await post(running, world.provider, key, b"x" * (1024 * 1024 + 1))
    assert status == 413
