"""The safeguarding jobs, run by the one scheduler:

- `escalation_job`: the one-off `concern:<id>:rung:<n>` scheduled when rung n-1 was reached.
  If the concern is still not acknowledged, the ladder climbs to rung n (`ladder.climb`, once).
- `delivery_job`: every half minute, writes each alert's delivery into the chronology
  ('delivered', with `maybe_twice` when it was sent again after a crash mid-send and so may
  show twice, or 'undeliverable' with the notifier's reason, e.g. http_403), and when every
  alert of an open concern's current rung has failed for good (403 or 404, no chat, retries
  spent), climbs to the next rung at once (reason `unreachable`) instead of waiting.

        one-off rung n due ──> acknowledged? ── yes ──> nothing
                                   └─ no ──> climb(n)  (once: compare-and-set on the concern)
        every 30 s ──> alerts of rung n all unreachable? ── yes ──> climb(n+1) now

`follow_deliveries` is the delivery job's work as a plain function, for a notifier hook or a test.
"""

from __future__ import annotations

from datetime import timedelta

from core.clock import Clock
from db.engine import Database
from domain.outbox import NotificationStatus
from domain.safeguarding import queries
from domain.safeguarding.ladder import ESCALATE, UNREACHED, add_entry, climb
from domain.safeguarding.model import LADDERS, EntryKind, Ladders, Reason, Status
from domain.scheduler import Every, Job, JobContext, Once

FOLLOW_DELIVERIES = "safeguarding.deliveries"
FOLLOW_ACKNOWLEDGED_FOR = timedelta(days=1)  # the update cards sent after an acknowledgement


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


def delivery_job(ladders: Ladders = LADDERS, every: timedelta = timedelta(seconds=30)) -> Job:
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
            if concern.status is not Status.RAISED:
                continue
            current = [e for e in queries.alerts(concern, entries) if e.rung == concern.rung]
            if current and all(states.get(e.notification_id or 0, ("",))[0] in UNREACHED for e in current):
                ladder = ladders.for_subject(concern.subject)
                moved += await climb(session, concern, ladder, concern.rung + 1, now, Reason.UNREACHABLE)
    return moved
