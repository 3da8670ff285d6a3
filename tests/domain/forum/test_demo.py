"""The demo data command's forum dates: this term's forums and Core Groups with bookings and free
slots, once; on any day of the week the first forum still open for booking with both demo cases
on it, and a Charnwood Vale case ready for the demo SENCO to book."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from core.clock import ManualClock
from db.engine import Database
from domain.demo_data import load_demo_data, load_demo_referrals
from domain.directory.queries import get_person_by_email
from domain.forum.demo import load_demo_forum
from domain.forum.model import MeetingKind, Reader
from domain.forum.queries import build_agenda, cases_to_book, next_meetings
from domain.requester import Requester

MONDAY = date(2026, 1, 12)


@pytest.mark.parametrize("days", range(7), ids=lambda d: (MONDAY + timedelta(days=d)).strftime("%A"))
async def test_demo_forum_dates_with_bookings_loaded_once(database: Database, days: int) -> None:
    today = MONDAY + timedelta(days=days)
    await load_demo_data(database, today=today)
    await load_demo_referrals(database, today=today)
    now = datetime(today.year, today.month, today.day, 9, 0, tzinfo=UTC)
    assert await load_demo_forum(database, now=now) == 5
    assert await load_demo_forum(database, now=now) == 0
    clock = ManualClock(now)
    forums = await next_meetings(database, MeetingKind.FORUM, clock)
    assert [m.slots_taken for m in forums] == [2, 0, 0]
    assert forums[0].free_slots == 6 and forums[0].open_for_booking(now)
    assert forums[0].day.weekday() == 3 and 7 <= (forums[0].day - today).days <= 13
    assert len(await next_meetings(database, MeetingKind.CORE_GROUP, clock)) == 2
    async with database.session() as session:
        named = await build_agenda(session, forums[0], Reader.PARTNERSHIP)
        anonymised = await build_agenda(session, forums[0], Reader.EXTERNAL)
    assert [c.pupil_name is not None for c in named.cases] == [False, True]
    assert [c.pupil_name for c in anonymised.cases] == [None, None]
    assert len(await next_meetings(database, MeetingKind.CORE_GROUP, clock)) == 2


@pytest.mark.parametrize("days", range(7))
async def test_the_first_demo_forum_takes_bookings_whatever_the_day(database: Database, days: int) -> None:
    today = MONDAY + timedelta(days=days)
    await load_demo_data(database, today=today)
    await load_demo_referrals(database, today=today)
    now = datetime.combine(today, datetime.min.time(), tzinfo=UTC).replace(hour=17)
    await load_demo_forum(database, now=now)
    (first, *_) = await next_meetings(database, MeetingKind.FORUM, ManualClock(now))
    assert first.open_for_booking(now) and first.slots_taken == 2 and first.free_slots > 0
    adele = await get_person_by_email(database, "adelev@example.com")
    assert adele is not None
    assert len(await cases_to_book(database, Requester.in_teams(adele))) == 1
