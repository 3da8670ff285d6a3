"""Builds the Bot Framework `CloudAdapter` from our settings, with the turn error handler.

The SDK builds a new `ConnectorClient` and a new user token client for every turn (each
with its own msrest configuration, `requests` session and, when authenticated, its own MSAL
app that fetches a fresh token). `ReusingClientsAuthentication` keeps them instead:
- a connector client per (app id, service URL, audience): everything the SDK builds one from
  (credentials factory, login endpoint, OAuth scope) is fixed for the process, so a kept
  client is the one the SDK would build. Its `requests` session keeps its connection to
  the connector open between turns, and its credentials keep (and refresh) their token;
- a user token client per app id, for the same reason;
- clients for proactive turns (`continue_conversation`) apart from those for incoming
  activities: the proactive sender tunes its clients (no hidden retries, a timeout), and
  those settings must not leak into replies.
The clients for incoming activities send their replies over one pooled aiohttp session
(`bot/sdk_fastpaths/reply_client.py`) instead of msrest's `requests`; proactive sends stay msrest's.
Each kind is bounded (least recently used goes first); a dropped client is simply no longer
used, as every client was before.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Hashable
from types import SimpleNamespace
from typing import Generic, TypeVar

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import Activity
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import (
    AuthenticateRequestResult,
    AuthenticationConstants,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
    UserTokenClient,
)
from botframework.connector.skills import BotFrameworkClient
from msrest.exceptions import ClientRequestError

from bot.sdk_fastpaths import sdk_fixes
from bot.sdk_fastpaths.reply_client import ReplyConversations, ReplySession, check_retry_policy
from bot.texts import text
from core.logs import log_event
from core.settings import Settings

log = logging.getLogger("lncip.adapter")

MAX_KEPT_CLIENTS = 256  # service URLs carry the tenant id: one per school's tenant and region

Client = TypeVar("Client")


def build_adapter(settings: Settings) -> CloudAdapter:
    """With an app id, the SDK validates every request's token; without one (local mode)
    requests are accepted without a token, as the Playground and Emulator expect."""
    sdk_fixes.apply()
    check_retry_policy()
    if settings.local_mode:
        config = SimpleNamespace(APP_ID="", APP_PASSWORD="", APP_TYPE="MultiTenant", APP_TENANTID="")
    else:
        config = SimpleNamespace(
            APP_ID=settings.app_id,
            APP_PASSWORD=settings.app_password,
            APP_TYPE=settings.app_type,
            APP_TENANTID=settings.app_tenant_id,
        )
    adapter = CloudAdapter(ReusingClientsAuthentication(ConfigurationBotFrameworkAuthentication(config)))
    adapter.on_turn_error = _on_turn_error
    return adapter


class KeptClients(Generic[Client]):
    """At most `capacity` clients by key, the least recently used dropped first."""

    def __init__(self, capacity: int = MAX_KEPT_CLIENTS) -> None:
        self.capacity = capacity
        self._clients: OrderedDict[Hashable, Client] = OrderedDict()

    def get(self, key: Hashable) -> Client | None:
        client = self._clients.get(key)
        if client is not None:
            self._clients.move_to_end(key)
        return client

    def keep(self, key: Hashable, client: Client) -> Client:
        """Keep `client` unless one was kept meanwhile (two turns built one at once): that one wins."""
        kept = self._clients.setdefault(key, client)
        self._clients.move_to_end(key)
        while len(self._clients) > self.capacity:
            self._clients.popitem(last=False)
        return kept

    def __len__(self) -> int:
        return len(self._clients)


class ReusingConnectorFactory(ConnectorFactory):  # type: ignore[misc]  # botbuilder ships no type hints
    """The SDK's connector factory for one app id, handing out kept clients."""

    def __init__(
        self,
        inner: ConnectorFactory,
        app_id: str | None,
        kept: KeptClients[ConnectorClient],
        replies: ReplySession | None = None,
    ) -> None:
        self._inner = inner
        self._app_id = app_id
        self._kept = kept
        self._replies = replies

    async def create(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        key = (self._app_id, service_url, audience)
        client = self._kept.get(key)
        if client is None:
            client = await self._inner.create(service_url, audience)
            if self._replies is not None:
                client.conversations = ReplyConversations(client.conversations, self._replies)
            client = self._kept.keep(key, client)
        return client


class ReusingClientsAuthentication(BotFrameworkAuthentication):  # type: ignore[misc]
    """Any `BotFrameworkAuthentication`, with its connector and token clients kept (see module docstring).
    Authentication itself (validating every incoming token) is the inner one's, unchanged."""

    def __init__(self, inner: BotFrameworkAuthentication, capacity: int = MAX_KEPT_CLIENTS) -> None:
        self._inner = inner
        self.incoming_clients: KeptClients[ConnectorClient] = KeptClients(capacity)
        self.proactive_clients: KeptClients[ConnectorClient] = KeptClients(capacity)
        self.token_clients: KeptClients[UserTokenClient] = KeptClients(capacity)
        self.replies = ReplySession()

    async def close(self) -> None:
        """Close the replies' HTTP session (at shutdown)."""
        await self.replies.close()

    async def authenticate_request(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        result = await self._inner.authenticate_request(activity, auth_header)
        if result.connector_factory is not None:
            result.connector_factory = ReusingConnectorFactory(
                result.connector_factory, app_id_of(result.claims_identity), self.incoming_clients, self.replies
            )
        return result

    async def authenticate_streaming_request(
        self, auth_header: str, channel_id_header: str
    ) -> AuthenticateRequestResult:
        # Streaming (Direct Line ASE) replaces the connector factory with one bound to its socket.
        return await self._inner.authenticate_streaming_request(auth_header, channel_id_header)

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return ReusingConnectorFactory(
            self._inner.create_connector_factory(claims_identity), app_id_of(claims_identity), self.proactive_clients
        )

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        key = app_id_of(claims_identity)
        client = self.token_clients.get(key)
        if client is None:
            client = self.token_clients.keep(key, await self._inner.create_user_token_client(claims_identity))
        return client

    def create_bot_framework_client(self) -> BotFrameworkClient:
        return self._inner.create_bot_framework_client()

    def get_originating_audience(self) -> str:
        return str(self._inner.get_originating_audience())

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        return await self._inner.authenticate_channel_request(auth_header)


def app_id_of(claims_identity: ClaimsIdentity) -> str | None:
    """The app id the SDK builds credentials for: the audience claim, else the app id claim
    (as `_BuiltinBotFrameworkAuthentication.get_app_id` reads it)."""
    app_id = claims_identity.get_claim_value(AuthenticationConstants.AUDIENCE_CLAIM)
    if app_id is None:
        app_id = claims_identity.get_claim_value(AuthenticationConstants.APP_ID_CLAIM)
    return None if app_id is None else str(app_id)


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
    if isinstance(error, ClientRequestError):
        # The connector gave no answer (refused, or silent past the reply's timeouts): an
        # apology sent the same way would only hold the request as long again.
        log_event(log, "apology_not_sent", logging.WARNING, error_type="connector_unreachable")
        return
    try:
        await context.send_activity(text("error_apology"))
    except Exception as send_error:
        log_event(log, "apology_not_sent", logging.ERROR, error_type=type(send_error).__name__)
