"""The referral tests' small partnership, with forum cases ready to book and forum dates.

The clock starts on Monday 7 October 2024 (BST), three weeks before the October clock change,
so meetings after 27 October are in GMT."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from core.clock import ManualClock
from domain.forum import meetings
from domain.forum.model import Meeting, MeetingKind
from domain.referrals import service
from domain.referrals.fields import PARTNERSHIP_REFERRAL_ONLY
from domain.referrals.model import ReferralKind
from tests.domain.referrals.conftest import World, complete_values
from tests.domain.referrals.conftest import world as referral_world  # noqa: F401  (the fixture)

START = datetime(2024, 10, 7, 8, 0, tzinfo=UTC)  # 09:00 BST


@pytest.fixture
async def world(referral_world: World) -> World:  # noqa: F811
    referral_world.clock._now = START  # the referral fixture's clock, moved to this story's start
    return referral_world


@pytest.fixture
def clock(world: World) -> ManualClock:
    return world.clock


def case_values(**changes: Any) -> dict[str, Any]:
    values = complete_values(consent_date="2024-09-20", **changes)
    for name in PARTNERSHIP_REFERRAL_ONLY:
        values.pop(name, None)
    values["interventions"] = [
        {
            "what": "Mentoring twice a week",
            "started_on": "2024-06-03",
            "ended_on": "2024-07-19",
            "review": "Reviewed with parents.",
            "impact": "Some progress.",
        }
    ]
    return values


async def forum_case(world: World, pupil: str = "Jack Smith", who: str = "senco", *, anonymous: bool = False) -> int:
    requester = world.as_(who)
    if anonymous:
        draft = await service.start_draft(
            world.db, requester, ReferralKind.FORUM_CASE, anonymous=True, clock=world.clock
        )
        values = case_values(year_group=8, parental_consent="no")
        for name in ("consent_given_by", "consent_date", "parent_carer"):
            values.pop(name)
    else:
        draft = await service.start_draft(
            world.db, requester, ReferralKind.FORUM_CASE, pupil_id=world.pupils[pupil], clock=world.clock
        )
        values = case_values()
    result = await service.set_fields(world.db, requester, draft.id, values, clock=world.clock)
    assert result.problems == {}
    await service.submit(world.db, requester, draft.id, clock=world.clock)
    return draft.id


async def a_forum(
    world: World, day: date, *, slots: int = 2, deadline: date | None = None, kind: MeetingKind = MeetingKind.FORUM
) -> Meeting:
    plan = meetings.MeetingPlan(
        kind,
        day,
        time(9, 30),
        time(11, 30),
        "https://teams.microsoft.com/l/meetup-join/abc",
        slots,
        deadline or day - timedelta(days=3),
    )
    return await meetings.create_meeting(world.db, world.as_("psenco"), plan, clock=world.clock)
