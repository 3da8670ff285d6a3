"""Reaching a rung of the ladder, in the caller's transaction: shared by raising a concern
(rung 1), the escalation one-off and the delivery follower (`jobs.py`).

    reach(n):  alert rung n's recipients (one notice each, key concern:<id>:<person>:<n>)
               ├─ tell the reporter when n > 1 (and what to do, where the rung says so)
               ├─ someone on rung n can be reached ──> schedule rung n+1 at now + wait
               └─ nobody can (no chat, or nobody) ───> climb(n+1) at once, saying why
    climb(n):  rung n-1 -> n once (a compare-and-set on the concern), then reach(n)

An alert that found no chat with its person (none yet, or gone: 403, 404) is held for one
(`outbox.hold_for_a_chat`): when they open the bot it is sent, if the concern is still not
acknowledged. So is the reporter's status: the acknowledgement, and escalations while unacknowledged.

The compare-and-set makes a rung happen once, however often its one-off runs (a restart
between the due time and the run, two instances, the follower and the timer together); the
notice keys make each alert queued once even so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models.safeguarding import SafeguardingConcern, SafeguardingEntry
from domain.audit import AuditAction, record_audit
from domain.directory.model import PersonRecord
from domain.directory.queries import list_people
from domain.notices import JsonValue, Notice
from domain.notifier import queue_notice
from domain.outbox import NotificationStatus, hold_for_a_chat
from domain.roles import Role
from domain.safeguarding import notices
from domain.safeguarding.model import Concern, EntryKind, Ladder, Post, Reason, Status, rung_key
from domain.safeguarding.queries import deliveries, get_concern
from domain.scheduler import schedule_once

ESCALATE = "safeguarding.escalate"  # the scheduler's job name for rung one-offs
UNREACHED = (NotificationStatus.UNDELIVERABLE, NotificationStatus.FAILED)
_POST_ROLES = {
    Post.DSL: Role.DSL,
    Post.DEPUTY_DSL: Role.DEPUTY_DSL,
    Post.HEADTEACHER: Role.HEADTEACHER,
    Post.DIRECTOR: Role.PARTNERSHIP_DIRECTOR,
}


async def add_entry(
    session: AsyncSession,
    concern_id: int,
    kind: EntryKind,
    at: datetime,
    *,
    person_id: int | None = None,
    rung: int | None = None,
    notification_id: int | None = None,
    note_id: int | None = None,
    reason: str | None = None,
) -> None:
    """Append one chronology entry (ids and code words only)."""
    session.add(
        SafeguardingEntry(
            concern_id=concern_id,
            at=at,
            kind=str(kind),
            person_id=person_id,
            rung=rung,
            notification_id=notification_id,
            note_id=note_id,
            reason=reason,
        )
    )
    await session.flush()


async def notify(
    session: AsyncSession,
    concern: Concern,
    notice: Notice,
    person_id: int,
    now: datetime,
    *,
    rung: int | None = None,
    reason: str | None = None,
) -> int:
    """Queue `notice` to the person and write it in the concern's chronology, in the caller's
    transaction; returns the notification's id."""
    notification_id = await queue_notice(session, notice, to_person=person_id, now=now)
    await add_entry(
        session,
        concern.id,
        EntryKind.NOTIFIED,
        now,
        person_id=person_id,
        rung=rung,
        notification_id=notification_id,
        reason=reason,
    )
    return notification_id


async def recipients(session: AsyncSession, concern: Concern, posts: frozenset[Post]) -> list[PersonRecord]:
    """The active people holding the rung's posts (never the reporter), in post order, by name.
    A deputy who is also a DSL is reached as a DSL, at rung 1."""
    found: dict[int, PersonRecord] = {}
    for post in Post:
        if post not in posts:
            continue
        people = await (
            list_people(session, role=_POST_ROLES[post], partnership=True)
            if post is Post.DIRECTOR
            else list_people(session, concern.school_id, _POST_ROLES[post])
        )
        for person in people:
            if post is Post.DEPUTY_DSL and Role.DSL in person.roles:
                continue
            if person.id != concern.reporter_id:
                found.setdefault(person.id, person)
    return list(found.values())


