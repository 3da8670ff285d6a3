"""Fixtures for scheduler tests: jobs that record their runs, and a way to walk the clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest

from core.clock import ManualClock
from db.engine import Database
from domain.scheduler import Job, JobContext, Scheduler
from domain.scheduler.schedules import Schedule


@dataclass
class Recorder:
    """Job functions that note each run's job, due time, clock time, key and payload."""

    clock: ManualClock
    runs: list[tuple[str, datetime, datetime, str | None, dict[str, object]]] = field(default_factory=list)

    def job(self, name: str, schedule: Schedule, fails: bool = False) -> Job:
        async def run(context: JobContext) -> None:
            self.runs.append((context.job_name, context.due_at, self.clock.now(), context.key, dict(context.payload)))
            if fails:
                raise RuntimeError("Jane Pupil's record is missing")  # never logged

        return Job(name, schedule, run)

    def due_times(self, name: str) -> list[datetime]:
        return [due for job, due, *_ in self.runs if job == name]


@pytest.fixture
def recorder(clock: ManualClock) -> Recorder:
    return Recorder(clock)


async def walk(scheduler: Scheduler, clock: ManualClock, until: datetime, step: timedelta) -> int:
    """Run a pass at every `step` until `until`; returns how many runs were made."""
    ran = 0
    while clock.now() < until:
        clock.advance(step)
        ran += await scheduler.run_due()
    return ran


@pytest.fixture
async def second_database(database: Database) -> AsyncIterator[Database]:
    """Another connection pool on the same database, as a second instance would have."""
    other = Database(database.url)
    try:
        yield other
    finally:
        await other.dispose()
