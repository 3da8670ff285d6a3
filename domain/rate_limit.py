"""Teams' send limits as sliding windows: a sender waits for a free slot, it never drops.

Per conversation (a 1:1 chat, group chat or channel): 7 sends per second, 8 per 2 s, 60 per
30 s, 1,800 per hour. Per tenant, for the whole app: 50 per second. Time comes from the
injected clock and waiting from the injected sleep, so tests run on a manual clock.

Teams counts a message when it arrives, not when the sender took its slot, and two requests
do not take the same time to get there: a send let go exactly on a window's edge can arrive
inside it and be refused (429, and the whole sender pauses). `margin` widens every window a
little (the notifier's default: `SEND_MARGIN`) so that jitter costs a few ms, not a pause.
"""

from __future__ import annotations

import asyncio
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from core.clock import Clock, Sleep

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class Window:
    """At most `limit` sends in any `seconds`-long stretch."""

    limit: int
    seconds: float

    @property
    def micros(self) -> int:
        return round(self.seconds * 1_000_000)


PER_CONVERSATION: tuple[Window, ...] = (Window(7, 1), Window(8, 2), Window(60, 30), Window(1800, 3600))
PER_TENANT: tuple[Window, ...] = (Window(50, 1),)
SEND_MARGIN = 0.01  # seconds added to each window by the notifier's limiter (see the docstring)


class SlidingWindows:
    """Send times per key (in whole microseconds, so waits land exactly on the boundary)."""

    def __init__(self, windows: Sequence[Window], margin: float = 0.0) -> None:
        if not windows:
            raise ValueError("at least one window is needed")
        if margin < 0:
            raise ValueError("a margin cannot be negative")
        self.windows = tuple(Window(w.limit, w.seconds + margin) for w in windows)
        self._span = max(w.micros for w in self.windows)
        self._times: dict[str, list[int]] = {}
        self._records = 0

    def __len__(self) -> int:
        """How many keys are tracked."""
        return len(self._times)

    def delay(self, key: str, now: int) -> int:
        """Microseconds until one more send under `key` keeps every window within its limit."""
        times = self._prune(key, now)
        wait = 0
        for window in self.windows:
            # Sends still inside the window are those at t > now - window.
            inside = times[bisect_right(times, now - window.micros) :]
            if len(inside) >= window.limit:
                # The window frees up when enough of its oldest sends have left it.
                oldest_blocking = inside[len(inside) - window.limit]
                wait = max(wait, oldest_blocking + window.micros - now)
        return wait

    def record(self, key: str, now: int) -> None:
        self._times.setdefault(key, []).append(now)
        self._records += 1
        if self._records % 1000 == 0:
            self._forget_idle(now)

    def _prune(self, key: str, now: int) -> list[int]:
        times = self._times.get(key)
        if not times:
            return []
        gone = bisect_right(times, now - self._span)
        if gone:
            del times[:gone]
        return times

    def _forget_idle(self, now: int) -> None:
        for key in [k for k, times in self._times.items() if not times or times[-1] <= now - self._span]:
            del self._times[key]


class RateLimiter:
    """Waits until a send into `conversation` (in `tenant`) is within every Teams limit."""

    def __init__(
        self,
        clock: Clock,
        sleep: Sleep = asyncio.sleep,
        per_conversation: Sequence[Window] = PER_CONVERSATION,
        per_tenant: Sequence[Window] = PER_TENANT,
        margin: float = 0.0,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._conversations = SlidingWindows(per_conversation, margin)
        self._tenants = SlidingWindows(per_tenant, margin)

    def delay(self, conversation: str, tenant: str) -> float:
        """Seconds until a send may go (0.0 when it may go now); records nothing."""
        now = self._now()
        return max(self._conversations.delay(conversation, now), self._tenants.delay(tenant, now)) / 1_000_000

    async def acquire(self, conversation: str, tenant: str) -> float:
        """Wait for a free slot and take it; returns the seconds waited."""
        waited = 0.0
        while (wait := self.delay(conversation, tenant)) > 0:
            await self._sleep(wait)
            waited += wait
        now = self._now()
        self._conversations.record(conversation, now)
        self._tenants.record(tenant, now)
        return waited

    def _now(self) -> int:
        return (self._clock.now() - _EPOCH) // _MICROSECOND
