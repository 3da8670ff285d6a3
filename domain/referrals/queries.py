"""Reads of referrals for people, each scoped by the access policy and audited as a view:

- `my_referrals`: where a school's referrals stand (a head of year's own; all of the school's for
  its SENCO, headteacher and DSLs; every school's for the Partnership's leads);
- `queue`: open referrals by state, oldest first, and the Coordinator's open tasks (Partnership);
- `capacity`: programme places used and waiting, by key stage (no pupil data);
- `drafts_of`: the requester's own drafts;
- `question`: one question asked of the school and its answer (for the cards that show it);
- `match_pupils`: pupils on the requester's school's roll whose name is like what was typed
  (typo tolerant), never another school's.

Lists carry ids, references, statuses and dates; the dialog's cards load what they show.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from rapidfuzz import fuzz, process, utils
from sqlalchemy import Select, case, select

from core.clock import Clock, SystemClock
from db.engine import Database
from db.models.referrals import Referral as ReferralRow
from db.models.referrals import ReferralQuestion, ReferralTask
from domain.access import Action, NotAllowed, RecordKind, Target
from domain.audit import AuditAction, record_audit
from domain.directory.queries import pupils_for_school
from domain.referrals import store
from domain.referrals.model import OPEN_STATES, PLACES, QUEUE_ORDER, PlaceState, ReferralKind, ReferralStatus, TaskKind
from domain.referrals.service import ReferralError, unit
from domain.requester import Requester, authorise

MAX_LISTED = 50  # the audit entry names at most this many referrals; lists show no more
MATCH_CUTOFF = 75


@dataclass(frozen=True)
class ReferralLine:
    id: int
    reference: str | None
    kind: ReferralKind
    status: ReferralStatus
    school_id: int
    referrer_id: int
    pupil_id: int | None
    year_group: int | None
    anonymous: bool
    status_since: datetime
    core_group_on: date | None


@dataclass(frozen=True)
class TaskLine:
    id: int
    referral_id: int
    kind: TaskKind
    created_at: datetime
    reference: str | None = None  # the referral's, so a list can name it without loading it
    school_id: int | None = None


@dataclass(frozen=True)
class Queue:
    referrals: list[ReferralLine]
    tasks: list[TaskLine]


@dataclass(frozen=True)
class KeyStageCapacity:
    key_stage: int
    places: int
    used: int
    waiting: int

    @property
    def free(self) -> int:
        return max(0, self.places - self.used)


@dataclass(frozen=True)
class PupilMatch:
    pupil_id: int
    name: str
    year_group: int
    score: float


def _line(row: ReferralRow) -> ReferralLine:
    return ReferralLine(
        id=row.id,
        reference=row.reference,
        kind=ReferralKind(row.kind),
        status=ReferralStatus(row.status),
        school_id=row.school_id,
        referrer_id=row.referrer_id,
        pupil_id=row.pupil_id,
        year_group=row.year_group,
        anonymous=row.anonymous,
        status_since=row.status_since,
        core_group_on=row.core_group_on,
    )


def _school_target(requester: Requester) -> Target:
    school_id = requester.person.school_id if requester.person else None
    return Target(RecordKind.REFERRAL, school_id=school_id, owner_person_id=requester.person_id)


async def _audited_list(
    database: Database,
    requester: Requester,
    action: Action,
    query: Select[ReferralRow],
    view: str,
    now: datetime,
) -> list[ReferralLine]:
    """Run `query`, keep only what the policy lets the requester see, and audit the `view`."""
    async with unit(database) as session:
        decision = await authorise(
            session, requester, action, _school_target(requester), record_type="referral", record_id=view
        )
        if not decision.allowed:
            raise NotAllowed(decision)
        rows = (await session.scalars(query.limit(MAX_LISTED * 4))).all()
        lines = [_line(row) for row in rows if requester.decide(Action.VIEW_REFERRAL, store.record(row).target)]
        lines = lines[:MAX_LISTED]
        await record_audit(
            session,
            actor_id=requester.person_id,
            action=AuditAction.VIEWED,
            record_type="referral",
            record_id=view,
            detail={"referral_ids": [line.id for line in lines], "count": len(lines), **requester.audit_detail},
        )
        return lines
    raise AssertionError("unreachable")  # pragma: no cover


async def my_referrals(database: Database, requester: Requester, clock: Clock = SystemClock()) -> list[ReferralLine]:
    """Sent referrals the requester may see, newest change first (drafts are `drafts_of`)."""
    person = requester.person
    query = select(ReferralRow).where(ReferralRow.status != ReferralStatus.DRAFT.value)
    if person is not None and person.school_id is not None:
        query = query.where(ReferralRow.school_id == person.school_id)
    query = query.order_by(ReferralRow.status_since.desc(), ReferralRow.id.desc())
    return await _audited_list(database, requester, Action.VIEW_REFERRAL, query, "mine", clock.now())


async def drafts_of(database: Database, requester: Requester, clock: Clock = SystemClock()) -> list[ReferralLine]:
    """The requester's own drafts, most recently changed first."""
    query = (
        select(ReferralRow)
        .where(ReferralRow.status == ReferralStatus.DRAFT.value, ReferralRow.referrer_id == (requester.person_id or 0))
        .order_by(ReferralRow.updated_at.desc(), ReferralRow.id.desc())
    )
    async with unit(database) as session:
        decision = await authorise(
            session,
            requester,
            Action.CREATE_REFERRAL,
            _school_target(requester),
            record_type="referral",
            record_id="drafts",
        )
        if not decision.allowed:
            raise NotAllowed(decision)
        return [_line(row) for row in await session.scalars(query)]
    raise AssertionError("unreachable")  # pragma: no cover


