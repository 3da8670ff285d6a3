"""The Partnership's side of a referral, each one transaction on `service.py`'s helpers: receive
it, ask the school for information (the referrer answers), list it for a Core Group date (a
day with a Core Group meeting on record, when there are any; a moved meeting takes its listings
along), withdraw it, record the Core Group's decision (a programme outcome takes a place or joins the
waiting list; the Coordinator gets a "contact parents" task), complete that task (which closes
the referral), and record a forum discussion (for the forum feature and demo data).

Every status change is time-stamped in the history, audited, and sent as a notice to the
referrer and the school's SENCO (and an answer to whoever asked).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock, SystemClock
from db.engine import Database
from db.models.referrals import Referral as ReferralRow
from db.models.referrals import ReferralQuestion, ReferralTask
from domain.access import Action, NotAllowed, RecordKind, Target
from domain.audit import AuditAction, record_audit
from domain.directory.queries import get_pupil
from domain.forum import store as forum_store
from domain.forum.model import MeetingKind
from domain.referrals import notices, store
from domain.referrals.fields import BY_NAME as FIELDS
from domain.referrals.fields import Context as FieldContext
from domain.referrals.model import (
    IllegalTransition,
    Outcome,
    PlaceState,
    Referral,
    ReferralKind,
    ReferralStatus,
    TaskKind,
    key_stage,
    move,
)
from domain.referrals.service import ReferralError, audit, holders, load, require, tell, unit
from domain.referrals.validators import text
from domain.requester import Requester, authorise
from domain.roles import Role

S = ReferralStatus
MAX_QUESTION = 1_000


@dataclass(frozen=True)
class Decision:
    referral: Referral
    outcome: Outcome
    place: PlaceState | None  # for a programme: a place, or the waiting list
    task_id: int


def _clean(raw: str, what: str, today: date) -> str:
    cleaned = text(raw, FIELDS["reason"], FieldContext(today), MAX_QUESTION)
    if not isinstance(cleaned, str):
        raise ReferralError(f"Please write the {what} (up to {MAX_QUESTION:,} characters).")
    return cleaned


async def _change(
    session: AsyncSession,
    requester: Requester,
    referral: Referral,
    to: ReferralStatus,
    now: datetime,
    *,
    core_group_on: date | None = None,
    question_id: int | None = None,
    also_tell: int | None = None,
) -> Referral:
    """Move, save, write the history, audit and tell the referrer and the school's SENCO."""
    before = referral.status
    try:
        moved = move(referral, to, at=now)
    except IllegalTransition as error:
        raise ReferralError(error.reason) from None
    if core_group_on is not None:
        moved = replace(moved, core_group_on=core_group_on)
    await store.save(session, moved, status_changed=True)
    change_id = await store.add_status_change(session, moved, before, requester.person_id)
    await audit(session, requester, AuditAction.CHANGED, moved, now, from_status=before.value)
    notice = notices.status_changed(moved, before, change_id, core_group_on=core_group_on, question_id=question_id)
    people = [moved.referrer_id, *await holders(session, Role.SENCO, moved.school_id), also_tell]
    await tell(session, notice, people, now, skip=requester.person_id)
    return moved


async def _progress(
    database: Database,
    requester: Requester,
    referral_id: int,
    to: ReferralStatus,
    clock: Clock,
    *,
    action: Action = Action.PROGRESS_REFERRAL,
    core_group_on: date | None = None,
) -> Referral:
    now = clock.now()
    async with unit(database) as session:
        referral = await load(session, referral_id)
        await require(session, requester, action, referral.target, str(referral.id), now)
        return await _change(session, requester, referral, to, now, core_group_on=core_group_on)
    raise AssertionError("unreachable")  # pragma: no cover


async def receive(database: Database, requester: Requester, referral_id: int, clock: Clock = SystemClock()) -> Referral:
    return await _progress(database, requester, referral_id, S.RECEIVED, clock)


async def core_group_days(session: AsyncSession, now: datetime) -> list[date]:
    """The UK days of the Core Group meetings on record still to come, soonest first."""
    return list(dict.fromkeys(m.day for m in await forum_store.upcoming(session, MeetingKind.CORE_GROUP, now)))


async def upcoming_core_group_days(database: Database, clock: Clock = SystemClock()) -> list[date]:
    """The days a referral may be listed for (no pupil data: the dates are public)."""
    async with database.session() as session:
        return await core_group_days(session, clock.now())


