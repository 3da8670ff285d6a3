"""The floor of the turn benchmark: a bare aiohttp handler that answers like an echo bot.

It parses the activity JSON and POSTs one reply to the connector through one reused
`aiohttp.ClientSession`: no Bot Framework SDK, no authentication, no state. Run by
`bench.targets` as `python -m bench.raw_bot` with `PORT` (and `HOST`) in the environment.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import aiohttp
from aiohttp import web

SESSION: web.AppKey[aiohttp.ClientSession] = web.AppKey("session", aiohttp.ClientSession)


def reply_to(activity: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The connector URL and the reply body for one incoming message activity."""
    conversation = activity["conversation"]
    reply = {
        "type": "message",
        "channelId": activity.get("channelId"),
        "serviceUrl": activity["serviceUrl"],
        "from": activity.get("recipient"),
        "recipient": activity.get("from"),
        "conversation": conversation,
        "replyToId": activity["id"],
        "text": f"Echo: {activity.get('text') or ''}",
    }
    url = (
        f"{activity['serviceUrl'].rstrip('/')}/v3/conversations/{quote(conversation['id'], safe='')}"
        f"/activities/{quote(activity['id'], safe='')}"
    )
    return url, reply


async def messages(request: web.Request) -> web.Response:
    activity = await request.json()
    if activity.get("type") == "message":
        url, reply = reply_to(activity)
        async with request.app[SESSION].post(url, json=reply) as response:
            await response.read()
    return web.Response(status=200)


async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def create_app() -> web.Application:
    app = web.Application()

    async def session(app: web.Application) -> AsyncIterator[None]:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=128)) as client:
            app[SESSION] = client
            yield

    app.cleanup_ctx.append(session)
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    return app


if __name__ == "__main__":
    web.run_app(
        create_app(),
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ["PORT"]),
        print=None,
        access_log=None,
    )
