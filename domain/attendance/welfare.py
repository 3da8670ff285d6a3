"""A pupil's welfare status: a child protection plan, a child in need plan, looked after.

These are safeguarding facts (domain.md §3.6), kept on the pupil row but never in
`PupilRecord`, so no card that shows a pupil can show them by accident. They are read to
decide whether an unexplained absence is alerted at once (`has_welfare_flag`, no person
shown anything) and shown or changed only through the policy (`VIEW_WELFARE_FLAGS`,
`SET_WELFARE_FLAGS`). A change is audited with the names of the fields, never their values.

- `find_pupils`: the pupils whose status the requester may see, by typed name (typo
  tolerant; a school's staff only ever search their own school's roll);
- `welfare_view`: one pupil's status and whether the requester may change it (audited as viewed);
- `set_welfare_flags`: the change itself (audited with the fields changed);
- `flag_for_demo`: the demo loader's one flagged pupil (the system, no person asking).
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz, process, utils
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock, SystemClock
from db.engine import Database
from db.models.audit import AuditLogRow
from db.models.directory import Pupil, School
from domain.access import Action, NotAllowed, RecordKind, Target
from domain.audit import AuditAction, record_audit
from domain.directory.model import pupil_record
from domain.requester import Requester, authorise
from domain.roles import PARTNERSHIP_ROLES

FIELDS = ("child_protection_plan", "child_in_need_plan", "looked_after")
MATCH_CUTOFF = 70  # as the referral and concern searches: "Cam Tayler" finds Cam Taylor
CLEAR_LEAD = 10  # points ahead of the next match that make the best one the pupil meant


@dataclass(frozen=True)
class WelfareFlags:
    child_protection_plan: bool = False
    child_in_need_plan: bool = False
    looked_after: bool = False

    @property
    def any(self) -> bool:
        return self.child_protection_plan or self.child_in_need_plan or self.looked_after


class UnknownPupil(LookupError):
    """No such pupil (or erased)."""


@dataclass(frozen=True)
class WelfarePupil:
    """A pupil as the welfare card names them (no other detail)."""

    id: int
    name: str
    year_group: int
    school: str
    placed: bool  # placed with the Partnership: on its registers, so an absence can be alerted


@dataclass(frozen=True)
class WelfareView:
    pupil: WelfarePupil
    flags: WelfareFlags
    may_set: bool


def _flags(row: Pupil) -> WelfareFlags:
    return WelfareFlags(row.child_protection_plan, row.child_in_need_plan, row.looked_after)


async def has_welfare_flag(session: AsyncSession, pupil_id: int) -> bool:
    """For the service's alert decision only; shows nothing to anyone."""
    row = await session.get(Pupil, pupil_id)
    return row is not None and _flags(row).any


async def find_pupils(database: Database, requester: Requester, typed: str, *, limit: int = 5) -> list[WelfarePupil]:
    """Pupils whose welfare status the requester may see and whose name is like `typed`, best
    first; when some are called exactly that, only those. Refused (and audited) for someone
    who may see no pupil's status."""
    actor = requester.actor
    school_id = actor.school_id if actor is not None else None
    async with database.session() as session:
        decision = await authorise(
            session,
            requester,
            Action.VIEW_WELFARE_FLAGS,
            Target(RecordKind.PUPIL, school_id=school_id, placed_with_partnership=True),
            record_type="pupil",
            record_id="search",
        )
        if not decision.allowed:
            raise NotAllowed(decision)
        query = select(Pupil).where(Pupil.erased_at.is_(None)).order_by(Pupil.last_name, Pupil.first_name, Pupil.id)
        if school_id is not None and actor is not None and not actor.roles & PARTNERSHIP_ROLES:
            query = query.where(Pupil.school_id == school_id)  # a school's staff: their own roll only
        rows = [
            row
            for row in await session.scalars(query)
            if requester.decide(Action.VIEW_WELFARE_FLAGS, pupil_record(row).target).allowed
        ]
        schools = {school_id: name for school_id, name in await session.execute(select(School.id, School.name))}
    names = [f"{row.first_name} {row.last_name}" for row in rows]
    wanted = utils.default_process(typed)
    exact = [i for i, name in enumerate(names) if utils.default_process(name) == wanted]
    if exact:
        return [_pupil_of(rows[i], schools.get(rows[i].school_id, "")) for i in exact[:limit]]
    scored = process.extract(
        typed, names, scorer=fuzz.WRatio, processor=utils.default_process, limit=limit, score_cutoff=MATCH_CUTOFF
    )
    # A clear leader is the one meant ("ali tayler": Ali Taylor, not every Taylor).
    found = [i for _, score, i in scored if score > scored[0][1] - CLEAR_LEAD]
    return [_pupil_of(rows[i], schools.get(rows[i].school_id, "")) for i in found]


