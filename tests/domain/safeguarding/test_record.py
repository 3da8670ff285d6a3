"""The record is kept as written: the database refuses to change or remove a chronology entry
(UPDATE, DELETE, INSERT OR REPLACE, TRUNCATE), to delete a concern or rewrite what it recorded,
or to take back an acknowledgement; erasing the pupil blanks only the text."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core.clock import ManualClock
from db.engine import Database
from domain.erasure import ErasureReason, erase_pupil
from domain.safeguarding import service
from tests.domain.safeguarding.conftest import LADDERS, World


async def raise_one(world: World) -> int:
    reporter = await world.requester("reporter")
    return (await service.raise_concern(world.database, reporter, world.report(), world.clock, LADDERS)).id


async def refused(database: Database, statement: str, match: str) -> None:
    with pytest.raises(DBAPIError, match=match):
        async with database.session() as session:
            await session.execute(text(statement))


CHRONOLOGY_CHANGES = [
    "UPDATE safeguarding_chronology SET reason = 'forged'",
    "DELETE FROM safeguarding_chronology",
]


@pytest.mark.parametrize("statement", CHRONOLOGY_CHANGES)
async def test_the_chronology_refuses_update_and_delete(world: World, statement: str) -> None:
    await raise_one(world)
    await refused(world.database, statement, "append-only")


async def test_the_chronology_refuses_replace_and_truncate(world: World) -> None:
    concern_id = await raise_one(world)
    if world.database.is_sqlite:
        statement = (
            "INSERT OR REPLACE INTO safeguarding_chronology (id, concern_id, at, kind) "
            f"VALUES (1, {concern_id}, '2026-01-05 08:00:00', 'viewed')"
        )
    else:
        statement = "TRUNCATE safeguarding_chronology CASCADE"
    await refused(world.database, statement, "append-only")
    async with world.database.session() as session:
        kind = await session.scalar(text("SELECT kind FROM safeguarding_chronology WHERE id = 1"))
    assert kind == "raised"


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM safeguarding_concerns",
        "UPDATE safeguarding_concerns SET account = 'something else'",
        "UPDATE safeguarding_concerns SET reporter_id = 99",
        "UPDATE safeguarding_concerns SET immediate_danger = NOT immediate_danger",
        "UPDATE safeguarding_concerns SET rung = 0",
    ],
)
async def test_a_concern_is_recorded_once(world: World, statement: str) -> None:
    await raise_one(world)
    await refused(world.database, statement, "recorded once")


async def test_an_acknowledgement_cannot_be_taken_back(world: World, clock: ManualClock) -> None:
    concern_id = await raise_one(world)
    await service.acknowledge(world.database, await world.requester("dsl"), concern_id, clock, LADDERS)
    statement = f"UPDATE safeguarding_concerns SET acknowledged_by = {world.people['head']} WHERE id = {concern_id}"
    await refused(world.database, statement, "recorded once")
    if world.database.is_sqlite:
        replace = (
            f"INSERT OR REPLACE INTO safeguarding_concerns SELECT * FROM safeguarding_concerns WHERE id = {concern_id}"
        )
        await refused(world.database, replace, "recorded once")


async def test_erasing_the_pupil_blanks_the_text_and_keeps_the_chronology(world: World, clock: ManualClock) -> None:
    concern_id = await raise_one(world)
    await service.add_note(world.database, await world.requester("dsl"), concern_id, "Spoke to Sam's mum.", clock)
    await erase_pupil(world.database, world.pupil, world.people["director"], ErasureReason.ERASURE_REQUEST, clock=clock)
    seen = await service.view(world.database, await world.requester("dsl"), concern_id, clock)
    assert (seen.concern.account, seen.concern.actions_taken, seen.concern.location) == (None, None, None)
    assert [n.text for n in seen.notes] == [None]
    assert [e.kind.value for e in seen.chronology][:2] == ["raised", "notified"]
    await refused(world.database, "UPDATE safeguarding_concerns SET account = 'back again'", "recorded once")
