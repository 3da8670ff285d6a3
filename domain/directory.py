"""The directory: schools, people (staff, with roles) and pupils; queries, identity
resolution and validated changes.

Everything returns plain frozen dataclasses. Functions take a `Database` (they open
their own unit of work) or an `AsyncSession` (they join the caller's). Changes are
checked by the field rules in `domain.directory_rules` and refused with its
`DirectoryError`. Bulk changes: `domain.directory_csv`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import Any, Literal

from sqlalchemy import Row, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import DatabaseOrSession, read_rows, unit_of_work
from db.models.directory import PROGRAMMES, Person, PersonRole, Pupil, School
from domain.access import Actor, RecordKind, Target
from domain.directory_rules import DirectoryError, collect_problems, normalise_email, parse_roles, person_problems
from domain.roles import Role

Outcome = Literal["added", "changed", "unchanged"]


class _Keep(Enum):
    KEEP = "keep"


KEEP = _Keep.KEEP  # "leave this field as it is" (the Entra object id, active)


@dataclass(frozen=True)
class SchoolRecord:
    id: int
    name: str
    dfe_urn: str
    is_member: bool


@dataclass(frozen=True)
class PersonRecord:
    id: int
    display_name: str
    email: str
    aad_object_id: str | None
    school_id: int | None  # None: works for the Partnership
    roles: frozenset[Role]
    active: bool = True

    @property
    def at_partnership(self) -> bool:
        return self.school_id is None

    def has_role(self, *roles: Role) -> bool:
        return any(role in self.roles for role in roles)

    @property
    def actor(self) -> Actor:
        """This person as `domain.access` sees them."""
        return Actor(person_id=self.id, school_id=self.school_id, roles=self.roles)


@dataclass(frozen=True)
class PupilRecord:
    id: int
    school_id: int
    year_group: int
    provision: str
    programme_time: str | None
    timetable: Mapping[str, str] = field(default_factory=dict)
    first_name: str | None = None  # None only once erased
    last_name: str | None = None
    date_of_birth: date | None = None
    upn: str | None = None
    left_provision_on: date | None = None
    retention_hold: str | None = None
    erased: bool = False

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}" if not self.erased else f"Erased pupil {self.id}"

    @property
    def key_stage(self) -> int:
        return 3 if self.year_group <= 9 else 4

    @property
    def placed_with_partnership(self) -> bool:
        return self.provision in PROGRAMMES

    @property
    def target(self) -> Target:
        """This pupil as `domain.access` sees them."""
        return Target(RecordKind.PUPIL, school_id=self.school_id, placed_with_partnership=self.placed_with_partnership)


AnyRow = Row[*tuple[Any, ...]]  # a plain result row, whatever its columns


def _school(row: School | AnyRow) -> SchoolRecord:
    return SchoolRecord(id=row.id, name=row.name, dfe_urn=row.dfe_urn, is_member=row.is_member)


_KNOWN_ROLES = frozenset(role.value for role in Role)


def _person_record(row: Person | AnyRow, role_values: Iterable[str | None]) -> PersonRecord:
    """A person's record from their row (ORM or plain) and the values of their roles
    (an unknown value, or none from an outer join, is left out)."""
    return PersonRecord(
        id=row.id,
        display_name=row.display_name,
        email=row.email,
        aad_object_id=row.aad_object_id,
        school_id=row.school_id,
        roles=frozenset(Role(value) for value in role_values if value in _KNOWN_ROLES),
        active=row.active,
    )


def _person(row: Person) -> PersonRecord:
    return _person_record(row, (role.role for role in row.roles))


def pupil_record(row: Pupil) -> PupilRecord:
    """The plain record of a pupil row (for modules that query pupils themselves)."""
    return PupilRecord(
        id=row.id,
        school_id=row.school_id,
        year_group=row.year_group,
        provision=row.provision,
        programme_time=row.programme_time,
        timetable=dict(row.timetable_pattern or {}),
        first_name=row.first_name,
        last_name=row.last_name,
        date_of_birth=row.date_of_birth,
        upn=row.upn,
        left_provision_on=row.left_provision_on,
        retention_hold=row.retention_hold,
        erased=row.erased_at is not None,
    )


# --- schools ---------------------------------------------------------------------------


async def get_school(db: DatabaseOrSession, school_id: int) -> SchoolRecord | None:
    async with unit_of_work(db) as session:
        row = await session.get(School, school_id)
        return _school(row) if row else None


async def get_school_by_urn(db: DatabaseOrSession, urn: str) -> SchoolRecord | None:
    async with unit_of_work(db) as session:
        row = await session.scalar(select(School).where(School.dfe_urn == urn.strip()))
        return _school(row) if row else None


_SCHOOLS = select(School.id, School.name, School.dfe_urn, School.is_member).order_by(School.name, School.id)
_MEMBER_SCHOOLS = _SCHOOLS.where(School.is_member.is_(True))


async def list_schools(db: DatabaseOrSession, *, members_only: bool = False) -> list[SchoolRecord]:
    rows = await read_rows(db, _MEMBER_SCHOOLS if members_only else _SCHOOLS)  # the people form lists them every time
    return [_school(row) for row in rows]


# --- people ----------------------------------------------------------------------------


async def get_person(db: DatabaseOrSession, person_id: int) -> PersonRecord | None:
    async with unit_of_work(db) as session:
        row = await session.get(Person, person_id)
        return _person(row) if row else None


async def get_person_by_email(db: DatabaseOrSession, email: str) -> PersonRecord | None:
    """Anyone with that address, active or not (`resolve_person` is who may use the bot)."""
    rows = await read_rows(db, _PERSON_BY_EMAIL, {"email": email.strip().lower()})
    return _person_from_rows(rows) if rows else None


async def list_people(
    db: DatabaseOrSession,
    school_id: int | None = None,
    role: Role | None = None,
    *,
    partnership: bool = False,
    include_inactive: bool = False,
) -> list[PersonRecord]:
    """People at `school_id` (all schools when None), or only Partnership staff when
    `partnership`; optionally only those holding `role`. Active people unless asked."""
    query = select(Person).order_by(Person.display_name, Person.id)
    if partnership:
        query = query.where(Person.school_id.is_(None))
    elif school_id is not None:
        query = query.where(Person.school_id == school_id)
    if role is not None:
        query = query.where(Person.roles.any(PersonRole.role == Role(role).value))
    if not include_inactive:
        query = query.where(Person.active.is_(True))
    async with unit_of_work(db) as session:
        return [_person(row) for row in await session.scalars(query)]


async def resolve_person(
    db: DatabaseOrSession, aad_object_id: str | None, email: str | None = None, *, email_verified: bool = False
) -> PersonRecord | None:
    """Who is this Teams user? By Entra object id first; by e-mail only when the caller
    vouches that the address is verified (e.g. read from the tenant's roster), and never
    when that person is already bound to a different object id. Inactive people are
    nobody. Reads only: binding the id is `link_aad_object_id`.

    Runs on every turn, so it is one plain query (the person joined with their roles)."""
    aad = aad_object_id.strip().lower() if aad_object_id else None
    if aad:
        rows = await read_rows(db, _PERSON_BY_AAD, {"aad": aad})
        if rows:
            return _person_from_rows(rows) if rows[0].active else None
    if not (email and email_verified):
        return None
    rows = await read_rows(db, _PERSON_BY_EMAIL, {"email": email.strip().lower()})
    if not rows or not rows[0].active:
        return None
    bound = rows[0].aad_object_id
    if bound and aad and bound != aad:
        return None
    return _person_from_rows(rows)


# A person's columns and each of their roles (one row per role; one row with no role if none).
# Built once: building a statement per call costs more than running it.
_PERSON_WITH_ROLES = select(
    Person.id,
    Person.display_name,
    Person.email,
    Person.aad_object_id,
    Person.school_id,
    Person.active,
    PersonRole.role,
).outerjoin(PersonRole, PersonRole.person_id == Person.id)
_PERSON_BY_AAD = _PERSON_WITH_ROLES.where(Person.aad_object_id == bindparam("aad"))
_PERSON_BY_EMAIL = _PERSON_WITH_ROLES.where(Person.email == bindparam("email"))


def _person_from_rows(rows: Sequence[AnyRow]) -> PersonRecord:
    """The same record as `_person` gives for the row, from `_PERSON_WITH_ROLES` rows."""
    return _person_record(rows[0], (row.role for row in rows))


async def link_aad_object_id(db: DatabaseOrSession, person_id: int, aad_object_id: str) -> PersonRecord:
    """Bind a person to their Entra object id (first sign-in after a verified e-mail match)."""
    async with unit_of_work(db) as session:
        row = await session.get(Person, person_id)
        if row is None:
            raise DirectoryError([f"person {person_id} does not exist"])
        record, _ = await save_person(
            session,
            email=row.email,
            display_name=row.display_name,
            roles=[r.role for r in row.roles],
            school_id=row.school_id,
            aad_object_id=aad_object_id,
            active=row.active,
            person_id=person_id,
        )
        return record


async def upsert_person(
    db: DatabaseOrSession,
    *,
    email: str,
    display_name: str,
    roles: Iterable[Role | str],
    school_id: int | None,
    aad_object_id: str | None | _Keep = KEEP,
    active: bool = True,
    person_id: int | None = None,
) -> PersonRecord:
    """Add or change a person (by `person_id` when given, else by e-mail); used by the
    admin dialog. Raises `DirectoryError` listing every problem: e-mail, name, roles,
    school, and an e-mail or Entra object id that belongs to someone else."""
    async with unit_of_work(db) as session:
        record, _ = await save_person(
            session,
            email=email,
            display_name=display_name,
            roles=roles,
            school_id=school_id,
            aad_object_id=aad_object_id,
            active=active,
            person_id=person_id,
        )
        return record


async def save_person(
    session: AsyncSession,
    *,
    email: str,
    display_name: str,
    roles: Iterable[Role | str] | str,
    school_id: int | None,
    aad_object_id: str | None | _Keep = KEEP,
    active: bool | _Keep = True,
    person_id: int | None = None,
) -> tuple[PersonRecord, Outcome]:
    """`upsert_person` in the caller's session, also saying what happened."""
    problems: list[str] = []
    email = collect_problems(problems, normalise_email, email, "")
    wanted: frozenset[Role] = collect_problems(problems, parse_roles, roles, frozenset())
    display_name = " ".join(display_name.split())
    aad = (aad_object_id.strip().lower() or None) if isinstance(aad_object_id, str) else aad_object_id
    if school_id is not None and await session.get(School, school_id) is None:
        problems.append(f"school: school {school_id} does not exist")
    problems += person_problems(display_name, wanted, school_id)
    if person_id is not None:
        row = await session.get(Person, person_id)
        problems += [] if row else [f"person {person_id} does not exist"]
    else:
        row = await session.scalar(select(Person).where(Person.email == email))
    for column, unique, label in ((Person.email, email, "email"), (Person.aad_object_id, aad, "aad_object_id")):
        if isinstance(unique, str) and unique and not problems:
            owner = await session.scalar(select(Person.id).where(column == unique))
            if owner is not None and (row is None or owner != row.id):
                problems.append(f"{label}: already belongs to someone else")
    if problems:
        raise DirectoryError(problems)
    values: dict[str, object] = {
        "display_name": display_name,
        "email": email,
        "school_id": school_id,
        "aad_object_id": (row.aad_object_id if row else None) if aad is KEEP else aad,
        "active": (row.active if row else True) if active is KEEP else active,
    }
    target = {role.value for role in wanted}
    if row is None:
        row = Person(**values, roles=[PersonRole(role=role) for role in sorted(target)])
        session.add(row)
        await session.flush()
        return _person(row), "added"
    current = {r.role for r in row.roles}
    if current == target and all(getattr(row, name) == value for name, value in values.items()):
        return _person(row), "unchanged"
    for name, value in values.items():
        setattr(row, name, value)
    for link in [r for r in row.roles if r.role not in target]:
        row.roles.remove(link)
    row.roles.extend(PersonRole(role=role) for role in sorted(target - current))
    await session.flush()
    return _person(row), "changed"


async def dsl_for(db: DatabaseOrSession, school_id: int) -> list[PersonRecord]:
    """The school's safeguarding contacts: active DSLs, then deputy DSLs, by name."""
    people = await list_people(db, school_id)
    dsls = [p for p in people if Role.DSL in p.roles]
    deputies = [p for p in people if Role.DEPUTY_DSL in p.roles and Role.DSL not in p.roles]
    return dsls + deputies


# --- pupils ----------------------------------------------------------------------------


async def pupils_for_school(
    db: DatabaseOrSession, school_id: int, *, include_erased: bool = False
) -> list[PupilRecord]:
    query = select(Pupil).where(Pupil.school_id == school_id).order_by(Pupil.last_name, Pupil.first_name, Pupil.id)
    if not include_erased:
        query = query.where(Pupil.erased_at.is_(None))
    async with unit_of_work(db) as session:
        return [pupil_record(row) for row in await session.scalars(query)]


async def get_pupil(db: DatabaseOrSession, pupil_id: int) -> PupilRecord | None:
    async with unit_of_work(db) as session:
        row = await session.get(Pupil, pupil_id)
        return pupil_record(row) if row else None


async def get_pupil_by_upn(db: DatabaseOrSession, upn: str) -> PupilRecord | None:
    async with unit_of_work(db) as session:
        row = await session.scalar(select(Pupil).where(Pupil.upn == upn.strip().upper()))
        return pupil_record(row) if row else None
