"""The forum's jobs, run by the one scheduler (Europe/London):

- `agenda_job`: daily at `Timings.agenda_at`; each scheduled meeting starting within
  `agenda_days_before` days of the due day whose agenda has not gone out: the `forum.agenda`
  notice to each Partnership SENCO and Director, and for a Core Group each presenting school
  told its place. The meeting is marked sent by a compare-and-set, so two instances or a re-run
  send it once (and the outbox keys each notice once per person anyway).
- `reminder_job`: daily at `Timings.reminder_at`; every booked case on a meeting held on the day
  after the due day (UK date) gets `forum.reminder`, keyed per booking and start time; a freed
  slot still held for its school gets one too, which its renderer makes an ask to accept.
- `offer_lapse_job`: the one-off `forum-offer:<booking>` scheduled when a freed slot is offered.

Each works from `JobContext.due_at`, so a run made late (a restart between the due time and the
run) still does the day it was due for.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import update

from db.engine import Database
from db.models.forum import ForumMeeting
from domain.directory.queries import list_people
from domain.forum import notices, store
from domain.forum.model import BookingStatus, MeetingKind, Timings, uk_instant
from domain.forum.queries import core_group_referrals
from domain.forum.service import OFFER_JOB, lapse_offer, tell
from domain.roles import Role
from domain.scheduler import Daily, Job, JobContext, Once
from domain.scheduler.schedules import LONDON

AGENDA_JOB = "forum.agendas"
REMINDER_JOB = "forum.reminders"


def agenda_job(timings: Timings = Timings()) -> Job:
    async def run(context: JobContext) -> None:
        await send_agendas(context.database, context.due_at, context.clock.now(), timings)

    return Job(AGENDA_JOB, Daily(timings.agenda_at), run)


def reminder_job(timings: Timings = Timings()) -> Job:
    async def run(context: JobContext) -> None:
        await send_reminders(context.database, context.due_at, context.clock.now())

    return Job(REMINDER_JOB, Daily(timings.reminder_at), run)


def offer_lapse_job(timings: Timings = Timings()) -> Job:
    async def run(context: JobContext) -> None:
        await lapse_offer(context.database, int(context.payload["booking_id"]), context.clock.now(), timings)

    return Job(OFFER_JOB, Once(), run)


def jobs(timings: Timings = Timings()) -> tuple[Job, ...]:
    return (agenda_job(timings), reminder_job(timings), offer_lapse_job(timings))


async def send_agendas(database: Database, due_at: datetime, now: datetime, timings: Timings) -> int:
    """Send every agenda due by `due_at`'s UK day; returns how many meetings were sent."""
    day = due_at.astimezone(LONDON).date()
    until = uk_instant(day + timedelta(days=timings.agenda_days_before + 1), time(0, 0))
    async with database.session() as session:
        due = [m for m in await store.upcoming(session, None, due_at, until=until) if m.agenda_sent_at is None]
    sent = 0
    for meeting in due:
        async with database.session() as session:
            claimed = await session.execute(
                update(ForumMeeting)
                .where(ForumMeeting.id == meeting.id, ForumMeeting.agenda_sent_at.is_(None))
                .values(agenda_sent_at=now)
                .execution_options(synchronize_session=False)
            )
            if not claimed.rowcount:  # type: ignore[attr-defined]
                continue
            leads = [
                person.id
                for role in (Role.PARTNERSHIP_SENCO, Role.PARTNERSHIP_DIRECTOR)
                for person in await list_people(session, role=role, partnership=True)
            ]
            await tell(session, notices.agenda(meeting), leads, now)
            if meeting.kind is MeetingKind.CORE_GROUP:
                for position, referral in enumerate(await core_group_referrals(session, meeting), start=1):
                    notice = notices.core_group_slot(meeting, referral.id, position)
                    await tell(session, notice, [referral.referrer_id], now)
            sent += 1
    return sent


async def send_reminders(database: Database, due_at: datetime, now: datetime) -> int:
    """Remind each school with a case at a meeting on the UK day after `due_at`'s."""
    tomorrow = due_at.astimezone(LONDON).date() + timedelta(days=1)
    start, end = uk_instant(tomorrow, time(0, 0)), uk_instant(tomorrow + timedelta(days=1), time(0, 0))
    reminded = 0
    async with database.session() as session:
        for meeting in await store.upcoming(session, MeetingKind.FORUM, start - timedelta(microseconds=1), until=end):
            for booking in await store.bookings_on(session, meeting.id, (BookingStatus.BOOKED, BookingStatus.OFFERED)):
                await tell(session, notices.reminder(booking, meeting), [booking.booked_by], now)
                reminded += 1
    return reminded
