"""Meeting records: a term's dates imported from CSV all or nothing with a row report, who may
manage them, and the booking lifecycle as a matrix."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.access import NotAllowed
from domain.forum import meetings, queries
from domain.forum.model import TRANSITIONS, BookingStatus, MeetingKind, can_move
from tests.domain.referrals.conftest import World

LINK = "https://teams.microsoft.com/l/meetup-join/xyz"
GOOD = f"""kind,date,start,end,teams_link,slots,booking_deadline,services
forum,07/11/2024,09:30,11:30,{LINK},6,31/10/2024,LCC Educational Psychologist;NHS Care Navigator
core_group,2024-11-14,13:30,15:00,{LINK},,,
"""


async def test_a_terms_dates_are_imported_with_their_uk_times(world: World) -> None:
    report = await meetings.import_meetings(world.db, world.as_("psenco"), GOOD, clock=world.clock)
    assert report.accepted, report.lines()
    forum, core = await queries.next_meetings(world.db, None, world.clock)
    assert (forum.kind, forum.slots, forum.starts_at) == (
        MeetingKind.FORUM,
        6,
        datetime(2024, 11, 7, 9, 30, tzinfo=UTC),
    )
    assert forum.booking_deadline == datetime(2024, 11, 1, 0, 0, tzinfo=UTC)  # the end of 31 October, GMT
    assert forum.services == ("LCC Educational Psychologist", "NHS Care Navigator")
    assert (core.kind, core.slots) == (MeetingKind.CORE_GROUP, 8)


async def test_one_bad_row_rejects_the_whole_file_with_a_row_report(world: World) -> None:
    bad = GOOD + "forum,31/02/2025,10:00,09:00,http://example.org,x,,\n"
    report = await meetings.import_meetings(world.db, world.as_("director"), bad, clock=world.clock)
    assert not report.accepted
    assert [(p.row, p.field) for p in report.problems] == [(4, "date"), (4, "slots")]
    assert await queries.next_meetings(world.db, None, world.clock) == []


async def test_only_the_partnership_senco_or_director_manage_meetings(world: World) -> None:
    with pytest.raises(NotAllowed):
        await meetings.import_meetings(world.db, world.as_("senco"), GOOD, clock=world.clock)


@pytest.mark.parametrize("start", list(BookingStatus))
@pytest.mark.parametrize("end", list(BookingStatus))
def test_the_booking_lifecycle(start: BookingStatus, end: BookingStatus) -> None:
    allowed = {
        ("waiting", "offered"),
        ("waiting", "cancelled"),
        ("offered", "booked"),
        ("offered", "lapsed"),
        ("offered", "cancelled"),
        ("booked", "booked"),
        ("booked", "cancelled"),
        ("booked", "discussed"),
    }
    assert can_move(start, end) is ((start.value, end.value) in allowed)
    assert set(TRANSITIONS) == set(BookingStatus)
