"""The scheduler starts and stops with the app, with the jobs `create_app` is given."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from app import NOTIFIER, SCHEDULER, create_app
from bot.features import Feature
from core.clock import ManualClock
from domain.scheduler import Every, Job, JobContext
from tests.fixtures.bot_server import make_settings, shared_knowledge
from tests.fixtures.serving import serving


async def test_jobs_given_to_create_app_run_with_the_app(tmp_path: Path) -> None:
    clock = ManualClock()
    ran: list[str] = []

    async def tick(context: JobContext) -> None:
        ran.append(context.job_name)

    job = Job("tick", Every(timedelta(minutes=1)), tick)
    app = create_app(
        make_settings(tmp_path),
        clock=clock,
        knowledge=shared_knowledge(),
        extra_features=[Feature("test", jobs=(job,))],
    )
    async with serving(app):
        scheduler = app[SCHEDULER]
        await scheduler.run_due()  # stores the job, due at the next minute
        clock.advance(timedelta(minutes=1))
        await scheduler.run_due()  # (or the app's own loop got there first: once either way)
    assert ran == ["tick"]


async def test_claim_lease_seconds_sets_the_notifier_and_scheduler_leases_with_timeouts_inside(
    tmp_path: Path,
) -> None:
    app = create_app(make_settings(tmp_path, claim_lease_seconds=20), knowledge=shared_knowledge())
    async with serving(app):
        notifier, scheduler = app[NOTIFIER], app[SCHEDULER]
        assert notifier.lease == scheduler.lease == timedelta(seconds=20)
        assert notifier.send_timeout + notifier.max_wait_in_batch < 20
        assert scheduler.run_timeout < scheduler.lease
    defaults = create_app(make_settings(tmp_path), knowledge=shared_knowledge())
    async with serving(defaults):
        assert defaults[NOTIFIER].lease == timedelta(minutes=1)
        assert defaults[SCHEDULER].lease == timedelta(minutes=10)
