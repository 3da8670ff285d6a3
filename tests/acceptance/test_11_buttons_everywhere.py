"""Scenario 11: Q&A buttons work in the personal chat, a group chat and a channel alike.

A card press carries no @mention; the bot answers it wherever it happens. In each scope: a
follow-up question, a "Did you mean" choice and a rating are pressed, and each gets its reply in
the same conversation. Titles are short, the full question is sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.acceptance.playground import Playground, Scope

pytestmark = pytest.mark.acceptance

WELCOME = "Hello, I'm the LNCIP assistant"
CONVERSATION_TYPES = {"personal": "personal", "group": "groupChat", "channel": "channel"}


def _ask(pg: Playground, scope: Scope, question: str) -> dict[str, Any]:
    if scope == "personal":
        pg.send(question)
    else:
        pg.mention_bot_and_send(question)
    pg.wait_for_bot_message()
    return pg.cards_sent[-1]


def _press(pg: Playground, scope: Scope, title: str) -> dict[str, Any]:
    """Press a button of the newest card; the press reaches the bot without a mention and is answered here."""
    pg.click_card_button(title)
    pg.wait_for_bot_message()
    received = pg.wait_for_activity_to_bot("message")
    assert received.status in (200, 201, 202), received.status
    activity = received.activity
    assert activity["conversation"].get("conversationType", "personal") == CONVERSATION_TYPES[scope]
    assert not any(e.get("type") == "mention" for e in activity.get("entities") or [])
    return activity


@pytest.mark.parametrize("scope", ["personal", "group", "channel"])
def test_every_kind_of_q_and_a_button_is_answered(pg: Playground, scope: Scope) -> None:
    pg.wait_for_bot_message(WELCOME)
    if scope != "personal":
        pg.switch_to(scope)
        pg.wait_for_bot_message(WELCOME)

    # A follow-up question: a short title, the full question sent, an answer card back.
    card = _ask(pg, scope, "how many KS3 places?")
    follow_ups = [a for a in card["actions"] if a["type"] == "Action.Submit"]
    assert follow_ups and all(len(a["title"]) <= 41 for a in follow_ups), follow_ups
    pressed = _press(pg, scope, follow_ups[0]["title"])
    assert pressed["value"]["question"] == follow_ups[0]["data"]["question"]
    answered = pg.cards_sent[-1]
    assert any(b.get("id") == "answer" for b in answered["body"]), answered

    # A "Did you mean" choice.
    card = _ask(pg, scope, "does the centre have a library?")
    choices = [a for a in card["actions"] if a["type"] == "Action.Submit"]
    assert choices, card
    _press(pg, scope, choices[0]["title"])
    assert any(b.get("id") == "answer" for b in pg.cards_sent[-1]["body"]), pg.cards_sent[-1]

    # A rating under the answer.
    _press(pg, scope, "👍 Helpful")
    assert "Thanks" in pg.last_bot_messages(1)[0]
