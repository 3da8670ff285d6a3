"""The scheduler on the database (SQLite and PostgreSQL), on the manual clock: due times in GMT
and BST, school days, restarts, leases, several instances, missed runs and failures."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta

from core.clock import ManualClock
from db.engine import Database
from domain.scheduler import Daily, Every, Scheduler, store
from domain.scheduler.store import Outcome
from domain.school_calendar.model import DayKind, TermDates, TermDatesEntry
from tests.domain.scheduler.conftest import Recorder, walk
from tests.fixtures.fakes import FakeSleep
from tests.fixtures.logs import JsonLines

AT_0930_SCHOOL_DAYS = Daily(time(9, 30), school_days_only=True)
MINUTE = timedelta(minutes=1)
QUARTER = timedelta(minutes=15)

# Fictional term dates around both clock changes, with bank holidays and an INSET day.
CALENDAR = TermDates.of(
    [
        TermDatesEntry(DayKind.TERM, date(2026, 9, 1), date(2026, 12, 18), "Autumn"),
        TermDatesEntry(DayKind.INSET, date(2026, 10, 27), date(2026, 10, 27), "INSET"),
        TermDatesEntry(DayKind.TERM, date(2027, 1, 4), date(2027, 4, 1), "Spring"),
        TermDatesEntry(DayKind.BANK_HOLIDAY, date(2027, 3, 26), date(2027, 3, 26), "Good Friday"),
        TermDatesEntry(DayKind.BANK_HOLIDAY, date(2027, 3, 29), date(2027, 3, 29), "Easter Monday"),
    ]
)


async def fixed_calendar() -> TermDates:
    return CALENDAR


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def move_to(clock: ManualClock, when: datetime) -> None:
    clock.advance(when - clock.now())


def scheduler_for(database: Database, clock: ManualClock, *jobs: object, **options: object) -> Scheduler:
    return Scheduler(database, clock, list(jobs), fixed_calendar, **options)  # type: ignore[arg-type]


async def test_school_day_job_at_0930_london_in_bst_and_gmt(
    database: Database, clock: ManualClock, recorder: Recorder
) -> None:
    move_to(clock, utc(2026, 10, 22, 0, 0))  # Thursday, BST
    scheduler = scheduler_for(database, clock, recorder.job("digest", AT_0930_SCHOOL_DAYS))
    assert await walk(scheduler, clock, utc(2026, 10, 29, 0, 0), QUARTER) == 4
    # Thu and Fri in BST; the weekend (and the change on Sunday); Mon in GMT; Tue an INSET day.
    assert recorder.due_times("digest") == [
        utc(2026, 10, 22, 8, 30),
        utc(2026, 10, 23, 8, 30),
        utc(2026, 10, 26, 9, 30),
        utc(2026, 10, 28, 9, 30),
    ]
    assert [ran_at for _, due, ran_at, *_ in recorder.runs] == recorder.due_times("digest")


async def test_school_day_job_across_the_march_change_and_easter(
    database: Database, clock: ManualClock, recorder: Recorder
) -> None:
    move_to(clock, utc(2027, 3, 24, 0, 0))  # Wednesday, GMT
    scheduler = scheduler_for(database, clock, recorder.job("digest", AT_0930_SCHOOL_DAYS))
    await walk(scheduler, clock, utc(2027, 4, 2, 0, 0), QUARTER)
    # Good Friday, the weekend (the change on Sunday) and Easter Monday have no run.
    assert recorder.due_times("digest") == [
        utc(2027, 3, 24, 9, 30),
        utc(2027, 3, 25, 9, 30),
        utc(2027, 3, 30, 8, 30),
        utc(2027, 3, 31, 8, 30),
        utc(2027, 4, 1, 8, 30),
    ]


async def test_every_day_jobs_run_once_on_each_change_day(
    database: Database, clock: ManualClock, recorder: Recorder
) -> None:
    jobs = (recorder.job("morning", Daily(time(9, 30))), recorder.job("night", Daily(time(1, 30))))
    move_to(clock, utc(2026, 10, 24, 12, 0))
    scheduler = scheduler_for(database, clock, *jobs)
    await walk(scheduler, clock, utc(2026, 10, 26, 12, 0), QUARTER)
    assert recorder.due_times("morning") == [utc(2026, 10, 25, 9, 30), utc(2026, 10, 26, 9, 30)]
    assert recorder.due_times("night") == [utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)]

    recorder.runs.clear()
    move_to(clock, utc(2027, 3, 27, 12, 0))
    scheduler = scheduler_for(database, clock, *jobs)
    # The jobs were last due in October: they run once for the latest missed time first.
    assert await scheduler.run_due() == 2
    recorder.runs.clear()
    await walk(scheduler, clock, utc(2027, 3, 29, 12, 0), QUARTER)
    assert recorder.due_times("morning") == [utc(2027, 3, 28, 8, 30), utc(2027, 3, 29, 8, 30)]
    assert recorder.due_times("night") == [utc(2027, 3, 28, 1, 0), utc(2027, 3, 29, 0, 30)]


async def test_every_minute_runs_once_a_minute(database: Database, clock: ManualClock, recorder: Recorder) -> None:
    scheduler = scheduler_for(database, clock, recorder.job("tick", Every(MINUTE)))
    start = clock.now()
    assert await walk(scheduler, clock, start + 5 * MINUTE, timedelta(seconds=10)) == 5
    assert recorder.due_times("tick") == [start + n * MINUTE for n in range(1, 6)]


async def test_after_downtime_a_daily_job_runs_once_for_the_latest_missed_time(
    database: Database, clock: ManualClock, recorder: Recorder
) -> None:
    move_to(clock, utc(2027, 1, 8, 8, 0))  # Friday
    scheduler = scheduler_for(database, clock, recorder.job("digest", AT_0930_SCHOOL_DAYS))
    assert await scheduler.run_due() == 0
    move_to(clock, utc(2027, 1, 12, 10, 0))  # down until Tuesday 10:00: Fri, Mon and Tue missed
    assert await scheduler.run_due() == 1
    assert await scheduler.run_due() == 0
    assert recorder.due_times("digest") == [utc(2027, 1, 12, 9, 30)]
    state = (await store.job_states(database))["digest"]
    assert state.next_due_at == utc(2027, 1, 13, 9, 30)
    assert (state.last_due_at, state.last_run_at, state.last_outcome) == (
        utc(2027, 1, 12, 9, 30),
        utc(2027, 1, 12, 10, 0),
        Outcome.OK,
    )


async def test_a_restart_between_due_time_and_run_runs_it_exactly_once(
    database: Database, second_database: Database, clock: ManualClock, recorder: Recorder
) -> None:
    move_to(clock, utc(2027, 1, 11, 9, 0))
    job = recorder.job("digest", AT_0930_SCHOOL_DAYS)
    before = scheduler_for(database, clock, job)
    assert await before.run_due() == 0  # stored, due at 09:30
    clock.advance(timedelta(minutes=31))  # the process stopped meanwhile
    after = scheduler_for(second_database, clock, job)
    assert await after.run_due() == 1
    assert await after.run_due() == 0
    assert await before.run_due() == 0
    assert recorder.due_times("digest") == [utc(2027, 1, 11, 9, 30)]


async def test_a_run_killed_mid_way_runs_again_only_when_its_lease_runs_out(
    database: Database, clock: ManualClock, recorder: Recorder
) -> None:
    move_to(clock, utc(2027, 1, 11, 9, 0))
    scheduler = scheduler_for(database, clock, recorder.job("digest", AT_0930_SCHOOL_DAYS))
    await scheduler.run_due()
    move_to(clock, utc(2027, 1, 11, 9, 30))
    # Another instance claims it and dies mid-run: the claim is held, never finished.
    [held] = await store.claim_jobs(database, clock.now(), {"digest"}, lease=timedelta(minutes=10))
    move_to(clock, utc(2027, 1, 11, 9, 39, 59))
    assert await scheduler.run_due() == 0
    move_to(clock, utc(2027, 1, 11, 9, 40))
    assert await scheduler.run_due() == 1
    assert recorder.due_times("digest") == [utc(2027, 1, 11, 9, 30)]
    # The dead instance's late finish changes nothing.
    assert not await store.finish_job(
        database,
        held,
        due_at=held.next_due_at,
        next_due_at=utc(2030, 1, 1),
        outcome=Outcome.OK,
        error=None,
        now=clock.now(),
    )
    assert (await store.job_states(database))["digest"].next_due_at == utc(2027, 1, 12, 9, 30)


async def test_two_instances_run_each_due_job_once(
    database: Database, second_database: Database, clock: ManualClock, recorder: Recorder
) -> None:
    move_to(clock, utc(2027, 1, 11, 9, 0))
    jobs = [recorder.job(f"job{n}", Every(MINUTE)) for n in range(6)]
    jobs.append(recorder.job("reminder", Daily(time(9, 30))))
    first = scheduler_for(database, clock, *jobs)
    second = scheduler_for(second_database, clock, *jobs)
    await asyncio.gather(first.run_due(), second.run_due())
    async with database.session() as session:
        for n in range(10):
            await store.schedule_once(session, "reminder", f"forum:{n}", clock.now(), {"forum_id": n}, now=clock.now())
    made = 0
    for _ in range(3):
        clock.advance(MINUTE)
        made += sum(await asyncio.gather(first.run_due(), second.run_due()))
    assert made == len(recorder.runs)
    names = [(job, due, key) for job, due, _, key, _ in recorder.runs]
    assert len(names) == len(set(names))  # nothing ran twice
    assert len(names) == 6 * 3 + 10
    assert {key for _, _, key in names if key} == {f"forum:{n}" for n in range(10)}


async def test_a_failing_job_is_recorded_and_stops_nothing(
    database: Database, clock: ManualClock, recorder: Recorder, logged: JsonLines
) -> None:
    move_to(clock, utc(2027, 1, 11, 9, 0))
    scheduler = scheduler_for(
        database,
        clock,
        recorder.job("broken", Daily(time(9, 30)), fails=True),
        recorder.job("fine", Daily(time(9, 30))),
    )
    await scheduler.run_due()
    move_to(clock, utc(2027, 1, 11, 9, 30))
    assert await scheduler.run_due() == 2
    assert sorted(recorder.due_times("broken") + recorder.due_times("fine")) == [utc(2027, 1, 11, 9, 30)] * 2
    broken = (await store.job_states(database))["broken"]
    assert (broken.last_outcome, broken.last_error) == (Outcome.FAILED, "RuntimeError")
    assert broken.next_due_at == utc(2027, 1, 12, 9, 30)
    [line] = [line for line in logged.lines("domain.scheduler.runner") if line["event"] == "scheduler.job_failed"]
    assert (line["job"], line["error"]) == ("broken", "RuntimeError")
    assert "Jane" not in "".join(logged.written)
    move_to(clock, utc(2027, 1, 12, 9, 30))
    assert await scheduler.run_due() == 2  # and it runs again next time


async def test_a_frequent_jobs_good_runs_stay_out_of_the_info_log(
    database: Database, clock: ManualClock, recorder: Recorder, logged: JsonLines
) -> None:
    move_to(clock, utc(2027, 1, 11, 9, 0))
    scheduler = scheduler_for(
        database, clock, recorder.job("often", Every(MINUTE)), recorder.job("daily", Daily(time(9, 30)))
    )
    await scheduler.run_due()
    move_to(clock, utc(2027, 1, 11, 9, 30))
    await scheduler.run_due()
    ok = [line["job"] for line in logged.lines("domain.scheduler.runner") if line["event"] == "scheduler.job_ok"]
    assert recorder.due_times("often") and ok == ["daily"]


async def test_a_job_this_instance_does_not_know_is_left_alone(
    database: Database, clock: ManualClock, recorder: Recorder
) -> None:
    move_to(clock, utc(2027, 1, 11, 9, 0))
    newer = scheduler_for(database, clock, recorder.job("new", Every(MINUTE)))
    await newer.run_due()
    older = scheduler_for(database, clock, recorder.job("old", Every(MINUTE)))
    await older.run_due()
    clock.advance(MINUTE)
    assert await older.run_due() == 1
    assert recorder.due_times("new") == []
    assert (await store.job_states(database))["new"].claimed_until is None


async def test_a_changed_schedule_is_taken_up(database: Database, clock: ManualClock, recorder: Recorder) -> None:
    move_to(clock, utc(2027, 1, 11, 8, 0))
    await scheduler_for(database, clock, recorder.job("digest", Daily(time(9, 30)))).run_due()
    await scheduler_for(database, clock, recorder.job("digest", Daily(time(10, 0)))).run_due()
    assert (await store.job_states(database))["digest"].next_due_at == utc(2027, 1, 11, 10, 0)


async def test_run_forever_stops_when_told(database: Database, clock: ManualClock, recorder: Recorder) -> None:
    stop = asyncio.Event()
    sleep = FakeSleep(clock)

    async def stop_after_three_minutes(seconds: float) -> None:
        await sleep(seconds)
        if clock.now() > start + 3 * MINUTE:
            stop.set()

    start = clock.now()
    scheduler = Scheduler(
        database, clock, [recorder.job("tick", Every(MINUTE))], fixed_calendar, stop_after_three_minutes
    )
    await asyncio.wait_for(scheduler.run_forever(stop), timeout=30)
    assert recorder.due_times("tick") == [start + MINUTE, start + 2 * MINUTE, start + 3 * MINUTE]
