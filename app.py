"""Wires the LNCIP assistant together and runs it: `python app.py`."""

from __future__ import annotations

import asyncio
import errno
import gc
import logging
import sys
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from typing import Any

from aiohttp import web

from bot.agenda_page import agenda_page
from bot.features import Feature, FeatureFactory, FeatureServices
from bot.handler import LncipBot
from bot.notices import NoticeRenderers
from bot.proactive import BotFrameworkSender
from bot.provider_api import provider_api
from bot.sdk_fastpaths.adapter import build_adapter
from bot.storage import DatabaseConversationState, DatabaseStorage
from bot.web import ADAPTER, BOT, MAX_BODY_BYTES, READINESS, add_routes
from core.clock import Clock, SystemClock
from core.logs import log_event
from core.settings import Settings, load_for_command
from core.signed_links import signed_links
from db.engine import Database
from db.migrate import migrate_for
from dialogs import attendance, forum, people, qa_feedback, referrals, safeguarding
from domain.notifier import Notifier
from domain.scheduler import Scheduler
from knowledge import KnowledgeBase

log = logging.getLogger("lncip.app")

# The product's features, one line each: `help`, the Teams command menu (manifest/build.py),
# the notifier's renderers and the scheduler's jobs all come from these registrations.
FEATURES: tuple[FeatureFactory, ...] = (
    people.feature,
    attendance.feature,
    referrals.feature,
    forum.feature,
    safeguarding.feature,
    qa_feedback.feature,
)

DATABASE: web.AppKey[Database] = web.AppKey("database", Database)
NOTIFIER: web.AppKey[Notifier] = web.AppKey("notifier", Notifier)
SCHEDULER: web.AppKey[Scheduler] = web.AppKey("scheduler", Scheduler)


def create_app(
    settings: Settings,
    clock: Clock | None = None,
    knowledge: KnowledgeBase | None = None,
    extra_features: Sequence[Feature] = (),
) -> web.Application:
    """The app; `extra_features` are added to the product's own (tests register samples)."""
    clock = clock or SystemClock()
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[READINESS] = []

    async def services(app: web.Application) -> AsyncIterator[None]:
        await migrate_for(settings)  # as MIGRATION_DATABASE_URL's role when set
        database = Database(settings.effective_database_url)
        kb = knowledge or KnowledgeBase.load()
        adapter = build_adapter(settings, clock=clock)
        app[DATABASE] = database
        app[ADAPTER] = adapter
        services = FeatureServices(database, settings, clock)
        features = [*(make(services) for make in FEATURES), *extra_features]
        state = DatabaseConversationState(DatabaseStorage(database))
        app[BOT] = LncipBot(settings, kb, database=database, conversation_state=state, features=features, clock=clock)
        renderers = NoticeRenderers.of(feature.notice_renderers for feature in features)
        sender = BotFrameworkSender(adapter, settings.app_id, clock=clock)
        sending, running = claim_timings(settings.claim_lease_seconds)
        app[NOTIFIER] = Notifier(database, sender, clock, render=renderers, **sending)
        jobs = [job for feature in features for job in feature.jobs]
        app[SCHEDULER] = Scheduler(database, clock, jobs, **running)
        app[READINESS].append(database.ping)
        log_event(log, "started", local_mode=settings.local_mode, port=settings.port)
        yield
        await adapter.bot_framework_authentication.close()
        await database.dispose()
        log_event(log, "stopped")

    async def notifier_loop(app: web.Application) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(app[NOTIFIER].run_forever(stop), name="notifier")
        yield
        stop.set()
        await task

    async def scheduler_loop(app: web.Application) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(app[SCHEDULER].run_forever(stop), name="scheduler")
        yield
        stop.set()
        await task

    app.cleanup_ctx.append(services)
    app.cleanup_ctx.append(notifier_loop)
    app.cleanup_ctx.append(scheduler_loop)
    add_routes(app)
    app.router.add_routes(provider_api(lambda running: running[DATABASE], clock))
    app.router.add_routes(agenda_page(lambda running: running[DATABASE], clock, signed_links(settings)))
    return app


def claim_timings(lease_seconds: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The notifier's and the scheduler's timings for `CLAIM_LEASE_SECONDS` (0: their own): a
    send or a job run times out well inside the lease that covers it, so no other instance can
    take over what is still being worked on."""
    if not lease_seconds:
        return {}, {}
    lease = timedelta(seconds=lease_seconds)
    sending = {"lease": lease, "send_timeout": lease_seconds / 4, "max_wait_in_batch": min(5.0, lease_seconds / 8)}
    return sending, {"lease": lease, "run_timeout": lease / 2}


async def _settle_memory(_app: web.Application) -> None:
    """Once started: what start-up made (the knowledge base's indexes, the SDK's modules) lives
    as long as the process, so the garbage collector stops looking through it on every full pass."""
    gc.collect()
    gc.freeze()


def main() -> int:
    settings = load_for_command("Cannot start")
    if settings is None:
        return 2
    refusal = settings.start_refusal()
    if refusal is not None:
        print(f"Cannot start: {refusal}", file=sys.stderr)
        return 2
    if settings.local_mode_exposed:
        log_event(
            log,
            f"LOCAL MODE ON THE NETWORK: MicrosoftAppId is not set and HOST={settings.host} is not loopback "
            "(LOCAL_MODE_ON_NETWORK=i-understand), so ANYONE WHO CAN REACH THIS PORT can act as ANY USER, "
            "including the Partnership admin. Never do this with real pupil data.",
            logging.ERROR,
        )
    elif settings.local_mode:
        log_event(
            log,
            "LOCAL MODE: MicrosoftAppId is not set, so requests are accepted WITHOUT authentication. "
            "Use this only on your own machine with a local client.",
            logging.WARNING,
        )
    app = create_app(settings)
    app.on_startup.append(_settle_memory)
    # run_app handles SIGINT and SIGTERM: it stops accepting, runs the cleanup contexts, then exits.
    try:
        web.run_app(app, host=settings.host, port=settings.port, print=None, access_log=None)
    except OSError as error:
        if error.errno not in (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL):
            raise
        print(
            f"Cannot start: port {settings.port} on {settings.host} is in use or not allowed ({error.strerror}). "
            "Stop whatever uses it, or set PORT to another port.",
            file=sys.stderr,
        )
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
