"""Roles a person may hold, at a school or at the Partnership. A person may hold several."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    # School staff
    TEACHER = "teacher"
    HEAD_OF_YEAR = "head_of_year"
    SENCO = "senco"
    DSL = "dsl"
    DEPUTY_DSL = "deputy_dsl"
    ATTENDANCE_LEAD = "attendance_lead"
    HEADTEACHER = "headteacher"
    # Partnership staff
    PARTNERSHIP_SENCO = "partnership_senco"
    PARTNERSHIP_DIRECTOR = "partnership_director"
    COORDINATOR = "coordinator"
    PARTNERSHIP_STAFF = "partnership_staff"
    PARTNERSHIP_ADMIN = "partnership_admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]

    @property
    def at_partnership(self) -> bool:
        return self in PARTNERSHIP_ROLES


PARTNERSHIP_ROLES = frozenset(
    {
        Role.PARTNERSHIP_SENCO,
        Role.PARTNERSHIP_DIRECTOR,
        Role.COORDINATOR,
        Role.PARTNERSHIP_STAFF,
        Role.PARTNERSHIP_ADMIN,
    }
)
SCHOOL_ROLES = frozenset(Role) - PARTNERSHIP_ROLES

ROLE_LABELS: dict[Role, str] = {
    Role.TEACHER: "Teacher",
    Role.HEAD_OF_YEAR: "Head of year",
    Role.SENCO: "SENCO",
    Role.DSL: "Designated Safeguarding Lead",
    Role.DEPUTY_DSL: "Deputy DSL",
    Role.ATTENDANCE_LEAD: "Attendance lead",
    Role.HEADTEACHER: "Headteacher",
    Role.PARTNERSHIP_SENCO: "Partnership SENCO",
    Role.PARTNERSHIP_DIRECTOR: "Partnership Director",
    Role.COORDINATOR: "Coordinator",
    Role.PARTNERSHIP_STAFF: "Partnership staff",
    Role.PARTNERSHIP_ADMIN: "Partnership admin",
}
