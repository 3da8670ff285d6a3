"""HTTP routes: `POST /api/messages` (Bot Framework), `GET /healthz`, `GET /readyz`.

`POST /api/messages` does what `CloudAdapter.process` does for a POST (read the activity,
hand it with the `Authorization` header to `process_activity`, answer 201 or the invoke
response), with the body parsed once and read into an `Activity` by `ModelCodec`."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from botbuilder.core import ActivityHandler, serializer_helper
from botbuilder.integration.aiohttp import CloudAdapter
from msrest.exceptions import DeserializationError

from bot.activity_checks import activity_problem
from bot.sdk_fastpaths.adapter import AuthenticationFailed
from bot.sdk_fastpaths.model_codec import SCHEMA
from core.logs import log_event

log = logging.getLogger("lncip.web")

ADAPTER: web.AppKey[CloudAdapter] = web.AppKey("adapter", CloudAdapter)
BOT: web.AppKey[ActivityHandler] = web.AppKey("bot", ActivityHandler)
READINESS: web.AppKey[list[Callable[[], Awaitable[bool]]]] = web.AppKey("readiness", list)

MAX_BODY_BYTES = 256 * 1024


def _bad_request(reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=400)


async def messages(request: web.Request) -> web.StreamResponse:
    if "application/json" not in request.headers.get("Content-Type", ""):
        return web.json_response({"error": "Content-Type must be application/json"}, status=415)
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _bad_request("the body is not valid JSON")
    if not isinstance(body, dict) or not isinstance(body.get("type"), str) or not body["type"]:
        return _bad_request("the body must be a Bot Framework activity with a 'type'")
    for field in ("conversation", "from", "recipient"):
        if field in body and not isinstance(body[field], dict):
            return _bad_request(f"'{field}' must be an object")
    if body["type"] == "message" and not isinstance(body.get("serviceUrl"), str):
        return _bad_request("a message activity needs a 'serviceUrl'")
    if problem := activity_problem(body):  # ids that fit their columns, no NUL, a string `text`
        return _bad_request(problem)
    try:
        activity = SCHEMA.deserialize("Activity", body)
    except DeserializationError:
        return _bad_request("the body is not a Bot Framework activity (a field has the wrong type)")
    try:
        invoke_response = await request.app[ADAPTER].process_activity(
            request.headers.get("Authorization", ""), activity, request.app[BOT].on_turn
        )
    except PermissionError as error:
        # Every failure to authenticate (`ReusingClientsAuthentication` turns each into
        # `AuthenticationFailed`); logged by kind only, never with the token or its claims.
        reason = error.reason if isinstance(error, AuthenticationFailed) else type(error).__name__
        log_event(log, "unauthorised", logging.WARNING, reason=reason, activity_type=activity.type)
        raise web.HTTPUnauthorized() from None
    if invoke_response:
        return web.json_response(data=serializer_helper(invoke_response.body), status=invoke_response.status)
    return web.Response(status=201)


async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    checks = request.app.get(READINESS, [])
    for check in checks:
        try:
            if not await check():
                return web.json_response({"status": "not ready"}, status=503)
        except Exception as error:
            log_event(log, "not_ready", logging.WARNING, error_type=type(error).__name__)
            return web.json_response({"status": "not ready"}, status=503)
    if not checks:
        return web.json_response({"status": "starting"}, status=503)
    return web.json_response({"status": "ready"})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
