"""The one scheduler: timed work as plain async jobs, run once each by whichever instance
claims it, on the manual clock in tests.

- `schedules.py`: `Daily(time(9, 30), school_days_only=True)`, `Every(timedelta(minutes=1))`,
  `Once()`, and `next_due`, which works in Europe/London across the clock changes (pure).
- `jobs.py`: `Job` (name, schedule, async function) and the `JobContext` a run is given.
- `store.py`: the stored rows, claimed with a lease and a token like the outbox's, and
  `schedule_once` / `cancel_once` for runs at a given due time, stored once per key.
- `runner.py`: `Scheduler`, with `run_due()` (one pass) and `run_forever(stop)`.

How runs are made:

- Each recurring job has a stored `next_due_at`. A pass claims due jobs (lease and token),
  runs each, then stores the next due time and ends the claim, naming the token. A restart
  between a due time and its run runs it on the next pass; a run whose instance died
  mid-way (lease held, never finished) is run again once the lease runs out, so a run is
  made at least once, and by one instance at a time, on SQLite and on PostgreSQL alike.
- Missed runs: if the process was down over several due times, the job runs ONCE, for the
  latest due time it missed (its `JobContext.due_at`), then is due at its next time after
  that. A 09:30 daily job down from Friday to Tuesday 10:00 runs once, for Tuesday 09:30,
  not once for each day. A job that wants every missed day looks back from `due_at` itself.
- A school-day job whose day stopped being a school day after it was scheduled (term dates
  loaded since) is skipped, recorded as such, and scheduled for its next school day.
- A failing job is logged (its error type only), recorded on its row, and does not stop the
  other jobs; a recurring job is then due at its next time as usual (no retry). A one-off
  that fails is tried again after `retry_delay`, up to `max_attempts` tries, then failed.
- A job function is cancelled if it runs longer than `run_timeout` (shorter than the
  lease, so no other instance can start it meanwhile); that counts as a failure.
- Jobs are known by name from the code: a row whose job this instance does not know (an
  older or newer version's) is left for an instance that does.
"""

from domain.scheduler.jobs import Job, JobContext
from domain.scheduler.runner import Scheduler
from domain.scheduler.schedules import Daily, Every, Once, Schedule, next_due
from domain.scheduler.store import cancel_once, schedule_once

__all__ = [
    "Daily",
    "Every",
    "Job",
    "JobContext",
    "Once",
    "Schedule",
    "Scheduler",
    "cancel_once",
    "next_due",
    "schedule_once",
]