async def list_for_core_group(
    database: Database, requester: Requester, referral_id: int, on: date, clock: Clock = SystemClock()
) -> Referral:
    """List the referral for the Core Group on `on`: one of the Core Group meetings on record
    when there are any (with none on record yet, any day from today)."""
    now = clock.now()
    if on < now.date():
        raise ReferralError("The Core Group date can't be in the past.")
    async with unit(database) as session:
        referral = await load(session, referral_id)
        await require(session, requester, Action.PROGRESS_REFERRAL, referral.target, str(referral.id), now)
        days = await core_group_days(session, now)
        if days and on not in days:
            raise ReferralError(
                "There's no Core Group meeting on that date: please choose one of the Core Group dates."
            )
        return await _change(session, requester, referral, S.LISTED_FOR_CORE_GROUP, now, core_group_on=on)
    raise AssertionError("unreachable")  # pragma: no cover


async def follow_moved_core_group(
    session: AsyncSession, requester: Requester, from_day: date, to_day: date, now: datetime
) -> list[Referral]:
    """The referrals listed for the Core Group on `from_day` follow its meeting to `to_day`
    (each audited); the caller, the forum's `move_meeting`, tells their referrers."""
    ids = await session.scalars(
        select(ReferralRow.id)
        .where(ReferralRow.status == S.LISTED_FOR_CORE_GROUP.value, ReferralRow.core_group_on == from_day)
        .order_by(ReferralRow.submitted_at, ReferralRow.id)
    )
    moved: list[Referral] = []
    for referral_id in list(ids):
        relisted = replace(await load(session, referral_id), core_group_on=to_day)
        await store.save(session, relisted)
        await audit(session, requester, AuditAction.CHANGED, relisted, now, fields=["core_group_on"])
        moved.append(relisted)
    return moved


async def withdraw(
    database: Database, requester: Requester, referral_id: int, clock: Clock = SystemClock()
) -> Referral:
    return await _progress(database, requester, referral_id, S.WITHDRAWN, clock, action=Action.WITHDRAW_REFERRAL)


async def request_information(
    database: Database, requester: Requester, referral_id: int, question: str, clock: Clock = SystemClock()
) -> Referral:
    """ "Ask the school for ...": the question goes to the referrer, whose answer comes back here."""
    now = clock.now()
    asked = _clean(question, "question", now.date())
    async with unit(database) as session:
        referral = await load(session, referral_id)
        await require(session, requester, Action.PROGRESS_REFERRAL, referral.target, str(referral.id), now)
        row = ReferralQuestion(referral_id=referral.id, asked_by=requester.person_id, asked_at=now, question=asked)
        session.add(row)
        await session.flush()
        return await _change(session, requester, referral, S.INFORMATION_REQUESTED, now, question_id=row.id)
    raise AssertionError("unreachable")  # pragma: no cover


async def give_information(
    database: Database, requester: Requester, referral_id: int, answer: str, clock: Clock = SystemClock()
) -> Referral:
    """The school's answer to the open question; whoever asked is told."""
    now = clock.now()
    given = _clean(answer, "answer", now.date())
    async with unit(database) as session:
        referral = await load(session, referral_id)
        await require(session, requester, Action.ANSWER_REFERRAL_QUESTION, referral.target, str(referral.id), now)
        row = await session.scalar(
            select(ReferralQuestion)
            .where(ReferralQuestion.referral_id == referral.id, ReferralQuestion.answered_at.is_(None))
            .order_by(ReferralQuestion.asked_at.desc(), ReferralQuestion.id.desc())
            .limit(1)
        )
        if row is None or referral.status is not S.INFORMATION_REQUESTED:
            raise ReferralError("There is no question waiting for an answer on this referral.")
        row.answer, row.answered_by, row.answered_at = given, requester.person_id, now
        return await _change(
            session, requester, referral, S.INFORMATION_GIVEN, now, question_id=row.id, also_tell=row.asked_by
        )
    raise AssertionError("unreachable")  # pragma: no cover


