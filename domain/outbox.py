"""The outbox: `notifications` rows and their `delivery_attempts`, as the notifier stores them.

This is the storage side only: add a row, claim due rows, hand claimed rows back, record an
attempt and a row's new state, and read where a row stands. What to do with a result
(retry, pause, give up, mark an address stale) is `domain.notifier`'s rule.

Claiming: PostgreSQL selects due rows `FOR UPDATE SKIP LOCKED`; SQLite (one writer at a time)
claims with one conditional UPDATE. A claim carries a token and a lease; a row whose lease
ran out (its instance died mid-send) is due again, so delivery is at least once. Every later
write names the token, so an instance that lost its claim changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import Database
from db.models.proactive import DeliveryAttempt, Notification


class NotificationStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    RETRYING = "retrying"
    UNDELIVERABLE = "undeliverable"
    FAILED = "failed"


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
class ClaimedNotification:
    """A notification this instance holds until `claimed_until`, with its recent history."""

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
    # The error codes of the last few attempts, newest first.
    recent_errors: list[str | None] = field(default_factory=list)


@dataclass(frozen=True)
class Attempt:
    """One try at sending: to which address, what came back, how long it took."""

    address_id: int | None
    status_code: int | None  # None when no HTTP response came back
    error_code: str | None
    duration_ms: int


async def add(
    session: AsyncSession,
    *,
    person_id: int | None,
    address_id: int | None,
    kind: str,
    card: dict[str, Any],
    text: str,
    alert: bool,
    now: datetime,
    undeliverable_because: str | None,
) -> int:
    """Store a new notification in the caller's session; returns its id. It is due at once,
    or stored as undeliverable when `undeliverable_because` gives the reason."""
    due = undeliverable_because is None
    row = Notification(
        person_id=person_id,
        address_id=address_id,
        kind=kind,
        card=card,
        text=text,
        alert=alert,
        created_at=now,
        updated_at=now,
        status=NotificationStatus.PENDING if due else NotificationStatus.UNDELIVERABLE,
        attempts=0,
        next_attempt_at=now if due else None,
        last_error=undeliverable_because,
    )
    session.add(row)
    await session.flush()
    return row.id


async def delivery(db: Database, notification_id: int) -> Delivery:
    async with db.session() as session:
        row = await session.get(Notification, notification_id)
        if row is None:
            raise LookupError(f"no notification {notification_id}")
        return Delivery(
            row.id, NotificationStatus(row.status), row.attempts, row.last_status_code, row.last_error, row.sent_at
        )


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


# Built once, with no expanding parameters, so it runs on the driver itself (`Database.read_rows`).
_ANY_DUE = select(Notification.id).where(_due_at(bindparam("now", type_=Notification.next_attempt_at.type))).limit(1)


async def any_due(db: Database, now: datetime) -> bool:
    """Whether any row is due: a read, so that an idle notifier writes nothing."""
    return bool(await db.read_rows(_ANY_DUE, {"now": now}))


async def claim_due(
    db: Database, now: datetime, *, lease: timedelta, max_batch: int, history: int
) -> list[ClaimedNotification]:
    """Claim up to `max_batch` due rows, oldest first, each with its last `history` errors."""
    token = uuid.uuid4().hex
    due = _due_at(now)
    oldest_first = select(Notification.id).where(due).order_by(Notification.next_attempt_at, Notification.id)
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
            await session.execute(
                select(Notification)
                .where(Notification.claim_token == token)
                .order_by(Notification.next_attempt_at, Notification.id)
            )
        ).scalars()
        jobs = [
            ClaimedNotification(
                r.id, r.person_id, r.address_id, r.kind, r.card, r.text, r.alert, r.attempts, token, now + lease
            )
            for r in rows
        ]
        for job in jobs:
            job.recent_errors = await _recent_errors(session, job.id, history)
        return jobs


async def _recent_errors(session: AsyncSession, notification_id: int, limit: int) -> list[str | None]:
    rows = await session.execute(
        select(DeliveryAttempt.error_code)
        .where(DeliveryAttempt.notification_id == notification_id)
        .order_by(DeliveryAttempt.id.desc())
        .limit(limit)
    )
    return list(rows.scalars())


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
) -> bool:
    """Record the attempt (if one was made) and the notification's new state, ending the
    claim. False if the claim was lost meanwhile: the attempt is still recorded, but the
    row is left to the instance that holds it now."""
    async with db.session() as session:
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
                sent_at=now if status == NotificationStatus.SENT else None,
                last_status_code=attempt.status_code if attempt is not None else None,
                last_error=error[:100] if error else None,
            )
            .execution_options(synchronize_session=False)
        )
    return bool(changed.rowcount)  # type: ignore[attr-defined]
