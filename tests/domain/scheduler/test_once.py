"""One-off runs at a given due time: stored once per key, run once with their payload, retried
a few times when they fail, and cancelled before they run."""

from __future__ import annotations

from datetime import timedelta

from core.clock import ManualClock
from db.engine import Database
from domain.scheduler import Once, Scheduler, cancel_once, schedule_once, store
from domain.scheduler.store import RunStatus
from domain.school_calendar.model import TermDates
from tests.domain.scheduler.conftest import Recorder

KEY = "concern:42:rung:2"


async def no_dates() -> TermDates:
    return TermDates()


async def test_the_same_one_off_is_stored_once_and_run_once_at_its_due_time(
    database: Database, clock: ManualClock, recorder: Recorder
) -> None:
    scheduler = Scheduler(database, clock, [recorder.job("escalate", Once())], no_dates)
    due = clock.now() + timedelta(minutes=10)
    async with database.session() as session:
        assert await schedule_once(session, "escalate", KEY, due, {"concern_id": 42, "rung": 2}, now=clock.now())
        assert not await schedule_once(session, "escalate", KEY, due + timedelta(hours=1), {}, now=clock.now())
    clock.advance(timedelta(minutes=9, seconds=59))
    assert await scheduler.run_due() == 0
    clock.advance(timedelta(seconds=1))
    assert await scheduler.run_due() == 1
    assert await scheduler.run_due() == 0
    assert recorder.runs == [("escalate", due, due, KEY, {"concern_id": 42, "rung": 2})]
    state = await store.run_state(database, KEY)
    assert state is not None and (state.status, state.attempts) == (RunStatus.DONE, 1)
    async with database.session() as session:  # done, and still never stored again
        assert not await schedule_once(session, "escalate", KEY, due, {}, now=clock.now())


async def test_a_failing_one_off_is_tried_again_then_failed(
    database: Database, clock: ManualClock, recorder: Recorder
) -> None:
    scheduler = Scheduler(
        database, clock, [recorder.job("escalate", Once(), fails=True)], no_dates, retry_delay=timedelta(minutes=5)
    )
    async with database.session() as session:
        await schedule_once(session, "escalate", KEY, clock.now(), {"concern_id": 42}, now=clock.now())
    assert await scheduler.run_due() == 1
    assert await scheduler.run_due() == 0  # not before the retry delay
    for _ in range(3):
        clock.advance(timedelta(minutes=5))
        await scheduler.run_due()
    assert len(recorder.runs) == 3
    state = await store.run_state(database, KEY)
    assert state is not None and (state.status, state.attempts, state.last_error) == (
        RunStatus.FAILED,
        3,
        "RuntimeError",
    )


async def test_a_cancelled_one_off_never_runs(database: Database, clock: ManualClock, recorder: Recorder) -> None:
    scheduler = Scheduler(database, clock, [recorder.job("escalate", Once())], no_dates)
    async with database.session() as session:
        await schedule_once(session, "escalate", KEY, clock.now() + timedelta(minutes=5), {}, now=clock.now())
    async with database.session() as session:
        assert await cancel_once(session, KEY, now=clock.now())
        assert not await cancel_once(session, KEY, now=clock.now())
    clock.advance(timedelta(minutes=5))
    assert await scheduler.run_due() == 0
    state = await store.run_state(database, KEY)
    assert state is not None and state.status == RunStatus.CANCELLED


async def test_scheduling_joins_the_callers_transaction(database: Database, clock: ManualClock) -> None:
    class Abandoned(Exception):
        pass

    try:
        async with database.session() as session:
            await schedule_once(session, "escalate", KEY, clock.now(), {}, now=clock.now())
            raise Abandoned
    except Abandoned:
        pass
    assert await store.run_state(database, KEY) is None