async def decide(
    database: Database, requester: Requester, referral_id: int, outcome: Outcome, clock: Clock = SystemClock()
) -> Decision:
    """Record the Core Group's decision. A programme outcome takes a place at the pupil's key
    stage, or puts them on the waiting list when the places are full (and says so)."""
    now = clock.now()
    async with unit(database) as session:
        referral = await load(session, referral_id)
        await require(session, requester, Action.DECIDE_REFERRAL, referral.target, str(referral.id), now)
        if outcome.takes_a_place and (
            referral.kind is not ReferralKind.PARTNERSHIP_REFERRAL or not referral.year_group
        ):
            raise ReferralError("A programme place is for a named Referral to the Partnership with a year group.")
        decided = await _change(session, requester, referral, S.DECIDED, now)
        await store.add_decision(session, decided, outcome, requester.person_id)
        place = None
        if outcome.takes_a_place and decided.year_group:
            place = await store.take_place(session, decided, key_stage(decided.year_group), now)
        decided = replace(decided, outcome=outcome)
        await audit(
            session,
            requester,
            AuditAction.DECIDED,
            decided,
            now,
            outcome=outcome.value,
            decision=place.value if place else None,
        )
        task = ReferralTask(referral_id=decided.id, kind=TaskKind.CONTACT_PARENTS.value, created_at=now)
        session.add(task)
        await session.flush()
        people = [decided.referrer_id, *await holders(session, Role.SENCO, decided.school_id)]
        await tell(session, notices.decided(decided, outcome, place), people, now, skip=requester.person_id)
        await tell(
            session,
            notices.task_created(decided, task.id, TaskKind.CONTACT_PARENTS),
            await holders(session, Role.COORDINATOR),
            now,
        )
        return Decision(decided, outcome, place, task.id)
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass(frozen=True)
class PlaceEnded:
    referral: Referral
    was: PlaceState  # a place, or a place on the waiting list
    given_to: Referral | None  # the referral that took the freed place, if one was waiting


async def end_placement(
    database: Database, requester: Requester, referral_id: int, clock: Clock = SystemClock()
) -> PlaceEnded:
    """The pupil's programme placement has ended (or they come off the waiting list): the place
    counts no more, and a freed place goes to the first pupil waiting at that key stage, whose
    referrer and school SENCO are told. The Partnership SENCO or Director (`DECIDE_REFERRAL`)."""
    now = clock.now()
    async with unit(database) as session:
        referral = await load(session, referral_id)
        await require(session, requester, Action.DECIDE_REFERRAL, referral.target, str(referral.id), now)
        place = await store.active_place(session, referral.id, lock=True)
        if place is None:
            raise ReferralError(f"{referral.reference or 'This referral'} holds no programme place now.")
        was = PlaceState(place.state)
        given = await store.end_place(session, place, now)
        await audit(session, requester, AuditAction.CHANGED, referral, now, decision=f"{was.value}_ended")
        promoted = None
        if given is not None:
            promoted = await load(session, given.referral_id)
            await audit(session, requester, AuditAction.CHANGED, promoted, now, decision="place_given")
            people = [promoted.referrer_id, *await holders(session, Role.SENCO, promoted.school_id)]
            await tell(session, notices.place_given(promoted, given.id, given.key_stage), people, now)
        return PlaceEnded(referral, was, promoted)
    raise AssertionError("unreachable")  # pragma: no cover


async def complete_task(
    database: Database, requester: Requester, task_id: int, clock: Clock = SystemClock()
) -> Referral:
    """The Coordinator has followed the decision up; the referral is then closed."""
    now = clock.now()
    async with unit(database) as session:
        task = await session.get(ReferralTask, task_id, with_for_update=True)
        if task is None:
            raise ReferralError("I can't find that task.")
        referral = await load(session, task.referral_id)
        await require(session, requester, Action.FOLLOW_UP_REFERRAL, referral.target, str(referral.id), now)
        if task.done_at is not None:
            return referral
        task.done_at, task.done_by = now, requester.person_id
        await session.flush()
        left = await session.scalar(
            select(ReferralTask.id).where(ReferralTask.referral_id == referral.id, ReferralTask.done_at.is_(None))
        )
        if left is None and referral.status is S.DECIDED:
            referral = await _change(session, requester, referral, S.CLOSED, now)
        return referral
    raise AssertionError("unreachable")  # pragma: no cover


async def record_forum_discussion(
    database: Database, requester: Requester, pupil_id: int, on: date, clock: Clock = SystemClock()
) -> int:
    """A pupil was discussed at the Inclusion Forum on `on` (Partnership SENCO or Director)."""
    now = clock.now()
    async with unit(database) as session:
        pupil = await get_pupil(session, pupil_id)
        if pupil is None or pupil.erased:
            raise ReferralError("I can't find that pupil.")
        decision = await authorise(
            session,
            requester,
            Action.RUN_FORUM,
            Target(RecordKind.FORUM),
            record_type="pupil",
            record_id=str(pupil.id),
        )
        if not decision.allowed:
            raise NotAllowed(decision)
        discussion_id = await store.add_forum_discussion(
            session, pupil.id, pupil.school_id, on, requester.person_id, now
        )
        await record_audit(
            session,
            actor_id=requester.person_id,
            action=AuditAction.CREATED,
            record_type="forum_discussion",
            record_id=str(discussion_id),
            detail={"pupil_id": pupil.id, "school_id": pupil.school_id, **requester.audit_detail},
        )
        return discussion_id
    raise AssertionError("unreachable")  # pragma: no cover
