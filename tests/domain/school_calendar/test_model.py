"""The school-day rule: terms, closures, weekends, and no dates at all."""

from __future__ import annotations

from datetime import date

from domain.school_calendar.model import DayKind, TermDates, TermDatesEntry

CALENDAR = TermDates.of(
    [
        TermDatesEntry(DayKind.TERM, date(2026, 9, 1), date(2026, 12, 18)),
        TermDatesEntry(DayKind.INSET, date(2026, 9, 1), date(2026, 9, 1)),
        TermDatesEntry(DayKind.HOLIDAY, date(2026, 10, 26), date(2026, 10, 30)),
        TermDatesEntry(DayKind.TERM, date(2027, 1, 4), date(2027, 3, 25)),
        TermDatesEntry(DayKind.BANK_HOLIDAY, date(2026, 12, 25), date(2026, 12, 25)),
    ]
)


def test_a_weekday_in_term_is_a_school_day() -> None:
    assert CALENDAR.is_school_day(date(2026, 9, 2))
    assert CALENDAR.is_school_day(date(2027, 1, 4))


def test_weekends_inset_days_half_terms_and_the_gap_between_terms_are_not() -> None:
    assert not CALENDAR.is_school_day(date(2026, 9, 5))  # Saturday
    assert not CALENDAR.is_school_day(date(2026, 9, 1))  # INSET
    assert not CALENDAR.is_school_day(date(2026, 10, 28))  # half term
    assert not CALENDAR.is_school_day(date(2026, 12, 22))  # Christmas holiday


def test_with_no_dates_known_every_weekday_is_a_school_day() -> None:
    nothing = TermDates()
    assert not nothing.loaded
    assert nothing.is_school_day(date(2026, 12, 25))
    assert not nothing.is_school_day(date(2026, 12, 26))  # Saturday
    # Beyond the loaded terms, the same: weekdays count.
    assert CALENDAR.is_school_day(date(2027, 6, 1))
    assert CALENDAR.is_school_day(date(2026, 8, 3))
