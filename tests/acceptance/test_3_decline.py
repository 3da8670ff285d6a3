"""Scenario 3: a question the offer doesn't answer gets an honest decline with the contact link."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.acceptance.playground import Playground

pytestmark = pytest.mark.acceptance

WELCOME = "Hello, I'm the LNCIP assistant"
CONTACT = "https://www.leicsseips.org/about_us"
DECLINE = r"not sure|don['’]t know|do not know|can['’]t find|cannot find|couldn['’]t find|no information|contact"


@pytest.mark.parametrize(
    ("question", "invented"),
    [
        pytest.param("what's the postcode of the LNCIP centre?", r"\ble\d{1,2}\s?\d[a-z]{2}\b", id="postcode"),
        pytest.param(
            "what time does the day start and finish at the LNCIP centre?",
            r"\b\d{1,2}[:.]\d{2}\s?(am|pm)?\b|\b\d{1,2}\s?(am|pm)\b",
            id="school-day-times",
        ),
    ],
)
def test_honest_decline(pg: Playground, question: str, invented: str) -> None:
    pg.wait_for_bot_message(WELCOME)
    pg.send(question)
    shown = pg.wait_for_bot_message()
    text = shown.lower()
    assert "can't find" in text and re.search(DECLINE, text), shown
    assert not re.search(invented, text), f"the bot invented something: {shown}"
    assert pg.card_link_url("Contact the Partnership") == CONTACT
    assert CONTACT in shown  # also written out on the card
