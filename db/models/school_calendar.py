"""Table: the school calendar's rows (terms, half terms, bank holidays, INSET days), as the
Partnership last imported them (`domain.school_calendar.service`). An import replaces them all.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UtcDateTime

DAY_KINDS = ("term", "holiday", "bank_holiday", "inset")


class TermDatesRow(Base):
    __tablename__ = "term_dates"
    __table_args__ = (
        CheckConstraint("kind IN (" + ", ".join(f"'{k}'" for k in DAY_KINDS) + ")", name="kind"),
        CheckConstraint("end_on >= start_on", name="dates_in_order"),
        # Ids are never reused (SQLite's AUTOINCREMENT; PostgreSQL's sequence), so the highest
        # id tells a cache whether the calendar changed (`domain.school_calendar.queries`).
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(100), default="")
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime)
