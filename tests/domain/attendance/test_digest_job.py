"""The daily digest job on the database and the manual clock: school days only, across the
October clock change, after a restart, with two instances, a school nobody can be told, and
the recipients the access policy allows."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from core.clock import ManualClock
from db.engine import Database
from db.models.directory import Person as PersonRow
from db.models.proactive import Notification
from domain.access import RULES, Action
from domain.attendance import notices
from domain.attendance.jobs import digest_job, digest_recipients, queue_digests
from domain.directory.writes import save_person
from domain.roles import Role
from domain.scheduler import Scheduler
from tests.domain.attendance.conftest import Queued, World, move_to, queued, utc
from tests.domain.scheduler.conftest import walk

QUARTER = timedelta(minutes=15)


def days(digests: list[Queued]) -> list[str]:
    return sorted({str(d.payload["date"]) for d in digests})


def per_recipient_and_day(digests: list[Queued]) -> Counter[tuple[int | None, object]]:
    return Counter((d.person_id, d.payload["date"]) for d in digests)


async def test_school_days_only_not_the_weekend_or_a_bank_holiday(
    database: Database, clock: ManualClock, world: World
) -> None:
    move_to(clock, utc(2026, 5, 1, 0, 0))  # Friday; Monday 4 May is the early May bank holiday
    scheduler = Scheduler(database, clock, [digest_job()])
    await walk(scheduler, clock, utc(2026, 5, 6, 0, 0), QUARTER)
    digests = await queued(database, notices.DIGEST)
    assert days(digests) == ["2026-05-01", "2026-05-05"]
    assert all(n == 1 for n in per_recipient_and_day(digests).values())


async def test_the_october_clock_change_gives_one_digest_a_day_not_two(
    database: Database, clock: ManualClock, world: World
) -> None:
    move_to(clock, utc(2026, 10, 22, 0, 0))  # Thursday, BST; the clocks go back on Sunday 25th
    scheduler = Scheduler(database, clock, [digest_job()])
    await walk(scheduler, clock, utc(2026, 10, 28, 0, 0), QUARTER)
    digests = await queued(database, notices.DIGEST)
    assert days(digests) == ["2026-10-22", "2026-10-23", "2026-10-26", "2026-10-27"]
    assert set(per_recipient_and_day(digests).values()) == {1}
    # 10:00 London each day: 09:00 UTC in BST, 10:00 UTC in GMT.
    async with database.session() as session:
        created = sorted(
            {
                c
                for c in await session.scalars(
                    select(Notification.created_at).where(Notification.kind == notices.DIGEST)
                )
            }
        )
    assert [c.hour for c in created] == [9, 9, 10, 10]


async def test_a_restart_between_the_due_time_and_the_run_sends_it_once(
    database: Database, clock: ManualClock, world: World
) -> None:
    move_to(clock, utc(2026, 11, 2, 8, 0))
    assert await Scheduler(database, clock, [digest_job()]).run_due() == 0  # registers the job
    move_to(clock, utc(2026, 11, 2, 11, 30))  # down over 10:00
    restarted = Scheduler(database, clock, [digest_job()])
    assert await restarted.run_due() == 1
    assert await restarted.run_due() == 0
    await queue_digests(database, date(2026, 11, 2), clock.now())  # a re-run by hand
    digests = await queued(database, notices.DIGEST)
    assert set(per_recipient_and_day(digests).values()) == {1}
    assert len(digests) == 3  # school A's DSL and attendance lead, school B's DSL


async def test_two_instances_send_one_digest_per_school(
    database: Database, second_database: Database, clock: ManualClock, world: World
) -> None:
    move_to(clock, utc(2026, 11, 2, 8, 0))
    first = Scheduler(database, clock, [digest_job()])
    second = Scheduler(second_database, clock, [digest_job()])
    await first.run_due()
    await second.run_due()
    move_to(clock, utc(2026, 11, 2, 10, 0))
    ran = await asyncio.gather(first.run_due(), second.run_due())
    assert sorted(ran) == [0, 1]
    digests = await queued(database, notices.DIGEST)
    assert Counter(d.payload["school_id"] for d in digests) == {world.school_a: 2, world.school_b: 1}


async def test_a_school_with_no_dsl_in_teams_is_reported_to_the_partnership(
    database: Database, clock: ManualClock, world: World
) -> None:
    move_to(clock, utc(2026, 11, 2, 10, 0))
    await queue_digests(database, date(2026, 11, 2), clock.now())
    to_b = [d for d in await queued(database, notices.DIGEST) if d.payload["school_id"] == world.school_b]
    assert [(d.person_id, d.status) for d in to_b] == [(world.dsl_b.id, "undeliverable")]
    [report] = await queued(database, notices.DIGEST_UNDELIVERABLE)
    assert report.person_id == world.admin.id
    assert report.payload == {"school_id": world.school_b, "date": "2026-11-02", "reason": "no_dsl_in_teams"}
    await queue_digests(database, date(2026, 11, 2), clock.now())
    assert len(await queued(database, notices.DIGEST_UNDELIVERABLE)) == 1


async def test_the_recipients_are_those_the_policy_lets_receive_the_digest(
    database: Database, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def person(email: str, role: Role) -> int:
        async with database.session() as session:
            saved, _ = await save_person(
                session, email=email, display_name="Someone", roles=[role], school_id=world.school_a
            )
            return saved.id

    deputy = await person("deputy@a.example.org", Role.DEPUTY_DSL)
    head = await person("head@a.example.org", Role.HEADTEACHER)
    async with database.session() as session:
        assert sorted(await digest_recipients(session, world.school_a)) == sorted([world.dsl_a.id, world.lead_a.id])
        # School B has only its DSL.
        assert await digest_recipients(session, world.school_b) == [world.dsl_b.id]

    # The policy table decides: a school that wants its headteacher to have it says so there.
    rule = RULES[Action.RECEIVE_ATTENDANCE_DIGEST]
    monkeypatch.setitem(
        RULES, Action.RECEIVE_ATTENDANCE_DIGEST, replace(rule, own_school=rule.own_school | {Role.HEADTEACHER})
    )
    async with database.session() as session:
        assert head in await digest_recipients(session, world.school_a)
    monkeypatch.undo()

    # With no DSL, the deputy gets it, so it still reaches safeguarding.
    async with database.session() as session:
        row = await session.get(PersonRow, world.dsl_a.id)
        assert row is not None
        row.active = False
    async with database.session() as session:
        assert sorted(await digest_recipients(session, world.school_a)) == sorted([world.lead_a.id, deputy])
