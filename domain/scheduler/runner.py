"""`Scheduler`: runs due jobs, one pass at a time (`run_due`) or until stopped (`run_forever`).
The rules (missed runs, failures, leases) are in the package docstring."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

from core.clock import Clock, idle
from core.logs import log_event
from db.engine import Database
from domain.rate_limit import Sleep
from domain.scheduler import store
from domain.scheduler.jobs import Job, JobContext
from domain.scheduler.schedules import Every, Once, SchoolCalendar, latest_due, next_due, still_due
from domain.scheduler.store import ClaimedJob, ClaimedRun, Outcome, RunStatus
from domain.school_calendar.queries import CalendarCache

logger = logging.getLogger(__name__)

CalendarSource = Callable[[], Awaitable[SchoolCalendar]]


class Scheduler:
    """Runs the given jobs when due; several instances on one PostgreSQL database run each
    due run once between them."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        jobs: Sequence[Job],
        calendar: CalendarSource | None = None,
        sleep: Sleep = asyncio.sleep,
        *,
        poll_interval: float = 5.0,
        lease: timedelta = timedelta(minutes=10),
        run_timeout: timedelta = timedelta(minutes=5),
        retry_delay: timedelta = timedelta(minutes=5),
        max_attempts: int = 3,
        batch_size: int = 20,
    ) -> None:
        names = [job.name for job in jobs]
        if len(set(names)) != len(names):
            raise ValueError("two jobs have the same name")
        if run_timeout >= lease:
            raise ValueError("a run must time out before its lease runs out")
        self.database = database
        self.clock = clock
        self.jobs = {job.name: job for job in jobs}
        self.calendar = calendar or CalendarCache(database).get
        self.sleep = sleep
        self.poll_interval = poll_interval
        self.lease = lease
        self.run_timeout = run_timeout
        self.retry_delay = retry_delay
        self.max_attempts = max_attempts
        self.batch_size = batch_size
        self._registered = False

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Run due jobs until `stop` is set (started and stopped with the app)."""
        while not stop.is_set():
            try:
                ran = await self.run_due()
            except Exception as error:
                # Only the type: a database error's text can quote a payload.
                log_event(logger, "scheduler.pass_failed", logging.ERROR, error=type(error).__name__)
                ran = 0
            if ran == 0:
                await idle(self.sleep, stop, self.poll_interval)

    async def run_due(self) -> int:
        """One pass: run every due recurring job and up to `batch_size` due one-offs; returns
        how many runs were made (failed ones included, skipped ones not)."""
        if not self.jobs:
            return 0
        await self._register()
        now = self.clock.now()
        due = await store.due_job_names(self.database, now) & self.jobs.keys()
        if not due:
            return 0  # the usual pass: reads, no write transaction
        ran = 0
        claimed = await store.claim_jobs(self.database, now, due, lease=self.lease)
        for position, job in enumerate(claimed):
            if not self._lease_covers_a_run(job.claimed_until):
                for unrun in claimed[position:]:
                    await store.release_job(self.database, unrun)
                break
            ran += await self._run_recurring(job)
        runs = await store.claim_runs(self.database, self.clock.now(), due, lease=self.lease, max_batch=self.batch_size)
        for position, run in enumerate(runs):
            if not self._lease_covers_a_run(run.claimed_until):
                for untried in runs[position:]:
                    await store.release_run(self.database, untried)
                break
            await self._run_once(run)
            ran += 1
        return ran

    # ---- recurring jobs ----------------------------------------------------------------

    async def _register(self) -> None:
        """Store each job seen for the first time, due at its next time from now; re-time a
        job whose schedule changed in the code. Once per Scheduler."""
        if self._registered:
            return
        stored = await store.job_states(self.database)
        now = self.clock.now()
        calendar: SchoolCalendar | None = None
        for name, job in self.jobs.items():
            if isinstance(job.schedule, Once):
                continue
            state = stored.get(name)
            if state is not None and state.schedule == str(job.schedule):
                continue
            calendar = calendar or await self.calendar()
            first = next_due(job.schedule, now, calendar)
            assert first is not None
            if state is None:
                await store.add_job(self.database, name, str(job.schedule), first)
            else:
                await store.reschedule(
                    self.database, name, was=state.schedule, schedule=str(job.schedule), next_due_at=first
                )
        self._registered = True

    async def _run_recurring(self, claimed: ClaimedJob) -> int:
        job = self.jobs[claimed.name]
        calendar = await self.calendar()
        now = self.clock.now()
        due_at = latest_due(job.schedule, claimed.next_due_at, now, calendar)
        if still_due(job.schedule, due_at, calendar):
            error = await self._call(job, JobContext(self.database, self.clock, job.name, due_at))
            outcome = Outcome.OK if error is None else Outcome.FAILED
        else:
            error, outcome = None, Outcome.SKIPPED
        following = next_due(job.schedule, due_at, await self.calendar())
        assert following is not None
        kept = await store.finish_job(
            self.database,
            claimed,
            due_at=due_at,
            next_due_at=following,
            outcome=outcome,
            error=error,
            now=self.clock.now(),
        )
        self._log(job, outcome, error, due_at, kept, key=None)
        return 0 if outcome == Outcome.SKIPPED else 1

    # ---- one-off runs ------------------------------------------------------------------

    async def _run_once(self, run: ClaimedRun) -> None:
        job = self.jobs[run.job_name]
        context = JobContext(self.database, self.clock, job.name, run.due_at, run.key, run.payload)
        error = await self._call(job, context)
        now = self.clock.now()
        retry_at: datetime | None = None
        if error is None:
            status = RunStatus.DONE
        elif run.attempts + 1 < self.max_attempts:
            status, retry_at = RunStatus.PENDING, now + self.retry_delay
        else:
            status = RunStatus.FAILED
        kept = await store.finish_run(self.database, run, status, now=now, error=error, retry_at=retry_at)
        self._log(job, Outcome.OK if error is None else Outcome.FAILED, error, run.due_at, kept, key=run.key)

    # ---- running -----------------------------------------------------------------------

    async def _call(self, job: Job, context: JobContext) -> str | None:
        """Run the job's function; None when it succeeded, else its error type."""
        try:
            await asyncio.wait_for(job.run(context), self.run_timeout.total_seconds())
        except TimeoutError:
            return "timeout"
        except Exception as error:
            return type(error).__name__
        return None

    def _lease_covers_a_run(self, claimed_until: datetime) -> bool:
        # Start a run only while the claim covers all of it, so no other instance can take
        # it meanwhile; a slow pass hands the rest back instead.
        return self.clock.now() + self.run_timeout < claimed_until

    def _log(
        self, job: Job, outcome: Outcome, error: str | None, due_at: datetime, kept: bool, key: str | None
    ) -> None:
        # A job that runs every few seconds would fill the log: its good runs are debug lines.
        quiet = outcome == Outcome.OK and isinstance(job.schedule, Every)
        log_event(
            logger,
            "scheduler.job_" + str(outcome),
            logging.ERROR if outcome == Outcome.FAILED else logging.DEBUG if quiet else logging.INFO,
            job=job.name,
            key=key,
            due_at=due_at.isoformat(),
            error=error,
            lost_claim=None if kept else True,
        )
