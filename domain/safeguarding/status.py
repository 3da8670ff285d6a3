"""Where a concern stands, as its reporter sees it: each alert sent (to whom, at which rung,
delivered or not), each escalation and why, and who acknowledged it and when. No detail of
what was seen or said is in it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domain.directory.queries import get_person
from domain.safeguarding import queries
from domain.safeguarding.model import Concern, EntryKind, Status


@dataclass(frozen=True)
class AlertState:
    person_id: int
    name: str
    rung: int
    sent_at: datetime  # queued: the moment the ladder reached this person
    delivery: str  # an outbox status: pending, sending, retrying, sent, undeliverable, failed, cancelled
    delivered_at: datetime | None


@dataclass(frozen=True)
class Escalation:
    rung: int
    at: datetime
    reason: str | None


@dataclass(frozen=True)
class ConcernStatus:
    concern_id: int
    status: Status
    raised_at: datetime
    rung: int
    alerts: list[AlertState]
    escalations: list[Escalation]
    acknowledged_by: int | None
    acknowledged_by_name: str | None
    acknowledged_at: datetime | None


async def concern_status(session: AsyncSession, concern: Concern) -> ConcernStatus:
    entries = await queries.chronology(session, concern.id)
    sent = queries.alerts(concern, entries)
    states = await queries.deliveries(session, [e.notification_id for e in sent if e.notification_id is not None])
    names: dict[int, str] = {}
    for person_id in {e.person_id for e in sent if e.person_id is not None} | {concern.acknowledged_by or 0} - {0}:
        person = await get_person(session, person_id)
        names[person_id] = person.display_name if person else f"person {person_id}"
    alerts = []
    for entry in sent:
        assert entry.person_id is not None and entry.rung is not None and entry.notification_id is not None
        delivery, delivered_at, _ = states.get(entry.notification_id, ("pending", None, None))
        alerts.append(AlertState(entry.person_id, names[entry.person_id], entry.rung, entry.at, delivery, delivered_at))
    return ConcernStatus(
        concern_id=concern.id,
        status=concern.status,
        raised_at=concern.raised_at,
        rung=concern.rung,
        alerts=alerts,
        escalations=[Escalation(e.rung or 0, e.at, e.reason) for e in entries if e.kind is EntryKind.ESCALATED],
        acknowledged_by=concern.acknowledged_by,
        acknowledged_by_name=names.get(concern.acknowledged_by) if concern.acknowledged_by else None,
        acknowledged_at=concern.acknowledged_at,
    )
