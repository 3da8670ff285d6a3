"""The load driver: virtual users posting turns to a target and timing each reply.

A turn's latency runs from just before its POST to `/api/messages` to the reply's arrival
at the stand-in connector. Each worker is one virtual user with at most one turn in flight.
Phases are bounded both by a number of turns and by a deadline.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp

from bench.activities import ActivityTemplate, VirtualUser
from bench.connector import StandInConnector

REPLY_TIMEOUT_S = 30.0
_HEADERS = {"Content-Type": "application/json"}


class TurnError(Exception):
    """A turn got no reply: an HTTP error, a refused connection or a timeout."""


@dataclass(frozen=True)
class Turn:
    """What one virtual user says next: an optional unmeasured opening, then the measured text."""

    user: VirtualUser
    text: bytes
    opening: bytes | None = None


# (worker index, turn number) -> the turn that worker sends next.
TurnPlan = Callable[[int, int], Turn]


@dataclass
class Phase:
    turns: int = 0  # every turn that got its reply, openings included
    openings: int = 0  # of those, unmeasured dialog openings
    errors: int = 0
    elapsed_s: float = 0.0
    latencies_s: list[float] = field(default_factory=list)  # measured turns only
    first_error: str | None = None


class TurnClient:
    """Posts turns to one target and waits for their replies at the stand-in connector."""

    def __init__(self, session: aiohttp.ClientSession, bot_url: str, connector: StandInConnector) -> None:
        self.session = session
        self.messages_url = f"{bot_url}/api/messages"
        self.connector = connector
        self.template = ActivityTemplate(connector.url)
        self._ids = itertools.count(1)

    async def turn(self, user: VirtualUser, text: bytes) -> tuple[float, bytes]:
        """Send one message; return its latency in seconds and the first reply's body."""
        activity_id = f"t{next(self._ids)}"
        body = self.template.body(user, activity_id, text)
        reply = self.connector.expect(activity_id, user.conversation_id)
        sent = time.perf_counter()
        try:
            async with self.session.post(self.messages_url, data=body, headers=_HEADERS) as response:
                await response.read()
                if response.status >= 300:
                    raise TurnError(f"HTTP {response.status} from /api/messages")
            if not reply.done():
                await asyncio.wait_for(reply, REPLY_TIMEOUT_S)
        except (aiohttp.ClientError, OSError) as error:
            raise TurnError(f"{type(error).__name__}: {error}") from error
        except TimeoutError as error:
            raise TurnError(f"no reply within {REPLY_TIMEOUT_S:.0f} s") from error
        finally:
            if not reply.done() or reply.cancelled():  # no reply: stop waiting for one
                self.connector.forget(activity_id)
                reply.cancel()
        arrived, reply_body = reply.result()
        return arrived - sent, reply_body


async def drive(client: TurnClient, concurrency: int, turns: int, seconds: float, plan: TurnPlan) -> Phase:
    """Run `concurrency` virtual users until `turns` measured turns are issued or `seconds` pass."""
    phase = Phase()
    issued = 0
    began = time.perf_counter()
    deadline = began + seconds

    async def worker(index: int) -> None:
        nonlocal issued
        for n in itertools.count():
            if issued >= turns or time.perf_counter() >= deadline:
                return
            issued += 1
            turn = plan(index, n)
            try:
                if turn.opening is not None:
                    await client.turn(turn.user, turn.opening)
                    phase.turns += 1
                    phase.openings += 1
                latency, _reply = await client.turn(turn.user, turn.text)
            except TurnError as error:
                phase.errors += 1
                phase.first_error = phase.first_error or str(error)
                continue
            phase.turns += 1
            phase.latencies_s.append(latency)

    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    phase.elapsed_s = time.perf_counter() - began
    return phase


def percentile_ms(sorted_s: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile of sorted latencies (seconds), in milliseconds."""
    if not sorted_s:
        return None
    rank = max(1, math.ceil(len(sorted_s) * fraction))
    return sorted_s[min(rank, len(sorted_s)) - 1] * 1000
