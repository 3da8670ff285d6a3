"""Scenario 7b: the Partnership's side of a referral. The Playground is restarted as the demo
Partnership Director, Patti Fernandez (through its config file: the demo data's Partnership
SENCO has no Playground account, and the Director works the same queue and records the Core
Group's decisions), who opens the referral queue, marks Charnwood Vale's submitted demo
referral as received, lists it for the Core Group and records the decision. Screenshots of
each card go to ACCEPTANCE_ARTIFACTS.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.acceptance.conftest import ARTIFACTS, BotServer

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator

    from tests.acceptance.playground import Playground

pytestmark = pytest.mark.acceptance

WELCOME = "Hello, I'm the LNCIP assistant"
QUEUE = "Referral queue"


@pytest.fixture
def director(bot_server: BotServer, browser: Browser, tmp_path: Path) -> Iterator[Playground]:
    from tests.acceptance.playground import playground_as

    with playground_as("patti", bot_server.messages_url, browser, tmp_path) as pg:
        pg.wait_for_bot_message(WELCOME)
        yield pg


def card_with(pg: Playground, text: str) -> Locator:
    """The newest Adaptive Card in the chat that shows `text`."""
    return pg.page.locator(".ac-adaptiveCard", has_text=text).last


def _shot(pg: Playground, step: str) -> None:
    pg.screenshot(ARTIFACTS / f"test_7b_referral_partnership.{step}.png")


def test_the_director_receives_a_demo_referral_and_records_the_decision(director: Playground) -> None:
    pg = director
    pg.send("me")
    assert "Partnership Director" in pg.wait_for_bot_message("Patti Fernandez")
    pg.send("referral queue")
    # Other cards may reach the Director meanwhile (the demo safeguarding concerns' alerts).
    reply = pg.wait_for_bot_message(QUEUE)
    assert "Charnwood Vale Academy" in reply and "Submitted" in reply, reply
    _shot(pg, "1-queue")

    # Two are waiting (a named referral and an anonymous forum case): the oldest comes first.
    # Other cards reach the Director too (the demo safeguarding concern's alerts), so each step
    # acts on the card that shows the referral, not simply the newest card.
    card_with(pg, QUEUE).get_by_role("button", name="Mark as received", exact=True).first.click()
    assert "as received. The school has been told." in pg.wait_for_bot_message("Marked R-")
    # The queue card is replaced in place by the referral, now received, with its next steps.
    case = pg.wait_for_bot_message("List for the Core Group", include_updates=True)
    # The oldest submitted case (a demo one, or scenario 7's forum case when run before this).
    assert "Received" in case and "Charnwood Vale Academy" in case, case
    _shot(pg, "2-received")

    case_card = card_with(pg, "List for the Core Group")
    pg.fill_card_input("Core Group date", (date.today() + timedelta(days=14)).isoformat(), card=case_card)
    pg.click_card_button("List for the Core Group", card=case_card)
    assert "for the Core Group on" in pg.wait_for_bot_message("Listed R-")
    listed = pg.wait_for_bot_message("Record the decision", include_updates=True)
    assert "Listed for core group" in listed, listed
    decision_card = card_with(pg, "Record the decision")
    pg.fill_card_input("The Core Group's decision", "in-school support", card=decision_card)
    pg.click_card_button("Record the decision", card=decision_card)
    said = pg.wait_for_bot_message("Recorded the decision on R-")
    assert "in-school support" in said and "The Coordinator will contact the parents." in said, said
    _shot(pg, "3-decided")
