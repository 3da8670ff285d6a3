"""The forum's jobs run at the times the settings give: FORUM_AGENDA_DAYS_BEFORE and
FORUM_AGENDA_TIME for the agenda card, FORUM_REMINDER_TIME for the reminder the day before."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.features import FeatureServices
from core.settings import SettingsError, from_env
from dialogs.forum import feature
from domain.scheduler import Scheduler
from tests.domain.forum.conftest import a_forum, forum_case
from tests.domain.forum.test_agenda_and_jobs import booked, notices_of
from tests.domain.referrals.conftest import World

NOV_14 = date(2024, 11, 14)  # a Thursday, in GMT


async def test_the_agenda_and_the_reminder_go_out_when_the_settings_say(world: World) -> None:
    settings = from_env({"FORUM_AGENDA_DAYS_BEFORE": "5", "FORUM_AGENDA_TIME": "07:30", "FORUM_REMINDER_TIME": "16:00"})
    jobs = feature(FeatureServices(world.db, settings, world.clock)).jobs
    forum = await a_forum(world, NOV_14)
    await booked(world, forum.id, await forum_case(world))
    scheduler = Scheduler(world.db, world.clock, jobs)
    await scheduler.run_due()

    async def at(moment: datetime) -> tuple[int, int]:
        world.clock._now = moment
        await scheduler.run_due()
        return len(await notices_of(world, "forum.agenda")), len(await notices_of(world, "forum.reminder"))

    assert await at(datetime(2024, 11, 8, 8, 0, tzinfo=UTC)) == (0, 0)  # six days before: not yet
    assert await at(datetime(2024, 11, 9, 7, 29, tzinfo=UTC)) == (0, 0)  # five days before, 07:29
    assert await at(datetime(2024, 11, 9, 7, 30, tzinfo=UTC)) == (2, 0)  # 07:30: the SENCO and the Director
    assert await at(datetime(2024, 11, 13, 15, 59, tzinfo=UTC)) == (2, 0)
    assert await at(datetime(2024, 11, 13, 16, 0, tzinfo=UTC)) == (2, 1)  # the day before, 16:00


@pytest.mark.parametrize(
    ("name", "value"),
    [("FORUM_AGENDA_DAYS_BEFORE", "0"), ("FORUM_AGENDA_DAYS_BEFORE", "a week"), ("FORUM_REMINDER_TIME", "9am")],
)
def test_a_bad_forum_timing_is_named(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        from_env({name: value})
