"""Changes to people in the directory, inside the caller's unit of work: the field rules
(`domain.directory.rules`) are checked and every problem is named in one `DirectoryError`.

These are the mechanics; who may make a change, and its audit entry, are the service's
(`domain.directory.service`).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import DatabaseOrSession, unit_of_work
from db.models.directory import Person, PersonRole, School
from domain.directory.model import KEEP, Keep, Outcome, PersonRecord, person_from_row
from domain.directory.rules import (
    DirectoryError,
    collect_problems,
    normalise_aad_object_id,
    normalise_email,
    parse_roles,
    person_problems,
)
from domain.roles import Role


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
    aad_object_id: str | None | Keep = KEEP,
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
    aad_object_id: str | None | Keep = KEEP,
    active: bool | Keep = True,
    person_id: int | None = None,
) -> tuple[PersonRecord, Outcome]:
    """`upsert_person` in the caller's session, also saying what happened."""
    problems: list[str] = []
    email = collect_problems(problems, normalise_email, email, "")
    wanted: frozenset[Role] = collect_problems(problems, parse_roles, roles, frozenset())
    display_name = " ".join(display_name.split())
    aad: str | None | Keep = aad_object_id
    if isinstance(aad_object_id, str):
        aad = (
            collect_problems(problems, normalise_aad_object_id, aad_object_id, None) if aad_object_id.strip() else None
        )
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
    if row is not None:
        problems += await _last_admin_problems(session, row, target, bool(values["active"]))
        if problems:
            raise DirectoryError(problems)
    if row is None:
        row = Person(**values, roles=[PersonRole(role=role) for role in sorted(target)])
        session.add(row)
        await session.flush()
        return person_from_row(row), "added"
    current = {r.role for r in row.roles}
    if current == target and all(getattr(row, name) == value for name, value in values.items()):
        return person_from_row(row), "unchanged"
    for name, value in values.items():
        setattr(row, name, value)
    for link in [r for r in row.roles if r.role not in target]:
        row.roles.remove(link)
    row.roles.extend(PersonRole(role=role) for role in sorted(target - current))
    await session.flush()
    return person_from_row(row), "changed"


async def _last_admin_problems(session: AsyncSession, row: Person, roles: set[str], active: bool) -> list[str]:
    """Nobody could manage people from Teams again if the last active Partnership admin lost
    the role or was deactivated: refuse that change (another admin must be added first)."""
    admin = Role.PARTNERSHIP_ADMIN.value
    if not row.active or admin not in {r.role for r in row.roles} or (active and admin in roles):
        return []
    others = await session.scalar(
        select(Person.id)
        .join(PersonRole)
        .where(PersonRole.role == admin, Person.active.is_(True), Person.id != row.id)
        .limit(1)
    )
    if others is not None:
        return []
    field = "roles" if admin not in roles else "active"
    return [f"{field}: this is the last Partnership admin: make someone else Partnership admin first"]
