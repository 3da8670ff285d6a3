"""When a job is due: `Daily`, `Every` and `Once`, and `next_due`, which turns a schedule into
the next instant (aware UTC). Pure: no database, no clock.

Daily times are wall-clock times in Europe/London, so a 09:30 job runs at 09:30 in GMT
(09:30 UTC) and in BST (08:30 UTC), and once on each day the clocks change:

- a time that does not exist (01:30 on the last Sunday in March, when 01:00 GMT becomes
  02:00 BST) runs at the first instant that does (02:00 BST);
- a time that happens twice (01:30 on the last Sunday in October) runs at the first of the
  two, once.

`Every` counts real time in UTC and is unaffected by the clock change; its due times sit on
a fixed grid (whole minutes for one minute), so a restart does not shift them.
`Once` is a job that runs only at the due times given to it one by one (`store.schedule_once`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# More than a year of days: a Daily job always finds a day within this (weekdays at worst).
_SEARCH_DAYS = 800


class SchoolCalendar(Protocol):
    """What a schedule needs to know about the school year (`domain.school_calendar.TermDates`)."""

    def is_school_day(self, day: date) -> bool: ...


@dataclass(frozen=True)
class Daily:
    """Every day (or every school day) at `at`, London time."""

    at: time
    school_days_only: bool = False

    def __str__(self) -> str:
        return f"daily {self.at.strftime('%H:%M')}" + (" school days" if self.school_days_only else "")


@dataclass(frozen=True)
class Every:
    """Every `interval` of real time, on a grid counted from the Unix epoch in UTC."""

    interval: timedelta

    def __post_init__(self) -> None:
        if self.interval <= timedelta(0):
            raise ValueError("an interval must be positive")

    def __str__(self) -> str:
        return f"every {int(self.interval.total_seconds())}s"


@dataclass(frozen=True)
class Once:
    """No schedule of its own: runs at the due times given with `schedule_once`."""

    def __str__(self) -> str:
        return "once"


Schedule = Daily | Every | Once


def london_instant(day: date, at: time) -> datetime:
    """`at` on `day` in London as an aware UTC instant: the first if it happens twice, the first
    instant that exists if it does not."""
    wall = datetime.combine(day, at.replace(tzinfo=None, fold=0))
    first = wall.replace(tzinfo=LONDON).astimezone(UTC)
    if first.astimezone(LONDON).replace(tzinfo=None) == wall:
        return first  # fold=0 is the earlier of two, when there are two
    # In the spring gap: fold=0 read `wall` with the old offset, fold=1 with the new. The jump
    # lies between those two readings; take the first minute whose offset is the new one.
    new_offset = wall.replace(tzinfo=LONDON, fold=1).utcoffset()
    instant = wall.replace(tzinfo=LONDON, fold=1).astimezone(UTC)
    while instant.astimezone(LONDON).utcoffset() != new_offset:
        instant += timedelta(minutes=1)
    return instant


def next_due(schedule: Schedule, after: datetime, calendar: SchoolCalendar) -> datetime | None:
    """The first due instant strictly after `after` (aware); None for `Once`."""
    if after.tzinfo is None:
        raise ValueError("`after` must be aware (UTC)")
    after = after.astimezone(UTC)
    if isinstance(schedule, Once):
        return None
    if isinstance(schedule, Every):
        steps = (after - _EPOCH) // schedule.interval + 1
        return _EPOCH + steps * schedule.interval
    day = after.astimezone(LONDON).date()
    for _ in range(_SEARCH_DAYS):
        if runs_on(schedule, day, calendar):
            instant = london_instant(day, schedule.at)
            if instant > after:
                return instant
        day += timedelta(days=1)
    raise ValueError(f"no day in {_SEARCH_DAYS} for {schedule}: does the calendar have school days?")


def latest_due(schedule: Schedule, due: datetime, now: datetime, calendar: SchoolCalendar) -> datetime:
    """The last due instant at or before `now`, counting on from `due` (itself due by `now`).
    A job that missed several runs runs once, for this one."""
    if isinstance(schedule, Every):
        if now < due:
            return due
        return due + ((now - due) // schedule.interval) * schedule.interval
    latest = due
    while (following := next_due(schedule, latest, calendar)) is not None and following <= now:
        latest = following
    return latest


def runs_on(schedule: Daily, day: date, calendar: SchoolCalendar) -> bool:
    """Whether a daily schedule has a run on this London date."""
    return not schedule.school_days_only or calendar.is_school_day(day)


def still_due(schedule: Schedule, due: datetime, calendar: SchoolCalendar) -> bool:
    """False when a school-day job's due day stopped being a school day after it was worked out
    (term dates were loaded since): that run is skipped, not made."""
    if isinstance(schedule, Daily):
        return runs_on(schedule, due.astimezone(LONDON).date(), calendar)
    return True
