"""End to end over HTTP: what a person in Teams sees for welcome, help, questions and buttons."""

from __future__ import annotations

from typing import Any

from bot.card_text import visible_text
from tests.fixtures.bot_server import BotClient


def cards(activities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        a["content"]
        for activity in activities
        for a in activity.get("attachments") or []
        if a["contentType"] == "application/vnd.microsoft.card.adaptive"
    ]


def submit_buttons(card: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Submit":
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return found


async def test_welcome_on_install_offers_three_example_questions(bot: BotClient) -> None:
    chat = bot.conversation()
    before = len(bot.connector.sent)
    assert await chat.added() in (200, 201)
    sent = [s.activity for s in bot.connector.sent[before:]]
    assert len(sent) == 1
    (card,) = cards(sent)
    assert card["version"] == "1.5"
    questions = [b["data"]["question"] for b in submit_buttons(card)]
    assert len(questions) == 3
    for button in submit_buttons(card):
        # A short title that fits, the full question sent, and shown in the chat as if typed.
        question = button["data"]["question"]
        assert button["data"]["action"] == "ask" and len(button["title"]) <= 41
        assert question.startswith(button["title"].rstrip("…"))
        # Local mode (this test, the Playground): plain buttons; Teams gets messageBack (test_qa_cards).
        assert "msteams" not in button["data"]


async def test_help_is_not_the_welcome_again(bot: BotClient) -> None:
    chat = bot.conversation()
    before = len(bot.connector.sent)
    await chat.added()
    welcome = visible_text([s.activity for s in bot.connector.sent[before:]])
    sent = await chat.ask("help")
    assert len(sent) == 1
    reply = visible_text(sent)
    assert reply != welcome and "Hello, I'm the LNCIP assistant" not in reply
    # What each command does, what the bot can't do, and the examples as buttons.
    assert "help" in reply and "cancel" in reply and "What I can't do" in reply
    assert "just type your question" in reply  # a personal chat needs no @mention
    assert len(submit_buttons(cards(sent)[0])) >= 2


async def test_help_in_a_group_chat_says_how_to_mention_the_bot(bot: BotClient) -> None:
    group = bot.conversation(type="groupChat", id="19:g@thread.v2")
    reply = visible_text(await group.ask("help", mention=True))
    assert "@" in reply and "buttons work without a mention" in reply


async def test_cancel_with_nothing_under_way_says_so(bot: BotClient) -> None:
    reply = visible_text(await bot.conversation().ask("cancel"))
    assert "nothing to cancel" in reply.lower()
    assert "recruit" not in reply.lower()


async def test_a_question_gets_a_sourced_answer(bot: BotClient) -> None:
    sent = await bot.conversation().ask("how many KS4 places are there?")
    reply = visible_text(sent).lower()
    assert "26" in reply
    assert "lncip offer 2023-24" in reply
    assert len(reply) <= 1500


async def test_an_out_of_scope_question_is_declined_honestly(bot: BotClient) -> None:
    reply = visible_text(await bot.conversation().ask("what's the wifi password at the centre?")).lower()
    assert "can't find" in reply or "cannot find" in reply
    assert "about_us" in reply


async def test_pressing_a_follow_up_button_asks_that_question(bot: BotClient) -> None:
    chat = bot.conversation()
    first = await chat.ask("how many KS3 places?")
    button = submit_buttons(cards(first)[0])[0]
    before = len(bot.connector.sent)
    assert await chat.submit(button["data"]) in (200, 201)
    after = [s.activity for s in bot.connector.sent[before:]]
    assert len(after) == 1
    assert visible_text(after) != visible_text(first)


async def test_in_a_channel_the_bot_answers_only_when_mentioned(bot: BotClient) -> None:
    channel = bot.conversation(type="channel", id="19:team-channel@thread.tacv2")
    assert await channel.ask("how many KS4 places?") == []
    sent = await channel.ask("how many KS4 places?", mention=True)
    assert "26" in visible_text(sent)
    assert "<at>" not in visible_text(sent)


async def test_group_chat_behaves_like_a_channel(bot: BotClient) -> None:
    group = bot.conversation(type="groupChat", id="19:group@thread.v2")
    assert await group.ask("help") == []
    assert len(await group.ask("help", mention=True)) == 1


async def test_an_empty_message_gets_a_nudge(bot: BotClient) -> None:
    sent = await bot.conversation().ask("   ")
    assert "help" in visible_text(sent).lower()


async def test_an_error_inside_a_turn_gets_an_apology_not_a_stack_trace(bot: BotClient, monkeypatch: Any) -> None:
    from knowledge import KnowledgeBase

    def broken(self: KnowledgeBase, question: str) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(KnowledgeBase, "reply", broken)
    sent = await bot.conversation().ask("how many KS4 places?")
    reply = visible_text(sent)
    assert "sorry" in reply.lower()
    assert "boom" not in reply and "Traceback" not in reply


async def test_a_question_that_starts_with_a_command_word_is_answered(bot: BotClient) -> None:
    reply = visible_text(await bot.conversation().ask("Hi there, how many KS4 places are there?"))
    assert "26" in reply
    assert "What I can do" not in reply
