"""The one way to send a proactive message: notices in an outbox in the database, and a sender loop.

`queue_notice` writes a notice to the outbox (in the caller's transaction when given a
session), so a message is never lost to a crash and the same notice is never queued twice
for one recipient. `run_due` claims due rows, renders each notice into a message just before
sending it (the `Render` the edge passes in), sends it through the `Sender` under Teams'
rate limits, and records every attempt and outcome:

- No renderer for the notice's kind: failed, at once (`no_renderer`).
- The renderer answers None (the record it names is gone): cancelled (`record_gone`).
- The renderer raises or hangs: retried like a failed send (`render_failed`), then failed.
- The rendered message is over MAX_MESSAGE_BYTES: failed (`too_large`); Teams would refuse it.
- The same notice to several recipients in one batch is rendered once and sent to each.

- 2xx: sent.
- 412, 429, 502, 503, 504, no response, timeout: retried after `Retry-After` when given
  (which pauses the whole sender: Teams throttles the app, not one request), else after an
  exponential backoff with jitter; after `max_attempts` tries the notification is failed.
- 403, 404 (app removed, chat blocked or gone), or `stale_after_timeouts` timeouts in a row:
  the address is marked stale and the notification is undeliverable.
- No usable address (person never talked to the bot, or stale): undeliverable, at once. Kinds
  held for a chat (`outbox.hold_for_a_chat`) are due again when the person's chat is stored.

Urgent first: notices that raise a feed alert (a safeguarding alert) are claimed before routine
ones (the day's digests), and a batch of routine ones is handed back when an urgent one becomes
due while it goes out, so an alert waits for one send, not for the queue. The rate limits apply
to both alike.

A sent message's activity id is stored with its row. A notice that updates another
(`Notice.update_of`) replaces that message in place through `Sender.update`: it waits while
the other is still on its way, and is cancelled (`nothing_to_update`) when the other never
went out.

Never lost, never silently doubled. Delivery is at least once: a row is claimed (committed)
before its send, marked `posting_since` just before the post leaves, and the first write after
a 2xx marks it sent with the message's activity id; a sent row is never claimed again. A crash
costs time, not a message: what the dead process held claimed is due again when its `lease` runs
out (a minute, or `CLAIM_LEASE_SECONDS`). A message can arrive twice only when its post was in
flight as the process died (the instance that takes the row over records that post as a
`cut_off` attempt) or got no answer in `send_timeout`: it is sent again and marked MAYBE_TWICE
(row, attempt, log, and a safeguarding alert's chronology). Teams takes no
idempotency key on a post and cannot be asked whether a message arrived, so that window (one
post's round trip and one write) cannot be closed from our side. `domain.outbox` ("The duplicate
window") has the detail; the kill run (`tests/bot/safeguarding/kills.py`) counts what it lets
through.

The rows, their claims and leases are `domain.outbox`'s; a batch hands back the rows its
lease no longer covers rather than race another instance for them. Logs name a notice's
kind and id, never its payload or the rendered message.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from core.clock import Clock, idle
from core.logs import log_event
from db.engine import Database, DatabaseOrSession, unit_of_work
from domain import outbox
from domain.conversations import MAX_MESSAGE_BYTES, ConversationAddress, address_by_id, mark_stale, personal_address_for
from domain.notices import Notice, Render, RenderedMessage, UnknownNoticeKind
from domain.outbox import NO_CONVERSATION, Attempt, ClaimedNotification, Delivery, NotificationStatus
from domain.rate_limit import SEND_MARGIN, RateLimiter, Sleep

logger = logging.getLogger(__name__)

NO_RESPONSE = 0  # SendResult.status when no HTTP response came back.
TIMEOUT = "timeout"
NOTHING_TO_UPDATE = "nothing_to_update"
UPDATE_WAIT = timedelta(seconds=5)  # an update whose message is still on its way looks again after this
NO_RENDERER = "no_renderer"
RECORD_GONE = "record_gone"
RENDER_FAILED = "render_failed"
TOO_LARGE = "too_large"
MAYBE_TWICE = "maybe_twice"  # sent again after a post whose fate was unknown: it may show twice


@dataclass(frozen=True)
class SendResult:
    """What one send came back with; `status` is NO_RESPONSE (0) when nothing came back."""

    status: int
    retry_after: float | None = None
    error_code: str | None = None
    activity_id: str | None = None  # the id Teams gave the message it stored

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class Sender(Protocol):
    """Posts one message into one conversation (the Bot Framework edge implements it)."""

    async def send(self, address: ConversationAddress, card: dict[str, Any], text: str, alert: bool) -> SendResult: ...

    async def update(
        self, address: ConversationAddress, activity_id: str, card: dict[str, Any], text: str
    ) -> SendResult: ...


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
        sleep: Sleep | None = None,
        wait: Sleep | None = None,
        limiter: RateLimiter | None = None,
        *,
        policy: RetryPolicy = RetryPolicy(),
        jitter: Callable[[], float] = random.random,
        batch_size: int = 20,
        poll_interval: float = 1.0,
        send_timeout: float = 30.0,
        lease: timedelta = timedelta(minutes=1),  # a crash holds up what it claimed this long
        max_wait_in_batch: float = 5.0,
        render: Render,
    ) -> None:
        self.db = db
        self.sender = sender
        self.render = render
        self.clock = clock
        # `sleep` paces the idle polling (real time); `wait` lets time pass on the clock for a
        # rate limit or a Retry-After pause (on a manual clock it moves the clock).
        self.sleep = sleep or asyncio.sleep
        self.wait = wait or sleep or clock.wait
        self.limiter = limiter or RateLimiter(clock, self.wait, margin=SEND_MARGIN)
        self.policy = policy
        self.jitter = jitter
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.send_timeout = send_timeout
        self.lease = lease
        self.max_wait_in_batch = max_wait_in_batch
        self._paused_until: datetime | None = None
        # One pass at a time per instance: the sender loop and a pass asked for meanwhile (a test's,
        # or a caller's) share the limiter, the pause and the batch's drawn cards.
        self._one_pass = asyncio.Lock()

    async def delivery(self, notification_id: int) -> Delivery:
        """Where a notification stands (e.g. undeliverable because the person has no chat)."""
        return await outbox.delivery(self.db, notification_id)

    # ---- the sender loop -----------------------------------------------------------------

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Send due notifications until `stop` is set (started and stopped with the app)."""
        while not stop.is_set():
            pause = self._pause_left()
            if pause > 0:
                await idle(self.wait, stop, pause)
                continue
            try:
                handled = await self.run_due(self.batch_size)
            except Exception as error:
                # Only the type: a database error's text can quote the card's content.
                log_event(logger, "notifier.pass_failed", logging.ERROR, error=type(error).__name__)
                handled = 0
            if handled == 0:
                await idle(self.sleep, stop, self.poll_interval)

    async def run_due(self, max_batch: int = 20) -> int:
        """Claim up to `max_batch` due notifications and try each once; returns how many
        were tried (rows put back because of a pause or a rate limit are not counted). A pass
        asked for while another runs waits for it."""
        async with self._one_pass:
            return await self._pass(max_batch)

    async def _pass(self, max_batch: int) -> int:
        await self._wait_out_pause()
        now = self.clock.now()
        if not await outbox.any_due(self.db, now):
            return 0  # the usual pass: a read, no write transaction
        claimed = await outbox.claim_due(
            self.db, now, lease=self.lease, max_batch=max_batch, history=self.policy.stale_after_timeouts
        )
        tried = 0
        rendered: dict[tuple[str, str, str], RenderedMessage] = {}
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
            if position and not job.notice.alert and await outbox.any_urgent_due(self.db, self.clock.now()):
                # An urgent notice (a safeguarding alert) came in while this batch of routine ones
                # was going out: the rest go back, and the next pass claims the urgent one first.
                await outbox.release(self.db, claimed[position:], self.clock.now())
                break
            if await self._deliver(job, rendered):
                tried += 1
        return tried

    async def _deliver(self, job: ClaimedNotification, rendered: dict[tuple[str, str, str], RenderedMessage]) -> bool:
        """Try one claimed notification once; False if it was put back untried. `rendered`
        holds this batch's messages by notice: the same notice to several people (a school's
        digest to its DSL and attendance lead) is drawn once a batch, not once a person."""
        replacing: str | None = None
        if job.notice.update_of is not None:
            original = await outbox.sent_message(
                self.db, job.notice.update_of, person_id=job.person_id, address_id=job.address_id
            )
            if original is not None and original.status in outbox.WAITING:
                await outbox.release(self.db, [job], self.clock.now() + UPDATE_WAIT)
                return False
            if original is None or original.status != NotificationStatus.SENT or original.activity_id is None:
                await self._finish(job, None, None, NotificationStatus.CANCELLED, NOTHING_TO_UPDATE, 0)
                return True
            address = await address_by_id(self.db, original.address_id) if original.address_id else None
            replacing = original.activity_id
        else:
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
        started = time.perf_counter()
        # Rendered now, not when queued: the card says what the records say at this moment.
        same = (job.notice.kind, job.notice.key, job.notice.encoded)
        try:
            message = rendered.get(same) or await asyncio.wait_for(self.render(job.notice), self.send_timeout)
        except UnknownNoticeKind:
            await self._finish(job, None, None, NotificationStatus.FAILED, NO_RENDERER, 0)
            return True
        except Exception as error:
            # The type only: a renderer's error text may quote the record it was reading.
            log_event(logger, "notice.render_failed", logging.WARNING, kind=job.kind, error=type(error).__name__)
            duration_ms = round((time.perf_counter() - started) * 1000)
            await self._settle(job, address, SendResult(NO_RESPONSE, None, RENDER_FAILED), duration_ms)
            return True
        if message is None:
            await self._finish(job, None, None, NotificationStatus.CANCELLED, RECORD_GONE, 0)
            return True
        if message_bytes(message) > MAX_MESSAGE_BYTES:
            await self._finish(job, None, None, NotificationStatus.FAILED, TOO_LARGE, 0)
            return True
        rendered[same] = message
        await self.limiter.acquire(conversation, address.tenant_id)
        if replacing is None and not await outbox.mark_posting(self.db, job, self.clock.now()):
            return False  # the claim ran out meanwhile: the instance holding it now sends it
        try:
            if replacing is not None:
                sending = self.sender.update(address, replacing, message.card, message.text)
            else:
                sending = self.sender.send(address, message.card, message.text, job.notice.alert)
            result = await asyncio.wait_for(sending, self.send_timeout)
            if replacing is not None and result.ok:
                result = replace(result, activity_id=replacing)
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
            # Taken over from an instance that died mid-post, or retried after no answer: Teams
            # may hold it twice. Said in the row, the attempt and the log, never silent.
            twice = MAYBE_TWICE if job.maybe_posted and job.notice.update_of is None else None
            result = replace(result, error_code=twice)
            await self._finish(job, address, result, NotificationStatus.SENT, twice, duration_ms, result.activity_id)
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
                # No answer: this post may be in Teams; an earlier post in doubt stays so.
                in_doubt_since=job.posted_before,
                answer_lost=result.status == NO_RESPONSE and result.error_code != RENDER_FAILED,
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
        activity_id: str | None = None,
        *,
        next_attempt_at: datetime | None = None,
        in_doubt_since: datetime | None = None,
        answer_lost: bool = False,
    ) -> None:
        """Record the attempt (if one was made) and the notification's new state, and log it."""
        attempt: Attempt | None = None
        if result is not None:
            status_code = None if result.status == NO_RESPONSE else result.status
            attempt = Attempt(address.address_id if address else None, status_code, result.error_code, duration_ms)
        kept_claim = await outbox.finish(
            self.db,
            job,
            status,
            self.clock.now(),
            attempt=attempt,
            error=error,
            next_attempt_at=next_attempt_at,
            activity_id=activity_id,
            in_doubt_since=in_doubt_since,
            answer_lost=answer_lost,
        )
        log_event(
            logger,
            "notification." + str(status),
            logging.WARNING if status in _BAD or error == MAYBE_TWICE else logging.INFO,
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
            await self.wait(left)


_BAD = frozenset({NotificationStatus.UNDELIVERABLE, NotificationStatus.FAILED, NotificationStatus.RETRYING})


async def queue_notice(
    db: DatabaseOrSession,
    notice: Notice,
    *,
    to_person: int | None = None,
    to_address: int | None = None,
    now: datetime,
) -> int:
    """Queue `notice` to a person's 1:1 chat (`to_person`) or a stored group chat or channel
    (`to_address`); returns the notification id.

    Given a session, the row is written in the caller's transaction (it goes only if that
    commits). Queuing a notice whose key is already queued for the same recipient stores
    nothing and returns the id of the row that is there, whatever became of it (sent,
    undeliverable, cancelled), and leaves the transaction fit to go on. If the bot has no
    usable chat with the recipient, the row is stored at once as undeliverable (`delivery()`
    shows it) rather than dropped.
    """
    if (to_person is None) == (to_address is None):
        raise ValueError("a notice goes to a person or to an address: give exactly one")
    async with unit_of_work(db) as session:
        reachable = await _address_for(session, to_person, to_address) is not None
        notification_id, new = await outbox.add(
            session,
            notice,
            person_id=to_person,
            address_id=to_address,
            now=now,
            undeliverable_because=None if reachable else NO_CONVERSATION,
        )
        if new and not reachable:
            log_event(
                logger,
                "notification.undeliverable",
                logging.WARNING,
                notification_id=notification_id,
                kind=notice.kind,
                person_id=to_person,
                address_id=to_address,
                reason=NO_CONVERSATION,
            )
        return notification_id


def message_bytes(message: RenderedMessage) -> int:
    """What a rendered message weighs on the wire, near enough: its card as JSON and its text."""
    return len(json.dumps(message.card).encode()) + len(message.text.encode())


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
