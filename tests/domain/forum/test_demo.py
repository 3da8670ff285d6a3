"""The demo data command's forum dates: this term's forums and Core Groups with bookings and free
slots, whatever day of the week it is loaded, once; and a Charnwood Vale case ready to book."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from core.clock import ManualClock
from db.engine import Database
from domain.demo_data import load_demo_data, load_demo_referrals
from domain.directory.queries import get_person_by_email
from domain.forum.demo import load_demo_forum
from domain.forum.model import MeetingKind
from domain.forum.queries import cases_to_book, next_meetings
from domain.requester import Requester

TODAY = date(2026, 1, 12)


async def test_demo_forum_dates_with_a_booking_loaded_once(database: Database) -> None:
    await load_demo_data(database, today=TODAY)
    await load_demo_referrals(database, today=TODAY)
    now = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)
    assert await load_demo_forum(database, now=now) == 5
    assert await load_demo_forum(database, now=now) == 0
    clock = ManualClock(now)
    forums = await next_meetings(database, MeetingKind.FORUM, clock)
    assert [m.slots_taken for m in forums] == [2, 0, 0]
    assert forums[0].free_slots == 6 and forums[0].open_for_booking(now)
    assert len(await next_meetings(database, MeetingKind.CORE_GROUP, clock)) == 2


@pytest.mark.parametrize("days", range(7))
async def test_the_first_demo_forum_takes_bookings_whatever_the_day(database: Database, days: int) -> None:
    today = TODAY + timedelta(days=days)
    await load_demo_data(database, today=today)
    await load_demo_referrals(database, today=today)
    now = datetime.combine(today, datetime.min.time(), tzinfo=UTC).replace(hour=17)
    await load_demo_forum(database, now=now)
    (first, *_) = await next_meetings(database, MeetingKind.FORUM, ManualClock(now))
    assert first.open_for_booking(now) and first.slots_taken == 2 and first.free_slots > 0
    adele = await get_person_by_email(database, "adelev@example.com")
    assert adele is not None
    assert len(await cases_to_book(database, Requester.in_teams(adele))) == 1
