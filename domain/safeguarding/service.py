"""What can be done with a safeguarding concern, each one transaction that asks the access
policy, changes the record, writes the chronology and the audit entry, and queues notices:

    raise_concern ──> raised, rung 1 alerted ──(wait, no acknowledgement)──> rung 2 ... (jobs.py)
         │                    │
         │                    └── acknowledge ──> acknowledged: pending rungs cancelled,
         │                                        every card updated, the reporter told
         ├── add_note, view (audited, 'viewed' in the chronology); open_concern (view, or
         │   status for a reporter the policy does not let view it)
         └── status (for the reporter), open_concerns (for the Partnership)

Who may act on a concern: the access policy (`domain.access`), and anyone an alert about it
reached (the headteacher and the Director at the top of the ladder may then open and
acknowledge it). A concern about an adult in the school is kept from the school's staff the
ladder did not reach: the adult concerned may be one of them. Every refusal is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock, SystemClock
from db.engine import Database
from db.models.directory import PROGRAMMES, Pupil
from db.models.safeguarding import SafeguardingConcern, SafeguardingNote
from domain.access import Action, Decision, NotAllowed, RecordKind, Target
from domain.audit import AuditAction, record_audit
from domain.directory.queries import get_person
from domain.requester import Requester, authorise
from domain.safeguarding import notices, queries
from domain.safeguarding.ladder import add_entry, notify, reach
from domain.safeguarding.model import (
    LADDERS,
    Concern,
    ConcernReport,
    Entry,
    EntryKind,
    Ladders,
    Note,
    Status,
    Subject,
    check_transition,
    rung_key,
)
from domain.safeguarding.status import ConcernStatus, concern_status
from domain.scheduler import cancel_once

RECORD = "safeguarding_concern"
REACHED = "Allowed: the alert about this concern reached you."
ABOUT_AN_ADULT = "This concern is about an adult at the school, so it goes to the headteacher, not to school staff."
MAX_TEXT = 20_000


class ConcernError(ValueError):
    """The concern cannot be recorded as given; the message says what to fix."""


class NoSuchConcern(LookupError):
    pass


@dataclass(frozen=True)
class Acknowledgement:
    concern_id: int
    by: int
    by_name: str
    at: datetime
    already: bool  # someone had acknowledged it before this request


@dataclass(frozen=True)
class ConcernView:
    concern: Concern
    chronology: list[Entry]
    notes: list[Note]


async def raise_concern(
    database: Database,
    requester: Requester,
    report: ConcernReport,
    clock: Clock = SystemClock(),
    ladders: Ladders = LADDERS,
) -> Concern:
    """Record the concern, alert rung 1 and schedule rung 2, in one transaction. Raises
    `NotAllowed` or `ConcernError`. The dialog shows "call 999 now" first when the child is in
    immediate danger; recording goes on all the same."""
    problems = report.problems()
    if problems:
        raise ConcernError(" ".join(problems))
    if len(report.account) > MAX_TEXT or len(report.actions_taken) > MAX_TEXT:
        raise ConcernError("That is too long to record here: please shorten it.")
    now = clock.now()
    async with database.session() as session:
        school_id, placed = report.school_id, False
        if report.pupil_id is not None:
            pupil = await session.get(Pupil, report.pupil_id)
            if pupil is None or pupil.erased_at is not None:
                raise ConcernError("I can't find that pupil.")
            school_id, placed = pupil.school_id, pupil.provision in PROGRAMMES
        target = Target(RecordKind.SAFEGUARDING_CONCERN, school_id=school_id, placed_with_partnership=placed)
        decision = await authorise(
            session, requester, Action.RAISE_SAFEGUARDING_CONCERN, target, record_type=RECORD, record_id="new"
        )
        if decision.allowed:
            assert requester.person_id is not None and school_id is not None
            row = SafeguardingConcern(
                subject=report.subject,
                school_id=school_id,
                pupil_id=report.pupil_id,
                reporter_id=requester.person_id,
                raised_at=now,
                happened_at=report.happened_at,
                immediate_danger=report.immediate_danger,
                called_999=report.called_999,
                child_at_risk=report.child_at_risk,
                account=report.account.strip(),
                actions_taken=report.actions_taken.strip(),
                location=report.location.strip()[:200],
                status=Status.RAISED,
                rung=1,
            )
            session.add(row)
            await session.flush()
            concern = queries.concern_record(row)
            await add_entry(session, concern.id, EntryKind.RAISED, now, person_id=requester.person_id)
            await _audit(session, requester, AuditAction.CREATED, concern.id, now, subject=concern.subject.value)
            await reach(session, concern, ladders.for_subject(concern.subject), 1, now)
            return concern
    raise NotAllowed(decision)


async def acknowledge(
    database: Database, requester: Requester, concern_id: int, clock: Clock = SystemClock(), ladders: Ladders = LADDERS
) -> Acknowledgement:
    """The school takes the concern on: the ladder stops, every card it sent is updated, the
    reporter is told. A second acknowledgement changes nothing and says who did it and when."""
    now = clock.now()
    async with database.session() as session:
        concern = await _load(session, concern_id)
        decision = await _may(session, requester, Action.ACKNOWLEDGE_SAFEGUARDING_ALERT, concern, now)
        if decision.allowed:
            assert requester.person_id is not None
            check_transition(Status.RAISED, Status.ACKNOWLEDGED)
            taken = await session.execute(
                update(SafeguardingConcern)
                .where(SafeguardingConcern.id == concern_id, SafeguardingConcern.status == Status.RAISED)
                .values(status=Status.ACKNOWLEDGED, acknowledged_by=requester.person_id, acknowledged_at=now)
                .execution_options(synchronize_session=False)
            )
            if not taken.rowcount:  # type: ignore[attr-defined]
                done = await _load(session, concern_id)
                assert done.acknowledged_by is not None and done.acknowledged_at is not None
                return await _acknowledgement(session, done.id, done.acknowledged_by, done.acknowledged_at, True)
            await _stop_ladder(session, concern, ladders, now)
            await add_entry(session, concern_id, EntryKind.ACKNOWLEDGED, now, person_id=requester.person_id)
            await _audit(session, requester, AuditAction.ACKNOWLEDGED, concern_id, now, step=concern.rung)
            await _tell_everyone(session, concern, requester.person_id, now)
            return await _acknowledgement(session, concern_id, requester.person_id, now, False)
    raise NotAllowed(decision)


async def add_note(
    database: Database, requester: Requester, concern_id: int, text: str, clock: Clock = SystemClock()
) -> Note:
    """Add a note to the concern's record (a correction is a new note: nothing is edited)."""
    if not text.strip():
        raise ConcernError("Write the note first.")
    if len(text) > MAX_TEXT:
        raise ConcernError("That note is too long: please shorten it.")
    now = clock.now()
    async with database.session() as session:
        concern = await _load(session, concern_id)
        decision = await _may(session, requester, Action.ADD_SAFEGUARDING_NOTE, concern, now)
        if decision.allowed:
            assert requester.person_id is not None
            row = SafeguardingNote(concern_id=concern_id, author_id=requester.person_id, at=now, text=text.strip())
            session.add(row)
            await session.flush()
            await add_entry(session, concern_id, EntryKind.NOTE, now, person_id=requester.person_id, note_id=row.id)
            await _audit(session, requester, AuditAction.CHANGED, concern_id, now, note_id=row.id)
            return Note(row.id, concern_id, row.author_id, now, row.text)
    raise NotAllowed(decision)


