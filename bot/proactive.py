"""The Bot Framework edge of proactive messages: plain addresses in, SDK calls out.

`BotFrameworkSender` is the notifier's `Sender`: it turns a stored `ConversationAddress` into a
botbuilder `ConversationReference`, posts one activity (an Adaptive Card and/or text) with
`CloudAdapter.continue_conversation`, and turns what the SDK raises into a plain `SendResult`.
Retrying is the notifier's job, so msrest's own hidden retries (3 connection retries with
backoff) are switched off on the proactive client, and every send is bounded by a timeout.

`address_from_activity` is the other direction: the address to remember from an incoming
activity.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp
import requests
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import (
    Activity,
    ChannelAccount,
    ConversationAccount,
    ConversationReference,
)
from msrest.exceptions import ClientRequestError, HttpOperationError

from bot.activities import message_activity
from core.clock import Clock, SystemClock
from core.logs import log_event
from domain.conversations import CHANNEL, CONVERSATION_TYPES, GROUP_CHAT, PERSONAL, ConversationAddress
from domain.notifier import NO_RESPONSE, TIMEOUT, SendResult
from domain.outbox import CONNECTION_ERROR

logger = logging.getLogger(__name__)


class BotFrameworkSender:
    """Sends through a botbuilder `CloudAdapter`; with an empty `app_id` (local mode) the
    adapter sends without a token, which the Playground and the test stand-in accept."""

    def __init__(
        self, adapter: CloudAdapter, app_id: str, *, timeout: float = 10.0, clock: Clock | None = None
    ) -> None:
        self.adapter = adapter
        self.app_id = app_id
        self.timeout = timeout
        self.clock = clock or SystemClock()

    async def send(self, address: ConversationAddress, card: dict[str, Any], text: str, alert: bool) -> SendResult:
        """Post a new message; the result carries the id Teams gave it."""
        return await self._in_conversation(address, message_activity(card, text, alert), None)

    async def update(
        self, address: ConversationAddress, activity_id: str, card: dict[str, Any], text: str
    ) -> SendResult:
        """Replace the message `activity_id` (one this bot sent into that chat) in place."""
        return await self._in_conversation(address, message_activity(card, text, False), activity_id)

    async def _in_conversation(
        self, address: ConversationAddress, activity: Activity, replacing: str | None
    ) -> SendResult:
        # The failure is caught inside the turn: otherwise an adapter `on_turn_error` handler
        # would swallow it (and try to apologise into the very chat that failed).
        failures: list[Exception] = []
        delivered = False
        sent_id: str | None = None

        async def post(context: TurnContext) -> None:
            nonlocal delivered, sent_id
            client = context.turn_state.get(self.adapter.BOT_CONNECTOR_CLIENT_KEY)
            if client is not None:
                # The client is kept for the next proactive send to this service URL, but never
                # used for replies (bot/sdk_fastpaths/adapter.py keeps proactive clients apart), so this tuning
                # stays with proactive sends.
                client.config.retry_policy.retries = 0  # the notifier retries, visibly
                client.config.connection.timeout = self.timeout  # frees requests' worker thread
            # Without an id on the continuation activity the SDK posts a new message to
            # /activities instead of a "reply" to a made-up id.
            context.activity.id = None
            try:
                if replacing is not None:
                    activity.id = replacing
                    await context.update_activity(activity)
                    sent_id = replacing
                else:
                    response = await context.send_activity(activity)
                    sent_id = getattr(response, "id", None)
                delivered = True
            except Exception as error:
                failures.append(error)

        try:
            await asyncio.wait_for(
                self.adapter.continue_conversation(reference_for(address), post, self.app_id), self.timeout
            )
        except TimeoutError:
            return SendResult(NO_RESPONSE, None, TIMEOUT)
        except Exception as error:
            failures.append(error)
        if failures:
            return self._from_error(failures[0])
        if not delivered:  # a middleware ended the turn before our callback ran
            return SendResult(NO_RESPONSE, None, "not_sent")
        return SendResult(200, activity_id=sent_id)

    def _from_error(self, error: Exception) -> SendResult:
        if isinstance(error, HttpOperationError):
            return self._from_http_error(error)
        if isinstance(error, ClientRequestError):
            timed_out = isinstance(getattr(error, "inner_exception", None), requests.Timeout)
            return SendResult(NO_RESPONSE, None, TIMEOUT if timed_out else CONNECTION_ERROR)
        if isinstance(error, (aiohttp.ClientError, requests.RequestException, ConnectionError)):
            return SendResult(NO_RESPONSE, None, CONNECTION_ERROR)
        log_event(logger, "proactive.send_error", logging.WARNING, error=type(error).__name__)
        return SendResult(NO_RESPONSE, None, type(error).__name__)

    def _from_http_error(self, error: HttpOperationError) -> SendResult:
        response = error.response
        status = getattr(response, "status_code", None) or getattr(response, "status", None) or NO_RESPONSE
        headers = getattr(response, "headers", None) or {}
        body = getattr(error, "error", None)
        code = getattr(getattr(body, "error", None), "code", None)
        log_event(logger, "proactive.http_error", logging.INFO, status_code=status, error_code=code)
        return SendResult(int(status), retry_after_seconds(headers.get("Retry-After"), self.clock.now()), code or None)


def reference_for(address: ConversationAddress) -> ConversationReference:
    return ConversationReference(
        channel_id=address.channel_id,
        service_url=address.service_url,
        conversation=ConversationAccount(
            id=address.conversation_id,
            conversation_type=address.conversation_type,
            tenant_id=address.tenant_id or None,
            is_group=address.conversation_type != PERSONAL,
        ),
        bot=ChannelAccount(id=address.bot_id, name=address.bot_name),
        user=ChannelAccount(id=address.user_id, aad_object_id=address.user_aad_object_id) if address.user_id else None,
    )


def address_from_activity(activity: Activity) -> ConversationAddress:
    """The address to `remember` from an incoming activity (message, install, update)."""
    conversation = activity.conversation
    channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    kind = conversation.conversation_type
    if kind not in CONVERSATION_TYPES:
        kind = GROUP_CHAT if conversation.is_group else PERSONAL
    tenant = conversation.tenant_id or (channel_data.get("tenant") or {}).get("id") or ""
    team_channel = (channel_data.get("channel") or {}).get("id")
    user = activity.from_property
    return ConversationAddress(
        channel_id=activity.channel_id,
        service_url=activity.service_url,
        conversation_id=conversation.id,
        conversation_type=kind,
        tenant_id=tenant,
        bot_id=activity.recipient.id,
        bot_name=activity.recipient.name or "",
        user_aad_object_id=getattr(user, "aad_object_id", None),
        user_id=getattr(user, "id", None),
        channel=team_channel if kind == CHANNEL else None,
    )


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """`Retry-After` as seconds: either a number of seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - now).total_seconds())
    except (TypeError, ValueError):
        return None
