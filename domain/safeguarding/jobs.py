"""The safeguarding jobs, run by the one scheduler:

- `escalation_job`: the one-off `concern:<id>:rung:<n>` scheduled when rung n-1 was reached.
  If the concern is still not acknowledged, the ladder climbs to rung n (`ladder.climb`, once).
- `delivery_job`: every 5 seconds, writes each notice's delivery into the chronology
  ('delivered', with `maybe_twice` when it was sent again after a crash mid-send and so may
  show twice, or 'undeliverable' with the notifier's reason, e.g. http_403). When every
  alert of an open concern's current rung has failed for good (403 or 404, no chat, retries
  spent), it climbs to the next rung at once (reason `unreachable`) instead of waiting, so a
  DSL who removed the app moves the ladder on within seconds. Otherwise, the first outcome
  of the current rung's alerts is told to the reporter (their status card, once per rung).

        one-off rung n due ──> acknowledged? ── yes ──> nothing
                                   └─ no ──> climb(n)  (once: compare-and-set on the concern)
        every 5 s ──> alerts of rung n all unreachable? ── yes ──> climb(n+1) now
                             └─ no: one newly delivered (or not)? ──> the reporter's status

`follow_deliveries` is the delivery job's work as a plain function, for a notifier hook or a test.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from db.engine import Database
from domain.outbox import NotificationStatus
from domain.safeguarding import notices, queries
from domain.safeguarding.ladder import ESCALATE, UNREACHED, add_entry, climb, notify
from domain.safeguarding.model import LADDERS, Concern, Entry, EntryKind, Ladders, Reason, Status
from domain.scheduler import Every, Job, JobContext, Once

FOLLOW_DELIVERIES = "safeguarding.deliveries"
FOLLOW_ACKNOWLEDGED_FOR = timedelta(days=1)  # the update cards sent after an acknowledgement
FOLLOW_EVERY = timedelta(seconds=5)  # a 403 or 404 moves the ladder on "at once"
DELIVERED = "delivered"  # the reason of the reporter's 'notified' entry: a rung's first delivery


def escalation_job(ladders: Ladders = LADDERS) -> Job:
    async def run(context: JobContext) -> None:
        concern_id, rung = int(context.payload["concern_id"]), int(context.payload["rung"])
        async with context.database.session() as session:
            concern = await queries.get_concern(session, concern_id)
            if concern is None or concern.status is not Status.RAISED:
                return
            ladder = ladders.for_subject(concern.subject)
            await climb(session, concern, ladder, rung, context.clock.now(), Reason.NOT_ACKNOWLEDGED)

    return Job(ESCALATE, Once(), run)


def delivery_job(ladders: Ladders = LADDERS, every: timedelta = FOLLOW_EVERY) -> Job:
    async def run(context: JobContext) -> None:
        await follow_deliveries(context.database, context.clock, ladders)

    return Job(FOLLOW_DELIVERIES, Every(every), run)


async def follow_deliveries(database: Database, clock: Clock, ladders: Ladders = LADDERS) -> int:
    """Record new delivery outcomes and move on the ladders whose current rung cannot be
    reached; returns how many ladders moved. One transaction per concern, its row held."""
    async with database.session() as session:
        ids = await queries.followed_concern_ids(session, clock.now() - FOLLOW_ACKNOWLEDGED_FOR)
    moved = 0
    for concern_id in ids:
        async with database.session() as session:
            concern = await queries.get_concern(session, concern_id, lock=True)
            if concern is None:
                continue
            now = clock.now()
            entries = await queries.chronology(session, concern_id)
            # An alert held for a chat may be delivered after its 'undeliverable' entry.
            known = {
                (e.notification_id, e.kind) for e in entries if e.kind in (EntryKind.DELIVERED, EntryKind.UNDELIVERABLE)
            }
            sent = [e for e in entries if e.kind is EntryKind.NOTIFIED and e.notification_id is not None]
            recorded: set[int] = set()  # notifications with a new outcome in this pass
            states = await queries.deliveries(session, [e.notification_id for e in sent if e.notification_id])
            for entry in sent:
                assert entry.notification_id is not None
                status, sent_at, error = states.get(entry.notification_id, ("pending", None, None))
                if status == NotificationStatus.SENT:
                    # "maybe_twice": sent again after a post whose fate was unknown (a crash).
                    kind, reason, at = EntryKind.DELIVERED, error, sent_at or now
                elif status in UNREACHED:
                    kind, reason, at = EntryKind.UNDELIVERABLE, error, now
                else:
                    continue
                if (entry.notification_id, kind) in known:
                    continue
                await add_entry(
                    session,
                    concern_id,
                    kind,
                    at,
                    person_id=entry.person_id,
                    rung=entry.rung,
                    notification_id=entry.notification_id,
                    reason=reason,
                )
                recorded.add(entry.notification_id)
            if concern.status is not Status.RAISED:
                continue
            current = [e for e in queries.alerts(concern, entries) if e.rung == concern.rung]
            if current and all(states.get(e.notification_id or 0, ("",))[0] in UNREACHED for e in current):
                ladder = ladders.for_subject(concern.subject)
                if await climb(session, concern, ladder, concern.rung + 1, now, Reason.UNREACHABLE):
                    moved += 1
                    continue  # the reporter is told of the escalation, and why
            if recorded & {e.notification_id for e in current}:
                await _tell_reporter_delivered(session, concern, entries, now)
    return moved


async def _tell_reporter_delivered(
    session: AsyncSession, concern: Concern, entries: list[Entry], now: datetime
) -> None:
    """The reporter's status card, once per rung, when its alerts' first outcome is known."""
    told = any(
        e.kind is EntryKind.NOTIFIED
        and e.person_id == concern.reporter_id
        and e.reason == DELIVERED
        and e.rung == concern.rung
        for e in entries
    )
    if told:
        return
    notice = notices.delivered_to_reporter(concern, concern.rung)
    await notify(session, concern, notice, concern.reporter_id, now, rung=concern.rung, reason=DELIVERED)
