"""Serving aiohttp apps inside the benchmark's own process, and the stock echo bot's CPU per turn
measured there: the yardstick for the in-process benchmarks (`bench.forum`, `bench.alerts`).
`bench.turns` runs each target in its own process instead."""

from __future__ import annotations

import time
import uuid
from typing import Any

import aiohttp
from aiohttp import web

from bench.targets import free_port


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    """Start `app` on a free port of 127.0.0.1; its runner (to clean up) and its URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}"


def _activity(connector: str, text: str) -> dict[str, Any]:
    return {
        "type": "message",
        "id": uuid.uuid4().hex,
        "channelId": "msteams",
        "serviceUrl": connector,
        "text": text,
        "from": {"id": "29:bench"},
        "recipient": {"id": "28:bot"},
        "conversation": {"id": "a:bench", "conversationType": "personal", "tenantId": "t"},
        "channelData": {"tenant": {"id": "t"}},
    }


async def echo_cpu_per_turn(turns: int, text: str = "hello") -> float:
    """This process's CPU per turn (ms) of the stock echo bot answering `turns` messages through a
    stand-in connector, client and stand-in included."""
    from bench.echo_bot import APP as ECHO

    async def answer(_request: web.Request) -> web.Response:
        return web.json_response({"id": "stand-in"})

    stand_in = web.Application()
    stand_in.router.add_route("*", "/{tail:.*}", answer)
    connector_runner, connector = await serve(stand_in)
    echo_runner, echo = await serve(ECHO)
    try:
        async with aiohttp.ClientSession() as session:
            for n in range(3 + turns):  # three to warm up
                if n == 3:
                    started = time.process_time()
                async with session.post(f"{echo}/api/messages", json=_activity(connector, text)) as response:
                    await response.read()
                    assert response.status in (200, 201), response.status
        return round((time.process_time() - started) * 1000 / turns, 2)
    finally:
        for runner in (echo_runner, connector_runner):
            await runner.cleanup()
