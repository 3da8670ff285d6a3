"""Scenario 7b: the Partnership's side of a referral, as the demo Partnership SENCO, Johanna
Lorenz (`playground_as("johanna")`). Her Playground is open (her chat with the bot is stored)
while, in a second Playground, the school SENCO Adele Vance files a named case for the
Inclusion Forum. The "New referral" notice card comes to Johanna's chat through the notifier,
as it would in Teams; she presses its "Open", marks the referral as received, lists it for the
Core Group and records the decision. Screenshots of each card go to
ACCEPTANCE_ARTIFACTS/test_7b_referral_partnership/.

Other cards reach her meanwhile (other scenarios' referrals, held notices), so each step acts on
the card that shows this scenario's own referral's reference.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.acceptance.conftest import ARTIFACTS, BotServer
from tests.acceptance.test_7_referral import SENCO, file_a_named_forum_case

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator

    from tests.acceptance.playground import Playground

pytestmark = pytest.mark.acceptance

PARTNERSHIP_SENCO = "johanna"  # demo people (.m365agentsplayground.yml, domain/demo_data.py)
WELCOME = "Hello, I'm the LNCIP assistant"
SHOTS = ARTIFACTS / "test_7b_referral_partnership"
WAIT = 30.0  # the notice comes through the notifier, not as a reply


def card_with(pg: Playground, *texts: str) -> Locator:
    """The newest Adaptive Card in the chat that shows every one of `texts`."""
    cards = pg.page.locator(".ac-adaptiveCard")
    for text in texts:
        cards = cards.filter(has_text=text)
    return cards.last


def _shot(pg: Playground, name: str) -> None:
    pg.screenshot(SHOTS / f"{name}.png")


def test_the_partnership_senco_is_sent_a_new_referral_and_records_the_decision(
    bot_server: BotServer, browser: Browser, tmp_path: Path
) -> None:
    from tests.acceptance.playground import playground_as

    with playground_as(PARTNERSHIP_SENCO, bot_server.messages_url, browser, tmp_path) as pg:
        pg.wait_for_bot_message(WELCOME)
        pg.send("me")
        assert "Partnership SENCO" in pg.wait_for_bot_message("Johanna Lorenz")
        _shot(pg, "01-her-chat")

        # 1. Meanwhile, in her own Teams, a school's SENCO files a named forum case.
        with playground_as(SENCO, bot_server.messages_url, browser, tmp_path) as school:
            school.wait_for_bot_message("Hello")
            reference = file_a_named_forum_case(school, bot_server.data_dir, SHOTS / "school")

        # 2. The notice arrives in the Partnership SENCO's chat, a card with "Open".
        notice = pg.wait_for_bot_message(f"New referral {reference}", timeout=WAIT)
        assert "from Charnwood Vale Academy" in notice, notice
        sent = pg.wait_for_traffic(
            lambda e: e.direction == "from_bot" and reference in str(e.activity.get("attachments")), timeout=WAIT
        ).activity
        assert not sent.get("replyToId"), sent  # a proactive message, not a reply to anything she did
        _shot(pg, "02-notice")

        # 3. Open: a new card with the referral's details and its next step.
        pg.click_card_button("Open", card=card_with(pg, f"New referral {reference}"))
        case = pg.wait_for_bot_message(reference)
        assert "Submitted" in case and "Charnwood Vale Academy" in case, case
        _shot(pg, "03-opened")

        # 4. Mark as received: the case card is replaced in place, now received.
        pg.click_card_button("Mark as received", card=card_with(pg, reference, "Mark as received"))
        said = pg.wait_for_bot_message(f"Marked {reference}")
        assert "as received. The school has been told." in said, said
        case = pg.wait_for_bot_message("List for the Core Group", include_updates=True)
        assert reference in case and "Received" in case, case
        _shot(pg, "04-received")

        # 5. List it for the Core Group: the date is a choice of the Core Group meetings on record
        #    (the demo's), the next one already chosen.
        case_card = card_with(pg, reference, "List for the Core Group")
        pg.click_card_button("List for the Core Group", card=case_card)
        assert "for the Core Group on" in pg.wait_for_bot_message(f"Listed {reference}")
        listed = pg.wait_for_bot_message("Record the decision", include_updates=True)
        assert reference in listed and "Listed for core group" in listed, listed
        _shot(pg, "05-listed")

        # 6. Record the Core Group's decision.
        decision_card = card_with(pg, reference, "Record the decision")
        pg.fill_card_input("The Core Group's decision", "in-school support", card=decision_card)
        pg.click_card_button("Record the decision", card=decision_card)
        said = pg.wait_for_bot_message(f"Recorded the decision on {reference}")
        assert "in-school support" in said and "The Coordinator will contact the parents." in said, said
        _shot(pg, "06-decided")
