"""Referral rows in the caller's unit of work: load and save a `Referral`, write its status
history, give the next reference (R-<year>-<nnnn>) without races, take a programme place or a
waiting-list place under a lock, record forum discussions, and forget a pupil on erasure.
No access checks here: `domain.referrals.service` asks the policy before calling these.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models.referrals import (
    ForumDiscussion,
    ProgrammeCapacity,
    ProgrammePlace,
    ReferralDecision,
    ReferralException,
    ReferralNumber,
    ReferralQuestion,
    ReferralStatusChange,
)
from db.models.referrals import Referral as ReferralRow
from domain.referrals.fields import SPECIAL
from domain.referrals.model import PLACES, Outcome, PlaceState, Referral, ReferralKind, ReferralStatus


def record(row: ReferralRow, outcome: str | None = None, exception: bool = False) -> Referral:
    return Referral(
        id=row.id,
        kind=ReferralKind(row.kind),
        status=ReferralStatus(row.status),
        school_id=row.school_id,
        referrer_id=row.referrer_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
        anonymous=row.anonymous,
        pupil_id=row.pupil_id,
        year_group=row.year_group,
        reference=row.reference,
        submitted_at=row.submitted_at,
        core_group_on=row.core_group_on,
        outcome=Outcome(outcome) if outcome else None,
        forum_exception=exception,
        details=dict(row.details or {}),
        special_details=dict(row.special_details or {}),
    )


def split(values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The form's values as (ordinary, special category), leaving out cleared fields."""
    kept = {name: value for name, value in values.items() if value is not None}
    return (
        {n: v for n, v in kept.items() if n not in SPECIAL},
        {n: v for n, v in kept.items() if n in SPECIAL},
    )


async def load(session: AsyncSession, referral_id: int, *, for_update: bool = False) -> Referral | None:
    query = select(ReferralRow).where(ReferralRow.id == referral_id)
    row = await session.scalar(query.with_for_update() if for_update else query)
    if row is None:
        return None
    outcome = await session.scalar(select(ReferralDecision.outcome).where(ReferralDecision.referral_id == row.id))
    exception = await session.scalar(select(ReferralException.id).where(ReferralException.referral_id == row.id))
    return record(row, outcome, exception is not None)


async def add(session: AsyncSession, referral: Referral) -> Referral:
    details, special = split(referral.values)
    row = ReferralRow(
        kind=referral.kind.value,
        status=referral.status.value,
        school_id=referral.school_id,
        referrer_id=referral.referrer_id,
        pupil_id=referral.pupil_id,
        anonymous=referral.anonymous,
        year_group=referral.year_group,
        details=details,
        special_details=special,
        created_at=referral.created_at,
        updated_at=referral.updated_at,
        status_since=referral.updated_at,
    )
    session.add(row)
    await session.flush()
    return replace(referral, id=row.id)


async def save(session: AsyncSession, referral: Referral, *, status_changed: bool = False) -> None:
    """Write the referral's fields back to its row (the caller loaded it in this session)."""
    row = await session.get(ReferralRow, referral.id)
    assert row is not None
    details, special = split(referral.values)
    row.status = referral.status.value
    row.pupil_id = referral.pupil_id
    row.year_group = referral.year_group
    row.reference = referral.reference
    row.submitted_at = referral.submitted_at
    row.core_group_on = referral.core_group_on
    row.details = details
    row.special_details = special
    row.updated_at = referral.updated_at
    if status_changed:
        row.status_since = referral.updated_at
    await session.flush()


async def add_status_change(
    session: AsyncSession, referral: Referral, from_status: ReferralStatus, actor_id: int | None
) -> int:
    change = ReferralStatusChange(
        referral_id=referral.id,
        at=referral.updated_at,
        actor_id=actor_id,
        from_status=from_status.value,
        to_status=referral.status.value,
        core_group_on=referral.core_group_on if referral.status is ReferralStatus.LISTED_FOR_CORE_GROUP else None,
    )
    session.add(change)
    await session.flush()
    return change.id


def _insert(session: AsyncSession, table: Any) -> Any:
    dialect = session.get_bind().dialect.name
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(table)


async def next_reference(session: AsyncSession, at: datetime) -> str:
    """R-<year>-<nnnn>, numbered per calendar year. The UPDATE locks the year's row until the
    caller commits (PostgreSQL), and SQLite has one writer at a time: no number is given twice."""
    await session.execute(_insert(session, ReferralNumber).values(year=at.year, last_number=0).on_conflict_do_nothing())
    await session.execute(
        update(ReferralNumber)
        .where(ReferralNumber.year == at.year)
        .values(last_number=ReferralNumber.last_number + 1)
        .execution_options(synchronize_session=False)
    )
    number = await session.scalar(select(ReferralNumber.last_number).where(ReferralNumber.year == at.year))
    return f"R-{at.year}-{number:04d}"


