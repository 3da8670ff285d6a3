"""The Bot Framework's token-signing keys, fetched off the event loop, cached, and never waited on for long.

botbuilder 4.17's `_OpenIdMetadata` (in `botframework.connector.auth.jwt_token_extractor`)
fetches the OpenID metadata and its key set with a synchronous `requests.get` and no timeout,
on the event loop, whenever its keys are a day old or a token names an unknown `kid` (at most
once an hour), and forgets a failure. One forged token while the metadata endpoint was slow
or down froze the whole bot, and a failure or an unknown `kid` escaped as
`requests.ConnectionError` or `IndexError` (HTTP 500).

`install()` makes `JwtTokenExtractor.get_open_id_metadata` hand out a `SigningKeys` from the
`SigningKeyCache` of the authentication that is validating the token (see
`ReusingClientsAuthentication`, which puts its cache `in_use` around every validation):
- keys are fetched with aiohttp, both requests within `timeout` seconds together;
- a request waits for a fetch only when there are no keys yet, or its `kid` is unknown and no
  fetch for an unknown `kid` was tried in the last `UNKNOWN_KID_REFRESH`; then at most
  `timeout` seconds, and requests waiting at once share one fetch;
- keys older than `MAX_AGE` are still used while a fresh set is fetched in the background;
- a failed fetch is remembered (and logged): no new attempt for `RETRY_AFTER_FAILURE`,
  and the keys already held are kept;
- an unknown key, or no keys at all, is a `PermissionError` (`UnknownSigningKey`,
  `SigningKeysUnavailable`), which the edge answers with 401.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from botframework.connector.auth import JwtTokenExtractor
from botframework.connector.auth.jwt_token_extractor import _OpenIdConfig
from jwt.algorithms import RSAAlgorithm

from core.clock import Clock, SystemClock
from core.logs import log_event

log = logging.getLogger("lncip.signing_keys")

FETCH_TIMEOUT_SECONDS = 4.0  # the metadata and the key set together
MAX_AGE = timedelta(days=1)  # as the SDK: keys older than this are refreshed (in the background)
RETRY_AFTER_FAILURE = timedelta(seconds=60)
UNKNOWN_KID_REFRESH = timedelta(minutes=5)  # a token naming an unknown key fetches at most this often
MAX_DOCUMENT_BYTES = 1024 * 1024


class UnknownSigningKey(PermissionError):
    """The token names a signing key the Bot Framework does not publish."""


class SigningKeysUnavailable(PermissionError):
    """No signing keys could be fetched (recently), so no token can be checked."""


class _FetchFailed(Exception):
    pass


class SigningKeys:
    """The signing keys published at one OpenID metadata URL; `get` is what the SDK calls."""

    def __init__(self, url: str, clock: Clock, timeout: float) -> None:
        self.url = url
        self.clock = clock
        self.timeout = timeout
        self._keys: dict[str, _OpenIdConfig] = {}
        self._fetched_at: datetime | None = None
        self._attempted_at: datetime | None = None
        self._fetching: asyncio.Task[None] | None = None
        self.fetches = 0  # attempts, for tests and metrics

    async def get(self, key_id: str | None) -> _OpenIdConfig:
        """The key `key_id`, as the SDK's `_OpenIdMetadata.get` returns it; raises
        `UnknownSigningKey` or `SigningKeysUnavailable` (never anything else) instead of `None`."""
        now = self.clock.now()
        if self._fetched_at is None:
            if self._may_fetch(now, RETRY_AFTER_FAILURE):
                await self._wait_for_fetch()
        elif now - self._fetched_at >= MAX_AGE and self._may_fetch(now, RETRY_AFTER_FAILURE):
            self._start_fetch()  # the held keys serve meanwhile
        if self._fetched_at is None:
            raise SigningKeysUnavailable("the signing keys could not be fetched")
        key = self._keys.get(key_id or "")
        if key is None and self._may_fetch(now, UNKNOWN_KID_REFRESH):
            await self._wait_for_fetch()
            key = self._keys.get(key_id or "")
        if key is None:
            raise UnknownSigningKey("the token's signing key is not published")
        return key

    def _may_fetch(self, now: datetime, interval: timedelta) -> bool:
        if self._fetching is not None:
            return True  # join it
        return self._attempted_at is None or now - self._attempted_at >= interval

    def _start_fetch(self) -> asyncio.Task[None]:
        if self._fetching is None:
            self._attempted_at = self.clock.now()
            self.fetches += 1
            self._fetching = asyncio.create_task(self._fetch(), name=f"signing keys from {self.url}")
        return self._fetching

    async def _wait_for_fetch(self) -> None:
        task = self._start_fetch()
        # The fetch has its own deadline; this one also bounds a request that joined it late.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(task), self.timeout)

    async def _fetch(self) -> None:
        try:
            async with asyncio.timeout(self.timeout):
                metadata = await self._get_json(self.url)
                jwks_uri = metadata.get("jwks_uri")
                if not isinstance(jwks_uri, str):
                    raise _FetchFailed("the metadata has no jwks_uri")
                keys = _parse_keys(await self._get_json(jwks_uri))
        except Exception as error:  # any failure: remembered, logged, the held keys kept
            log_event(log, "signing_keys_unavailable", logging.WARNING, url=self.url, error_type=type(error).__name__)
        else:
            self._keys, self._fetched_at = keys, self.clock.now()
            log_event(log, "signing_keys_fetched", url=self.url, keys=len(keys))
        finally:
            self._fetching = None

    async def _get_json(self, url: str) -> dict[str, Any]:
        # trust_env: the proxy settings `requests` honoured are honoured here too.
        async with aiohttp.ClientSession(trust_env=True) as session, session.get(url) as response:
            response.raise_for_status()
            body = await response.content.read(MAX_DOCUMENT_BYTES + 1)
        if len(body) > MAX_DOCUMENT_BYTES:
            raise _FetchFailed("the document is too large")
        document = json.loads(body)
        if not isinstance(document, dict):
            raise _FetchFailed("the document is not a JSON object")
        return document

    async def close(self) -> None:
        """Stop a fetch under way (at shutdown)."""
        task = self._fetching
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _parse_keys(jwks: dict[str, Any]) -> dict[str, _OpenIdConfig]:
    """The RSA keys of a JSON Web Key Set by `kid` (others skipped); none at all is a failure."""
    keys: dict[str, _OpenIdConfig] = {}
    listed = jwks.get("keys")
    for key in listed if isinstance(listed, list) else []:
        if not isinstance(key, dict) or not isinstance(key.get("kid"), str) or key.get("kty") != "RSA":
            continue
        endorsements = key.get("endorsements", [])
        try:
            public_key = RSAAlgorithm.from_jwk(json.dumps(key))
        except Exception:  # a malformed key: skipped, as a token signed with it could not verify
            continue
        keys[key["kid"]] = _OpenIdConfig(public_key, endorsements if isinstance(endorsements, list) else [])
    if not keys:
        raise _FetchFailed("the key set holds no RSA key")
    return keys


class SigningKeyCache:
    """The `SigningKeys` of each metadata URL the SDK asks for, for one adapter (one event loop)."""

    def __init__(self, clock: Clock | None = None, timeout: float | None = None) -> None:
        self.clock = clock or SystemClock()
        self.timeout = FETCH_TIMEOUT_SECONDS if timeout is None else timeout
        self._by_url: dict[str, SigningKeys] = {}

    def for_url(self, url: str) -> SigningKeys:
        keys = self._by_url.get(url)
        if keys is None:
            keys = self._by_url[url] = SigningKeys(url, self.clock, self.timeout)
        return keys

    @contextlib.contextmanager
    def in_use(self) -> Iterator[None]:
        """While the block runs, the SDK's token validation takes its keys from this cache."""
        token = _in_use.set(self)
        try:
            yield
        finally:
            _in_use.reset(token)

    async def close(self) -> None:
        for keys in self._by_url.values():
            await keys.close()


_in_use: ContextVar[SigningKeyCache | None] = ContextVar("signing_key_cache", default=None)


def _open_id_metadata(metadata_url: str) -> SigningKeys:
    cache = _in_use.get()
    if cache is None:
        # Only our authentication validates tokens; anything else fails closed.
        raise SigningKeysUnavailable("token validation outside a SigningKeyCache")
    return cache.for_url(metadata_url)


def install() -> None:
    """Make the SDK's token validation take its keys from the cache in use; idempotent."""
    JwtTokenExtractor.get_open_id_metadata = staticmethod(_open_id_metadata)
