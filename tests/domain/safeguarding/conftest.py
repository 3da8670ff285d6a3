"""A small world for safeguarding tests: a school with a DSL, a deputy and a headteacher, a
second school's DSL, the Partnership Director and a Partnership reporter, each with a Teams chat
(unless a test says otherwise), and a pupil placed with the Partnership."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from core.clock import ManualClock
from db.engine import Database
from db.models.directory import Person, PersonRole
from db.models.proactive import Notification
from domain.conversations import remember
from domain.directory.queries import get_person
from domain.requester import Requester
from domain.roles import Role
from domain.safeguarding.jobs import delivery_job, escalation_job
from domain.safeguarding.model import ConcernReport, Ladders, Subject, ladders
from domain.scheduler import Scheduler
from domain.school_calendar.model import TermDates
from tests.fixtures.conversations import personal
from tests.fixtures.directory_rows import add_pupil, add_school

WAIT = timedelta(minutes=10)
LADDERS: Ladders = ladders(WAIT)
ACCOUNT = "She said: 'he hit me with a belt last night'. Bruise on left forearm."


async def no_dates() -> TermDates:
    return TermDates()


@dataclass
class World:
    database: Database
    clock: ManualClock
    school: int
    other_school: int
    pupil: int
    people: dict[str, int] = field(default_factory=dict)

    async def requester(self, name: str) -> Requester:
        person = await get_person(self.database, self.people[name])
        assert person is not None
        return Requester.in_teams(person)

    def report(self, **changes: Any) -> ConcernReport:
        values: dict[str, Any] = {"subject": Subject.PUPIL, "account": ACCOUNT, "pupil_id": self.pupil}
        return ConcernReport(**{**values, **changes})

    def scheduler(self, database: Database | None = None) -> Scheduler:
        jobs = [escalation_job(LADDERS), delivery_job(LADDERS)]
        return Scheduler(database or self.database, self.clock, jobs, no_dates)

    async def notices(self, kind: str | None = None) -> list[tuple[str, int, str, str]]:
        """(kind, recipient, idempotency key, status) of every queued notice, oldest first."""
        async with self.database.session() as session:
            query = select(Notification).order_by(Notification.id)
            rows = (await session.scalars(query)).all()
        names = {v: k for k, v in self.people.items()}
        return [
            (r.kind, names.get(r.person_id or 0, r.person_id), r.idempotency_key, r.status)  # type: ignore[misc]
            for r in rows
            if kind is None or r.kind == kind
        ]

    async def alerted(self) -> list[tuple[str, int]]:
        """(recipient, rung) of every alert queued."""
        async with self.database.session() as session:
            rows = (await session.scalars(select(Notification).order_by(Notification.id))).all()
        names = {v: k for k, v in self.people.items()}
        return [(names[r.person_id], r.payload["rung"]) for r in rows if r.kind == "safeguarding.alert"]  # type: ignore[index]


PEOPLE = {
    # name: (school: "school" / "other" / None, roles, has a Teams chat)
    "dsl": ("school", (Role.DSL,), True),
    "deputy": ("school", (Role.DEPUTY_DSL,), True),
    "head": ("school", (Role.HEADTEACHER,), True),
    "senco": ("school", (Role.SENCO,), True),
    "other_dsl": ("other", (Role.DSL,), True),
    "director": (None, (Role.PARTNERSHIP_DIRECTOR,), True),
    "reporter": (None, (Role.PARTNERSHIP_STAFF,), True),
}


async def build_world(database: Database, clock: ManualClock, unreachable: tuple[str, ...] = ()) -> World:
    school = await add_school(database)
    other = await add_school(database, "990102", "Outwoods Edge Academy")
    pupil = await add_pupil(database, school, "855410125001", provision="ks4_programme", year_group=10)
    world = World(database, clock, school, other, pupil)
    for n, (name, (where, roles, chat)) in enumerate(PEOPLE.items(), start=1):
        school_id = {"school": school, "other": other, None: None}[where]
        async with database.session() as session:
            person = Person(display_name=f"{name.title()} Person", email=f"{name}@example.org", school_id=school_id)
            session.add(person)
            await session.flush()
            session.add_all(PersonRole(person_id=person.id, role=role.value) for role in roles)
            world.people[name] = person.id
        if chat and name not in unreachable:
            await remember(database, personal(f"a:chat-{n}", f"29:user-{n}"), person.id, clock.now())
    return world


@pytest.fixture
async def world(database: Database, clock: ManualClock) -> World:
    return await build_world(database, clock)