def _pupil_of(row: Pupil, school: str) -> WelfarePupil:
    record = pupil_record(row)
    return WelfarePupil(
        row.id, f"{row.first_name} {row.last_name}", row.year_group, school, record.placed_with_partnership
    )


async def welfare_flags(
    database: Database, requester: Requester, pupil_id: int, clock: Clock = SystemClock()
) -> WelfareFlags:
    """The pupil's welfare status, for those the policy allows; audited as viewed."""
    return (await welfare_view(database, requester, pupil_id, clock)).flags


async def welfare_view(
    database: Database, requester: Requester, pupil_id: int, clock: Clock = SystemClock()
) -> WelfareView:
    """The pupil's welfare status and whether the requester may change it, for those the
    policy lets see it; audited as viewed (a refusal as refused)."""
    async with database.session() as session:
        row = await _pupil(session, pupil_id)
        decision = await authorise(
            session,
            requester,
            Action.VIEW_WELFARE_FLAGS,
            pupil_record(row).target,
            record_type="pupil",
            record_id=str(pupil_id),
        )
        if decision.allowed:
            await record_audit(
                session,
                actor_id=requester.person_id,
                action=AuditAction.VIEWED,
                record_type="pupil",
                record_id=str(pupil_id),
                detail={"kind": "welfare_flags", **requester.audit_detail},
            )
            record = pupil_record(row)
            school = await session.scalar(select(School.name).where(School.id == row.school_id))
            return WelfareView(
                _pupil_of(row, school or ""),
                _flags(row),
                requester.decide(Action.SET_WELFARE_FLAGS, record.target).allowed,
            )
    raise NotAllowed(decision)


async def set_welfare_flags(
    database: Database, requester: Requester, pupil_id: int, flags: WelfareFlags, clock: Clock = SystemClock()
) -> WelfareFlags:
    """Set the pupil's welfare status (the school's DSL); audited with the fields changed."""
    async with database.session() as session:
        row = await _pupil(session, pupil_id)
        decision = await authorise(
            session,
            requester,
            Action.SET_WELFARE_FLAGS,
            pupil_record(row).target,
            record_type="pupil",
            record_id=str(pupil_id),
        )
        if decision.allowed:
            changed = [name for name in FIELDS if getattr(row, name) != getattr(flags, name)]
            if changed:
                for name in changed:
                    setattr(row, name, getattr(flags, name))
                await record_audit(
                    session,
                    actor_id=requester.person_id,
                    action=AuditAction.CHANGED,
                    record_type="pupil",
                    record_id=str(pupil_id),
                    detail={"fields": changed, **requester.audit_detail},
                )
            return flags
    raise NotAllowed(decision)


async def flag_for_demo(database: Database, pupil_id: int, flags: WelfareFlags) -> bool:
    """Set `flags` for the demo (the system itself, audited as such) on a pupil whose welfare
    status was never changed; False, and nothing done, once it has been, by the demo or by
    hand, so loading the demo again neither repeats it nor undoes a DSL's change."""
    async with database.session() as session:
        row = await _pupil(session, pupil_id)
        changes = await session.scalars(
            select(AuditLogRow.detail).where(
                AuditLogRow.record_type == "pupil",
                AuditLogRow.record_id == str(pupil_id),
                AuditLogRow.action == AuditAction.CHANGED,
            )
        )
        if any(set(detail.get("fields") or ()) & set(FIELDS) for detail in changes):
            return False
        changed = [name for name in FIELDS if getattr(row, name) != getattr(flags, name)]
        for name in changed:
            setattr(row, name, getattr(flags, name))
        if changed:
            await record_audit(
                session,
                actor_id=None,
                action=AuditAction.CHANGED,
                record_type="pupil",
                record_id=str(pupil_id),
                detail={"fields": changed, **Requester.system().audit_detail},
            )
        return bool(changed)


async def _pupil(session: AsyncSession, pupil_id: int) -> Pupil:
    row = await session.scalar(select(Pupil).where(Pupil.id == pupil_id, Pupil.erased_at.is_(None)))
    if row is None:
        raise UnknownPupil(f"there is no pupil {pupil_id}")
    return row
