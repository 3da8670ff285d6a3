"""The outbox: `notifications` rows and their `delivery_attempts`, as the notifier stores them.

This is the storage side only: add a notice (once per idempotency key), claim due rows, hand
claimed rows back, record an attempt and a row's new state, read where a row stands, and
forget what a row says about an erased pupil. What to do with a result (retry, pause, give
up, mark an address stale) is `domain.notifier`'s rule.

Adding is `INSERT ... ON CONFLICT (idempotency_key) DO NOTHING` on both databases: a key
already stored leaves the caller's transaction as it was (no error to roll back from), and
the row already there is the answer. On PostgreSQL a second transaction adding the same key
waits for the first to commit, then finds its row.

Claiming takes urgent rows first: those whose notice raises a feed alert (`Notice.alert`: a
safeguarding alert, a pupil gone from their placement) go before routine ones (the day's
digests, however many are waiting), then the longest waiting first. Only the order changes:
every send still waits for the rate limits, and a row in a batch already claimed is not
overtaken; so an urgent row waits at most for the batch in hand (`run_due` also checks for
urgent rows between the sends of a batch of routine ones, see `domain.notifier`).

PostgreSQL selects due rows `FOR UPDATE SKIP LOCKED`; SQLite (one writer at a time)
claims with one conditional UPDATE. A claim carries a token and a lease; a row whose lease
ran out (its instance died mid-send) is due again, so delivery is at least once. Every later
write names the token, so an instance that lost its claim changes nothing.

The duplicate window. Around each post three writes are committed: the claim (status
`sending`, a token, a lease), then `posting_since` just before the post leaves (`mark_posting`;
refused if the claim ran out, and the post is not made), then, the moment the connector answers,
the outcome: a 2xx marks the row sent with the message's activity id in one short write
(`finish`, before anything else is done with the answer). The id and "sent" land together, and
a sent row is never claimed again. What remains:

- A process killed (or a database lost) while a post is in flight: from the request leaving to
  its answer being written. Teams may have stored the message (a kill cannot call it back) or
  not; we cannot tell which. The row stays `sending` with `posting_since` set; when its lease
  runs out, the instance that takes it over records the cut-off post as an attempt (`cut_off`),
  sends it again and marks the row `maybe_twice` (its `last_error`, the attempt's error code, a
  warning in the log and, for a safeguarding alert, the 'delivered' entry of the concern's
  chronology). A row taken over without `posting_since` (claimed, but the post had not left) is
  sent with no doubt.
- A post that gets no answer within the notifier's `send_timeout`: retried like any lost
  request, and marked `maybe_twice` the same way.

So a message may arrive more than once, never silently: each extra copy is one of the posts
recorded as `cut_off` or timed out, and its row says `maybe_twice`.
The Bot Framework offers no idempotent post (no key Teams would deduplicate on) and no way to
ask "did message X arrive?", so the window itself cannot be closed from our side: it is a post's
round trip (Teams answers in tenths of a second) plus one write. The kill run
(tests/bot/safeguarding/kills.py) SIGKILLs the bot 50 times while concerns are raised and counts
duplicates and `maybe_twice` rows. A crash delays, and never loses, what the dead process held
claimed: those rows are due again when the lease runs out (`CLAIM_LEASE_SECONDS` shortens it).

Held for a chat (`hold_for_a_chat`, `requeue_waiting_for`): a notice that found its person
with no chat with the bot is stored undeliverable at once, and one whose chat was gone (403 or
404: the app removed, the chat blocked or deleted) becomes undeliverable, and one whose every try
reached no server (`connection_error`, e.g. a Playground since closed) fails. For kinds that say
so (a safeguarding alert, the reporter's status, a new referral), the row waits: when the
person's chat is first stored or refreshed (they open the app again), the rows still wanted (the
kind's own check, e.g. the concern is not yet acknowledged) are due again, to that chat.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import ColumnElement, Connection, and_, bindparam, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import Database
from db.models.proactive import DeliveryAttempt, Notification, NotificationPupil
from domain.notices import JsonValue, Notice


class NotificationStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    RETRYING = "retrying"
    UNDELIVERABLE = "undeliverable"
    FAILED = "failed"
    CANCELLED = "cancelled"  # not to be sent after all: its record is gone (erased, withdrawn)


# Not sent yet, and still meant to be.
WAITING = (NotificationStatus.PENDING, NotificationStatus.RETRYING, NotificationStatus.SENDING)
ERASED = "erased"  # last_error of a notification cancelled because a pupil it named was erased
NO_CONVERSATION = "no_conversation"  # last_error of a row stored undeliverable: no chat with the bot
CUT_OFF = "cut_off"  # an attempt whose instance died mid-post: its answer never came
HELD_FOR = timedelta(days=7)  # how long an undeliverable row may wait for its person's chat
CHAT_GONE = (403, 404)  # a send's answer when the chat it went to is no more
CONNECTION_ERROR = "connection_error"  # last_error of a send that reached no server at all
_HELD_STATUSES = (NotificationStatus.UNDELIVERABLE, NotificationStatus.FAILED)

# Whether a held row is still wanted: (session, its payload) -> bool.
StillWanted = Callable[[AsyncSession, Mapping[str, JsonValue]], Awaitable[bool]]
_HELD_FOR_A_CHAT: dict[str, StillWanted] = {}


def hold_for_a_chat(kind: str, still_wanted: StillWanted) -> None:
    """Rows of `kind` stored undeliverable for want of a chat are sent when the person opens one,
    if `still_wanted` says so then (a domain registers this once, at import)."""
    _HELD_FOR_A_CHAT[kind] = still_wanted


async def requeue_waiting_for(session: AsyncSession, person_id: int, now: datetime) -> list[int]:
    """In the caller's session (the one storing the person's chat): make due again every row to
    `person_id` held for a chat that is still wanted; returns their ids."""
    if not _HELD_FOR_A_CHAT:
        return []
    rows = await session.execute(
        select(Notification.id, Notification.kind, Notification.payload).where(
            Notification.person_id == person_id,
            or_(
                and_(
                    Notification.status == NotificationStatus.UNDELIVERABLE,
                    or_(Notification.last_error == NO_CONVERSATION, Notification.last_status_code.in_(CHAT_GONE)),
                ),
                and_(Notification.status == NotificationStatus.FAILED, Notification.last_error == CONNECTION_ERROR),
            ),
            Notification.kind.in_(sorted(_HELD_FOR_A_CHAT)),
            Notification.created_at >= now - HELD_FOR,
        )
    )
    wanted = [row.id for row in rows if await _HELD_FOR_A_CHAT[row.kind](session, row.payload)]
    if wanted:
        await session.execute(
            update(Notification)
            .where(Notification.id.in_(wanted), Notification.status.in_(_HELD_STATUSES))
            .values(status=NotificationStatus.PENDING, next_attempt_at=now, updated_at=now, last_error=None)
            .execution_options(synchronize_session=False)
        )
    return wanted


@dataclass(frozen=True)
class Delivery:
    """Where a notification stands, for the caller that queued it."""

    notification_id: int
    status: NotificationStatus
    attempts: int
    last_status_code: int | None
    last_error: str | None
    sent_at: datetime | None
    activity_id: str | None = None


@dataclass(frozen=True)
class SentMessage:
    """What became of a notice to one recipient: its status and, once sent, the message's id
    and the chat it went to."""

    notification_id: int
    status: NotificationStatus
    activity_id: str | None
    address_id: int | None


@dataclass
class ClaimedNotification:
    """A notification this instance holds until `claimed_until`, with its recent history."""

    id: int
    person_id: int | None
    address_id: int | None
    notice: Notice
    attempts: int
    token: str
    claimed_until: datetime
    # The error codes of the last few attempts, newest first.
    recent_errors: list[str | None] = field(default_factory=list)
    # When a post of it left with no answer known (an instance died mid-post, or no answer came
    # in time): it may be in Teams already.
    posted_before: datetime | None = None

    @property
    def maybe_posted(self) -> bool:
        return self.posted_before is not None

    @property
    def kind(self) -> str:
        return self.notice.kind


@dataclass(frozen=True)
class Attempt:
    """One try at sending: to which address, what came back, how long it took."""

    address_id: int | None
    status_code: int | None  # None when no HTTP response came back
    error_code: str | None
    duration_ms: int


def idempotency_key(notice_key: str, *, person_id: int | None, address_id: int | None) -> str:
    """The stored key: the notice's own key for this one recipient, so one notice can go to
    several people, once each."""
    recipient = f"person:{person_id}" if person_id is not None else f"address:{address_id}"
    return f"to-{recipient}|{notice_key}"


def notice_key(stored_key: str) -> str:
    """The notice's own key back from a stored one (a legacy row's key is kept whole)."""
    recipient, bar, key = stored_key.partition("|")
    return key if bar and recipient.startswith("to-") else stored_key


async def add(
    session: AsyncSession,
    notice: Notice,
    *,
    person_id: int | None,
    address_id: int | None,
    now: datetime,
    undeliverable_because: str | None,
) -> tuple[int, bool]:
    """Store a notice for one recipient in the caller's session, unless it is stored for them
    already; returns the row's id and whether it is new. A new row is due at once, or stored
    as undeliverable when `undeliverable_because` gives the reason."""
    due = undeliverable_because is None
    key = idempotency_key(notice.key, person_id=person_id, address_id=address_id)
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    added = await session.execute(
        insert(Notification)
        .values(
            person_id=person_id,
            address_id=address_id,
            kind=notice.kind,
            payload=dict(notice.payload),
            idempotency_key=key,
            alert=notice.alert,
            created_at=now,
            updated_at=now,
            status=NotificationStatus.PENDING if due else NotificationStatus.UNDELIVERABLE,
            attempts=0,
            next_attempt_at=now if due else None,
            last_error=undeliverable_because,
        )
        .on_conflict_do_nothing(index_elements=[Notification.idempotency_key])
        .returning(Notification.id)
    )
    new_id = added.scalar_one_or_none()
    if new_id is None:
        existing = await session.scalar(select(Notification.id).where(Notification.idempotency_key == key))
        if existing is None:  # only if the row was deleted between the two statements
            raise LookupError("a notification with this idempotency key vanished while being queued")
        return existing, False
    session.add_all(NotificationPupil(notification_id=new_id, pupil_id=pupil) for pupil in notice.pupil_ids)
    await session.flush()
    return new_id, True


async def forget_pupil(session: AsyncSession, pupil_id: int, now: datetime) -> int:
    """In the caller's session: cancel every notification about the pupil that is still
    waiting, and empty the payload of every notification about them, sent or not. Returns
    how many were cancelled. A row another instance is sending loses its claim, so that
    instance records nothing over the cancellation."""
    about = select(NotificationPupil.notification_id).where(NotificationPupil.pupil_id == pupil_id)
    cancelled = await session.execute(
        update(Notification)
        .where(Notification.id.in_(about), Notification.status.in_([str(status) for status in WAITING]))
        .values(
            status=NotificationStatus.CANCELLED,
            next_attempt_at=None,
            claim_token=None,
            claimed_until=None,
            updated_at=now,
            last_error=ERASED,
        )
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Notification)
        .where(Notification.id.in_(about))
        .values(payload={})
        .execution_options(synchronize_session=False)
    )
    return int(cancelled.rowcount)  # type: ignore[attr-defined]


async def delivery(db: Database, notification_id: int) -> Delivery:
    async with db.session() as session:
        row = await session.get(Notification, notification_id)
        if row is None:
            raise LookupError(f"no notification {notification_id}")
        return Delivery(
            row.id,
            NotificationStatus(row.status),
            row.attempts,
            row.last_status_code,
            row.last_error,
            row.sent_at,
            row.activity_id,
        )


async def sent_message(db: Database, key: str, *, person_id: int | None, address_id: int | None) -> SentMessage | None:
    """The notice stored under `key` for this recipient (the one a `Notice.update_of` names)."""
    stored = idempotency_key(key, person_id=person_id, address_id=address_id)
    async with db.session() as session:
        row = await session.scalar(select(Notification).where(Notification.idempotency_key == stored))
        if row is None:
            return None
        return SentMessage(row.id, NotificationStatus(row.status), row.activity_id, row.sent_address_id)


def _due_at(now: datetime | ColumnElement[datetime]) -> ColumnElement[bool]:
    """Rows waiting for a try, and claimed rows whose lease ran out (their instance died).
    The statuses are compared one by one, not with `IN (...)`, whose list SQLAlchemy expands per
    call, so that `any_due` can run on the driver itself."""
    return or_(
        and_(
            or_(Notification.status == NotificationStatus.PENDING, Notification.status == NotificationStatus.RETRYING),
            Notification.next_attempt_at <= now,
        ),
        and_(Notification.status == NotificationStatus.SENDING, Notification.claimed_until <= now),
    )


# Urgent first: a notice that raises a feed alert (a safeguarding alert, a pupil gone from their
# placement) before the routine ones (the day's digests), then the longest waiting.
_CLAIM_ORDER = (Notification.alert.desc(), Notification.next_attempt_at, Notification.id)

# Built once, with no expanding parameters, so it runs on the driver itself (`Database.read_rows`).
_ANY_DUE = select(Notification.id).where(_due_at(bindparam("now", type_=Notification.next_attempt_at.type))).limit(1)


async def any_due(db: Database, now: datetime) -> bool:
    """Whether any row is due: a read, so that an idle notifier writes nothing."""
    return bool(await db.read_rows(_ANY_DUE, {"now": now}))


_ANY_URGENT_DUE = _ANY_DUE.where(Notification.alert.is_(True))


async def any_urgent_due(db: Database, now: datetime) -> bool:
    """Whether an urgent row (one that raises a feed alert) is due: a read, made between the sends
    of a batch of routine rows so that an urgent one need not wait for the whole batch."""
    return bool(await db.read_rows(_ANY_URGENT_DUE, {"now": now}))


async def claim_due(
    db: Database, now: datetime, *, lease: timedelta, max_batch: int, history: int
) -> list[ClaimedNotification]:
    """Claim up to `max_batch` due rows, urgent ones first (see the module docstring), then oldest
    first, each with its last `history` errors."""
    token = uuid.uuid4().hex
    due = _due_at(now)
    oldest_first = select(Notification.id).where(due).order_by(*_CLAIM_ORDER)
    claim = {"status": NotificationStatus.SENDING, "claim_token": token, "claimed_until": now + lease}
    async with db.session() as session:
        if db.is_sqlite:
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
            await session.execute(select(Notification).where(Notification.claim_token == token).order_by(*_CLAIM_ORDER))
        ).scalars()
        claimed = list(rows)
        for row in claimed:
            if row.posting_since is not None:
                await _record_cut_off(session, row.id, row.posting_since)
        pupils = await _pupils_of(session, [row.id for row in claimed])
        jobs = [
            ClaimedNotification(
                row.id,
                row.person_id,
                row.address_id,
                Notice(row.kind, row.payload, notice_key(row.idempotency_key), pupils.get(row.id, ()), row.alert),
                row.attempts,
                token,
                now + lease,
                posted_before=row.posting_since,
            )
            for row in claimed
        ]
        for job in jobs:
            job.recent_errors = await _recent_errors(session, job.id, history)
        return jobs


async def _record_cut_off(session: AsyncSession, notification_id: int, posted_at: datetime) -> None:
    """A post whose answer never came: recorded once as an attempt (`CUT_OFF`, its instance died
    mid-post) unless an attempt at that moment says so already (a timeout), so the history shows
    each post that may have reached Teams."""
    known = await session.scalar(
        select(DeliveryAttempt.id).where(
            DeliveryAttempt.notification_id == notification_id, DeliveryAttempt.at == posted_at
        )
    )
    if known is None:
        session.add(
            DeliveryAttempt(
                notification_id=notification_id,
                address_id=None,
                at=posted_at,
                status_code=None,
                outcome=CUT_OFF,
                error_code=CUT_OFF,
                duration_ms=0,
            )
        )


async def _pupils_of(session: AsyncSession, notification_ids: list[int]) -> dict[int, tuple[int, ...]]:
    if not notification_ids:
        return {}
    rows = await session.execute(
        select(NotificationPupil.notification_id, NotificationPupil.pupil_id).where(
            NotificationPupil.notification_id.in_(notification_ids)
        )
    )
    pupils: dict[int, list[int]] = {}
    for notification_id, pupil_id in rows:
        pupils.setdefault(notification_id, []).append(pupil_id)
    return {notification_id: tuple(ids) for notification_id, ids in pupils.items()}


async def _recent_errors(session: AsyncSession, notification_id: int, limit: int) -> list[str | None]:
    rows = await session.execute(
        select(DeliveryAttempt.error_code)
        .where(DeliveryAttempt.notification_id == notification_id)
        .order_by(DeliveryAttempt.id.desc())
        .limit(limit)
    )
    return list(rows.scalars())


async def mark_posting(db: Database, job: ClaimedNotification, now: datetime) -> bool:
    """Record, committed, that the message is about to be posted (see "The duplicate window");
    False if the claim was lost meanwhile, and then it must not be posted."""

    def mark(connection: Connection) -> int:
        marked = connection.execute(
            update(Notification)
            .where(Notification.id == job.id, Notification.claim_token == job.token)
            .values(posting_since=now)
        )
        return int(marked.rowcount)

    return bool(await db.standalone(mark))


async def release(db: Database, jobs: Sequence[ClaimedNotification], when: datetime) -> None:
    """Put claimed rows back untried, due at `when` (not counted as attempts)."""
    async with db.session() as session:
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


async def finish(
    db: Database,
    job: ClaimedNotification,
    status: NotificationStatus,
    now: datetime,
    *,
    attempt: Attempt | None,
    error: str | None,
    next_attempt_at: datetime | None = None,
    activity_id: str | None = None,
    in_doubt_since: datetime | None = None,
    answer_lost: bool = False,
) -> bool:
    """Record the notification's new state (with the sent message's `activity_id` and the chat it
    went to) and the attempt (if one was made), ending the claim. False if the claim was lost
    meanwhile: the attempt is still recorded, but the row is left to the instance that holds it
    now. The row's state is written first, in the same short transaction: see "The duplicate
    window" above. A retry whose message may have reached Teams stays marked as posted, so its
    next send says it may arrive twice: since `in_doubt_since` (an earlier post), or since this
    attempt when its answer was lost (`answer_lost`)."""
    sent = status == NotificationStatus.SENT
    async with db.session() as session:
        changed = await session.execute(
            update(Notification)
            .where(Notification.id == job.id, Notification.claim_token == job.token)
            .values(
                status=status,
                attempts=job.attempts + (1 if attempt is not None else 0),
                next_attempt_at=next_attempt_at,
                claim_token=None,
                claimed_until=None,
                updated_at=now,
                sent_at=now if sent else None,
                last_status_code=attempt.status_code if attempt is not None else None,
                last_error=error[:100] if error else None,
                activity_id=activity_id[:200] if sent and activity_id else None,
                sent_address_id=attempt.address_id if sent and attempt is not None else None,
                posting_since=now if answer_lost else in_doubt_since,
            )
            .execution_options(synchronize_session=False)
        )
        if attempt is not None:
            session.add(
                DeliveryAttempt(
                    notification_id=job.id,
                    address_id=attempt.address_id,
                    at=now,
                    status_code=attempt.status_code,
                    outcome=str(status),
                    error_code=attempt.error_code[:100] if attempt.error_code else None,
                    duration_ms=attempt.duration_ms,
                )
            )
    return bool(changed.rowcount)  # type: ignore[attr-defined]