async def reach(
    session: AsyncSession, concern: Concern, ladder: Ladder, number: int, now: datetime, reason: Reason | None = None
) -> None:
    """Alert rung `number` (the concern already stands on it); see the module docstring."""
    rung = ladder.rung(number)
    people = await recipients(session, concern, rung.posts)
    queued: list[int] = []
    for person in people:
        queued.append(
            await notify(session, concern, notices.alert(concern, number, person.id), person.id, now, rung=number)
        )
    states = await deliveries(session, queued)
    reachable = 0
    for person, notification_id in zip(people, queued, strict=True):
        status, _, error = states[notification_id]
        if status in UNREACHED:  # no chat with the bot: known at once
            await add_entry(
                session,
                concern.id,
                EntryKind.UNDELIVERABLE,
                now,
                person_id=person.id,
                rung=number,
                notification_id=notification_id,
                reason=error,
            )
        else:
            reachable += 1
    if number > 1:
        await _tell_reporter(session, concern, ladder, number, [p.id for p in people], now, reason)
    following = ladder.next_after(number)
    if following is None:
        return
    if reachable:
        due = now + rung.wait
        payload = {"concern_id": concern.id, "rung": following.number}
        await schedule_once(session, ESCALATE, rung_key(concern.id, following.number), due, payload, now=now)
    else:
        await climb(
            session, concern, ladder, following.number, now, Reason.UNREACHABLE if people else Reason.NO_ONE_TO_ALERT
        )


async def climb(
    session: AsyncSession, concern: Concern, ladder: Ladder, number: int, now: datetime, reason: Reason
) -> bool:
    """Move the concern from rung `number - 1` to `number` and reach it, once; False when it is
    acknowledged, already there, or there is no such rung."""
    if not 1 < number <= ladder.last:
        return False
    moved = await session.execute(
        update(SafeguardingConcern)
        .where(
            SafeguardingConcern.id == concern.id,
            SafeguardingConcern.rung == number - 1,
            SafeguardingConcern.status == Status.RAISED,
        )
        .values(rung=number)
        .execution_options(synchronize_session=False)
    )
    if not moved.rowcount:  # type: ignore[attr-defined]
        return False
    await add_entry(session, concern.id, EntryKind.ESCALATED, now, rung=number, reason=reason)
    await record_audit(
        session,
        actor_id=None,
        action=AuditAction.ESCALATED,
        record_type="safeguarding_concern",
        record_id=str(concern.id),
        detail={"step": number, "reason": reason.value},
    )
    await reach(session, replace(concern, rung=number), ladder, number, now, reason)
    return True


async def _tell_reporter(
    session: AsyncSession,
    concern: Concern,
    ladder: Ladder,
    number: int,
    alerted: list[int],
    now: datetime,
    reason: Reason | None,
) -> None:
    rung = ladder.rung(number)
    notice = notices.escalated(concern, number, alerted, rung.advice, reason.value if reason else None)
    reason_code = rung.advice.value if rung.advice else "escalated"
    await notify(session, concern, notice, concern.reporter_id, now, rung=number, reason=reason_code)


async def _alert_still_wanted(session: AsyncSession, payload: Mapping[str, JsonValue]) -> bool:
    """An alert that found no chat is sent when the person opens one, while the concern is open."""
    concern_id = payload.get("concern_id")
    concern = await get_concern(session, concern_id) if isinstance(concern_id, int) else None
    return concern is not None and concern.status is Status.RAISED


async def _status_still_wanted(session: AsyncSession, payload: Mapping[str, JsonValue]) -> bool:
    """A status that found the reporter with no chat is sent when they open one: the
    acknowledgement always, an escalation only while the concern is still not acknowledged."""
    concern_id = payload.get("concern_id")
    concern = await get_concern(session, concern_id) if isinstance(concern_id, int) else None
    if concern is None:
        return False
    return payload.get("status") == "acknowledged" or concern.status is Status.RAISED


hold_for_a_chat(notices.ALERT, _alert_still_wanted)
hold_for_a_chat(notices.STATUS, _status_still_wanted)