async def view(database: Database, requester: Requester, concern_id: int, clock: Clock = SystemClock()) -> ConcernView:
    """The concern with its chronology and notes; the view is audited and written in the chronology."""
    now = clock.now()
    async with database.session() as session:
        concern = await _load(session, concern_id)
        decision = await _may(session, requester, Action.VIEW_SAFEGUARDING_CONCERN, concern, now)
        if decision.allowed:
            return await _viewed(session, requester, concern, now)
    raise NotAllowed(decision)


async def open_concern(
    database: Database, requester: Requester, concern_id: int, clock: Clock = SystemClock()
) -> ConcernView | ConcernStatus:
    """What opening a concern in Teams shows: the record, as `view` (audited, 'viewed' in the
    chronology), to whoever the policy lets view it; to its reporter otherwise, where it stands
    (as `status`). Raises `NotAllowed` with the policy's reason for anyone else."""
    now = clock.now()
    async with database.session() as session:
        concern = await _load(session, concern_id)
        decision = await _may(session, requester, Action.VIEW_SAFEGUARDING_CONCERN, concern, now)
        if decision.allowed:
            return await _viewed(session, requester, concern, now)
        if concern.reporter_id == requester.person_id:
            return await concern_status(session, concern)
    raise NotAllowed(decision)


