"""A pupil's welfare status: a child protection plan, a child in need plan, looked after.

These are safeguarding facts (domain.md §3.6), kept on the pupil row but never in
`PupilRecord`, so no card that shows a pupil can show them by accident. They are read to
decide whether an unexplained absence is alerted at once (`has_welfare_flag`, no person
shown anything) and shown or changed only through the policy (`VIEW_WELFARE_FLAGS`,
`SET_WELFARE_FLAGS`). A change is audited with the names of the fields, never their values.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock, SystemClock
from db.engine import Database
from db.models.directory import Pupil
from domain.access import Action, NotAllowed
from domain.audit import AuditAction, record_audit
from domain.directory.model import pupil_record
from domain.requester import Requester, authorise

FIELDS = ("child_protection_plan", "child_in_need_plan", "looked_after")


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


def _flags(row: Pupil) -> WelfareFlags:
    return WelfareFlags(row.child_protection_plan, row.child_in_need_plan, row.looked_after)


async def has_welfare_flag(session: AsyncSession, pupil_id: int) -> bool:
    """For the service's alert decision only; shows nothing to anyone."""
    row = await session.get(Pupil, pupil_id)
    return row is not None and _flags(row).any


async def welfare_flags(
    database: Database, requester: Requester, pupil_id: int, clock: Clock = SystemClock()
) -> WelfareFlags:
    """The pupil's welfare status, for those the policy allows; audited as viewed."""
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
            return _flags(row)
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


async def _pupil(session: AsyncSession, pupil_id: int) -> Pupil:
    row = await session.scalar(select(Pupil).where(Pupil.id == pupil_id, Pupil.erased_at.is_(None)))
    if row is None:
        raise UnknownPupil(f"there is no pupil {pupil_id}")
    return row
