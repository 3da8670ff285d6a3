"""Installing and removing the app keeps the stored conversation address honest: a removal
marks it stale (no alerts to someone who removed the app), adding it again refreshes it."""

from __future__ import annotations

from sqlalchemy import select

from db.engine import Database
from db.models.proactive import ConversationRef
from tests.fixtures.bot_server import BotClient, Conversation


async def _stored(database: Database, chat: Conversation) -> ConversationRef:
    async with database.session() as session:
        row = await session.scalar(select(ConversationRef).where(ConversationRef.address_key == f"user:{chat.user_id}"))
    assert row is not None
    return row


async def _installation(chat: Conversation, action: str) -> int:
    return await chat.client.post(chat.activity("installationUpdate", action=action))


async def test_removing_the_app_marks_the_address_stale_and_adding_it_refreshes_it(
    database_bot: BotClient, database: Database
) -> None:
    chat = database_bot.conversation()
    assert await _installation(chat, "add") == 201
    assert (await _stored(database, chat)).stale_at is None

    assert await _installation(chat, "remove") == 201
    removed = await _stored(database, chat)
    assert removed.stale_at is not None
    assert removed.stale_reason == "app_removed"

    assert await _installation(chat, "add") == 201
    assert (await _stored(database, chat)).stale_at is None


async def test_a_removal_right_after_a_message_is_not_skipped_as_unchanged(
    database_bot: BotClient, database: Database
) -> None:
    """A message's address write is skipped while unchanged (`remember`): the removal must
    still mark the row, and the next message (the app added again) clear the mark."""
    chat = database_bot.conversation()
    assert await chat.say("help") == 201
    assert await _installation(chat, "remove") == 201
    assert (await _stored(database, chat)).stale_at is not None
    assert await chat.say("help") == 201
    assert (await _stored(database, chat)).stale_at is None
