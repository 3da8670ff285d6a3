"""The one clock every time-dependent rule reads, so tests can move time by hand."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

Sleep = Callable[[float], Awaitable[object]]  # asyncio.sleep, or a test's stand-in


class Clock(Protocol):
    def now(self) -> datetime: ...

    async def wait(self, seconds: float) -> None:
        """Let `seconds` pass on this clock (a rate limit or a Retry-After pause)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    async def wait(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class ManualClock:
    """A clock for tests and simulations: it moves only when told."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 5, 8, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    async def wait(self, seconds: float) -> None:
        """Waiting on a manual clock moves it: a pause ends at once, having passed."""
        self.advance(timedelta(seconds=seconds))
        await asyncio.sleep(0)


async def idle(sleep: Sleep, stop: asyncio.Event, seconds: float) -> None:
    """Wait `seconds` with `sleep`, or less if `stop` is set meanwhile (a background loop's pause)."""
    napping = asyncio.ensure_future(sleep(seconds))
    stopping = asyncio.ensure_future(stop.wait())
    _, pending = await asyncio.wait({napping, stopping}, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
