"""Wires the LNCIP assistant together and runs it: `python app.py`."""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator

from aiohttp import web

from bot.adapter import build_adapter
from bot.handler import LncipBot
from bot.web import ADAPTER, BOT, MAX_BODY_BYTES, READINESS, add_routes
from core import logs
from core.logs import log_event
from core.settings import Settings, SettingsError, load
from knowledge import KnowledgeBase

log = logging.getLogger("lncip.app")


def create_app(settings: Settings) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[READINESS] = []

    async def services(app: web.Application) -> AsyncIterator[None]:
        knowledge = KnowledgeBase.load()
        app[ADAPTER] = build_adapter(settings)
        app[BOT] = LncipBot(settings, knowledge)

        async def knowledge_loaded() -> bool:
            return bool(knowledge.welcome_examples())

        app[READINESS].append(knowledge_loaded)
        log_event(log, "started", local_mode=settings.local_mode, port=settings.port)
        yield
        log_event(log, "stopped")

    app.cleanup_ctx.append(services)
    add_routes(app)
    return app


def main() -> int:
    try:
        settings = load()
    except SettingsError as error:
        print(f"Cannot start: {error}", file=sys.stderr)
        return 2
    logs.configure(settings.log_level)
    if settings.local_mode:
        log_event(
            log,
            "LOCAL MODE: MicrosoftAppId is not set, so requests are accepted WITHOUT authentication. "
            "Use this only on your own machine with a local client.",
            logging.WARNING,
        )
    # run_app handles SIGINT and SIGTERM: it stops accepting, finishes cleanup contexts, then exits.
    web.run_app(create_app(settings), host=settings.host, port=settings.port, print=None, access_log=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
