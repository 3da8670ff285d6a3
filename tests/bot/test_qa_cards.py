"""The Q&A Adaptive Cards: valid shape, small, self-describing buttons, and safe with any text."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from bot.card_text import card_strings
from bot.qa_cards import RenderedReply, _render, render_reply, render_welcome, without_message_back
from domain.conversations import MAX_MESSAGE_BYTES
from knowledge import KnowledgeBase, Reply
from knowledge.entries import CONTACT_PAGE, LNCIP_SITE
from tests.fixtures.bot_server import shared_knowledge

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
QUESTIONS = [
    "how many KS3 places?",  # answer
    "when is the next IF?",  # answer + what the offer doesn't give
    "can pupils at the centre use a library",  # the nearest entry, saying the offer may not cover it all
    "whats the weather tomorrow",  # decline
    "does the centre have a library?",  # suggest
    "hi",  # small talk (the welcome questions)
    "thanks!",  # small talk
]


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return shared_knowledge()


def actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    return list(card.get("actions", []))


def assert_valid_card(rendered: RenderedReply) -> None:
    card = rendered.card
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.5" and card["$schema"] == SCHEMA
    assert isinstance(card["body"], list) and card["body"]
    for element in card["body"]:
        assert element["type"] in {"TextBlock", "RichTextBlock", "FactSet", "Container", "ColumnSet"}
        if element["type"] == "TextBlock":
            assert element["text"] and element["wrap"] is True
    for action in actions(card):
        assert action["type"] in {"Action.Submit", "Action.OpenUrl"} and action["title"]
        if action["type"] == "Action.OpenUrl":
            assert action["url"].startswith("https://")
        else:
            data = action["data"]
            assert data["action"] == "ask" and data["question"]
            assert set(data) == {"action", "question", "msteams"}  # the verb and its question: nothing else
            assert data["msteams"]["displayText"] == data["question"]  # echoed in the chat as if typed
            assert len(action["title"]) <= 41 and data["question"].startswith(action["title"].rstrip("…"))
    assert len(json.dumps(card).encode("utf-8")) < MAX_MESSAGE_BYTES
    assert card["fallbackText"] == rendered.text and rendered.text
    assert len("\n".join([rendered.text, *card_strings(card)])) <= 1500


@pytest.mark.parametrize("question", QUESTIONS)
def test_reply_cards_are_valid(kb: KnowledgeBase, question: str) -> None:
    assert_valid_card(render_reply(kb.reply(question)))


def test_every_entry_renders_a_valid_answer_card(kb: KnowledgeBase) -> None:
    for entry in kb.entries:
        rendered = render_reply(kb.reply(entry.question))
        assert_valid_card(rendered)


def test_answer_card_has_title_answer_source_page_and_follow_ups(kb: KnowledgeBase) -> None:
    reply = kb.reply("when does the inclusion forum meet")
    card = render_reply(reply).card
    texts = [block["text"] for block in card["body"]]
    assert reply.entry is not None
    assert texts[0] == reply.entry.title and texts[1] == reply.entry.answer
    source = card["body"][-1]
    assert source["text"].startswith("LNCIP offer 2023-24 · ") and source["isSubtle"] and source["size"] == "Small"
    assert actions(card)[0] == {"type": "Action.OpenUrl", "title": "Inclusion Forum dates", "url": reply.link}
    submits = [a for a in actions(card) if a["type"] == "Action.Submit"]
    assert 2 <= len(submits) <= 3 and [a["data"]["question"] for a in submits] == list(reply.follow_ups)


def test_partial_answer_says_what_is_missing(kb: KnowledgeBase) -> None:
    text = render_reply(kb.reply("when is the next IF?")).text
    assert "I can't find specific dates or deadlines in the offer" in text and CONTACT_PAGE in text


def test_suggest_card_offers_up_to_three_questions(kb: KnowledgeBase) -> None:
    reply = kb.reply("does the centre have a library?")
    card = render_reply(reply).card
    assert reply.kind == "suggest" and "Did you mean" in card["body"][0]["text"]
    submits = [a for a in actions(card) if a["type"] == "Action.Submit"]
    assert 1 <= len(submits) <= 3
    assert [a["data"]["question"] for a in submits] == [e.question for e in reply.suggestions]


def test_small_talk_card_is_one_friendly_line(kb: KnowledgeBase) -> None:
    greeting = render_reply(kb.reply("hi"))
    assert greeting.card["body"][0]["text"].startswith("Hello")
    assert [a["data"]["question"] for a in actions(greeting.card)] == kb.welcome_examples()
    thanks = render_reply(kb.reply("thank you"))
    assert [b["text"] for b in thanks.card["body"]] == [thanks.text] and "welcome" in thanks.text
    assert actions(thanks.card) == [] and "Did you mean" not in thanks.text


@pytest.mark.parametrize("text", ['"}], "x": {"', "{% raw %}"])
def test_small_talk_text_is_escaped(text: str) -> None:
    rendered = render_reply(Reply("chat", "hi", note=text))
    assert_valid_card(rendered)
    assert rendered.card["body"][0]["text"] == text


def test_decline_card_is_honest_and_links_the_contact_page(kb: KnowledgeBase) -> None:
    rendered = render_reply(kb.reply("what's the phone number for LNCIP?"))
    assert "can't find a phone number" in rendered.text
    assert {a["url"] for a in actions(rendered.card)} == {CONTACT_PAGE, LNCIP_SITE}


TRICKY = [
    'He said "no" & left\n\tthen <b>{{x}}</b> \\ end',
    "emoji 🙂 and 'quotes' “curly”",
    '"}], "x": {"',
    "{% raw %}",
]


@pytest.mark.parametrize("text", TRICKY)
def test_anything_typed_is_escaped_in_buttons(text: str) -> None:
    rendered = render_welcome([text, text, text], commands=[(text, text)])
    assert_valid_card(rendered)
    submit = actions(rendered.card)[0]
    assert submit["title"] == text[:40] or submit["title"].endswith("…")
    assert submit["data"]["question"] == text and submit["data"]["msteams"]["displayText"] == text


@pytest.mark.parametrize("text", TRICKY)
def test_anything_is_escaped_in_declines_and_suggestions(kb: KnowledgeBase, text: str) -> None:
    decline = render_reply(Reply("decline", text, missing=text, note=text, link=CONTACT_PAGE))
    assert_valid_card(decline)
    assert decline.card["body"][1]["text"] == text
    entry = kb.entry("ks3-places")
    odd = type(entry)(**{**entry.__dict__, "phrasings": (text, *entry.phrasings)})
    suggest = render_reply(Reply("suggest", text, suggestions=(odd,), link=CONTACT_PAGE))
    assert_valid_card(suggest)
    assert actions(suggest.card)[0]["data"]["question"] == text


def test_answer_template_escapes_entry_text(kb: KnowledgeBase) -> None:
    tricky = '"Quotes", \\backslashes\\ and\nnew lines {{ not jinja }} </script>'
    entry = kb.entry("ks3-places")
    fake = type(entry)(**{**entry.__dict__, "title": tricky, "answer": tricky})
    reply = Reply("answer", "q", entry=fake, follow_ups=(tricky, "Another?"), source=tricky, link=entry.link)
    rendered = render_reply(reply)
    assert_valid_card(rendered)
    assert rendered.card["body"][0]["text"] == tricky and rendered.card["body"][1]["text"] == tricky


def test_welcome_card(kb: KnowledgeBase) -> None:
    examples = kb.welcome_examples()
    rendered = render_welcome(examples)
    assert_valid_card(rendered)
    assert "LNCIP offer" in rendered.text or "offer to schools for 2023-24" in rendered.text
    assert [a["data"]["question"] for a in actions(rendered.card)] == examples
    assert not any(block["type"] == "FactSet" for block in rendered.card["body"])


def test_welcome_card_lists_commands_as_facts(kb: KnowledgeBase) -> None:
    commands = [("help", "Show this card"), ("refer", "Start a referral")]
    card = render_welcome(kb.welcome_examples(), commands=commands).card
    facts = next(block for block in card["body"] if block["type"] == "FactSet")["facts"]
    assert facts == [{"title": "help", "value": "Show this card"}, {"title": "refer", "value": "Start a referral"}]


@pytest.mark.parametrize("question", QUESTIONS)
def test_a_card_never_shows_the_questions_wording_or_the_confidence(kb: KnowledgeBase, question: str) -> None:
    """Why one card may serve every wording of a question that gets the same reply."""
    reply = kb.reply(question)
    template = f"qa/{reply.kind}.json.j2"
    fresh = _render(template, reply=reply)  # no kept card
    other = _render(template, reply=replace(reply, question='Something <else> "quoted"', confidence=0.123))
    assert other == fresh
    assert render_reply(reply) == fresh


def test_two_wordings_with_the_same_reply_share_one_card(kb: KnowledgeBase) -> None:
    first, second = kb.reply("how many KS4 places?"), kb.reply("How many places are there at KS4")
    assert first.question != second.question and replace(first, question="", confidence=0) == replace(
        second, question="", confidence=0
    )
    assert render_reply(first) is render_reply(second)


def test_link_buttons_say_which_page_they_open(kb: KnowledgeBase) -> None:
    for entry in kb.entries:
        rendered = render_reply(kb.reply(entry.question))
        for action in actions(rendered.card):
            if action["type"] == "Action.OpenUrl":
                assert action["title"] not in ("Open the page", "Open the web page"), (entry.id, action["url"])


def test_long_follow_up_questions_get_short_titles_and_are_sent_in_full(kb: KnowledgeBase) -> None:
    question = "a " * 10 + "very long follow-up question that would run off the edge of the card in Teams?"
    rendered = render_welcome([question], commands=[])
    (button,) = actions(rendered.card)
    assert len(button["title"]) <= 41 and button["title"].endswith("…")
    assert button["data"]["question"] == question and button["tooltip"] == question


def test_question_buttons_echo_the_question_in_teams_and_are_plain_in_local_mode() -> None:
    question = "What is the cost of an out-of-school place for a year 9?"
    rendered = render_welcome([question], commands=[])
    (button,) = actions(rendered.card)
    assert button["data"]["msteams"] == {
        "type": "messageBack",
        "displayText": question,
        "value": {"action": "ask", "question": question},
    }
    plain = without_message_back(rendered)
    (local,) = actions(plain.card)
    assert local["data"] == {"action": "ask", "question": question}
    assert "msteams" in actions(rendered.card)[0]["data"]  # the kept card is unchanged
