"""The signing-key source put in place of the SDK's `_OpenIdMetadata`: fetched off the event loop
within a deadline, cached, refreshed in the background, failures remembered, refreshes rate-limited."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from bot.sdk_fastpaths.signing_keys import (
    MAX_AGE,
    RETRY_AFTER_FAILURE,
    UNKNOWN_KID_REFRESH,
    SigningKeyCache,
    SigningKeys,
    SigningKeysUnavailable,
    UnknownSigningKey,
)
from core.clock import ManualClock
from tests.fixtures.openid import OpenIdStandIn, down_url

TIMEOUT = 0.3


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def cache(clock: ManualClock) -> AsyncIterator[SigningKeyCache]:
    keys = SigningKeyCache(clock, timeout=TIMEOUT)
    try:
        yield keys
    finally:
        await keys.close()


async def test_keys_are_fetched_once_and_served_from_the_cache(openid: OpenIdStandIn, cache: SigningKeyCache) -> None:
    keys = cache.for_url(openid.url)
    first = await keys.get(openid.kid)
    second = await keys.get(openid.kid)
    assert first is second
    assert first.endorsements == ["msteams"]
    assert (openid.metadata_requests, openid.key_set_requests) == (1, 1)


async def test_an_unknown_key_is_refused_and_refetched_at_most_once_per_interval(
    openid: OpenIdStandIn, cache: SigningKeyCache, clock: ManualClock
) -> None:
    keys = cache.for_url(openid.url)
    await keys.get(openid.kid)
    for _ in range(3):
        with pytest.raises(UnknownSigningKey):
            await keys.get("forged-kid")
    assert openid.metadata_requests == 1  # the fetch was just now: no refetch for a forged kid
    clock.advance(UNKNOWN_KID_REFRESH)
    for _ in range(3):
        with pytest.raises(UnknownSigningKey):
            await keys.get("forged-kid")
    assert openid.metadata_requests == 2
    with pytest.raises(UnknownSigningKey):
        await keys.get(None)  # a token with no kid at all


async def test_a_key_set_without_the_token_s_key_is_refused(openid: OpenIdStandIn, cache: SigningKeyCache) -> None:
    openid.mode = "without_kid"
    with pytest.raises(UnknownSigningKey):
        await cache.for_url(openid.url).get(openid.kid)


async def test_a_rotated_key_is_found_after_the_interval(
    openid: OpenIdStandIn, cache: SigningKeyCache, clock: ManualClock
) -> None:
    keys = cache.for_url(openid.url)
    await keys.get(openid.kid)
    openid.kid = "rotated"
    clock.advance(UNKNOWN_KID_REFRESH)
    assert await keys.get("rotated") is not None


async def test_a_failure_is_remembered_for_a_minute(cache: SigningKeyCache, clock: ManualClock) -> None:
    keys = cache.for_url(down_url())
    for _ in range(3):
        with pytest.raises(SigningKeysUnavailable):
            await keys.get("any")
    assert keys.fetches == 1
    clock.advance(RETRY_AFTER_FAILURE)
    with pytest.raises(SigningKeysUnavailable):
        await keys.get("any")
    assert keys.fetches == 2


async def test_a_slow_endpoint_is_waited_for_at_most_the_timeout_by_everyone_at_once(
    openid: OpenIdStandIn, cache: SigningKeyCache
) -> None:
    openid.mode = "slow"
    keys = cache.for_url(openid.url)
    started = time.monotonic()
    results = await asyncio.gather(*(keys.get(openid.kid) for _ in range(5)), return_exceptions=True)
    waited = time.monotonic() - started
    assert all(isinstance(result, SigningKeysUnavailable) for result in results)
    assert waited < TIMEOUT + 1.0
    assert keys.fetches == 1 and openid.metadata_requests == 1
    with pytest.raises(SigningKeysUnavailable):
        await keys.get(openid.kid)  # remembered: answered at once
    assert keys.fetches == 1


async def test_old_keys_serve_while_fresh_ones_are_fetched(
    openid: OpenIdStandIn, cache: SigningKeyCache, clock: ManualClock
) -> None:
    keys = cache.for_url(openid.url)
    held = await keys.get(openid.kid)
    clock.advance(MAX_AGE)
    openid.mode = "slow"
    started = time.monotonic()
    assert await keys.get(openid.kid) is held  # at once, although the endpoint now holds every request
    assert time.monotonic() - started < TIMEOUT
    assert keys.fetches == 2  # the refresh is under way
    openid.release()
    await wait_for_refresh(keys)
    assert openid.key_set_requests == 2
    assert await keys.get(openid.kid) is not held


async def test_a_failed_refresh_keeps_the_keys_held_and_is_not_retried_at_once(
    openid: OpenIdStandIn, cache: SigningKeyCache, clock: ManualClock
) -> None:
    keys = cache.for_url(openid.url)
    held = await keys.get(openid.kid)
    clock.advance(MAX_AGE)
    openid.mode = "slow"  # never released: the background refresh times out
    assert await keys.get(openid.kid) is held
    await wait_for_refresh(keys)
    assert await keys.get(openid.kid) is held
    assert keys.fetches == 2
    clock.advance(RETRY_AFTER_FAILURE)
    openid.mode = "ok"
    await keys.get(openid.kid)
    await wait_for_refresh(keys)
    assert keys.fetches == 3 and await keys.get(openid.kid) is not held


async def wait_for_refresh(keys: SigningKeys) -> None:
    task = keys._fetching
    if task is not None:
        await task
