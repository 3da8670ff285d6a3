"""Schedules in Europe/London: due instants in GMT and BST, the clock-change days, school days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from domain.scheduler.schedules import Daily, Every, Once, latest_due, london_instant, next_due
from domain.school_calendar.model import DayKind, TermDates, TermDatesEntry

NO_DATES = TermDates()


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def dues(schedule: Daily | Every, after: datetime, count: int, calendar: TermDates = NO_DATES) -> list[datetime]:
    found = []
    for _ in range(count):
        following = next_due(schedule, after, calendar)
        assert following is not None
        found.append(following)
        after = following
    return found


def test_0930_is_0930_utc_in_winter_and_0830_utc_in_summer() -> None:
    assert next_due(Daily(time(9, 30)), utc(2027, 1, 11, 0, 0), NO_DATES) == utc(2027, 1, 11, 9, 30)
    assert next_due(Daily(time(9, 30)), utc(2027, 6, 14, 0, 0), NO_DATES) == utc(2027, 6, 14, 8, 30)


def test_strictly_after() -> None:
    assert next_due(Daily(time(9, 30)), utc(2027, 1, 11, 9, 30), NO_DATES) == utc(2027, 1, 12, 9, 30)


def test_october_change_each_day_once() -> None:
    # Sunday 25 October 2026: 02:00 BST becomes 01:00 GMT.
    assert dues(Daily(time(9, 30)), utc(2026, 10, 24, 0, 0), 3) == [
        utc(2026, 10, 24, 8, 30),
        utc(2026, 10, 25, 9, 30),
        utc(2026, 10, 26, 9, 30),
    ]
    # 01:30 happens twice that morning (00:30 and 01:30 UTC): it runs at the first, once.
    assert dues(Daily(time(1, 30)), utc(2026, 10, 24, 0, 0), 3) == [
        utc(2026, 10, 24, 0, 30),
        utc(2026, 10, 25, 0, 30),
        utc(2026, 10, 26, 1, 30),
    ]


def test_march_change_each_day_once() -> None:
    # Sunday 28 March 2027: 01:00 GMT becomes 02:00 BST.
    assert dues(Daily(time(9, 30)), utc(2027, 3, 27, 0, 0), 3) == [
        utc(2027, 3, 27, 9, 30),
        utc(2027, 3, 28, 8, 30),
        utc(2027, 3, 29, 8, 30),
    ]
    # 01:30 does not exist that morning: it runs at the first instant that does, 02:00 BST.
    assert dues(Daily(time(1, 30)), utc(2027, 3, 27, 0, 0), 3) == [
        utc(2027, 3, 27, 1, 30),
        utc(2027, 3, 28, 1, 0),
        utc(2027, 3, 29, 0, 30),
    ]
    assert london_instant(date(2027, 3, 28), time(1, 0)) == utc(2027, 3, 28, 1, 0)
    assert london_instant(date(2027, 3, 28), time(2, 0)) == utc(2027, 3, 28, 1, 0)


def test_school_days_skip_weekends_holidays_and_the_gap_between_terms() -> None:
    calendar = TermDates.of(
        [
            TermDatesEntry(DayKind.TERM, date(2027, 1, 4), date(2027, 3, 25)),
            TermDatesEntry(DayKind.TERM, date(2027, 4, 12), date(2027, 7, 21)),
            TermDatesEntry(DayKind.BANK_HOLIDAY, date(2027, 5, 3), date(2027, 5, 3)),
        ]
    )
    daily = Daily(time(9, 30), school_days_only=True)
    assert dues(daily, utc(2027, 3, 24, 12, 0), 2, calendar) == [utc(2027, 3, 25, 9, 30), utc(2027, 4, 12, 8, 30)]
    # Friday 30 April, then Monday 3 May is a bank holiday.
    assert dues(daily, utc(2027, 4, 30, 0, 0), 2, calendar) == [utc(2027, 4, 30, 8, 30), utc(2027, 5, 4, 8, 30)]


def test_every_minute_sits_on_whole_minutes() -> None:
    every = Every(timedelta(minutes=1))
    assert dues(every, utc(2026, 1, 5, 8, 0, 20), 3) == [
        utc(2026, 1, 5, 8, 1),
        utc(2026, 1, 5, 8, 2),
        utc(2026, 1, 5, 8, 3),
    ]
    with pytest.raises(ValueError):
        Every(timedelta(0))


def test_once_has_no_due_time_of_its_own() -> None:
    assert next_due(Once(), utc(2026, 1, 5, 8, 0), NO_DATES) is None


def test_latest_missed_due_time() -> None:
    daily = Daily(time(9, 30), school_days_only=True)
    # Down from Friday 8 January 2027 08:00 to Tuesday 12 January 10:00: Tuesday's run only.
    latest = latest_due(daily, utc(2027, 1, 8, 9, 30), utc(2027, 1, 12, 10, 0), NO_DATES)
    assert latest == utc(2027, 1, 12, 9, 30)
    every = Every(timedelta(minutes=1))
    assert latest_due(every, utc(2026, 1, 5, 8, 1), utc(2026, 1, 5, 8, 7, 30), NO_DATES) == utc(2026, 1, 5, 8, 7)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError):
        next_due(Daily(time(9, 30)), datetime(2026, 1, 5, 8, 0), NO_DATES)
