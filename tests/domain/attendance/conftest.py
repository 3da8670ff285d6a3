"""A small partnership for register tests: two schools, their DSLs and attendance leads, the
Partnership's staff, placed pupils with weekly patterns, a provider, and term dates."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from core.clock import ManualClock
from db.engine import Database
from db.models.proactive import Notification
from db.models.school_calendar import TermDatesRow
from domain.attendance.providers import add_provider, place_pupil
from domain.attendance.welfare import WelfareFlags, set_welfare_flags
from domain.conversations import remember
from domain.directory.model import PersonRecord
from domain.directory.writes import save_person
from domain.requester import Requester
from domain.roles import Role
from tests.fixtures.conversations import personal
from tests.fixtures.directory_rows import add_pupil, add_school

# Fictional term dates: the summer term 2026 with the early May bank holiday, and an autumn
# term with no half term, so the October clock change falls between two school weeks.
TERMS = (
    ("term", date(2026, 4, 13), date(2026, 7, 22)),
    ("bank_holiday", date(2026, 5, 4), date(2026, 5, 4)),
    ("term", date(2026, 9, 1), date(2026, 12, 18)),
)
EVERY_DAY_CENTRE = {"mon": "centre", "tue": "centre", "wed": "centre", "thu": "centre", "fri": "centre"}
EVERY_DAY_AP = {"mon": "ap", "tue": "ap", "wed": "ap", "thu": "ap", "fri": "ap"}


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def move_to(clock: ManualClock, when: datetime) -> None:
    clock.advance(when - clock.now())


@dataclass
class World:
    school_a: int
    school_b: int
    dsl_a: PersonRecord
    lead_a: PersonRecord
    teacher_a: PersonRecord
    dsl_b: PersonRecord
    staff: PersonRecord
    admin: PersonRecord
    director: PersonRecord
    at_centre: int  # school A, every day at the Centre
    at_ap: int  # school A, every day at the provider (a registered school: code D)
    protected: int  # school A, at the Centre, with a child protection plan
    not_placed: int  # school A, in-school support only
    other_school: int  # school B, at the Centre
    provider: int


async def _person(database: Database, email: str, name: str, role: Role, school_id: int | None) -> PersonRecord:
    async with database.session() as session:
        person, _ = await save_person(session, email=email, display_name=name, roles=[role], school_id=school_id)
        return person


@pytest.fixture
async def world(database: Database, clock: ManualClock) -> World:
    async with database.session() as session:
        session.add_all(
            TermDatesRow(kind=kind, start_on=start, end_on=end, name="", imported_at=clock.now())
            for kind, start, end in TERMS
        )
    school_a = await add_school(database, "990101", "Charnwood Vale Academy")
    school_b = await add_school(database, "990102", "Outwoods Edge Academy")
    people = {
        "dsl_a": await _person(database, "dsl@a.example.org", "Dee Ess", Role.DSL, school_a),
        "lead_a": await _person(database, "lead@a.example.org", "Al Lead", Role.ATTENDANCE_LEAD, school_a),
        "teacher_a": await _person(database, "teach@a.example.org", "Tee Cher", Role.TEACHER, school_a),
        "dsl_b": await _person(database, "dsl@b.example.org", "Bea Dsl", Role.DSL, school_b),
        "staff": await _person(database, "staff@lncip.example.org", "Sam Staff", Role.PARTNERSHIP_STAFF, None),
        "admin": await _person(database, "admin@lncip.example.org", "Ad Min", Role.PARTNERSHIP_ADMIN, None),
        "director": await _person(database, "dir@lncip.example.org", "Di Rector", Role.PARTNERSHIP_DIRECTOR, None),
    }
    for n, key in enumerate(("dsl_a", "lead_a", "staff", "admin", "director"), start=1):
        await remember(database, personal(f"a:chat-{n}", f"29:user-{n}"), people[key].id, clock.now())
    placed = {"provision": "ks4_programme", "programme_time": "full_time", "year_group": 10}
    pupils = {
        "at_centre": await add_pupil(database, school_a, "855410124001", timetable_pattern=EVERY_DAY_CENTRE, **placed),
        "at_ap": await add_pupil(
            database, school_a, "855410124002", first_name="Ali", timetable_pattern=EVERY_DAY_AP, **placed
        ),
        "protected": await add_pupil(
            database, school_a, "855410124003", first_name="Cam", timetable_pattern=EVERY_DAY_CENTRE, **placed
        ),
        "not_placed": await add_pupil(database, school_a, "855410124004", provision="in_school_support"),
        "other_school": await add_pupil(
            database, school_b, "855410224005", first_name="Bo", timetable_pattern=EVERY_DAY_CENTRE, **placed
        ),
    }
    operator = Requester.at_command_line()
    provider = await add_provider(database, operator, "Soar Valley Farm School", registered_school=True, clock=clock)
    await place_pupil(database, operator, provider.id, pupils["at_ap"], clock=clock)
    await set_welfare_flags(
        database,
        Requester.in_teams(people["dsl_a"]),
        pupils["protected"],
        WelfareFlags(child_protection_plan=True),
        clock=clock,
    )
    return World(school_a=school_a, school_b=school_b, provider=provider.id, **people, **pupils)


@dataclass(frozen=True)
class Queued:
    person_id: int | None
    kind: str
    payload: dict[str, object]
    status: str
    key: str


async def queued(database: Database, kind: str | None = None) -> list[Queued]:
    query = select(Notification).order_by(Notification.id)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    async with database.session() as session:
        return [
            Queued(row.person_id, row.kind, dict(row.payload), row.status, row.idempotency_key)
            for row in await session.scalars(query)
        ]


@pytest.fixture
async def second_database(database: Database) -> AsyncIterator[Database]:
    """Another connection pool on the same database, as a second instance would have."""
    other = Database(database.url)
    try:
        yield other
    finally:
        await other.dispose()