async def open_concerns(database: Database, requester: Requester) -> list[Concern]:
    """Every concern not yet acknowledged, oldest first (the Partnership leads); audited."""
    async with database.session() as session:
        target = Target(RecordKind.SAFEGUARDING_CONCERN)
        decision = await authorise(
            session, requester, Action.LIST_OPEN_CONCERNS, target, record_type=RECORD, record_id="open"
        )
        if decision.allowed:
            found = await queries.open_concerns(session)
            await record_audit(
                session,
                actor_id=requester.person_id,
                action=AuditAction.VIEWED,
                record_type=RECORD,
                record_id="open",
                detail={"count": len(found), **requester.audit_detail},
            )
            return found
    raise NotAllowed(decision)


async def status(
    database: Database, requester: Requester, concern_id: int, clock: Clock = SystemClock()
) -> ConcernStatus:
    """Where the concern stands, for its reporter (or anyone who may view it): sent, delivered,
    acknowledged by whom and when, escalated to whom. No detail of the concern itself."""
    now = clock.now()
    async with database.session() as session:
        concern = await _load(session, concern_id)
        if concern.reporter_id == requester.person_id:
            return await concern_status(session, concern)
        decision = await _may(session, requester, Action.VIEW_SAFEGUARDING_CONCERN, concern, now)
        if decision.allowed:
            await _audit(session, requester, AuditAction.VIEWED, concern_id, now, kind="status")
            return await concern_status(session, concern)
    raise NotAllowed(decision)


# ---- in the caller's transaction --------------------------------------------------------


async def _load(session: AsyncSession, concern_id: int) -> Concern:
    concern = await queries.get_concern(session, concern_id)
    if concern is None:
        raise NoSuchConcern(f"there is no concern {concern_id}")
    return concern


async def _may(
    session: AsyncSession, requester: Requester, action: Action, concern: Concern, now: datetime
) -> Decision:
    """May `requester` do `action` on this concern? Refusals are audited."""
    if requester.person_id is not None and requester.person_id in await queries.reached(session, concern):
        return Decision(True, REACHED)
    person = requester.person
    if concern.subject is not Subject.PUPIL and person is not None and person.school_id is not None:
        await _audit(session, requester, AuditAction.REFUSED, concern.id, now, kind=action.value)
        return Decision(False, ABOUT_AN_ADULT)
    pupil = await session.get(Pupil, concern.pupil_id) if concern.pupil_id is not None else None
    target = Target(
        RecordKind.SAFEGUARDING_CONCERN,
        school_id=concern.school_id,
        owner_person_id=concern.reporter_id,
        placed_with_partnership=pupil is not None and pupil.provision in PROGRAMMES,
    )
    return await authorise(session, requester, action, target, record_type=RECORD, record_id=str(concern.id))


async def _viewed(session: AsyncSession, requester: Requester, concern: Concern, now: datetime) -> ConcernView:
    await add_entry(session, concern.id, EntryKind.VIEWED, now, person_id=requester.person_id)
    await _audit(session, requester, AuditAction.VIEWED, concern.id, now)
    return ConcernView(concern, await queries.chronology(session, concern.id), await queries.notes(session, concern.id))


async def _stop_ladder(session: AsyncSession, concern: Concern, ladders: Ladders, now: datetime) -> None:
    ladder = ladders.for_subject(concern.subject)
    for number in range(concern.rung + 1, ladder.last + 1):
        await cancel_once(session, rung_key(concern.id, number), now=now)


async def _tell_everyone(session: AsyncSession, concern: Concern, by: int, now: datetime) -> None:
    """Update every card an alert put up (each update in the chronology), and tell the reporter."""
    for entry in queries.alerts(concern, await queries.chronology(session, concern.id)):
        assert entry.person_id is not None and entry.rung is not None
        notice = notices.acknowledged(concern, entry.person_id, entry.rung, by, now)
        await notify(session, concern, notice, entry.person_id, now, rung=entry.rung, reason=queries.UPDATED)
    notice = notices.acknowledged_to_reporter(concern, by, now)
    await notify(session, concern, notice, concern.reporter_id, now, reason="acknowledged")


async def _acknowledgement(
    session: AsyncSession, concern_id: int, by: int, at: datetime, already: bool
) -> Acknowledgement:
    person = await get_person(session, by)
    return Acknowledgement(concern_id, by, person.display_name if person else f"person {by}", at, already)


async def _audit(
    session: AsyncSession,
    requester: Requester,
    action: AuditAction,
    concern_id: int,
    now: datetime,
    *,
    kind: str | None = None,
    step: int | None = None,
    note_id: int | None = None,
    subject: str | None = None,
) -> None:
    await record_audit(
        session,
        actor_id=requester.person_id,
        action=action,
        record_type=RECORD,
        record_id=str(concern_id),
        detail={"kind": kind or subject, "step": step, "note_id": note_id, **requester.audit_detail},
    )
