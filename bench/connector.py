"""The stand-in Bot Connector, run inside the benchmark process.

Targets reply by POSTing to `{serviceUrl}/v3/conversations/{id}/activities/{replyToId}`
(proactive sends: `/activities`, or `/activities/{new id}`). Each reply is matched to the
turn waiting for it, by `replyToId` first and then by conversation id (each virtual user has
at most one turn in flight), and the turn's future gets the arrival time and the body.
Typing indicators are acknowledged but do not end a turn.
"""

from __future__ import annotations

import asyncio
import time
from types import TracebackType

from aiohttp import web

Reply = tuple[float, bytes]
_ANSWER = b'{"id": "stand-in"}'
_TYPING = (b'"type": "typing"', b'"type":"typing"')


class StandInConnector:
    def __init__(self) -> None:
        self.url = ""
        self.unmatched = 0
        self._by_activity: dict[str, tuple[str, asyncio.Future[Reply]]] = {}
        self._by_conversation: dict[str, str] = {}
        self._captures: dict[str, list[bytes]] = {}
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> StandInConnector:
        app = web.Application(client_max_size=1024 * 1024)
        base = "/v3/conversations/{conversation_id}/activities"
        app.router.add_post(base, self._handle)
        app.router.add_post(base + "/{activity_id}", self._handle)
        app.router.add_put(base + "/{activity_id}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self

    async def __aexit__(
        self, _type: type[BaseException] | None, _error: BaseException | None, _tb: TracebackType | None
    ) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def expect(self, activity_id: str, conversation_id: str) -> asyncio.Future[Reply]:
        """A future for the first reply to `activity_id` in `conversation_id`."""
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self._by_activity[activity_id] = (conversation_id, future)
        self._by_conversation[conversation_id] = activity_id
        return future

    def forget(self, activity_id: str) -> None:
        entry = self._by_activity.pop(activity_id, None)
        if entry and self._by_conversation.get(entry[0]) == activity_id:
            del self._by_conversation[entry[0]]

    def capture(self, conversation_id: str) -> list[bytes]:
        """Every body sent to `conversation_id` from now on is appended to the returned list."""
        return self._captures.setdefault(conversation_id, [])

    def release(self, conversation_id: str) -> None:
        self._captures.pop(conversation_id, None)

    async def _handle(self, request: web.Request) -> web.Response:
        arrived = time.perf_counter()
        body = await request.read()
        conversation_id = request.match_info["conversation_id"]
        if self._captures and conversation_id in self._captures:
            self._captures[conversation_id].append(body)
        if not any(marker in body for marker in _TYPING):
            self._resolve(request.match_info.get("activity_id"), conversation_id, (arrived, body))
        return web.Response(body=_ANSWER, content_type="application/json")

    def _resolve(self, activity_id: str | None, conversation_id: str, reply: Reply) -> None:
        if activity_id not in self._by_activity:
            activity_id = self._by_conversation.get(conversation_id)
        entry = self._by_activity.get(activity_id) if activity_id else None
        if activity_id is None or entry is None or entry[1].done():
            self.unmatched += 1  # a second reply in one turn, or a late one after a timeout
            return
        self.forget(activity_id)
        entry[1].set_result(reply)
