"""Tables for the register: marks per pupil per day per session, the history of corrections,
actions taken, absences the school has taken on ("chased"), alternative providers with the
pupils placed there and their API keys (stored hashed), and the provider files imported.

Marks hold code words (`domain.attendance.model`), never free text: a reason is "illness", not
what the parent said. A mark sent again replaces the row's values and its old values go to
`attendance_mark_history`, so nothing recorded is lost (registers are kept 6 years, domain §2.1).
"""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UtcDateTime

SESSIONS = ("am", "pm")
MARKS = ("present", "late", "absent", "left_early", "not_expected")
SETTINGS = ("centre", "ap", "school")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{value}'" for value in values) + ")"


class AttendanceProvider(Base):
    """An alternative provider the Partnership commissions. `registered_school`: the provider is
    a registered school where the pupil is dual registered (code D), else code B (domain §2.3)."""

    __tablename__ = "attendance_providers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    registered_school: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ProviderPlacement(Base):
    """A pupil placed with a provider: the provider may report only these pupils."""

    __tablename__ = "provider_placements"

    provider_id: Mapped[int] = mapped_column(
        ForeignKey("attendance_providers.id", ondelete="CASCADE"), primary_key=True
    )
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id", ondelete="CASCADE"), primary_key=True, index=True)


class ProviderApiKey(Base):
    """An API key of a provider: `key_id` is the public half, `secret_hash` the sha256 of the
    secret. The secret itself is shown once, when issued, and never stored."""

    __tablename__ = "provider_api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("attendance_providers.id", ondelete="CASCADE"), index=True)
    key_id: Mapped[str] = mapped_column(String(32), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    issued_by: Mapped[int | None] = mapped_column(Integer)  # a person id; none from the command line
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class AttendanceMarkRow(Base):
    """One pupil's mark for one session of one day, as it stands."""

    __tablename__ = "attendance_marks"
    __table_args__ = (
        UniqueConstraint("pupil_id", "on_date", "session", name="uq_attendance_marks_pupil_day_session"),
        CheckConstraint(_one_of("session", SESSIONS), name="session"),
        CheckConstraint(_one_of("mark", MARKS), name="mark"),
        CheckConstraint("setting IS NULL OR " + _one_of("setting", SETTINGS), name="setting"),
        Index("ix_attendance_marks_day", "on_date", "session"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id", ondelete="CASCADE"))
    on_date: Mapped[date] = mapped_column(Date)
    session: Mapped[str] = mapped_column(String(2))
    mark: Mapped[str] = mapped_column(String(20))
    at_time: Mapped[time | None] = mapped_column(Time)  # arrival (late) or leaving (left early)
    reason: Mapped[str | None] = mapped_column(String(30))  # a code word; None: not known
    given_by: Mapped[str | None] = mapped_column(String(30))  # who gave the reason, a code word
    setting: Mapped[str | None] = mapped_column(String(10))  # where the pupil was expected
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("attendance_providers.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(20))  # teams, provider_csv, provider_api, demo
    recorded_by: Mapped[int | None] = mapped_column(Integer)  # a person id
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)


class AttendanceMarkHistory(Base):
    """A mark as it was before a correction replaced it."""

    __tablename__ = "attendance_mark_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mark_id: Mapped[int] = mapped_column(ForeignKey("attendance_marks.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    mark: Mapped[str] = mapped_column(String(20))
    at_time: Mapped[time | None] = mapped_column(Time)
    reason: Mapped[str | None] = mapped_column(String(30))
    given_by: Mapped[str | None] = mapped_column(String(30))
    source: Mapped[str] = mapped_column(String(20))
    recorded_by: Mapped[int | None] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    replaced_at: Mapped[datetime] = mapped_column(UtcDateTime)
    replaced_by: Mapped[int | None] = mapped_column(Integer)


class AttendanceActionRow(Base):
    """Something done about a pupil's attendance on a day (parent phoned, home visit...)."""

    __tablename__ = "attendance_actions"
    __table_args__ = (UniqueConstraint("pupil_id", "on_date", "action", name="uq_attendance_actions_pupil_day_action"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id", ondelete="CASCADE"), index=True)
    on_date: Mapped[date] = mapped_column(Date)
    action: Mapped[str] = mapped_column(String(30))
    taken_by: Mapped[int | None] = mapped_column(Integer)
    taken_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AttendanceChase(Base):
    """The school has taken on an unexplained absence (the digest's "chased" button): who, when.
    The first to take it on is kept."""

    __tablename__ = "attendance_chases"
    __table_args__ = (UniqueConstraint("pupil_id", "on_date", name="uq_attendance_chases_pupil_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pupil_id: Mapped[int] = mapped_column(ForeignKey("pupils.id", ondelete="CASCADE"), index=True)
    on_date: Mapped[date] = mapped_column(Date)
    chased_by: Mapped[int | None] = mapped_column(Integer)
    chased_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AttendanceImport(Base):
    """A provider file already applied: the same file (by digest) again changes nothing."""

    __tablename__ = "attendance_imports"
    __table_args__ = (UniqueConstraint("provider_id", "batch_id", name="uq_attendance_imports_provider_batch"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("attendance_providers.id", ondelete="CASCADE"))
    batch_id: Mapped[str] = mapped_column(String(80))  # "sha256:<hex>" of the file
    rows: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime)
