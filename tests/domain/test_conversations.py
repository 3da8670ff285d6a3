"""Conversation addresses: kept current from every activity, one row per chat, stale after failures."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.clock import ManualClock
from db.engine import Database
from db.models.proactive import ConversationRef
from domain.conversations import address_by_id, mark_stale, personal_address_for, remember
from tests.fixtures.conversations import channel, personal
from tests.fixtures.directory_rows import add_person


async def count_refs(database: Database) -> int:
    async with database.session() as session:
        return int((await session.execute(select(func.count()).select_from(ConversationRef))).scalar_one())


async def test_a_personal_chat_is_found_for_its_person(database: Database) -> None:
    clock = ManualClock()
    person = await add_person(database)
    address_id = await remember(database, personal(), person, clock.now())
    found = await personal_address_for(database, person)
    assert found == replace(personal(), address_id=address_id)


async def test_a_new_chat_with_the_same_user_replaces_the_old_one(database: Database) -> None:
    clock = ManualClock()
    person = await add_person(database)
    first = await remember(database, personal("a:chat-1"), person, clock.now())
    clock.advance(timedelta(minutes=5))
    # A later activity that could not be matched to a person keeps the link already made.
    second = await remember(database, personal("a:chat-2"), None, clock.now())
    assert first == second
    assert await count_refs(database) == 1
    found = await personal_address_for(database, person)
    assert found is not None and found.conversation_id == "a:chat-2"


async def test_the_same_session_can_be_used_for_a_unit_of_work(database: Database) -> None:
    clock = ManualClock()
    person = await add_person(database)
    async with database.session() as session:
        address_id = await remember(session, personal(), person, clock.now())
        found = await personal_address_for(session, person)
    assert found is not None and found.address_id == address_id


async def test_channel_threads_are_one_address(database: Database) -> None:
    clock = ManualClock()
    first = await remember(database, channel("19:abc@thread.tacv2;messageid=111"), None, clock.now())
    second = await remember(database, channel("19:abc@thread.tacv2;messageid=222"), None, clock.now())
    assert first == second
    found = await address_by_id(database, first)
    assert found is not None and found.conversation_id == "19:abc@thread.tacv2"


async def test_group_chats_are_keyed_by_conversation(database: Database) -> None:
    clock = ManualClock()
    chat = replace(channel("19:group@thread.v2"), conversation_type="groupChat", channel=None)
    other = replace(chat, conversation_id="19:other@thread.v2")
    assert await remember(database, chat, None, clock.now()) != await remember(database, other, None, clock.now())
    assert await count_refs(database) == 2


async def test_a_stale_address_is_not_used_until_a_new_activity_refreshes_it(database: Database) -> None:
    clock = ManualClock()
    person = await add_person(database)
    address_id = await remember(database, personal(), person, clock.now())
    assert await mark_stale(database, address_id, "http_403", clock.now())
    assert await personal_address_for(database, person) is None
    assert await address_by_id(database, address_id) is None
    assert not await mark_stale(database, address_id, "http_403", clock.now())  # already stale

    clock.advance(timedelta(days=1))
    await remember(database, personal(), None, clock.now())
    found = await personal_address_for(database, person)
    assert found is not None and found.address_id == address_id
    async with database.session() as session:
        row = await session.get(ConversationRef, address_id)
        assert row is not None
        assert row.stale_at is None and row.stale_reason is None
        assert row.last_seen_at == clock.now()
        assert row.first_seen_at == clock.now() - timedelta(days=1)


async def test_a_failure_in_an_old_chat_does_not_stale_the_new_one(database: Database) -> None:
    clock = ManualClock()
    person = await add_person(database)
    address_id = await remember(database, personal("a:old"), person, clock.now())
    await remember(database, personal("a:new"), person, clock.now())
    assert not await mark_stale(database, address_id, "timeout", clock.now(), conversation_id="a:old")
    assert await personal_address_for(database, person) is not None


async def test_the_newest_of_several_personal_chats_wins(database: Database) -> None:
    clock = ManualClock()
    person = await add_person(database)
    await remember(database, personal("a:emea"), person, clock.now())
    clock.advance(timedelta(hours=1))
    other_region = replace(personal("a:uk"), service_url="https://smba.trafficmanager.net/emea/")
    newest = await remember(database, other_region, person, clock.now())
    found = await personal_address_for(database, person)
    assert found is not None and found.address_id == newest
    await mark_stale(database, newest, "http_404", clock.now())
    found = await personal_address_for(database, person)
    assert found is not None and found.conversation_id == "a:emea"


def test_an_address_must_be_a_known_kind_and_personal_ones_need_the_user() -> None:
    with pytest.raises(ValueError):
        replace(personal(), conversation_type="meeting")
    with pytest.raises(ValueError):
        replace(personal(), user_id=None)
