"""Reads of concerns, their chronology and notes, as plain records from `model.py`. They do not
ask the access policy: the service does, before showing what they read."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models.proactive import Notification
from db.models.safeguarding import SafeguardingConcern, SafeguardingEntry, SafeguardingNote
from domain.safeguarding.model import Concern, Entry, EntryKind, Note, Status, Subject

UPDATED = "acknowledged"  # the reason of a 'notified' entry for an alert card's update


def concern_record(row: SafeguardingConcern) -> Concern:
    return Concern(
        id=row.id,
        subject=Subject(row.subject),
        school_id=row.school_id,
        pupil_id=row.pupil_id,
        reporter_id=row.reporter_id,
        raised_at=row.raised_at,
        status=Status(row.status),
        rung=row.rung,
        immediate_danger=row.immediate_danger,
        called_999=row.called_999,
        child_at_risk=row.child_at_risk,
        account=row.account,
        actions_taken=row.actions_taken,
        location=row.location,
        happened_at=row.happened_at,
        acknowledged_by=row.acknowledged_by,
        acknowledged_at=row.acknowledged_at,
    )


async def get_concern(session: AsyncSession, concern_id: int, *, lock: bool = False) -> Concern | None:
    """The concern; with `lock`, its row is held (PostgreSQL) until the transaction ends."""
    # populate_existing: the row as stored now, not as this session first saw it.
    query = select(SafeguardingConcern).where(SafeguardingConcern.id == concern_id)
    query = query.execution_options(populate_existing=True)
    row = await session.scalar(query.with_for_update() if lock else query)
    return concern_record(row) if row is not None else None


async def chronology(session: AsyncSession, concern_id: int) -> list[Entry]:
    rows = await session.scalars(
        select(SafeguardingEntry)
        .where(SafeguardingEntry.concern_id == concern_id)
        .order_by(SafeguardingEntry.at, SafeguardingEntry.id)
    )
    return [
        Entry(r.id, r.concern_id, r.at, EntryKind(r.kind), r.person_id, r.rung, r.notification_id, r.note_id, r.reason)
        for r in rows
    ]


async def notes(session: AsyncSession, concern_id: int) -> list[Note]:
    rows = await session.scalars(
        select(SafeguardingNote)
        .where(SafeguardingNote.concern_id == concern_id)
        .order_by(SafeguardingNote.at, SafeguardingNote.id)
    )
    return [Note(r.id, r.concern_id, r.author_id, r.at, r.text) for r in rows]


def alerts(concern: Concern, entries: list[Entry]) -> list[Entry]:
    """The 'notified' entries of the alerts the ladder sent: not the reporter's status notices,
    nor the updates that put "acknowledged" on each alert card (reason `UPDATED`)."""
    return [
        e
        for e in entries
        if e.kind is EntryKind.NOTIFIED
        and e.person_id != concern.reporter_id
        and e.notification_id is not None
        and e.reason != UPDATED
    ]


async def reached(session: AsyncSession, concern: Concern) -> set[int]:
    """Everyone an alert about this concern was queued to."""
    return {e.person_id for e in alerts(concern, await chronology(session, concern.id)) if e.person_id is not None}


async def deliveries(
    session: AsyncSession, notification_ids: list[int]
) -> dict[int, tuple[str, datetime | None, str | None]]:
    """Each notification's status, sent time and last error code."""
    if not notification_ids:
        return {}
    rows = await session.execute(
        select(Notification.id, Notification.status, Notification.sent_at, Notification.last_error).where(
            Notification.id.in_(notification_ids)
        )
    )
    return {row.id: (row.status, row.sent_at, row.last_error) for row in rows}


async def open_concerns(session: AsyncSession) -> list[Concern]:
    """Every concern not yet acknowledged, oldest first."""
    rows = await session.scalars(
        select(SafeguardingConcern)
        .where(SafeguardingConcern.status == Status.RAISED)
        .order_by(SafeguardingConcern.raised_at, SafeguardingConcern.id)
    )
    return [concern_record(row) for row in rows]


async def followed_concern_ids(session: AsyncSession, acknowledged_since: datetime) -> list[int]:
    """Concerns whose deliveries are still followed: open ones, and those acknowledged lately."""
    rows = await session.scalars(
        select(SafeguardingConcern.id)
        .where(
            or_(
                SafeguardingConcern.status == Status.RAISED,
                SafeguardingConcern.acknowledged_at >= acknowledged_since,
            )
        )
        .order_by(SafeguardingConcern.id)
    )
    return list(rows)
