"""Scenario 2: representative questions show their facts on screen; a follow-up button works."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.acceptance.playground import BotMessage, Playground

pytestmark = pytest.mark.acceptance

WELCOME = "Hello, I'm the LNCIP assistant"
OK = (200, 201, 202)

# Questions as staff type them, with the facts a correct reply must show (as in
# ../shared/eval/qa_public.yaml: lower-case regexes searched in the lower-cased reply).
QUESTIONS = [
    pytest.param("how many KS4 places?", [r"\b26\b"], [r"\bks3\b"], id="ks4-places"),
    pytest.param(
        "wots it cost us 2 send a yr10 2 u full time innit",
        [r"pro[- ]?rata", r"pupil premium|\bpp\b"],
        [],
        id="cost-of-a-place",
    ),
    pytest.param(
        "wen does da IF meet n is it on teams or wat",
        [r"once a month|monthly|every month|each month", r"teams"],
        [],
        id="inclusion-forum-frequency",
    ),
    pytest.param(
        "need da PO ting b4 u take da kid or wat",
        [r"purchase order|\bpo\b", r"\bno\b|unable|can['’]?not|can['’]t|won['’]t|will not|not able"],
        [],
        id="referral-purchase-order",
    ),
    pytest.param("Is the LNCIP director full time?", [r"(?<![\d.])0?\.8(?!\d)|four days"], [], id="director-fte"),
]


def ask(pg: Playground, question: str) -> tuple[BotMessage, dict[str, Any]]:
    """Type a question in the personal chat; the bot's reply as shown, and the card JSON it sent."""
    pg.wait_for_bot_message(WELCOME)  # the install's welcome first, so it is not taken for the answer
    pg.send(question)
    text = pg.wait_for_bot_message()
    received = pg.wait_for_activity_to_bot("message")
    assert received.activity.get("text") == question and received.status in OK, (received.activity, received.status)
    shown = next(m for m in reversed(pg.bot_messages()) if m.text == text)
    assert shown.cards == 1, f"the reply is not a rendered card: {text!r}"
    return shown, pg.cards_sent[-1]


@pytest.mark.parametrize(("question", "facts", "wrong"), QUESTIONS)
def test_question_shows_its_facts(pg: Playground, question: str, facts: list[str], wrong: list[str]) -> None:
    shown, card = ask(pg, question)
    text = shown.text.lower()
    assert any(b.get("id") == "answer" for b in card["body"]), f"not an answer card: {card}"
    for fact in facts:
        assert re.search(fact, text), f"{question!r}: the reply on screen lacks {fact!r}:\n{shown.text}"
    for fact in wrong:
        assert not re.search(fact, text), f"{question!r}: the reply on screen has {fact!r}:\n{shown.text}"


def test_follow_up_button_gets_a_different_answer(pg: Playground) -> None:
    first, card = ask(pg, "how many KS4 places?")
    follow_ups = [a for a in card["actions"] if a["type"] == "Action.Submit"]
    assert follow_ups, f"the answer card has no follow-up buttons: {card}"
    pg.click_card_button(follow_ups[0]["title"])
    second = pg.wait_for_bot_message()
    received = pg.wait_for_activity_to_bot("message")
    assert received.activity.get("value", {}).get("question") == follow_ups[0]["data"]["question"], received.activity
    assert received.status in OK, received.status
    new_card = pg.cards_sent[-1]
    answer = next((b["text"] for b in new_card["body"] if b.get("id") == "answer"), None)
    assert answer, f"the follow-up got no answer card: {new_card}"
    assert "26 places" not in second and second != first.text, second
    assert pg.bot_messages()[-1].cards == 1, "the follow-up's answer did not render"
    title = next(b["text"] for b in new_card["body"] if b.get("id") == "title")
    assert title in second, second
