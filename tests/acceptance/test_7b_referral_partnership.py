"""Scenario 7b: the Partnership's side of a referral. The Playground is restarted as the demo
Partnership Director, Patti Fernandez (through its config file: the demo data's Partnership
SENCO has no Playground account, and the Director works the same queue and records the Core
Group's decisions), who opens the referral queue, marks Charnwood Vale's submitted demo
referral as received, lists it for the Core Group and records the decision. Screenshots of
each card go to ACCEPTANCE_ARTIFACTS.
"""

from __future__ import annotations

import uuid
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
# The Playground's own default users, with the Director as the current user.
USERS = (
    ("user-id-0", "Patti Fernandez", "pattif@example.com", "24"),
    ("user-id-1", "Alex Wilber", "alexw@example.com", "20"),
    ("user-id-2", "Megan Bowen", "meganb@example.com", "21"),
    ("user-id-3", "Adele Vance", "adelev@example.com", "22"),
    ("user-id-4", "Isaiah Langer", "isaiahl@example.com", "23"),
    ("user-id-5", "Lynne Robbins", "lynner@example.com", "25"),
)


def _user(indent: str, user_id: str, name: str, email: str, suffix: str) -> str:
    given, surname = name.split()
    return (
        f"{indent}id: {user_id}\n{indent}name: {name}\n{indent}userPrincipleName: {email}\n"
        f"{indent}aadObjectId: 00000000-0000-0000-0000-00000000000{suffix}\n"
        f"{indent}givenName: {given}\n{indent}surname: {surname}\n{indent}email: {email}\n"
    )


def playground_config(path: Path) -> Path:
    current, *others = USERS
    text = 'version: "0.1.1"\ntenantId: 00000000-0000-0000-0000-0000000000001\n'
    text += "bot:\n  id: 00000000-0000-0000-0000-00000000000011\n  name: LNCIP assistant\n"
    text += "currentUser:\n" + _user("  ", *current) + "users:\n"
    for user in others:
        text += "  -" + _user("    ", *user)[3:]
    text += f"personalChat:\n  id: {uuid.uuid4()}\ngroupChat:\n  id: {uuid.uuid4()}\n  name: Group Chat\n"
    text += "team:\n  id: team-id\n  name: My Team\n  aadGroupId: 00000000-0000-0000-0000-000000000031\n"
    text += "  channels:\n    - id: channel-announcements-id\n      name: Announcements\n"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def director(bot_server: BotServer, browser: Browser, tmp_path: Path) -> Iterator[Playground]:
    from tests.acceptance.playground import open_playground, run_playground

    config = playground_config(tmp_path / "director.yml")
    with run_playground(bot_server.messages_url, config_path=config) as server:
        with open_playground(browser, server) as pg:
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