async def queue(database: Database, requester: Requester, clock: Clock = SystemClock()) -> Queue:
    """Open referrals by state (in lifecycle order), oldest in their state first, and open
    follow-up tasks (Partnership leads)."""
    now = clock.now()
    query = (
        select(ReferralRow)
        .where(ReferralRow.status.in_([status.value for status in OPEN_STATES]))
        .order_by(
            case({status.value: n for n, status in enumerate(QUEUE_ORDER)}, value=ReferralRow.status),
            ReferralRow.status_since,
            ReferralRow.id,
        )
    )
    lines = await _audited_list(database, requester, Action.PROGRESS_REFERRAL, query, "queue", now)
    async with database.session() as session:
        rows = await session.execute(
            select(ReferralTask, ReferralRow.reference, ReferralRow.school_id)
            .join(ReferralRow, ReferralRow.id == ReferralTask.referral_id)
            .where(ReferralTask.done_at.is_(None))
            .order_by(ReferralTask.created_at, ReferralTask.id)
        )
        tasks = [
            TaskLine(task.id, task.referral_id, TaskKind(task.kind), task.created_at, reference, school_id)
            for task, reference, school_id in rows
        ]
    return Queue(lines, tasks)


async def place_of(database: Database, referral_id: int) -> PlaceState | None:
    """Whether the referral holds a programme place or waits for one, now (for its case card;
    the caller has already been allowed to see the referral)."""
    async with database.session() as session:
        place = await store.active_place(session, referral_id)
        return PlaceState(place.state) if place is not None else None


async def capacity(database: Database, requester: Requester, clock: Clock = SystemClock()) -> list[KeyStageCapacity]:
    """Places offered, used and waiting, by key stage. Anyone who may see referrals may see this."""
    async with unit(database) as session:
        decision = await authorise(
            session,
            requester,
            Action.VIEW_REFERRAL,
            _school_target(requester),
            record_type="referral",
            record_id="capacity",
        )
        if not decision.allowed:
            raise NotAllowed(decision)
        used = await store.places_used(session)
        return [
            KeyStageCapacity(
                stage,
                await store.places_for(session, stage),
                used.get((stage, PlaceState.PLACED), 0),
                used.get((stage, PlaceState.WAITING), 0),
            )
            for stage in sorted(PLACES)
        ]
    raise AssertionError("unreachable")  # pragma: no cover


async def match_pupils(
    database: Database, requester: Requester, typed: str, *, limit: int = 5, clock: Clock = SystemClock()
) -> list[PupilMatch]:
    """Pupils on the requester's own school's roll whose name is like `typed`, best first."""
    school_id = requester.person.school_id if requester.person else None
    async with unit(database) as session:
        decision = await authorise(
            session,
            requester,
            Action.VIEW_PUPIL_LIST,
            Target(RecordKind.SCHOOL, school_id=school_id),
            record_type="school",
            record_id=str(school_id or "none"),
        )
        if not decision.allowed:
            raise NotAllowed(decision)
        if school_id is None:  # Partnership staff refer no one: they have no roll
            return []
        pupils = await pupils_for_school(session, school_id)
    names: Sequence[str] = [f"{p.first_name} {p.last_name}" for p in pupils]
    found = process.extract(
        typed, names, scorer=fuzz.WRatio, processor=utils.default_process, limit=limit, score_cutoff=MATCH_CUTOFF
    )
    return [PupilMatch(pupils[i].id, names[i], pupils[i].year_group, score) for _, score, i in found]


@dataclass(frozen=True)
class QuestionView:
    """One "Ask the school for ..." question and its answer (None until answered, or erased)."""

    id: int
    referral_id: int
    question: str | None
    answer: str | None
    asked_at: datetime
    answered_at: datetime | None


async def question(
    database: Database, requester: Requester, question_id: int, clock: Clock = SystemClock()
) -> QuestionView:
    """A question asked on a referral, if the requester may see that referral (audited as a view)."""
    async with unit(database) as session:
        row = await session.get(ReferralQuestion, question_id)
        referral = await store.load(session, row.referral_id) if row is not None else None
        if row is None or referral is None:
            raise ReferralError("I can't find that question.")
        decision = await authorise(
            session,
            requester,
            Action.VIEW_REFERRAL,
            referral.target,
            record_type="referral",
            record_id=str(referral.id),
        )
        if not decision.allowed:
            raise NotAllowed(decision)
        await record_audit(
            session,
            actor_id=requester.person_id,
            action=AuditAction.VIEWED,
            record_type="referral",
            record_id=str(referral.id),
            detail={"question_id": row.id, **requester.audit_detail},
        )
        return QuestionView(row.id, referral.id, row.question, row.answer, row.asked_at, row.answered_at)
    raise AssertionError("unreachable")  # pragma: no cover
