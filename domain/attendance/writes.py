"""Changes to the register inside the caller's unit of work: a mark is added, or replaces the
one stored (its old values kept in the history), or is unchanged; actions are added once.
The caller has asked the policy and audits what `write_mark` says happened."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models.attendance import AttendanceActionRow, AttendanceMarkHistory, AttendanceMarkRow
from domain.attendance.model import ActionTaken, Mark, Session, Setting
from domain.attendance.queries import StoredMark, stored_mark

WriteOutcome = Literal["added", "changed", "unchanged"]


@dataclass(frozen=True)
class Written:
    pupil_id: int
    outcome: WriteOutcome
    before: StoredMark | None  # the mark it replaced, if any


def _same(row: AttendanceMarkRow, mark: Mark) -> bool:
    return (row.mark, row.at_time, row.reason, row.given_by) == (
        mark.kind.value,
        mark.at,
        mark.reason.value if mark.reason else None,
        mark.given_by.value if mark.given_by else None,
    )


async def write_mark(
    session: AsyncSession,
    day: date,
    which: Session,
    mark: Mark,
    *,
    setting: Setting | None,
    provider_id: int | None,
    source: str,
    by: int | None,
    now: datetime,
    only_if_missing: bool = False,
) -> Written:
    """Store `mark` for its pupil, `day` and session. `only_if_missing` leaves a stored mark
    as it is (the demo data's re-runs)."""
    row = await session.scalar(
        select(AttendanceMarkRow)
        .where(
            AttendanceMarkRow.pupil_id == mark.pupil_id,
            AttendanceMarkRow.on_date == day,
            AttendanceMarkRow.session == which.value,
        )
        .with_for_update()
    )
    values = {
        "mark": mark.kind.value,
        "at_time": mark.at,
        "reason": mark.reason.value if mark.reason else None,
        "given_by": mark.given_by.value if mark.given_by else None,
    }
    if row is None:
        session.add(
            AttendanceMarkRow(
                pupil_id=mark.pupil_id,
                on_date=day,
                session=which.value,
                setting=setting.value if setting else None,
                provider_id=provider_id,
                source=source,
                recorded_by=by,
                recorded_at=now,
                version=1,
                **values,
            )
        )
        await session.flush()
        return Written(mark.pupil_id, "added", None)
    if only_if_missing or _same(row, mark):
        return Written(mark.pupil_id, "unchanged", stored_mark(row))
    before = stored_mark(row)
    session.add(
        AttendanceMarkHistory(
            mark_id=row.id,
            version=row.version,
            mark=row.mark,
            at_time=row.at_time,
            reason=row.reason,
            given_by=row.given_by,
            source=row.source,
            recorded_by=row.recorded_by,
            recorded_at=row.recorded_at,
            replaced_at=now,
            replaced_by=by,
        )
    )
    for name, value in values.items():
        setattr(row, name, value)
    row.source, row.recorded_by, row.recorded_at, row.version = source, by, now, row.version + 1
    await session.flush()
    return Written(mark.pupil_id, "changed", before)


async def add_actions(
    session: AsyncSession, pupil_id: int, day: date, actions: set[ActionTaken], *, by: int | None, now: datetime
) -> int:
    """Record each action not yet recorded for the pupil that day; returns how many were new."""
    stored = set(
        await session.scalars(
            select(AttendanceActionRow.action).where(
                AttendanceActionRow.pupil_id == pupil_id, AttendanceActionRow.on_date == day
            )
        )
    )
    new = sorted(a.value for a in actions if a.value not in stored)
    session.add_all(
        AttendanceActionRow(pupil_id=pupil_id, on_date=day, action=a, taken_by=by, taken_at=now) for a in new
    )
    await session.flush()
    return len(new)


async def history_of(session: AsyncSession, pupil_id: int, day: date, which: Session) -> list[AttendanceMarkHistory]:
    """The corrections of one mark, oldest first."""
    query = (
        select(AttendanceMarkHistory)
        .join(AttendanceMarkRow, AttendanceMarkRow.id == AttendanceMarkHistory.mark_id)
        .where(
            AttendanceMarkRow.pupil_id == pupil_id,
            AttendanceMarkRow.on_date == day,
            AttendanceMarkRow.session == which.value,
        )
        .order_by(AttendanceMarkHistory.version)
    )
    return list(await session.scalars(query))
