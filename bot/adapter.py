"""Builds the Bot Framework `CloudAdapter` from our settings, with the turn error handler."""

from __future__ import annotations

import logging
from types import SimpleNamespace

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication

from bot.texts import text
from core.logs import log_event
from core.settings import Settings

log = logging.getLogger("lncip.adapter")


def build_adapter(settings: Settings) -> CloudAdapter:
    """With an app id, the SDK validates every request's token; without one (local mode)
    requests are accepted without a token, as the Playground and Emulator expect."""
    if settings.local_mode:
        config = SimpleNamespace(APP_ID="", APP_PASSWORD="", APP_TYPE="MultiTenant", APP_TENANTID="")
    else:
        config = SimpleNamespace(
            APP_ID=settings.app_id,
            APP_PASSWORD=settings.app_password,
            APP_TYPE=settings.app_type,
            APP_TENANTID=settings.app_tenant_id,
        )
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(config))
    adapter.on_turn_error = _on_turn_error
    return adapter


async def _on_turn_error(context: TurnContext, error: Exception) -> None:
    # The user gets a short apology; the log gets the stack trace but no message text.
    log_event(
        log,
        "turn_failed",
        logging.ERROR,
        error_type=type(error).__name__,
        activity_type=context.activity.type,
        exc_info=error,
    )
    try:
        await context.send_activity(text("error_apology"))
    except Exception as send_error:  # noqa: BLE001 - nothing more we can do for this turn
        log_event(log, "apology_not_sent", logging.ERROR, error_type=type(send_error).__name__)
