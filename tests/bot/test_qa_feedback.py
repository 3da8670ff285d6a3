"""The Q&A's feedback: every answer can be rated, "Ask the Partnership" reaches the Partnership's
staff through the notifier and their answer comes back as a card, and `questions` lists what the
bot could not answer or was rated unhelpful, most frequent first. No words of a question that
names a pupil are kept."""

from __future__ import annotations

from typing import Any

import aiohttp
from sqlalchemy import select

from app import NOTIFIER
from bot.card_text import visible_text
from core.settings import Settings
from db.engine import Database
from db.models.qa_feedback import QaFeedback
from tests.fixtures.bot_server import BotClient, start_app
from tests.fixtures.connector import ConnectorStandIn
from tests.fixtures.directory import ADMIN_AAD, TEACHER_AAD


def feedback_buttons(sent: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The feedback ActionSet's buttons of the turn's card, by title."""
    card = sent[-1]["attachments"][0]["content"]
    (block,) = [b for b in card["body"] if b.get("id") == "feedback"]
    return {a["title"]: a["data"] for a in block["actions"]}


async def rows(settings: Settings) -> list[QaFeedback]:
    database = Database(settings.effective_database_url)
    try:
        async with database.session() as session:
            return list(await session.scalars(select(QaFeedback).order_by(QaFeedback.id)))
    finally:
        await database.dispose()


async def test_an_answer_can_be_rated_and_the_rating_is_kept(seeded_bot: BotClient, seeded_settings: Settings) -> None:
    teacher = seeded_bot.conversation(aad_object_id=TEACHER_AAD)
    buttons = feedback_buttons(await teacher.ask("how many KS4 places?"))
    assert set(buttons) == {"👍 Helpful", "👎 Not helpful", "Ask the Partnership"}
    await teacher.submit(buttons["👎 Not helpful"])
    [row] = await rows(seeded_settings)
    assert (row.outcome, row.question, row.entry_id, row.reply_kind) == (
        "unhelpful",
        "how many KS4 places?",
        "ks4-places",
        "answer",
    )


async def test_teams_own_feedback_buttons_are_kept_as_a_rating(
    seeded_bot: BotClient, seeded_settings: Settings
) -> None:
    teacher = seeded_bot.conversation(aad_object_id=TEACHER_AAD)
    value = {"actionName": "feedback", "actionValue": {"reaction": "like", "feedback": '{"feedbackText": "Jayden"}'}}
    status, _ = await teacher.client.post_for_body(teacher.activity("invoke", name="message/submitAction", value=value))
    assert status == 200
    [row] = await rows(seeded_settings)
    assert row.outcome == "helpful" and row.question is None  # the typed comment is never kept


async def test_a_question_naming_a_pupil_is_kept_without_its_words(
    seeded_bot: BotClient, seeded_settings: Settings
) -> None:
    teacher = seeded_bot.conversation(aad_object_id=TEACHER_AAD)
    buttons = feedback_buttons(await teacher.ask("is Jayden Smith in today?"))
    assert "Ask the Partnership" not in buttons
    assert all("Jayden" not in str(data) for data in buttons.values())
    [row] = await rows(seeded_settings)
    assert row.outcome == "not_answered" and row.question is None and row.normalised is None


async def test_ask_the_partnership_round_trip(seeded_settings: Settings, connector: ConnectorStandIn) -> None:
    runner, url = await start_app(seeded_settings)
    try:
        notifier = runner.app[NOTIFIER]
        async with aiohttp.ClientSession() as session:
            client = BotClient(url, session, connector)
            admin = client.conversation(aad_object_id=ADMIN_AAD, user_id="29:admin")
            await admin.ask("help")  # the bot now knows the Partnership's chat with the admin
            teacher = client.conversation(aad_object_id=TEACHER_AAD, user_id="29:teacher")
            buttons = feedback_buttons(await teacher.ask("does the centre have a library?"))
            assert set(buttons) == {"Ask the Partnership"}  # nothing to rate on a "Did you mean" / decline
            before = len(connector.sent)
            await teacher.submit(buttons["Ask the Partnership"])
            assert "sent your question" in visible_text([s.activity for s in connector.sent[before:]])

            before = len(connector.sent)
            assert await notifier.run_due() == 1
            [notice] = (await connector.wait_for(before + 1))[before:]
            assert notice.conversation_id == admin.id
            card = notice.activity["attachments"][0]["content"]
            text = visible_text([notice.activity])
            assert "does the centre have a library?" in text and "Tam Teacher" in text and "I said" in text
            send = card["actions"][0]["data"]
            assert send["verb"] == "qa.answer"

            listed = visible_text(await admin.ask("questions"))
            assert "does the centre have a library?" in listed and "waiting for you" in listed

            await admin.submit({**send, "answer": "No library, but there is a reading area."})
            before = len(connector.sent)
            assert await notifier.run_due() == 1
            [answer] = (await connector.wait_for(before + 1))[before:]
            assert answer.conversation_id == teacher.id
            text = visible_text([answer.activity])
            assert "The Partnership answered your question" in text and "reading area" in text
            assert "Pat Admin" in text
            refused = visible_text(await teacher.ask("questions"))
            assert "Only Partnership staff" in refused
    finally:
        await runner.cleanup()


async def test_questions_lists_the_most_frequent_first(seeded_bot: BotClient) -> None:
    teacher = seeded_bot.conversation(aad_object_id=TEACHER_AAD)
    for _ in range(3):
        await teacher.ask("Is there a school library at the centre?")
    await teacher.ask("what's the wifi password at the centre?")
    sent = await seeded_bot.conversation(aad_object_id=ADMIN_AAD).ask("questions")
    facts = sent[0]["attachments"][0]["content"]["body"][2]["facts"]
    assert facts[0]["title"] == "3×" and "library" in facts[0]["value"].lower()
    assert facts[1]["title"] == "1×" and "wifi" in facts[1]["value"].lower()


async def test_help_lists_questions_only_for_partnership_staff(seeded_bot: BotClient) -> None:
    assert "questions" in visible_text(await seeded_bot.conversation(aad_object_id=ADMIN_AAD).ask("help"))
    assert "questions" not in visible_text(await seeded_bot.conversation(aad_object_id=TEACHER_AAD).ask("help")).split()