async def places_for(session: AsyncSession, key_stage: int, *, lock: bool = False) -> int:
    """The places offered at a key stage; with `lock`, held until the caller commits."""
    await session.execute(
        _insert(session, ProgrammeCapacity)
        .values(key_stage=key_stage, places=PLACES[key_stage])
        .on_conflict_do_nothing()
    )
    query = select(ProgrammeCapacity.places).where(ProgrammeCapacity.key_stage == key_stage)
    places = await session.scalar(query.with_for_update() if lock else query)
    return int(places or 0)


async def places_used(session: AsyncSession) -> dict[tuple[int, PlaceState], int]:
    rows = await session.execute(
        select(ProgrammePlace.key_stage, ProgrammePlace.state, func.count())
        .where(ProgrammePlace.ended_at.is_(None))
        .group_by(ProgrammePlace.key_stage, ProgrammePlace.state)
    )
    return {(stage, PlaceState(state)): count for stage, state, count in rows}


async def take_place(session: AsyncSession, referral: Referral, key_stage: int, at: datetime) -> PlaceState:
    """A place at the key stage if one is free, else the waiting list (under the capacity lock)."""
    places = await places_for(session, key_stage, lock=True)
    used = (await places_used(session)).get((key_stage, PlaceState.PLACED), 0)
    state = PlaceState.PLACED if used < places else PlaceState.WAITING
    session.add(ProgrammePlace(referral_id=referral.id, key_stage=key_stage, state=state.value, since=at))
    await session.flush()
    return state


async def active_place(session: AsyncSession, referral_id: int, *, lock: bool = False) -> ProgrammePlace | None:
    """The referral's programme place or waiting-list entry, while it lasts."""
    query = select(ProgrammePlace).where(ProgrammePlace.referral_id == referral_id, ProgrammePlace.ended_at.is_(None))
    return await session.scalar(query.with_for_update() if lock else query)


async def end_place(session: AsyncSession, place: ProgrammePlace, at: datetime) -> ProgrammePlace | None:
    """End a placement (or take a pupil off the waiting list). A place freed goes to the first
    pupil waiting at that key stage, under the capacity lock; returns their entry, if any."""
    place.ended_at = at
    await session.flush()
    if place.state != PlaceState.PLACED.value:
        return None
    places = await places_for(session, place.key_stage, lock=True)
    if (await places_used(session)).get((place.key_stage, PlaceState.PLACED), 0) >= places:
        return None
    first = await session.scalar(
        select(ProgrammePlace)
        .where(
            ProgrammePlace.key_stage == place.key_stage,
            ProgrammePlace.state == PlaceState.WAITING.value,
            ProgrammePlace.ended_at.is_(None),
        )
        .order_by(ProgrammePlace.since, ProgrammePlace.id)
        .limit(1)
    )
    if first is not None:
        first.state, first.since = PlaceState.PLACED.value, at
        await session.flush()
    return first


async def add_decision(session: AsyncSession, referral: Referral, outcome: Outcome, actor_id: int | None) -> None:
    session.add(
        ReferralDecision(
            referral_id=referral.id, outcome=outcome.value, decided_by=actor_id, decided_at=referral.updated_at
        )
    )
    await session.flush()


async def forum_discussed(session: AsyncSession, pupil_id: int) -> bool:
    found = await session.scalar(select(ForumDiscussion.id).where(ForumDiscussion.pupil_id == pupil_id).limit(1))
    return found is not None


async def add_forum_discussion(
    session: AsyncSession, pupil_id: int, school_id: int, on: date, actor_id: int | None, at: datetime
) -> int:
    row = ForumDiscussion(pupil_id=pupil_id, school_id=school_id, discussed_on=on, recorded_by=actor_id, recorded_at=at)
    session.add(row)
    await session.flush()
    return row.id


async def forget_pupil(session: AsyncSession, pupil_id: int, upn: str | None) -> int:
    """Erasure's reach into referrals (run by `domain.erasure.erase_pupil`, same transaction):
    the form's values, question and answer texts and exception reasons of the pupil's referrals
    are emptied (status, dates and outcome stay, identifying nobody), and drafts naming the pupil
    by UPN before they were on the roll are deleted. Returns how many referrals it touched."""
    ids = list(await session.scalars(select(ReferralRow.id).where(ReferralRow.pupil_id == pupil_id)))
    if ids:
        await session.execute(update(ReferralRow).where(ReferralRow.id.in_(ids)).values(details={}, special_details={}))
        await session.execute(
            update(ReferralQuestion).where(ReferralQuestion.referral_id.in_(ids)).values(question=None, answer=None)
        )
        await session.execute(
            update(ReferralException).where(ReferralException.referral_id.in_(ids)).values(reason=None)
        )
    drafts: list[int] = []
    if upn:
        rows = await session.execute(
            select(ReferralRow.id, ReferralRow.details).where(
                ReferralRow.status == ReferralStatus.DRAFT.value, ReferralRow.pupil_id.is_(None)
            )
        )
        drafts = [row.id for row in rows if (row.details or {}).get("upn") == upn]
        if drafts:
            await session.execute(delete(ReferralRow).where(ReferralRow.id.in_(drafts)))
    return len(ids) + len(drafts)
