"""The one way to send a proactive message: an outbox in the database and a sender loop.

`enqueue_*` writes an outbox row (in the caller's transaction when given a session),
so a message is never lost to a crash. `run_due` claims due rows, sends each through the
`Sender` under Teams' rate limits, and records every attempt and outcome:

- 2xx: sent.
- 412, 429, 502, 503, 504, no response, timeout: retried after `Retry-After` when given
  (which pauses the whole sender: Teams throttles the app, not one request), else after an
  exponential backoff with jitter; after `max_attempts` tries the notification is failed.
- 403, 404 (app removed, chat blocked or gone), or `stale_after_timeouts` timeouts in a row:
  the address is marked stale and the notification is undeliverable.
- No usable address (person never talked to the bot, or stale): undeliverable, at once.

The rows, their claims and leases are `domain.outbox`'s; a batch hands back the rows its
lease no longer covers rather than race another instance for them.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.logs import log_event
from db.engine import Database, DatabaseOrSession, unit_of_work
from domain import outbox
from domain.conversations import MAX_MESSAGE_BYTES, ConversationAddress, address_by_id, mark_stale, personal_address_for
from domain.outbox import Attempt, ClaimedNotification, Delivery, NotificationStatus
from domain.rate_limit import RateLimiter, Sleep

logger = logging.getLogger(__name__)

NO_RESPONSE = 0  # SendResult.status when no HTTP response came back.
TIMEOUT = "timeout"
NO_CONVERSATION = "no_conversation"


@dataclass(frozen=True)
class SendResult:
    """What one send came back with; `status` is NO_RESPONSE (0) when nothing came back."""

    status: int
    retry_after: float | None = None
    error_code: str | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class Sender(Protocol):
    """Posts one message into one conversation (the Bot Framework edge implements it)."""

    async def send(self, address: ConversationAddress, card: dict[str, Any], text: str, alert: bool) -> SendResult: ...


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_delay: float = 2.0
    max_delay: float = 300.0
    max_retry_after: float = 3600.0
    retry_statuses: frozenset[int] = frozenset({412, 429, 502, 503, 504})
    gone_statuses: frozenset[int] = frozenset({403, 404})
    stale_after_timeouts: int = 2

    def backoff(self, attempts: int, jitter: float) -> float:
        """Exponential, with 'equal jitter' (half fixed, half random) so instances spread out."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (attempts - 1))
        return ceiling / 2 + jitter * ceiling / 2


