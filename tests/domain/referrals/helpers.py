"""Steps the referral tests share: a ready draft, a forum discussion on record, what was queued
and audited."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from db.models.audit import AuditLogRow
from db.models.proactive import Notification
from domain.referrals import casework, service
from domain.referrals.model import ReferralKind
from tests.domain.referrals.conftest import World, complete_values

RP = ReferralKind.PARTNERSHIP_REFERRAL


async def ready_draft(world: World, pupil: str = "Jack Smith", who: str = "senco", **changes: Any) -> int:
    draft = await service.start_draft(world.db, world.as_(who), RP, pupil_id=world.pupils[pupil], clock=world.clock)
    result = await service.set_fields(world.db, world.as_(who), draft.id, complete_values(**changes), clock=world.clock)
    assert result.problems == {}
    return draft.id


async def on_forum(world: World, pupil: str = "Jack Smith") -> None:
    await casework.record_forum_discussion(
        world.db, world.as_("psenco"), world.pupils[pupil], date(2025, 11, 20), clock=world.clock
    )


async def submitted(world: World, pupil: str = "Jack Smith", **changes: Any) -> int:
    await on_forum(world, pupil)
    referral_id = await ready_draft(world, pupil, **changes)
    await service.submit(world.db, world.as_("senco"), referral_id, clock=world.clock)
    return referral_id


async def queued(world: World) -> list[tuple[str, int | None, dict[str, Any]]]:
    """(kind, person, payload) of every notice in the outbox, oldest first."""
    async with world.db.session() as session:
        rows = await session.scalars(select(Notification).order_by(Notification.id))
        return [(row.kind, row.person_id, dict(row.payload)) for row in rows]


async def audited(world: World, action: str | None = None) -> list[AuditLogRow]:
    async with world.db.session() as session:
        query = select(AuditLogRow).order_by(AuditLogRow.id)
        if action:
            query = query.where(AuditLogRow.action == action)
        return list(await session.scalars(query))
