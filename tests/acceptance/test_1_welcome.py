"""Scenario 1: the welcome on install, `help`, and an example question pressed as a button."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.acceptance.playground import Playground

pytestmark = pytest.mark.acceptance

WELCOME = "Hello, I'm the LNCIP assistant"
COMMANDS = {"help": "What I can do", "me": "Who I think you are", "people": "Add or change a person in the directory"}


def _welcome_card(pg: Playground) -> dict[str, Any]:
    cards = [c for c in pg.cards_sent if any(b.get("text") == WELCOME for b in c.get("body", []))]
    assert cards, "the bot sent no welcome card"
    return cards[-1]


def _block(card: dict[str, Any], block_id: str) -> str:
    return next((b["text"] for b in card.get("body", []) if b.get("id") == block_id), "")


def test_install_welcome_help_and_an_example_button(pg: Playground) -> None:
    # Loading the page installs the app: the Playground sends installationUpdate and
    # conversationUpdate, and the bot answers with its welcome card.
    welcome = pg.wait_for_bot_message(WELCOME)
    for kind in ("installationUpdate", "conversationUpdate"):
        # logged once the bot has answered the request, which may be after the welcome shows
        exchange = pg.wait_for_traffic(lambda e, kind=kind: e.direction == "to_bot" and e.name == kind)
        assert exchange.status in (200, 201, 202), (kind, exchange.status, exchange.response)
    buttons = [a for a in _welcome_card(pg)["actions"] if a["type"] == "Action.Submit"]
    examples = [a["title"] for a in buttons]  # short titles that fit; the full question is sent
    questions = {a["title"]: a["data"]["question"] for a in buttons}
    assert len(examples) == 3, examples
    card = pg.latest_card()
    assert card.get_by_role("button").all_inner_texts() == examples  # rendered as three buttons
    for example in examples:
        assert example in welcome

    # `help` lists the commands.
    pg.send("help")
    shown = pg.wait_for_bot_message("What I can do")
    for name, description in COMMANDS.items():
        assert f"{name}\n\n{description}" in shown, f"`help` does not show the command {name!r}:\n{shown}"
    help_card = pg.latest_card()

    # Pressing each example question gets a real answer (not "did you mean" or a decline).
    titles = set()
    for example in examples:
        pg.click_card_button(example, card=help_card)
        answer = pg.wait_for_bot_message()
        received = pg.wait_for_activity_to_bot("message")
        assert received.activity.get("value", {}).get("question") == questions[example], received.activity
        assert received.status in (200, 201, 202), received.status
        sent = pg.cards_sent[-1]
        assert _block(sent, "answer"), f"{example!r} got no answer card: {sent}"
        assert _block(sent, "title") in answer and "can't find" not in answer, answer
        assert pg.bot_messages()[-1].cards == 1, "the answer card did not render"
        titles.add(_block(sent, "title"))
    assert len(titles) == 3, f"the three examples got the same answer: {titles}"
