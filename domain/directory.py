"""The directory: schools, people (staff, with roles) and pupils; queries, identity
resolution and validated changes.

Everything returns plain frozen dataclasses. Functions take a `Database` (they open
their own unit of work) or an `AsyncSession` (they join the caller's). The field rules
(URN, UPN with its DfE check letter, e-mail, roles, provision and timetable) are at the
end; the admin dialog (`upsert_person`), CSV import and demo data all apply them.
Error messages never quote a pupil's data. Bulk changes: `domain.directory_csv`.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import Literal, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import Database
from db.models.directory import PROGRAMME_TIMES, PROVISIONS, SETTINGS, WEEKDAYS, Person, PersonRole, Pupil, School
from domain.policy import Actor, Target
from domain.roles import PARTNERSHIP_ROLES, ROLE_LABELS, SCHOOL_ROLES, Role

Outcome = Literal["added", "changed", "unchanged"]
DatabaseOrSession = Database | AsyncSession


class DirectoryError(ValueError):
    """A change the directory refuses; `problems` lists every reason ("field: problem")."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


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
        """This person as `domain.policy` sees them."""
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
        return self.provision in ("ks3_programme", "ks4_programme")

    @property
    def target(self) -> Target:
        """This pupil as `domain.policy` sees them."""
        return Target("pupil", school_id=self.school_id, placed_with_partnership=self.placed_with_partnership)


@asynccontextmanager
async def unit_of_work(db: DatabaseOrSession) -> AsyncIterator[AsyncSession]:
    """Join the caller's session, or open (and commit) one on the database."""
    if isinstance(db, AsyncSession):
        yield db
    else:
        async with db.session() as session:
            yield session


def _school(row: School) -> SchoolRecord:
    return SchoolRecord(id=row.id, name=row.name, dfe_urn=row.dfe_urn, is_member=row.is_member)


def _person(row: Person) -> PersonRecord:
    known = {role.value for role in Role}
    return PersonRecord(
        id=row.id,
        display_name=row.display_name,
        email=row.email,
        aad_object_id=row.aad_object_id,
        school_id=row.school_id,
        roles=frozenset(Role(r.role) for r in row.roles if r.role in known),
        active=row.active,
    )


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


async def list_schools(db: DatabaseOrSession, *, members_only: bool = False) -> list[SchoolRecord]:
    query = select(School).order_by(School.name, School.id)
    if members_only:
        query = query.where(School.is_member.is_(True))
    async with unit_of_work(db) as session:
        return [_school(row) for row in await session.scalars(query)]


# --- people ----------------------------------------------------------------------------


async def get_person(db: DatabaseOrSession, person_id: int) -> PersonRecord | None:
    async with unit_of_work(db) as session:
        row = await session.get(Person, person_id)
        return _person(row) if row else None


async def get_person_by_email(db: DatabaseOrSession, email: str) -> PersonRecord | None:
    async with unit_of_work(db) as session:
        row = await session.scalar(select(Person).where(Person.email == email.strip().lower()))
        return _person(row) if row else None


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
    nobody. Reads only: binding the id is `link_aad_object_id`."""
    async with unit_of_work(db) as session:
        if aad_object_id:
            row = await session.scalar(select(Person).where(Person.aad_object_id == aad_object_id.strip().lower()))
            if row is not None:
                return _person(row) if row.active else None
        if not (email and email_verified):
            return None
        row = await session.scalar(select(Person).where(Person.email == email.strip().lower()))
        if row is None or not row.active:
            return None
        if row.aad_object_id and aad_object_id and row.aad_object_id != aad_object_id.strip().lower():
            return None
        return _person(row)


async def link_aad_object_id(db: DatabaseOrSession, person_id: int, aad_object_id: str) -> PersonRecord:
    """Bind a person to their Entra object id (first sign-in after a verified e-mail match)."""
    async with unit_of_work(db) as session:
        row = await session.get(Person, person_id)
        if row is None:
            raise DirectoryError([f"person {person_id} does not exist"])
        record, _ = await save_person(
            session, email=row.email, display_name=row.display_name, roles=[r.role for r in row.roles],
            school_id=row.school_id, aad_object_id=aad_object_id, active=row.active, person_id=person_id,
        )  # fmt: skip
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
            session, email=email, display_name=display_name, roles=roles, school_id=school_id,
            aad_object_id=aad_object_id, active=active, person_id=person_id,
        )  # fmt: skip
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
    email = _collect(problems, normalise_email, email, "")
    wanted: frozenset[Role] = _collect(problems, parse_roles, roles, frozenset())
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


# --- field rules -----------------------------------------------------------------------

T = TypeVar("T")
V = TypeVar("V")


def _collect(problems: list[str], check: Callable[[V], T], value: V, fallback: T) -> T:
    """Run one field check, adding its problems to the list instead of stopping."""
    try:
        return check(value)
    except DirectoryError as error:
        problems += error.problems
        return fallback


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_UPN = re.compile(r"[A-HJ-NP-RT-Z][0-9]{11}[0-9A-HJ-NP-RT-Z]")
_CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"  # DfE: I, O and S are never used
_ROLE_NAMES = {
    name.lower(): role for role in Role for name in (role.value, role.value.replace("_", " "), ROLE_LABELS[role])
}


def upn_check_letter(body: str) -> str:
    """The DfE check letter for the 12 characters after it: weights 2..13, modulo 23;
    a temporary UPN's final letter counts as its position in the check alphabet."""
    total = sum(
        weight * (int(char) if char.isdigit() else _CHECK_LETTERS.index(char))
        for weight, char in enumerate(body, start=2)
    )
    return _CHECK_LETTERS[total % 23]


