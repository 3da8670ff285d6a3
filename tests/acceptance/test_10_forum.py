"""Scenario 10: the demo SENCO, Adele Vance (the Playground restarted as her), books a case at the
Inclusion Forum: `book a case at the forum` shows this term's forums (the demo data's, made
relative to the day it is loaded) with free slots and deadlines; she picks the first, attaches
her school's forum case, sees what will be shared and with whom, writes her question and books;
`my forum bookings` then lists it. A screenshot of each card goes to ARTIFACTS/test_10_forum.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bot.texts import text
from tests.acceptance.conftest import ARTIFACTS, BotServer

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator

    from tests.acceptance.playground import Playground

pytestmark = pytest.mark.acceptance
SENCO = "adele"  # demo people (.m365agentsplayground.yml, domain/demo_data.py)
WELCOME = "Hello, I'm the LNCIP assistant"
SHOTS = ARTIFACTS / "test_10_forum"


def press_first(pg: Playground, card: Locator, title: str) -> None:
    """Press the first button titled `title` on `card` (a card of forums or cases has one each)."""
    first = card.get_by_role("button", name=title, exact=True).first
    pg.click_card_button(title, card=first.locator("xpath=ancestor::*[contains(@class,'ac-container')][1]"))


def test_the_senco_books_a_case_at_the_forum(bot_server: BotServer, browser: Browser, tmp_path: Path) -> None:
    from tests.acceptance.playground import playground_as

    with playground_as(SENCO, bot_server.messages_url, browser, tmp_path) as pg:
        pg.wait_for_bot_message(WELCOME)
        pg.wait_until_quiet()  # the notices held for her come first
        pg.send("book a case at the forum")
        forums = pg.wait_for_bot_message(text("forum_book_title"))
        assert "Free slots" in forums and "Book by" in forums, forums
        pg.screenshot(SHOTS / "01-forums.png")

        press_first(pg, pg.card_with(text("forum_book_title")), text("forum_book_pick"))
        cases = pg.wait_for_bot_message(text("forum_book_case_title"), include_updates=True)
        assert "Need" in cases and text("forum_book_new_case") in cases, cases
        pg.screenshot(SHOTS / "02-case.png")

        press_first(pg, pg.card_with(text("forum_book_case_title")), text("forum_book_attach"))
        confirm = pg.wait_for_bot_message(text("forum_book_shared_heading"), include_updates=True)
        assert "LCC Educational Psychologist" in confirm and "Partnership SENCO" in confirm, confirm
        card = pg.card_with(text("forum_book_shared_heading"))
        pg.fill_card_input(
            text("forum_book_question_label"), "How can we help this pupil back into lessons after break?", card=card
        )
        pg.screenshot(SHOTS / "03-confirm.png")

        since = len(pg.traffic)
        pg.click_card_button(text("forum_book_confirm"), card=card)
        # The booked card replaces the confirm card in place; other scenarios' notices to Adele may
        # arrive meanwhile, so first the exchange itself (the bot's answer to the press) is awaited.
        pg.wait_for_traffic(
            lambda e: e.direction == "from_bot" and "is on the agenda" in json.dumps(e.activity),
            since=since,
            timeout=45,
        )
        booked = pg.wait_for_bot_message("is on the agenda for the Inclusion Forum", include_updates=True)
        assert "remind you the day before" in booked, booked
        pg.screenshot(SHOTS / "04-booked.png")

        pg.send("my forum bookings")
        mine = pg.wait_for_bot_message("Your school's forum bookings")
        assert "Booked" in mine and "Cancel booking" in mine, mine
        pg.screenshot(SHOTS / "05-bookings.png")
