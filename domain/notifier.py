"""The one way to send a proactive message: an outbox in the database and a sender loop.

`enqueue_*` writes a `notifications` row (in the caller's transaction when given a session),
so a message is never lost to a crash. `run_due` claims due rows, sends each through the
`Sender` under Teams' rate limits, and records every attempt and outcome:

- 2xx: sent.
- 412, 429, 502, 503, 504, no response, timeout: retried after `Retry-After` when given
  (which pauses the whole sender: Teams throttles the app, not one request), else after an
  exponential backoff with jitter; after `max_attempts` tries the notification is failed.
- 403, 404 (app removed, chat blocked or gone), or `stale_after_timeouts` timeouts in a row:
  the address is marked stale and the notification is undeliverable.
- No usable address (person never talked to the bot, or stale): undeliverable, at once.

Claiming: PostgreSQL selects due rows `FOR UPDATE SKIP LOCKED`; SQLite (one writer at a time)
claims with one conditional UPDATE. A claim carries a token and a lease; a row whose lease
ran out (its instance died mid-send) is due again, so delivery is at least once; a batch
hands back the rows its lease no longer covers rather than race another instance for them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.logs import log_event
from db.engine import Database
from db.models.proactive import DeliveryAttempt, Notification
from domain.conversations import (
    ConversationAddress,
    address_by_id,
    mark_stale,
    personal_address_for,
    unit_of_work,
)
from domain.rate_limit import RateLimiter, Sleep

logger = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 80_000  # Teams accepts about 100 KB per message; keep a margin.
NO_RESPONSE = 0  # SendResult.status when no HTTP response came back.
TIMEOUT = "timeout"
NO_CONVERSATION = "no_conversation"


class NotificationStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    RETRYING = "retrying"
    UNDELIVERABLE = "undeliverable"
    FAILED = "failed"


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


@dataclass(frozen=True)
class Delivery:
    """Where a notification stands, for the caller that enqueued it."""

    notification_id: int
    status: NotificationStatus
    attempts: int
    last_status_code: int | None
    last_error: str | None
    sent_at: datetime | None


@dataclass
class _Claimed:
    id: int
    person_id: int | None
    address_id: int | None
    kind: str
    card: dict[str, Any]
    text: str
    alert: bool
    attempts: int
    token: str
    claimed_until: datetime
    recent_outcomes: list[str] = field(default_factory=list)


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
        async with unit_of_work(session if session is not None else self.db) as work:
            reachable = await personal_address_for(work, person_id) is not None
            return await self._enqueue(work, card, text, kind, alert, reachable, person_id=person_id)

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
        async with unit_of_work(session if session is not None else self.db) as work:
            reachable = await address_by_id(work, address_id) is not None
            return await self._enqueue(work, card, text, kind, alert, reachable, address_id=address_id)

    async def delivery(self, notification_id: int) -> Delivery:
        """Where a notification stands (e.g. undeliverable because the person has no chat)."""
        async with self.db.session() as session:
            row = await session.get(Notification, notification_id)
            if row is None:
                raise LookupError(f"no notification {notification_id}")
            return Delivery(
                row.id, NotificationStatus(row.status), row.attempts, row.last_status_code, row.last_error, row.sent_at
            )

    async def _enqueue(
        self,
        session: AsyncSession,
        card: dict[str, Any],
        text: str,
        kind: str,
        alert: bool,
        reachable: bool,
        *,
        person_id: int | None = None,
        address_id: int | None = None,
    ) -> int:
        if len(json.dumps(card).encode()) + len(text.encode()) > MAX_MESSAGE_BYTES:
            raise ValueError(f"a {kind} notification is over {MAX_MESSAGE_BYTES} bytes; Teams would refuse it")
        now = self.clock.now()
        row = Notification(
            person_id=person_id,
            address_id=address_id,
            kind=kind,
            card=card,
            text=text,
            alert=alert,
            created_at=now,
            updated_at=now,
            status=NotificationStatus.PENDING if reachable else NotificationStatus.UNDELIVERABLE,
            attempts=0,
            next_attempt_at=now if reachable else None,
            last_error=None if reachable else NO_CONVERSATION,
        )
        session.add(row)
        await session.flush()
        if not reachable:
            log_event(
                logger, "notification.undeliverable", logging.WARNING,
                notification_id=row.id, kind=kind, person_id=person_id, address_id=address_id, reason=NO_CONVERSATION,
            )  # fmt: skip
        return row.id

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
            except Exception as error:  # noqa: BLE001 - the loop must outlive a bad pass
                # Only the type: a database error's text can quote the card's content.
                log_event(logger, "notifier.pass_failed", logging.ERROR, error=type(error).__name__)
                handled = 0
            if handled == 0:
                await self._idle(stop, self.poll_interval)

    async def run_due(self, max_batch: int = 20) -> int:
        """Claim up to `max_batch` due notifications and try each once; returns how many
        were tried (rows put back because of a pause or a rate limit are not counted)."""
        await self._wait_out_pause()
        claimed = await self._claim(max_batch)
        tried = 0
        # Stop while the claim still covers a whole try, so no other instance can take a row
        # this one is still sending (a slow batch hands the rest back instead).
        one_try = timedelta(seconds=self.send_timeout + self.max_wait_in_batch)
        for position, job in enumerate(claimed):
            if self._pause_left() > 0:
                assert self._paused_until is not None
                await self._release(claimed[position:], self._paused_until)
                break
            if self.clock.now() + one_try >= job.claimed_until:
                await self._release(claimed[position:], self.clock.now())
                break
            if await self._deliver(job):
                tried += 1
        return tried

    async def _claim(self, max_batch: int) -> list[_Claimed]:
        now = self.clock.now()
        token = uuid.uuid4().hex
        due = or_(
            and_(
                Notification.status.in_([NotificationStatus.PENDING, NotificationStatus.RETRYING]),
                Notification.next_attempt_at <= now,
            ),
            and_(Notification.status == NotificationStatus.SENDING, Notification.claimed_until <= now),
        )
        oldest_first = select(Notification.id).where(due).order_by(Notification.next_attempt_at, Notification.id)
        claim = {"status": NotificationStatus.SENDING, "claim_token": token, "claimed_until": now + self.lease}
        async with self.db.session() as session:
            if self.db.is_sqlite:
                # SQLite lets one writer in at a time, so this single UPDATE is the claim.
                await session.execute(
                    update(Notification)
                    .where(Notification.id.in_(oldest_first.limit(max_batch)), due)
                    .values(**claim)
                    .execution_options(synchronize_session=False)
                )
            else:
                ids = list(
                    (await session.execute(oldest_first.limit(max_batch).with_for_update(skip_locked=True))).scalars()
                )
                if not ids:
                    return []
                await session.execute(
                    update(Notification)
                    .where(Notification.id.in_(ids))
                    .values(**claim)
                    .execution_options(synchronize_session=False)
                )
            rows = (
                await session.execute(
                    select(Notification)
                    .where(Notification.claim_token == token)
                    .order_by(Notification.next_attempt_at, Notification.id)
                )
            ).scalars()
            jobs = [
                _Claimed(
                    r.id,
                    r.person_id,
                    r.address_id,
                    r.kind,
                    r.card,
                    r.text,
                    r.alert,
                    r.attempts,
                    token,
                    now + self.lease,
                )
                for r in rows
            ]
            for job in jobs:
                job.recent_outcomes = await self._recent_outcomes(session, job.id)
            return jobs

    async def _recent_outcomes(self, session: AsyncSession, notification_id: int) -> list[str]:
        """The last few attempts' outcomes, newest first (for the repeated-timeout rule)."""
        rows = await session.execute(
            select(DeliveryAttempt.outcome, DeliveryAttempt.error_code)
            .where(DeliveryAttempt.notification_id == notification_id)
            .order_by(DeliveryAttempt.id.desc())
            .limit(self.policy.stale_after_timeouts)
        )
        return [TIMEOUT if error == TIMEOUT else outcome for outcome, error in rows]

    async def _release(self, jobs: Sequence[_Claimed], when: datetime) -> None:
        """Put claimed rows back untried, due at `when` (not counted as attempts)."""
        async with self.db.session() as session:
            for job in jobs:
                await session.execute(
                    update(Notification)
                    .where(Notification.id == job.id, Notification.claim_token == job.token)
                    .values(
                        status=NotificationStatus.RETRYING if job.attempts else NotificationStatus.PENDING,
                        next_attempt_at=when,
                        claim_token=None,
                        claimed_until=None,
                    )
                    .execution_options(synchronize_session=False)
                )

    async def _deliver(self, job: _Claimed) -> bool:
        """Try one claimed notification once; False if it was put back untried."""
        async with self.db.session() as session:
            if job.person_id is not None:
                address = await personal_address_for(session, job.person_id)
            elif job.address_id is not None:
                address = await address_by_id(session, job.address_id)
            else:
                address = None
        if address is None:
            await self._finish(job, None, None, NotificationStatus.UNDELIVERABLE, NO_CONVERSATION, 0)
            return True
        conversation = f"{address.service_url}|{address.conversation_id}"
        wait = self.limiter.delay(conversation, address.tenant_id)
        if wait > self.max_wait_in_batch:
            # A busy conversation must not hold up everyone else's messages behind it.
            await self._release([job], self.clock.now() + timedelta(seconds=wait))
            return False
        await self.limiter.acquire(conversation, address.tenant_id)
        started = time.perf_counter()
        try:
            result = await asyncio.wait_for(self.sender.send(address, job.card, job.text, job.alert), self.send_timeout)
        except TimeoutError:
            result = SendResult(NO_RESPONSE, None, TIMEOUT)
        except Exception as error:  # noqa: BLE001 - any sender failure is one failed attempt
            result = SendResult(NO_RESPONSE, None, type(error).__name__)
        duration_ms = round((time.perf_counter() - started) * 1000)
        await self._settle(job, address, result, duration_ms)
        return True

    async def _settle(self, job: _Claimed, address: ConversationAddress, result: SendResult, duration_ms: int) -> None:
        attempts = job.attempts + 1
        now = self.clock.now()
        retryable = result.status in self.policy.retry_statuses or result.status == NO_RESPONSE
        timeouts = 1 + len(_leading(job.recent_outcomes, TIMEOUT))
        if result.ok:
            await self._finish(job, address, result, NotificationStatus.SENT, None, duration_ms)
        elif result.status in self.policy.gone_statuses or (
            result.error_code == TIMEOUT and timeouts >= self.policy.stale_after_timeouts
        ):
            reason = result.error_code if result.error_code == TIMEOUT else f"http_{result.status}"
            assert address.address_id is not None
            async with self.db.session() as session:
                await mark_stale(session, address.address_id, reason, now, address.conversation_id)
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
                job, address, result, NotificationStatus.RETRYING, result.error_code, duration_ms,
                next_attempt_at=now + timedelta(seconds=delay),
            )  # fmt: skip
        else:
            await self._finish(job, address, result, NotificationStatus.FAILED, result.error_code, duration_ms)

    async def _finish(
        self,
        job: _Claimed,
        address: ConversationAddress | None,
        result: SendResult | None,
        status: NotificationStatus,
        error: str | None,
        duration_ms: int,
        next_attempt_at: datetime | None = None,
    ) -> None:
        """Record the attempt (if one was made) and the notification's new state."""
        now = self.clock.now()
        attempts = job.attempts + (1 if result is not None else 0)
        status_code = None if result is None or result.status == NO_RESPONSE else result.status
        async with self.db.session() as session:
            if result is not None:
                session.add(
                    DeliveryAttempt(
                        notification_id=job.id,
                        address_id=address.address_id if address else None,
                        at=now,
                        status_code=status_code,
                        outcome=str(status),
                        error_code=result.error_code[:100] if result.error_code else None,
                        duration_ms=duration_ms,
                    )
                )
            changed = await session.execute(
                update(Notification)
                .where(Notification.id == job.id, Notification.claim_token == job.token)
                .values(
                    status=status,
                    attempts=attempts,
                    next_attempt_at=next_attempt_at,
                    claim_token=None,
                    claimed_until=None,
                    updated_at=now,
                    sent_at=now if status == NotificationStatus.SENT else None,
                    last_status_code=status_code,
                    last_error=error[:100] if error else None,
                )
                .execution_options(synchronize_session=False)
            )
        lost_claim = not changed.rowcount  # type: ignore[attr-defined]
        log_event(
            logger, "notification." + str(status), logging.WARNING if status in _BAD else logging.INFO,
            notification_id=job.id, kind=job.kind, attempts=attempts, status_code=status_code,
            error_code=error, duration_ms=duration_ms, lost_claim=lost_claim or None,
        )  # fmt: skip

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


def _leading(items: Sequence[str], value: str) -> list[str]:
    """The run of `value` at the start of `items`."""
    run: list[str] = []
    for item in items:
        if item != value:
            break
        run.append(item)
    return run
