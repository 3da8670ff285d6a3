"""What the safeguarding cards show, read at the moment a card is sent: an alert's detail for
the person it went to (who the ladder reached, so may see it: `service._may`), a concern's
record for someone the service let view it, and where a concern stands for its reporter. Plain
records; the feature's renderers and card actions turn them into cards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import Database
from domain.directory.queries import get_person, get_pupil, get_school
from domain.safeguarding import queries
from domain.safeguarding.model import Concern
from domain.safeguarding.service import ConcernView
from domain.safeguarding.status import ConcernStatus, concern_status


@dataclass(frozen=True)
class AlertDetail:
    concern: Concern
    pupil: str | None  # None for a concern about an adult, or once the pupil is erased
    year_group: int | None
    school: str
    reporter: str
    acknowledged_by: str | None
    acknowledged_at: datetime | None


async def alert_detail(database: Database, concern_id: int) -> AlertDetail | None:
    """The concern as an alert card shows it; None when it is gone or its pupil erased."""
    async with database.session() as session:
        concern = await queries.get_concern(session, concern_id)
        return await _detail(session, concern) if concern is not None else None


@dataclass(frozen=True)
class RecordDetail:
    """A concern's record as its card shows it: the alert's detail, the chronology and notes,
    and the name of each person in them."""

    detail: AlertDetail
    view: ConcernView
    names: dict[int, str]


async def record_detail(database: Database, view: ConcernView) -> RecordDetail | None:
    """The record `view` (from `service.view`) with names; None once its pupil is erased."""
    async with database.session() as session:
        detail = await _detail(session, view.concern)
        if detail is None:
            return None
        names: dict[int, str] = {}
        for person_id in {e.person_id for e in view.chronology if e.person_id is not None}:
            person = await get_person(session, person_id)
            names[person_id] = person.display_name if person else f"person {person_id}"
    return RecordDetail(detail, view, names)


async def _detail(session: AsyncSession, concern: Concern) -> AlertDetail | None:
    if concern.account is None:
        return None
    pupil = await get_pupil(session, concern.pupil_id) if concern.pupil_id is not None else None
    if pupil is not None and pupil.erased:
        return None
    school = await get_school(session, concern.school_id)
    reporter = await get_person(session, concern.reporter_id)
    by = await get_person(session, concern.acknowledged_by) if concern.acknowledged_by else None
    return AlertDetail(
        concern,
        pupil.display_name if pupil else None,
        pupil.year_group if pupil else None,
        school.name if school else "their school",
        reporter.display_name if reporter else "Partnership staff",
        by.display_name if by else None,
        concern.acknowledged_at,
    )


async def reporter_status(database: Database, concern_id: int) -> ConcernStatus | None:
    """Where the concern stands (no detail of it), for the card its reporter gets."""
    async with database.session() as session:
        concern = await queries.get_concern(session, concern_id)
        return await concern_status(session, concern) if concern is not None else None
