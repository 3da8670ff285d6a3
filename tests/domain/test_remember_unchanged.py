"""`remember(..., skip_if_unchanged=True)`: an address this process just wrote is not rewritten,
and nothing that matters is lost by skipping it."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select

from core.clock import ManualClock
from db.engine import Database
from db.models.proactive import ConversationRef
from domain.conversations import (
    REFRESH_AFTER,
    mark_stale,
    personal_address_for,
    remember,
)
from tests.fixtures.conversations import personal
from tests.fixtures.directory_rows import add_person


async def rows(database: Database) -> list[ConversationRef]:
    async with database.session() as session:
        return list((await session.execute(select(ConversationRef).order_by(ConversationRef.id))).scalars())


async def test_the_same_address_within_the_interval_is_not_rewritten(database: Database) -> None:
    clock = ManualClock()
    person = await add_person(database)
    first = await remember(database, personal(), person, clock.now(), skip_if_unchanged=True)
    clock.advance(REFRESH_AFTER - timedelta(seconds=1))
    assert await remember(database, personal(), person, clock.now(), skip_if_unchanged=True) == first
    [row] = await rows(database)
    assert row.last_seen_at == row.first_seen_at  # skipped: nothing was written


async def test_without_the_flag_every_call_writes(database: Database) -> None:
    clock = ManualClock()
    await remember(database, personal(), None, clock.now(), skip_if_unchanged=True)
    clock.advance(timedelta(seconds=1))
    await remember(database, personal(), None, clock.now())
    [row] = await rows(database)
    assert row.last_seen_at == clock.now()


async def test_after_the_interval_the_address_is_refreshed(database: Database) -> None:
    clock = ManualClock()
    await remember(database, personal(), None, clock.now(), skip_if_unchanged=True)
    clock.advance(REFRESH_AFTER)
    await remember(database, personal(), None, clock.now(), skip_if_unchanged=True)
    [row] = await rows(database)
    assert row.last_seen_at == clock.now()


async def test_any_change_is_written_at_once(database: Database) -> None:
    clock = ManualClock()
    person = await add_person(database)
    await remember(database, personal("a:chat-1"), None, clock.now(), skip_if_unchanged=True)
    await remember(database, personal("a:chat-1"), person, clock.now(), skip_if_unchanged=True)
    [row] = await rows(database)
    assert row.person_id == person  # the person was linked
    await remember(database, personal("a:chat-2"), person, clock.now(), skip_if_unchanged=True)
    moved = replace(personal("a:chat-2"), bot_name="LNCIP assistant (renamed)")
    await remember(database, moved, person, clock.now(), skip_if_unchanged=True)
    [row] = await rows(database)
    assert (row.conversation_id, row.bot_name) == ("a:chat-2", "LNCIP assistant (renamed)")


async def test_a_stale_mark_from_this_process_is_cleared_by_the_next_activity(database: Database) -> None:
    clock = ManualClock()
    person = await add_person(database)
    address_id = await remember(database, personal(), person, clock.now(), skip_if_unchanged=True)
    assert await mark_stale(database, address_id, "http_403", clock.now())
    assert await personal_address_for(database, person) is None
    await remember(database, personal(), person, clock.now(), skip_if_unchanged=True)
    assert await personal_address_for(database, person) is not None


async def test_a_write_inside_a_callers_transaction_is_never_trusted(database: Database) -> None:
    clock = ManualClock()
    await remember(database, personal("a:chat-1"), None, clock.now(), skip_if_unchanged=True)
    async with database.session() as session:  # another path moves the row to a new chat
        await remember(session, personal("a:chat-2"), None, clock.now())
    await remember(database, personal("a:chat-1"), None, clock.now(), skip_if_unchanged=True)
    [row] = await rows(database)
    assert row.conversation_id == "a:chat-1"  # not skipped on the strength of the first write


async def test_each_database_remembers_its_own_writes(database: Database) -> None:
    clock = ManualClock()
    await remember(database, personal(), None, clock.now(), skip_if_unchanged=True)
    other = Database(database.url)  # e.g. a second instance on the same database
    try:
        async with other.session() as session:
            await session.execute(ConversationRef.__table__.delete())
        await remember(other, personal(), None, clock.now(), skip_if_unchanged=True)
        assert len(await rows(database)) == 1  # the other one had written nothing yet, so it wrote
    finally:
        await other.dispose()
