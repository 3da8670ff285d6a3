"""Term dates as plain data, and the school-day rule.

A school day is a weekday inside a term that is not a closure (a half-term holiday, a bank
holiday or an INSET day). Weekends are never school days.

When no term dates are loaded at all, every weekday counts as a school day: the calendar
does not know better, and a daily reminder that runs on a holiday is a smaller harm than
one that never runs. The same holds for days outside the span of the loaded terms (before
the first term starts or after the last one ends), so a Partnership that has not yet
loaded next year's dates gets weekday runs rather than silence.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class DayKind(StrEnum):
    """What a row of term dates says about its days."""

    TERM = "term"  # the days of a term, from its first day to its last
    HOLIDAY = "holiday"  # a holiday inside a term (a half term)
    BANK_HOLIDAY = "bank_holiday"
    INSET = "inset"  # a staff training day: staff in, pupils not

    @property
    def closed(self) -> bool:
        return self is not DayKind.TERM


@dataclass(frozen=True)
class TermDatesEntry:
    """One row of the calendar: `start` to `end`, both days included."""

    kind: DayKind
    start: date
    end: date
    name: str = ""

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end

    def overlaps(self, other: TermDatesEntry) -> bool:
        return self.start <= other.end and other.start <= self.end


@dataclass(frozen=True)
class TermDates:
    """The loaded calendar: terms, and the closures inside (or beside) them."""

    terms: tuple[TermDatesEntry, ...] = ()
    closures: tuple[TermDatesEntry, ...] = ()

    @classmethod
    def of(cls, entries: Iterable[TermDatesEntry]) -> TermDates:
        entries = sorted(entries, key=lambda entry: (entry.start, entry.end, entry.kind))
        return cls(
            terms=tuple(e for e in entries if not e.kind.closed),
            closures=tuple(e for e in entries if e.kind.closed),
        )

    @property
    def loaded(self) -> bool:
        return bool(self.terms)

    def is_school_day(self, day: date) -> bool:
        if day.weekday() >= 5:
            return False
        if not self.terms or day < self.terms[0].start or day > self.terms[-1].end:
            return True  # no dates known for this day: every weekday counts (module docstring)
        if not any(term.covers(day) for term in self.terms):
            return False
        return not any(closure.covers(day) for closure in self.closures)
