"""Reads of the directory: schools, people (and who a Teams user is), pupils.

Each function takes a `Database` (it opens its own unit of work) or an `AsyncSession` (it
joins the caller's) and returns plain records from `domain.directory.model`. These reads do
not ask the access policy: the service functions and dialogs that show what they read do.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, select

from db.engine import DatabaseOrSession, read_rows, unit_of_work
from db.models.directory import Person, PersonRole, Pupil, School
from domain.directory.model import (
    AnyRow,
    PersonRecord,
    PupilRecord,
    SchoolRecord,
    person_from_row,
    person_record,
    pupil_record,
    school_record,
)
from domain.roles import Role

# --- schools ---------------------------------------------------------------------------


async def get_school(db: DatabaseOrSession, school_id: int) -> SchoolRecord | None:
    async with unit_of_work(db) as session:
        row = await session.get(School, school_id)
        return school_record(row) if row else None


async def get_school_by_urn(db: DatabaseOrSession, urn: str) -> SchoolRecord | None:
    async with unit_of_work(db) as session:
        row = await session.scalar(select(School).where(School.dfe_urn == urn.strip()))
        return school_record(row) if row else None


_SCHOOLS = select(School.id, School.name, School.dfe_urn, School.is_member).order_by(School.name, School.id)
_MEMBER_SCHOOLS = _SCHOOLS.where(School.is_member.is_(True))


async def list_schools(db: DatabaseOrSession, *, members_only: bool = False) -> list[SchoolRecord]:
    rows = await read_rows(db, _MEMBER_SCHOOLS if members_only else _SCHOOLS)  # the people form lists them every time
    return [school_record(row) for row in rows]


# --- people ----------------------------------------------------------------------------


async def get_person(db: DatabaseOrSession, person_id: int) -> PersonRecord | None:
    async with unit_of_work(db) as session:
        row = await session.get(Person, person_id)
        return person_from_row(row) if row else None


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
        return [person_from_row(row) for row in await session.scalars(query)]


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
    return person_record(rows[0], (row.role for row in rows))


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
