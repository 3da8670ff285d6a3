"""Tables: the directory of schools, people (staff) with their roles, and pupils.

A person's `school_id` is null when they work for the Partnership. A pupil always has a
school of roll (pupils supported by the Partnership stay on a school roll). An erased
pupil is a tombstone: names, date of birth, UPN and timetable are gone, ids remain.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, UtcDateTime, utcnow

# Allowed values, kept here so the table's CHECK constraints and the domain agree.
PROVISIONS = ("none", "in_school_support", "ks3_programme", "ks4_programme")
PROGRAMMES = ("ks3_programme", "ks4_programme")  # the provisions that place a pupil with the Partnership
PROGRAMME_TIMES = ("full_time", "part_time")
SETTINGS = ("centre", "ap", "school")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


class School(Base):
    __tablename__ = "schools"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    dfe_urn: Mapped[str] = mapped_column(String(6), unique=True)
    is_member: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class Person(Base):
    __tablename__ = "people"
    __table_args__ = (CheckConstraint("email = lower(email)", name="email_lower_case"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    # Entra (Azure AD) object id, as Teams sends it in `from.aadObjectId`.
    aad_object_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    roles: Mapped[list[PersonRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="PersonRole.role"
    )


class PersonRole(Base):
    __tablename__ = "person_roles"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    # A `domain.roles.Role` value; validated by the domain, not the table, so adding a
    # role needs no migration.
    role: Mapped[str] = mapped_column(String(40), primary_key=True)


class Pupil(Base):
    __tablename__ = "pupils"
    __table_args__ = (
        CheckConstraint("year_group BETWEEN 7 AND 11", name="year_group_7_to_11"),
        CheckConstraint("provision IN (" + ", ".join(f"'{p}'" for p in PROVISIONS) + ")", name="provision_known"),
        CheckConstraint(
            "programme_time IS NULL OR programme_time IN (" + ", ".join(f"'{t}'" for t in PROGRAMME_TIMES) + ")",
            name="programme_time_known",
        ),
        CheckConstraint(
            "erased_at IS NOT NULL OR (first_name IS NOT NULL AND last_name IS NOT NULL"
            " AND date_of_birth IS NOT NULL AND upn IS NOT NULL)",
            name="identified_unless_erased",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Personal data: null only on an erased tombstone.
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    upn: Mapped[str | None] = mapped_column(String(13), unique=True)
    year_group: Mapped[int] = mapped_column(SmallInteger)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    provision: Mapped[str] = mapped_column(String(30), default="none")
    programme_time: Mapped[str | None] = mapped_column(String(10))
    # Weekday ("mon".."fri") -> setting ("centre", "ap", "school").
    timetable_pattern: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The day the pupil left Partnership provision; retention is counted from here.
    left_provision_on: Mapped[date | None] = mapped_column(Date)
    # Why the record must be kept (e.g. an IICSA instruction); erasure refuses while set.
    retention_hold: Mapped[str | None] = mapped_column(String(500))
    erased_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Welfare status (safeguarding data): read only through `domain.attendance.welfare`, which
    # asks the policy; never in `PupilRecord`, so no card that shows a pupil can show these.
    child_protection_plan: Mapped[bool] = mapped_column(Boolean, default=False)
    child_in_need_plan: Mapped[bool] = mapped_column(Boolean, default=False)
    looked_after: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
