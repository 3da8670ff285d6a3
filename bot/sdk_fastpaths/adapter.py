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

It also decides who is let in. Every failure to authenticate (a missing, malformed, forged or
expired token, an unknown signing key, keys that cannot be fetched) comes out as one
`AuthenticationFailed`, which the edge answers with 401; the signing keys come from its own
`SigningKeyCache` (`bot/sdk_fastpaths/signing_keys.py`), never from a blocking fetch. In local
mode (no app id, no token) the only credential is being on this machine: an activity whose
`serviceUrl` is not loopback is refused, so nothing is sent to, or remembered for, another host.
"""

from __future__ import annotations

import contextlib
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Hashable
from types import SimpleNamespace
from typing import Generic, TypeVar
from urllib.parse import urlsplit

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

from bot.held_replies import HoldingCloudAdapter
from bot.sdk_fastpaths import sdk_fixes, signing_keys
from bot.sdk_fastpaths.reply_client import ReplyConversations, ReplySession, check_retry_policy
from bot.sdk_fastpaths.signing_keys import SigningKeyCache
from bot.texts import text
from core.clock import Clock
from core.logs import log_event
from core.settings import Settings, is_loopback_host

log = logging.getLogger("lncip.adapter")

MAX_KEPT_CLIENTS = 256  # service URLs carry the tenant id: one per school's tenant and region

Client = TypeVar("Client")


def build_adapter(settings: Settings, clock: Clock | None = None) -> CloudAdapter:
    """With an app id, the SDK validates every request's token; without one (local mode)
    requests are accepted without a token, as the Playground and Emulator expect, but only
    from a loopback `serviceUrl`."""
    sdk_fixes.apply()
    signing_keys.install()
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
    authentication = ReusingClientsAuthentication(
        ConfigurationBotFrameworkAuthentication(config),
        signing_keys=SigningKeyCache(clock),
        loopback_only=settings.local_mode,
    )
    adapter = HoldingCloudAdapter(authentication)
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


class AuthenticationFailed(PermissionError):
    """A request is not let in; `reason` names why (an exception's type name, never token contents)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotLoopback(PermissionError):
    """Local mode: the activity's `serviceUrl` is not on this machine."""


def is_loopback_url(url: object) -> bool:
    """An http(s) URL whose host is `localhost`, 127.0.0.0/8 or ::1."""
    if not isinstance(url, str):
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and host is not None and is_loopback_host(host)


class ReusingClientsAuthentication(BotFrameworkAuthentication):  # type: ignore[misc]
    """Any `BotFrameworkAuthentication`, with its connector and token clients kept (see module docstring).
    Validating tokens is the inner one's, with its signing keys from `signing_keys` and every
    failure raised as `AuthenticationFailed`; with `loopback_only` (local mode) an activity from a
    `serviceUrl` that is not loopback fails too."""

    def __init__(
        self,
        inner: BotFrameworkAuthentication,
        capacity: int = MAX_KEPT_CLIENTS,
        *,
        signing_keys: SigningKeyCache | None = None,
        loopback_only: bool = False,
    ) -> None:
        self._inner = inner
        self.incoming_clients: KeptClients[ConnectorClient] = KeptClients(capacity)
        self.proactive_clients: KeptClients[ConnectorClient] = KeptClients(capacity)
        self.token_clients: KeptClients[UserTokenClient] = KeptClients(capacity)
        self.replies = ReplySession()
        self.signing_keys = signing_keys or SigningKeyCache()
        self.loopback_only = loopback_only

    async def close(self) -> None:
        """Close the replies' HTTP session and stop a signing-key fetch under way (at shutdown)."""
        await self.replies.close()
        await self.signing_keys.close()

    @contextlib.asynccontextmanager
    async def _authenticating(self) -> AsyncIterator[None]:
        with self.signing_keys.in_use():
            try:
                yield
            except AuthenticationFailed:
                raise
            except Exception as error:  # whatever the SDK or its libraries raise: not let in
                raise AuthenticationFailed(type(error).__name__) from error

    async def authenticate_request(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        async with self._authenticating():
            if self.loopback_only and not is_loopback_url(activity.service_url):
                raise NotLoopback("local mode answers only a serviceUrl on this machine")
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
        async with self._authenticating():
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
        async with self._authenticating():
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
