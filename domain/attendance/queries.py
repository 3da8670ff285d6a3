"""Reads of the register: placed pupils, marks over a period, actions, chases, providers, and
who is still unmarked. Each takes a `Database` or the caller's session; none asks the policy
(the service functions that show what they read do)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, or_, select

from db.engine import DatabaseOrSession, unit_of_work
from db.models.attendance import (
    AttendanceActionRow,
    AttendanceChase,
    AttendanceMarkRow,
    AttendanceProvider,
    ProviderPlacement,
)
from db.models.directory import PROGRAMMES, Pupil
from domain.attendance.model import (
    PARTNERSHIP_SETTINGS,
    AbsenceReason,
    ActionTaken,
    GivenBy,
    Mark,
    MarkKind,
    Session,
    Setting,
    expected_setting,
)
from domain.directory.model import PupilRecord, pupil_record
from domain.directory.queries import list_schools


@dataclass(frozen=True)
class ProviderRecord:
    id: int
    name: str
    registered_school: bool
    active: bool = True


@dataclass(frozen=True)
class StoredMark:
    """A mark as recorded: the mark, where the pupil was expected, and who recorded it."""

    on_date: date
    session: Session
    mark: Mark
    setting: Setting | None
    provider_id: int | None
    source: str
    recorded_by: int | None
    recorded_at: datetime
    version: int


@dataclass(frozen=True)
class Chase:
    pupil_id: int
    on_date: date
    chased_by: int | None
    chased_at: datetime


def stored_mark(row: AttendanceMarkRow) -> StoredMark:
    mark = Mark(
        row.pupil_id,
        MarkKind(row.mark),
        row.at_time,
        AbsenceReason(row.reason) if row.reason else None,
        GivenBy(row.given_by) if row.given_by else None,
    )
    return StoredMark(
        on_date=row.on_date,
        session=Session(row.session),
        mark=mark,
        setting=Setting(row.setting) if row.setting else None,
        provider_id=row.provider_id,
        source=row.source,
        recorded_by=row.recorded_by,
        recorded_at=row.recorded_at,
        version=row.version,
    )


def _placed(day: date) -> list[ColumnElement[bool]]:
    return [
        Pupil.provision.in_(PROGRAMMES),
        Pupil.erased_at.is_(None),
        or_(Pupil.left_provision_on.is_(None), Pupil.left_provision_on >= day),
    ]


async def placed_pupils(db: DatabaseOrSession, day: date, school_id: int | None = None) -> list[PupilRecord]:
    """Pupils placed with the Partnership on `day` (all schools, or one), by name."""
    query = select(Pupil).where(*_placed(day)).order_by(Pupil.last_name, Pupil.first_name, Pupil.id)
    if school_id is not None:
        query = query.where(Pupil.school_id == school_id)
    async with unit_of_work(db) as session:
        return [pupil_record(row) for row in await session.scalars(query)]


async def schools_with_placed_pupils(db: DatabaseOrSession, day: date) -> list[int]:
    """The ids of schools with at least one pupil placed on `day`."""
    query = select(Pupil.school_id).where(*_placed(day)).distinct().order_by(Pupil.school_id)
    async with unit_of_work(db) as session:
        return list(await session.scalars(query))


def expected_at_partnership(pupil: PupilRecord, day: date) -> bool:
    return expected_setting(pupil.timetable, day) in PARTNERSHIP_SETTINGS


async def marks_between(
    db: DatabaseOrSession, pupil_ids: Iterable[int], start: date, end: date
) -> dict[int, list[StoredMark]]:
    """Each pupil's marks from `start` to `end` (both included), oldest first."""
    ids = sorted(set(pupil_ids))
    found: dict[int, list[StoredMark]] = defaultdict(list)
    if not ids:
        return found
    query = (
        select(AttendanceMarkRow)
        .where(AttendanceMarkRow.pupil_id.in_(ids), AttendanceMarkRow.on_date.between(start, end))
        .order_by(AttendanceMarkRow.on_date, AttendanceMarkRow.session)
    )
    async with unit_of_work(db) as session:
        for row in await session.scalars(query):
            found[row.pupil_id].append(stored_mark(row))
    return found


async def actions_on(db: DatabaseOrSession, pupil_ids: Iterable[int], day: date) -> dict[int, list[ActionTaken]]:
    query = (
        select(AttendanceActionRow.pupil_id, AttendanceActionRow.action)
        .where(AttendanceActionRow.pupil_id.in_(sorted(set(pupil_ids))), AttendanceActionRow.on_date == day)
        .order_by(AttendanceActionRow.taken_at, AttendanceActionRow.id)
    )
    found: dict[int, list[ActionTaken]] = defaultdict(list)
    async with unit_of_work(db) as session:
        for pupil_id, action in (await session.execute(query)).all():
            found[pupil_id].append(ActionTaken(action))
    return found


async def chases_on(db: DatabaseOrSession, pupil_ids: Iterable[int], day: date) -> dict[int, Chase]:
    query = select(AttendanceChase).where(
        AttendanceChase.pupil_id.in_(sorted(set(pupil_ids))), AttendanceChase.on_date == day
    )
    async with unit_of_work(db) as session:
        return {
            row.pupil_id: Chase(row.pupil_id, row.on_date, row.chased_by, row.chased_at)
            for row in await session.scalars(query)
        }


async def providers_of(db: DatabaseOrSession, pupil_ids: Iterable[int]) -> dict[int, ProviderRecord]:
    """The provider each pupil is placed with (the first by name, if several)."""
    query = (
        select(ProviderPlacement.pupil_id, AttendanceProvider)
        .join(AttendanceProvider, AttendanceProvider.id == ProviderPlacement.provider_id)
        .where(ProviderPlacement.pupil_id.in_(sorted(set(pupil_ids))))
        .order_by(AttendanceProvider.name.desc())
    )
    async with unit_of_work(db) as session:
        return {pupil_id: provider_record(row) for pupil_id, row in (await session.execute(query)).all()}


def provider_record(row: AttendanceProvider) -> ProviderRecord:
    return ProviderRecord(row.id, row.name, row.registered_school, row.active)


async def unmarked_pupils(db: DatabaseOrSession, day: date, session: Session) -> list[PupilRecord]:
    """Pupils expected at the Centre or a provider on `day` with no mark yet for `session`:
    the flag to the person taking the register."""
    expected = [p for p in await placed_pupils(db, day) if expected_at_partnership(p, day)]
    marked = await marks_between(db, (p.id for p in expected), day, day)
    return [p for p in expected if not any(m.session is session for m in marked.get(p.id, ()))]


def by_session(marks: Sequence[StoredMark], day: date) -> dict[Session, StoredMark]:
    return {m.session: m for m in marks if m.on_date == day}


@dataclass(frozen=True)
class RegisterData:
    """What a day's register shows: the pupils expected at the Centre or a provider, their
    marks and actions that day, their providers, and their schools' names."""

    pupils: list[PupilRecord]
    marks: dict[int, list[StoredMark]]
    actions: dict[int, list[ActionTaken]]
    providers: dict[int, ProviderRecord]
    schools: dict[int, str]


async def register_data(db: DatabaseOrSession, day: date) -> RegisterData:
    """The day's register, read in one session (not one a query)."""
    async with unit_of_work(db) as session:
        pupils = [p for p in await placed_pupils(session, day) if expected_at_partnership(p, day)]
        ids = [p.id for p in pupils]
        return RegisterData(
            pupils,
            await marks_between(session, ids, day, day),
            await actions_on(session, ids, day),
            await providers_of(session, ids),
            {school.id: school.name for school in await list_schools(session)},
        )
