"""The immediate alerts, queued in the register's own transaction rather than waiting for the
digest (domain.md §2.7, "always immediate"):

- a pupil leaves the Centre or a provider during the day: the school's DSL(s) (and deputies)
  and attendance lead(s);
- a pupil with a child protection plan, a child in need plan or who is looked after is absent
  without explanation: the school's DSL(s) and deputies only (the alert itself says the pupil
  has such a status). If none of them can be reached in Teams, the Partnership Director too,
  so the alert is never lost in silence.

Each notice's key names the pupil, day and session, so a register sent again alerts once.
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy.ext.asyncio import AsyncSession

from domain.attendance import notices
from domain.attendance.model import Session, Setting
from domain.conversations import personal_address_for
from domain.directory.model import PupilRecord
from domain.directory.queries import dsl_for, list_people
from domain.notifier import queue_notice
from domain.roles import Role


async def alert_left_placement(
    session: AsyncSession, pupil: PupilRecord, day: date, which: Session, setting: Setting, at: time, now: datetime
) -> int:
    """Queue the alert to the school's DSLs and attendance leads; returns how many were queued."""
    people = await dsl_for(session, pupil.school_id)
    people += [p for p in await list_people(session, pupil.school_id, Role.ATTENDANCE_LEAD) if p not in people]
    notice = notices.left_placement(pupil.id, pupil.school_id, day, which, setting, at)
    for person in people:
        await queue_notice(session, notice, to_person=person.id, now=now)
    return len(people)


async def alert_unexplained_absence(
    session: AsyncSession, pupil: PupilRecord, day: date, which: Session, now: datetime
) -> int:
    """Queue the alert to the school's DSLs (the Director too if none is reachable)."""
    people = await dsl_for(session, pupil.school_id)
    reachable = [p for p in people if await personal_address_for(session, p.id) is not None]
    if not reachable:
        people += await list_people(session, role=Role.PARTNERSHIP_DIRECTOR, partnership=True)
    notice = notices.unexplained_absence(pupil.id, pupil.school_id, day, which)
    for person in people:
        await queue_notice(session, notice, to_person=person.id, now=now)
    return len(people)
