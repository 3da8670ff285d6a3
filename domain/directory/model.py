"""The directory's records: schools, people (staff, with roles) and pupils, as plain frozen
dataclasses, and how each is read from its table row. No I/O here."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import Any, Literal

from sqlalchemy import Row

from db.models.directory import PROGRAMMES, Person, Pupil, School
from domain.access import Actor, RecordKind, Target
from domain.roles import Role

Outcome = Literal["added", "changed", "unchanged"]


class Keep(Enum):
    KEEP = "keep"


KEEP = Keep.KEEP  # "leave this field as it is" (the Entra object id, active)


@dataclass(frozen=True)
class PersonChange:
    """A person as the people form or a CSV row asks them to be (found by e-mail).
    `KEEP` leaves a field as stored; a new person is then active, with no Entra id."""

    email: str
    display_name: str
    roles: Iterable[Role | str] | str
    school_id: int | None
    aad_object_id: str | None | Keep = KEEP
    active: bool | Keep = KEEP


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


def school_record(row: School | AnyRow) -> SchoolRecord:
    return SchoolRecord(id=row.id, name=row.name, dfe_urn=row.dfe_urn, is_member=row.is_member)


_KNOWN_ROLES = frozenset(role.value for role in Role)


def person_record(row: Person | AnyRow, role_values: Iterable[str | None]) -> PersonRecord:
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


def person_from_row(row: Person) -> PersonRecord:
    return person_record(row, (role.role for role in row.roles))


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
