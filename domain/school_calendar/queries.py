"""The stored school calendar: `load_term_dates` reads it; `CalendarCache` keeps it in memory
and re-reads it only when an import has changed it (one small read to find out)."""

from __future__ import annotations

from sqlalchemy import func, select

from db.engine import DatabaseOrSession, read_rows
from db.models.school_calendar import TermDatesRow
from domain.school_calendar.model import DayKind, TermDates, TermDatesEntry

_ALL = select(TermDatesRow.kind, TermDatesRow.start_on, TermDatesRow.end_on, TermDatesRow.name)
# Ids are never reused and an import replaces every row, so the highest id names the import.
_VERSION = select(func.max(TermDatesRow.id))


async def load_term_dates(db: DatabaseOrSession) -> TermDates:
    rows = await read_rows(db, _ALL)
    return TermDates.of(TermDatesEntry(DayKind(kind), start, end, name) for kind, start, end, name in rows)


class CalendarCache:
    """The calendar as last loaded, checked against the database on each `get`."""

    def __init__(self, db: DatabaseOrSession) -> None:
        self.db = db
        self._version: int | None = None
        self._dates = TermDates()

    async def get(self) -> TermDates:
        [(version,)] = await read_rows(self.db, _VERSION)
        if version != self._version:
            self._dates = await load_term_dates(self.db)
            self._version = version
        return self._dates
