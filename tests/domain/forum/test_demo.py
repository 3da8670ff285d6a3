"""The demo data command's forum dates: this term's forums and Core Groups with a booking, once."""

from __future__ import annotations

from datetime import UTC, date, datetime

from core.clock import ManualClock
from db.engine import Database
from domain.demo_data import load_demo_data, load_demo_referrals
from domain.forum.demo import load_demo_forum
from domain.forum.model import MeetingKind
from domain.forum.queries import next_meetings

TODAY = date(2026, 1, 12)


async def test_demo_forum_dates_with_a_booking_loaded_once(database: Database) -> None:
    await load_demo_data(database, today=TODAY)
    await load_demo_referrals(database, today=TODAY)
    now = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)
    assert await load_demo_forum(database, now=now) == 5
    assert await load_demo_forum(database, now=now) == 0
    clock = ManualClock(now)
    forums = await next_meetings(database, MeetingKind.FORUM, clock)
    assert [m.slots_taken for m in forums] == [1, 0, 0]
    assert forums[0].free_slots == 7 and forums[0].open_for_booking(now)
    assert len(await next_meetings(database, MeetingKind.CORE_GROUP, clock)) == 2