class Notifier:
    """Every proactive message goes through here; see the module docstring for the rules."""

    def __init__(
        self,
        db: Database,
        sender: Sender,
        clock: Clock,
        sleep: Sleep = asyncio.sleep,
        limiter: RateLimiter | None = None,
        *,
        policy: RetryPolicy = RetryPolicy(),
        jitter: Callable[[], float] = random.random,
        batch_size: int = 20,
        poll_interval: float = 1.0,
        send_timeout: float = 30.0,
        lease: timedelta = timedelta(minutes=5),
        max_wait_in_batch: float = 5.0,
    ) -> None:
        self.db = db
        self.sender = sender
        self.clock = clock
        self.sleep = sleep
        self.limiter = limiter or RateLimiter(clock, sleep)
        self.policy = policy
        self.jitter = jitter
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.send_timeout = send_timeout
        self.lease = lease
        self.max_wait_in_batch = max_wait_in_batch
        self._paused_until: datetime | None = None

    # ---- enqueue -------------------------------------------------------------------------

    async def enqueue_to_person(
        self,
        person_id: int,
        card: dict[str, Any],
        text: str,
        kind: str,
        alert: bool = False,
        *,
        session: AsyncSession | None = None,
    ) -> int:
        """Queue a message to the person's 1:1 chat; returns the notification id.

        With `session`, the row is written in the caller's transaction (it goes only if that
        commits). If the bot has no usable chat with the person, the row is stored at once as
        undeliverable (`delivery()` shows it) rather than dropped.
        """
        return await self._enqueue(card, text, kind, alert, session, person_id=person_id)

    async def enqueue_to_channel(
        self,
        address_id: int,
        card: dict[str, Any],
        text: str,
        kind: str,
        alert: bool = False,
        *,
        session: AsyncSession | None = None,
    ) -> int:
        """Queue a message to a stored group chat or channel address; returns the id."""
        return await self._enqueue(card, text, kind, alert, session, address_id=address_id)

    async def delivery(self, notification_id: int) -> Delivery:
        """Where a notification stands (e.g. undeliverable because the person has no chat)."""
        return await outbox.delivery(self.db, notification_id)

    async def _enqueue(
        self,
        card: dict[str, Any],
        text: str,
        kind: str,
        alert: bool,
        session: AsyncSession | None,
        *,
        person_id: int | None = None,
        address_id: int | None = None,
    ) -> int:
        if len(json.dumps(card).encode()) + len(text.encode()) > MAX_MESSAGE_BYTES:
            raise ValueError(f"a {kind} notification is over {MAX_MESSAGE_BYTES} bytes; Teams would refuse it")
        async with unit_of_work(session if session is not None else self.db) as work:
            reachable = await _address_for(work, person_id, address_id) is not None
            notification_id = await outbox.add(
                work,
                person_id=person_id,
                address_id=address_id,
                kind=kind,
                card=card,
                text=text,
                alert=alert,
                now=self.clock.now(),
                undeliverable_because=None if reachable else NO_CONVERSATION,
            )
            if not reachable:
                log_event(
                    logger,
                    "notification.undeliverable",
                    logging.WARNING,
                    notification_id=notification_id,
                    kind=kind,
                    person_id=person_id,
                    address_id=address_id,
                    reason=NO_CONVERSATION,
                )
            return notification_id

    # ---- the sender loop -----------------------------------------------------------------

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Send due notifications until `stop` is set (started and stopped with the app)."""
        while not stop.is_set():
            pause = self._pause_left()
            if pause > 0:
                await self._idle(stop, pause)
                continue
            try:
                handled = await self.run_due(self.batch_size)
            except Exception as error:
                # Only the type: a database error's text can quote the card's content.
                log_event(logger, "notifier.pass_failed", logging.ERROR, error=type(error).__name__)
                handled = 0
            if handled == 0:
                await self._idle(stop, self.poll_interval)

    async def run_due(self, max_batch: int = 20) -> int:
        """Claim up to `max_batch` due notifications and try each once; returns how many
        were tried (rows put back because of a pause or a rate limit are not counted)."""
        await self._wait_out_pause()
        now = self.clock.now()
        if not await outbox.any_due(self.db, now):
            return 0  # the usual pass: a read, no write transaction
        claimed = await outbox.claim_due(
            self.db, now, lease=self.lease, max_batch=max_batch, history=self.policy.stale_after_timeouts
        )
        tried = 0
        # Stop while the claim still covers a whole try, so no other instance can take a row
        # this one is still sending (a slow batch hands the rest back instead).
        one_try = timedelta(seconds=self.send_timeout + self.max_wait_in_batch)
        for position, job in enumerate(claimed):
            if self._pause_left() > 0:
                assert self._paused_until is not None
                await outbox.release(self.db, claimed[position:], self._paused_until)
                break
            if self.clock.now() + one_try >= job.claimed_until:
                await outbox.release(self.db, claimed[position:], self.clock.now())
                break
            if await self._deliver(job):
                tried += 1
        return tried

    async def _deliver(self, job: ClaimedNotification) -> bool:
        """Try one claimed notification once; False if it was put back untried."""
        address = await _address_for(self.db, job.person_id, job.address_id)
        if address is None:
            await self._finish(job, None, None, NotificationStatus.UNDELIVERABLE, NO_CONVERSATION, 0)
            return True
        conversation = f"{address.service_url}|{address.conversation_id}"
        wait = self.limiter.delay(conversation, address.tenant_id)
        if wait > self.max_wait_in_batch:
            # A busy conversation must not hold up everyone else's messages behind it.
            await outbox.release(self.db, [job], self.clock.now() + timedelta(seconds=wait))
            return False
        await self.limiter.acquire(conversation, address.tenant_id)
        started = time.perf_counter()
        try:
            result = await asyncio.wait_for(self.sender.send(address, job.card, job.text, job.alert), self.send_timeout)
        except TimeoutError:
            result = SendResult(NO_RESPONSE, None, TIMEOUT)
        except Exception as error:
            result = SendResult(NO_RESPONSE, None, type(error).__name__)
        duration_ms = round((time.perf_counter() - started) * 1000)
        await self._settle(job, address, result, duration_ms)
        return True

    async def _settle(
        self, job: ClaimedNotification, address: ConversationAddress, result: SendResult, duration_ms: int
    ) -> None:
        attempts = job.attempts + 1
        now = self.clock.now()
        retryable = result.status in self.policy.retry_statuses or result.status == NO_RESPONSE
        timeouts = 1 + sum(1 for _ in itertools.takewhile(lambda error: error == TIMEOUT, job.recent_errors))
        if result.ok:
            await self._finish(job, address, result, NotificationStatus.SENT, None, duration_ms)
        elif result.status in self.policy.gone_statuses or (
            result.error_code == TIMEOUT and timeouts >= self.policy.stale_after_timeouts
        ):
            reason = result.error_code if result.error_code == TIMEOUT else f"http_{result.status}"
            assert address.address_id is not None
            await mark_stale(self.db, address.address_id, reason, now, address.conversation_id)
            await self._finish(
                job, address, result, NotificationStatus.UNDELIVERABLE, result.error_code or reason, duration_ms
            )
        elif retryable and attempts < self.policy.max_attempts:
            if result.retry_after is not None:
                delay = min(max(result.retry_after, 0.0), self.policy.max_retry_after)
            else:
                delay = self.policy.backoff(attempts, self.jitter())
            if result.retry_after is not None or result.status == 429:
                self._pause(now + timedelta(seconds=delay))
            await self._finish(
                job,
                address,
                result,
                NotificationStatus.RETRYING,
                result.error_code,
                duration_ms,
                next_attempt_at=now + timedelta(seconds=delay),
            )
        else:
            await self._finish(job, address, result, NotificationStatus.FAILED, result.error_code, duration_ms)

    async def _finish(
        self,
        job: ClaimedNotification,
        address: ConversationAddress | None,
        result: SendResult | None,
        status: NotificationStatus,
        error: str | None,
        duration_ms: int,
        next_attempt_at: datetime | None = None,
    ) -> None:
        """Record the attempt (if one was made) and the notification's new state, and log it."""
        attempt: Attempt | None = None
        if result is not None:
            status_code = None if result.status == NO_RESPONSE else result.status
            attempt = Attempt(address.address_id if address else None, status_code, result.error_code, duration_ms)
        kept_claim = await outbox.finish(
            self.db, job, status, self.clock.now(), attempt=attempt, error=error, next_attempt_at=next_attempt_at
        )
        log_event(
            logger,
            "notification." + str(status),
            logging.WARNING if status in _BAD else logging.INFO,
            notification_id=job.id,
            kind=job.kind,
            attempts=job.attempts + (1 if attempt else 0),
            status_code=attempt.status_code if attempt else None,
            error_code=error,
            duration_ms=duration_ms,
            lost_claim=None if kept_claim else True,
        )

    # ---- pausing -------------------------------------------------------------------------

    def _pause(self, until: datetime) -> None:
        if self._paused_until is None or until > self._paused_until:
            self._paused_until = until
            log_event(logger, "notifier.paused", logging.WARNING, until=until.isoformat())

    def _pause_left(self) -> float:
        if self._paused_until is None:
            return 0.0
        return max(0.0, (self._paused_until - self.clock.now()).total_seconds())

    async def _wait_out_pause(self) -> None:
        while (left := self._pause_left()) > 0:
            await self.sleep(left)

    async def _idle(self, stop: asyncio.Event, seconds: float) -> None:
        """Sleep for `seconds`, or less if `stop` is set meanwhile."""
        napping = asyncio.ensure_future(self.sleep(seconds))
        stopping = asyncio.ensure_future(stop.wait())
        _, pending = await asyncio.wait({napping, stopping}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


_BAD = frozenset({NotificationStatus.UNDELIVERABLE, NotificationStatus.FAILED, NotificationStatus.RETRYING})


async def _address_for(
    db: DatabaseOrSession, person_id: int | None, address_id: int | None
) -> ConversationAddress | None:
    """Where a notification goes: the person's 1:1 chat or the stored group chat or channel,
    if the bot can still reach it."""
    if person_id is not None:
        return await personal_address_for(db, person_id)
    if address_id is not None:
        return await address_by_id(db, address_id)
    return None
