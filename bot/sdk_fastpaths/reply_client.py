"""Replies within a turn, sent over one pooled aiohttp session instead of msrest's `requests`.

The SDK sends every reply through msrest 0.7.1's async pipeline, which runs `requests` in a
thread pool: a thread hop, `http.client`'s header parsing through the `email` package, and
msrest's response unpacking, about half of a Q&A turn's CPU (see "Where a turn's time goes"
in ../shared/TEAMS-NOTES.md). `ReplyConversations` does the three calls a turn makes
(`reply_to_activity`, `send_to_conversation`, and `update_activity`, which replaces an answered
card) on the event loop with aiohttp; every other call, and any call with `raw=True` or
per-operation settings, is msrest's own.

What stays exactly as msrest does it:
- the URL: msrest's quoting and joining (the joining done once per client), passed on as it is
  (not re-quoted);
- the request headers: `Accept`, `Content-Type`, `x-ms-conversation-id` (on replies only),
  msrest's `User-Agent`, and `Authorization` from the credentials' own `signed_session`, as
  msrest's credentials policy gets it. One difference: a conversation id with characters
  outside ASCII (Teams ids are ASCII) goes into `x-ms-conversation-id` as UTF-8, where
  `requests` sends Latin-1;
- the body: what msrest's `Serializer.body` writes, written by `ModelCodec` (and the answer
  read likewise). msrest also validates the activity against each model's `_validation` rules;
  no model of the connector has any (checked when a client is wrapped), so that walk is skipped;
- retries: msrest's `urllib3.Retry` never retries a POST on a status (POST is not among its
  `allowed_methods`), but does retry a failed connection up to 3 times, waiting 0, 1.6 and
  3.2 s (`backoff_factor` 0.8); `CONNECT_RETRY_DELAYS` is checked against that policy at start.
  A reply keeps that spacing but stops retrying once the next try would start later than
  `REPLY_CONNECT_BUDGET` after the first. An update (PUT) is retried by msrest on a status
  too (408 and 5xx, urllib3's `status_forcelist`), spaced the same: ours retries those within
  the same budget, and does not wait for a `Retry-After` (msrest would, on 413, 429 and 503):
  a card update is part of a turn, and a card left unchanged keeps buttons that the feature
  already treats as stale;
- the proxy from the environment (`HTTPS_PROXY`, `NO_PROXY`), looked up once per service URL;
- the timeout, with one difference: msrest waits the configuration's `connection.timeout`
  (100 s) to connect and again to read; a reply waits at most `REPLY_CONNECT_SECONDS` to
  connect and `REPLY_READ_SECONDS` for each read. A reply is part of a turn, and the channel
  holds the incoming request until the turn ends: an unreachable `serviceUrl` must not hold it
  (or a worker) for minutes;
- the outcome: a `ResourceResponse` (or `None` for an empty body) on 200, 201 or 202; otherwise
  `ErrorResponseException` built from the response as msrest builds it; `ClientRequestError`
  when no connection could be made.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote
from urllib.request import getproxies, proxy_bypass

import aiohttp
from botframework.connector.aio.operations_async import ConversationsOperations
from botframework.connector.models import ErrorResponseException
from msrest.exceptions import ClientRequestError
from msrest.serialization import Serializer
from msrest.universal_http.aiohttp import AioHttpClientResponse
from urllib3.exceptions import ConnectTimeoutError
from urllib3.util.retry import Retry
from yarl import URL

from bot.sdk_fastpaths import sdk_fixes
from bot.sdk_fastpaths.model_codec import ModelCodec

SUCCESS = (200, 201, 202)
# The two operations' paths, as msrest's operations hold them, without the leading "/".
_REPLY_PATH = ConversationsOperations.reply_to_activity.metadata["url"].lstrip("/")
_SEND_PATH = ConversationsOperations.send_to_conversation.metadata["url"].lstrip("/")
_UPDATE_PATH = ConversationsOperations.update_activity.metadata["url"].lstrip("/")
_JOINED_AWAY = ("", ".", "..")  # ids that urljoin drops or resolves as path steps
_ARGUMENT = {"conversationId": "conversation_id", "activityId": "activity_id"}  # as msrest's errors name them


def connect_retry_delays(policy: Retry) -> tuple[float, ...]:
    """The waits before each retry of a failed connection, as `policy` spaces them."""
    delays = []
    retry = policy
    for _ in range(policy.connect or 0):
        retry = retry.increment(method="POST", error=ConnectTimeoutError("refused"))
        delays.append(retry.get_backoff_time())
    return tuple(delays)


CONNECT_RETRY_DELAYS = (0.0, 1.6, 3.2)
# The Bot Connector answers a reply in well under a second; these bound a turn whose service
# URL cannot be reached (refused: about 1.6 s, with one spaced retry; silent: 2 or 5 s).
REPLY_CONNECT_SECONDS = 2.0
REPLY_READ_SECONDS = 5.0
REPLY_CONNECT_BUDGET = 2.0


class LoadedResponse(AioHttpClientResponse):  # type: ignore[misc]
    """An aiohttp response with its body read, for msrest's deserialiser; an empty body is
    `b""` (msrest's own aiohttp response refuses to give one)."""

    def body(self) -> bytes:
        if self._body is None:
            raise ValueError("the body was not loaded")
        return bytes(self._body)


class ReplySession:
    """One aiohttp session for every reply of this process, opened on first use."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    def get(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # Not `trust_env`: that reads ~/.netrc in a thread on every request. The proxy, which
            # `requests` takes from the environment, is looked up once per service URL instead.
            self._session = aiohttp.ClientSession(skip_auto_headers=("Accept-Encoding",))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


@functools.cache  # msrest's policy is slow to build; it does not change while running
def retried_statuses() -> frozenset[int]:
    """The statuses msrest retries an idempotent request (a PUT) on."""
    return frozenset(sdk_fixes.original_retry_policy().policy.status_forcelist or ())


def check_retry_policy() -> None:
    """Raise `SdkFixError` if msrest's retry policy would space connection retries
    differently, or retry a POST on a status, than `ReplyConversations` does."""
    policy = sdk_fixes.original_retry_policy().policy
    if connect_retry_delays(policy) != CONNECT_RETRY_DELAYS or "POST" in (policy.allowed_methods or ()):
        raise sdk_fixes.SdkFixError("msrest's retry policy changed; see bot/sdk_fastpaths/reply_client.py")


def _unvalidated(serializer: Serializer) -> Serializer:
    """A copy of `serializer` that skips client-side validation, which can find nothing
    when no model has validation rules; if one has, validation stays."""
    copy = Serializer(serializer.dependencies)
    copy.client_side_validation = any(getattr(model, "_validation", None) for model in serializer.dependencies.values())
    return copy


def _request_error(error: Exception) -> ClientRequestError:
    """The error msrest raises when a request gets no answer, in msrest's words."""
    return ClientRequestError(f"Error occurred in request., {type(error).__name__}: {error}")


def proxy_for(url: str) -> str | None:
    """The proxy `requests` would use for `url`: from `HTTP(S)_PROXY`, unless `NO_PROXY` excludes it."""
    parsed = URL(url)
    proxy = getproxies().get(parsed.scheme)
    if not proxy or parsed.host is None or proxy_bypass(parsed.host):
        return None
    return str(proxy)


class ReplyConversations(ConversationsOperations):  # type: ignore[misc]  # botframework ships no type hints
    """A connector client's `conversations`, with replies sent through `ReplySession`."""

    def __init__(self, inner: ConversationsOperations, session: ReplySession) -> None:
        super().__init__(inner._client, inner.config, _unvalidated(inner._serialize), inner._deserialize)
        self._codec = ModelCodec(self._serialize.dependencies, self._serialize, self._deserialize)
        self._session = session
        self._proxy = proxy_for(inner.config.base_url)
        # The service URL as msrest joins a path to it (`urljoin` after `format`, which a URL
        # holding braces would change: such a URL is left to msrest on every call).
        base_url = inner.config.base_url
        self._joined = None if "{" in base_url else self._client.format_url("x")[:-1]
        self._put_retried = retried_statuses()

    async def reply_to_activity(
        self,
        conversation_id: str,
        activity_id: str,
        activity: Any,
        *,
        custom_headers: Any = None,
        raw: bool = False,
        **operation_config: Any,
    ) -> Any:
        if raw or operation_config:
            return await super().reply_to_activity(
                conversation_id, activity_id, activity, custom_headers=custom_headers, raw=raw, **operation_config
            )
        url = self._url(_REPLY_PATH, conversationId=conversation_id, activityId=activity_id)
        return await self._post(url, activity, {"x-ms-conversation-id": conversation_id, **(custom_headers or {})})

    async def send_to_conversation(
        self,
        conversation_id: str,
        activity: Any,
        *,
        custom_headers: Any = None,
        raw: bool = False,
        **operation_config: Any,
    ) -> Any:
        if raw or operation_config:
            return await super().send_to_conversation(
                conversation_id, activity, custom_headers=custom_headers, raw=raw, **operation_config
            )
        url = self._url(_SEND_PATH, conversationId=conversation_id)
        return await self._post(url, activity, custom_headers or {})

    async def update_activity(
        self,
        conversation_id: str,
        activity_id: str,
        activity: Any,
        *,
        custom_headers: Any = None,
        raw: bool = False,
        **operation_config: Any,
    ) -> Any:
        if raw or operation_config:
            return await super().update_activity(
                conversation_id, activity_id, activity, custom_headers=custom_headers, raw=raw, **operation_config
            )
        url = self._url(_UPDATE_PATH, conversationId=conversation_id, activityId=activity_id)
        return await self._post(url, activity, custom_headers or {}, method="PUT")

    def _url(self, path: str, **ids: Any) -> str:
        """msrest's URL for an operation: each id quoted whole (`Serializer.url`), the path joined
        to the service URL (`format_url`). Joining is done once per client (`_joined`); an id
        that joining would drop or treat as a path step (empty, `.`, `..`), or that is not a
        string, goes through msrest itself."""
        if self._joined is not None and all(type(v) is str and v not in _JOINED_AWAY for v in ids.values()):
            return self._joined + path.format(**{name: quote(value, safe="") for name, value in ids.items()})
        return self._client.format_url(  # type: ignore[no-any-return]
            "/" + path, **{name: self._serialize.url(_ARGUMENT[name], value, "str") for name, value in ids.items()}
        )

    def _headers(self, extra: dict[str, str]) -> dict[str, str]:
        headers = {"Accept": "application/json", "Content-Type": "application/json; charset=utf-8", **extra}
        headers.setdefault("User-Agent", self.config.user_agent_policy.user_agent)
        credentials = self.config.credentials
        if credentials is not None:
            signed = credentials.signed_session(SimpleNamespace(headers={}))
            headers.update(signed.headers)
        return headers

    async def _post(self, url: str, activity: Any, extra_headers: dict[str, str], method: str = "POST") -> Any:
        body = json.dumps(self._codec.serialize(activity, "Activity")).encode()
        headers = self._headers(extra_headers)
        seconds = self.config.connection.timeout
        connect = min(seconds, REPLY_CONNECT_SECONDS)
        timeout = aiohttp.ClientTimeout(
            connect=connect, sock_connect=connect, sock_read=min(seconds, REPLY_READ_SECONDS)
        )
        loop = asyncio.get_running_loop()
        started = loop.time()
        for attempt, delay in enumerate((0.0, *CONNECT_RETRY_DELAYS)):
            if delay:
                await asyncio.sleep(delay)
            try:
                post = self._session.get().request(
                    method, URL(url, encoded=True), data=body, headers=headers, timeout=timeout, proxy=self._proxy
                )
                async with post as sent:
                    response = LoadedResponse(None, sent)  # type: ignore[arg-type]  # no msrest request
                    await response.load_body()
                retries = (0.0, *CONNECT_RETRY_DELAYS)[attempt + 1 :]
                if method == "PUT" and response.status_code in self._put_retried and retries:
                    if loop.time() + retries[0] - started <= REPLY_CONNECT_BUDGET:
                        continue  # msrest retries an update on this status, spaced as below
                break
            except aiohttp.ClientConnectorError as error:
                retries = (0.0, *CONNECT_RETRY_DELAYS)[attempt + 1 :]
                if not retries or loop.time() + retries[0] - started > REPLY_CONNECT_BUDGET:
                    raise _request_error(error) from error
            except (TimeoutError, aiohttp.ClientError) as error:
                raise _request_error(error) from error
        if response.status_code not in SUCCESS:
            raise ErrorResponseException(self._deserialize, response)
        if not response.body():
            return None
        if response.headers.get("Content-Type", "").split(";")[0].strip().lower() == "application/json":
            with contextlib.suppress(ValueError):  # not JSON after all: msrest says what is wrong
                return self._codec.deserialize("ResourceResponse", json.loads(response.body()))
        return self._deserialize("ResourceResponse", response)
