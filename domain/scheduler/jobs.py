"""What a job is: a name, a schedule and a plain async function, and the context it is run with."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.clock import Clock
from db.engine import Database
from domain.scheduler.schedules import Schedule


@dataclass(frozen=True)
class JobContext:
    """What a run is given. `due_at` is the due time this run is for (a late run still knows
    which day it is doing); `key` and `payload` are the one-off's, else None and empty."""

    database: Database
    clock: Clock
    job_name: str
    due_at: datetime
    key: str | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Job:
    """A timed piece of work, e.g. `Job("attendance.digest", Daily(time(9, 30), True), send_digest)`.
    Names are stored, so keep them stable: a renamed job is a new job."""

    name: str
    schedule: Schedule
    run: Callable[[JobContext], Awaitable[None]]

    def __post_init__(self) -> None:
        if not 0 < len(self.name) <= 100:
            raise ValueError("a job name is 1 to 100 characters")