def normalise_upn(raw: str) -> str:
    upn = raw.strip().upper()
    if not _UPN.fullmatch(upn):
        raise DirectoryError(["upn: a UPN is 13 characters: a letter, 11 digits, then a digit or letter"])
    if upn_check_letter(upn[1:]) != upn[0]:
        raise DirectoryError(["upn: the check letter does not match the rest of the UPN"])
    return upn


def normalise_urn(raw: str) -> str:
    urn = raw.strip()
    if not re.fullmatch(r"[1-9][0-9]{5}", urn):
        raise DirectoryError(["urn: a school URN is 6 digits"])
    return urn


def normalise_email(raw: str) -> str:
    email = raw.strip().lower()
    if len(email) > 320 or not _EMAIL.fullmatch(email):
        raise DirectoryError([f"email: {raw.strip()!r} is not an e-mail address"])
    return email


def parse_roles(raw: Iterable[Role | str] | str) -> frozenset[Role]:
    """Roles from Role values or labels, any case; a string may hold several, split by ";"."""
    names = raw.split(";") if isinstance(raw, str) else [str(r) for r in raw]
    roles: set[Role] = set()
    unknown: list[str] = []
    for name in filter(None, (n.strip() for n in names)):
        role = _ROLE_NAMES.get(name.lower())
        if role is None:
            unknown.append(name)
        else:
            roles.add(role)
    if unknown:
        raise DirectoryError([f"roles: unknown role {name!r}" for name in unknown])
    return frozenset(roles)


def person_problems(display_name: str, roles: frozenset[Role], school_id: int | None) -> list[str]:
    problems = [] if display_name else ["display_name: a person needs a name"]
    if not roles:
        problems.append("roles: a person needs at least one role")
    elif school_id is None and roles - PARTNERSHIP_ROLES:
        wrong = ", ".join(sorted(ROLE_LABELS[r] for r in roles - PARTNERSHIP_ROLES))
        problems.append(f"roles: {wrong} is a school role: give the person's school")
    elif school_id is not None and roles - SCHOOL_ROLES:
        wrong = ", ".join(sorted(ROLE_LABELS[r] for r in roles - SCHOOL_ROLES))
        problems.append(f"roles: {wrong} is a Partnership role: leave the school empty")
    return problems


def pupil_problems(
    first_name: str, last_name: str, year_group: int, provision: str, programme_time: str | None,
    timetable: Mapping[str, str],
) -> list[str]:  # fmt: skip
    """Consistency with the offer: KS3 programmes are for Y7-9, KS4 for Y10-11; a
    programme is full or part time and has a setting for every weekday, with no school
    day when full time and at least one when part time; other pupils have no timetable."""
    problems = [f"{n}: missing" for n, v in (("first_name", first_name), ("last_name", last_name)) if not v]
    if not 7 <= year_group <= 11:
        problems.append("year_group: must be 7 to 11")
    if provision not in PROVISIONS:
        return problems + [f"provision: must be one of {', '.join(PROVISIONS)}"]
    if programme_time is not None and programme_time not in PROGRAMME_TIMES:
        return problems + [f"programme_time: must be one of {', '.join(PROGRAMME_TIMES)}"]
    if provision == "ks3_programme" and year_group > 9 or provision == "ks4_programme" and year_group < 10:
        problems.append(f"provision: {provision} does not fit year {year_group}")
    bad = [f"{day}={place}" for day, place in timetable.items() if day not in WEEKDAYS or place not in SETTINGS]
    if bad:
        problems.append("timetable: use mon..fri = centre, ap or school")
    elif provision in ("ks3_programme", "ks4_programme"):
        days = list(timetable.values())
        if programme_time is None:
            problems.append("programme_time: a programme is full_time or part_time")
        if set(timetable) != set(WEEKDAYS):
            problems.append("timetable: a programme needs a setting for every weekday")
        elif programme_time == "full_time" and "school" in days:
            problems.append("timetable: a full-time programme has no days in school")
        elif programme_time == "part_time" and "school" not in days:
            problems.append("timetable: a part-time programme has at least one day in school")
    else:
        if programme_time is not None:
            problems.append("programme_time: only for programmes")
        if timetable:
            problems.append("timetable: only for programmes")
    return problems
