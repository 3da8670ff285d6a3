"""The bot process killed between two steps of a referral and started again: the card on
screen carries on, and nothing given before is lost (the draft is a domain row)."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from bot.texts import text
from db.engine import Database
from db.migrate import upgrade_to_head
from tests.dialogs.referrals.conftest import SENCO_AAD, Chat, card_text, seed
from tests.fixtures.bot_process import start_bot_process
from tests.fixtures.bot_server import BotClient, make_settings
from tests.fixtures.connector import ConnectorStandIn


async def test_a_referral_carries_on_after_the_bot_is_killed_and_started_again(
    tmp_path: Path, connector: ConnectorStandIn
) -> None:
    settings = make_settings(tmp_path)
    await upgrade_to_head(settings.effective_database_url)
    database = Database(settings.effective_database_url)
    try:
        await seed(database)
    finally:
        await database.dispose()
    async with aiohttp.ClientSession() as session:
        first, url = await start_bot_process(settings, session)
        try:
            chat = Chat(BotClient(url, session, connector).conversation(aad_object_id=SENCO_AAD))
            await chat.say("refer Jack Smith in year 9, attendance 62%")
            await chat.press(text("referrals_kind_partnership_referral"))
            await chat.press("Jack Smith (year 9)")
        finally:
            first.kill()  # between two steps: the gender question is on screen
            first.wait(timeout=10)
        second, url = await start_bot_process(settings, session)
        try:
            chat.conversation.client = BotClient(url, session, connector)
            assert text("referrals_ask_gender") in card_text(chat.live()[1])
            await chat.press("Male")
            asked = card_text(chat.live()[1])
        finally:
            second.terminate()
            second.wait(timeout=20)
    assert text("referrals_ask_pupil_premium") in asked
