"""Teams' per-conversation and per-tenant limits, on a manual clock with a sleep that moves it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from core.clock import ManualClock
from domain.rate_limit import PER_CONVERSATION, PER_TENANT, RateLimiter, SlidingWindows, Window
from tests.fixtures.fakes import FakeSleep


def offsets(times: list[datetime]) -> list[float]:
    return [(t - times[0]).total_seconds() for t in times]


def assert_within(times: list[datetime], windows: tuple[Window, ...]) -> None:
    """No stretch of any window's length holds more than its limit of sends."""
    seconds = sorted(offsets(times))
    for window in windows:
        for i in range(len(seconds) - window.limit):
            assert seconds[i + window.limit] - seconds[i] >= window.seconds, (window, i)


async def test_seven_per_second_then_the_eighth_waits_for_the_first_to_leave(
    clock: ManualClock, sleep: FakeSleep
) -> None:
    limiter = RateLimiter(clock, sleep)
    times = []
    for _ in range(8):
        await limiter.acquire("chat-1", "tenant")
        times.append(clock.now())
    assert offsets(times) == [0.0] * 7 + [1.0]
    assert sleep.waits == [1.0]


async def test_eight_per_two_seconds(clock: ManualClock, sleep: FakeSleep) -> None:
    limiter = RateLimiter(clock, sleep)
    times = []
    for _ in range(9):
        await limiter.acquire("chat-1", "tenant")
        times.append(clock.now())
    # 7 at 0 s, the 8th at 1 s (per-second limit), the 9th when the first leaves the 2 s window.
    assert offsets(times)[7:] == [1.0, 2.0]


async def test_sixty_per_thirty_seconds_and_eighteen_hundred_per_hour(clock: ManualClock, sleep: FakeSleep) -> None:
    limiter = RateLimiter(clock, sleep, per_tenant=(Window(10_000, 1),))
    times = []
    for _ in range(1801):
        await limiter.acquire("chat-1", "tenant")
        times.append(clock.now())
    assert_within(times, PER_CONVERSATION)
    seconds = offsets(times)
    assert seconds[60] == 30.0  # the 61st waits for the first to leave the 30 s window
    assert seconds[1800] == 3600.0  # the 1,801st waits for the first to leave the hour
    # Not needlessly slow either: 1,800 sends fit in the hour (60 every 30 s).
    assert seconds[1799] < 3600.0


async def test_conversations_are_limited_separately(clock: ManualClock, sleep: FakeSleep) -> None:
    limiter = RateLimiter(clock, sleep)
    for conversation in ("chat-1", "chat-2", "chat-3"):
        for _ in range(7):
            await limiter.acquire(conversation, "tenant")
    assert sleep.waits == []


async def test_fifty_per_second_per_tenant_across_conversations(clock: ManualClock, sleep: FakeSleep) -> None:
    limiter = RateLimiter(clock, sleep)
    times = []
    for n in range(120):
        await limiter.acquire(f"chat-{n}", "tenant-a")
        times.append(clock.now())
    assert_within(times, PER_TENANT)
    assert offsets(times)[49:52] == [0.0, 1.0, 1.0]
    await limiter.acquire("chat-x", "tenant-b")  # another tenant has its own budget
    assert clock.now() == times[-1]


async def test_delay_looks_without_taking_a_slot(clock: ManualClock, sleep: FakeSleep) -> None:
    limiter = RateLimiter(clock, sleep)
    for _ in range(7):
        await limiter.acquire("chat-1", "tenant")
    assert limiter.delay("chat-1", "tenant") == 1.0
    assert limiter.delay("chat-1", "tenant") == 1.0
    clock.advance(timedelta(milliseconds=250))
    assert limiter.delay("chat-1", "tenant") == 0.75
    assert limiter.delay("chat-2", "tenant") == 0.0


async def test_waiting_never_drops_a_send_under_a_burst(clock: ManualClock, sleep: FakeSleep) -> None:
    limiter = RateLimiter(clock, sleep)
    times = []
    for _ in range(200):
        await limiter.acquire("dsl-chat", "tenant")
        times.append(clock.now())
    assert len(times) == 200
    assert_within(times, PER_CONVERSATION)


def test_sliding_windows_forget_idle_keys() -> None:
    windows = SlidingWindows([Window(5, 1)])
    for n in range(1000):
        windows.record(f"key-{n}", n * 10_000)  # one send every 10 ms, each under its own key
    # At the 1,000th record, keys idle for longer than the longest window (1 s) are dropped.
    assert len(windows) == 100  # keys 900..999, sent within the last second
    assert windows.delay("key-0", 10_000_000) == 0


def test_a_limiter_needs_a_window() -> None:
    with pytest.raises(ValueError):
        SlidingWindows([])


async def test_a_margin_widens_every_window_so_a_send_on_the_edge_is_not_refused(
    clock: ManualClock, sleep: FakeSleep
) -> None:
    limiter = RateLimiter(clock, sleep, margin=0.02)
    times = []
    for n in range(51):
        await limiter.acquire(f"chat-{n}", "tenant")
        times.append(clock.now())
    assert offsets(times)[49:] == [0.0, 1.02]
    for _ in range(7):
        await limiter.acquire("chat-x", "tenant")
    assert limiter.delay("chat-x", "tenant") == pytest.approx(1.02)
    with pytest.raises(ValueError):
        SlidingWindows([Window(5, 1)], margin=-0.1)
