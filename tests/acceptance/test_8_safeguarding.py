"""Scenario 8: a safeguarding concern from report to acknowledgement, each person in their own
Playground. The Partnership Coordinator, Lynne Robbins, reports a concern about a pupil of
Charnwood Vale Academy (990101) who is in immediate danger: "Call 999 now" comes first, then the
concern is recorded and her status card shows it. The Playground restarted as the school's DSL,
Megan Bowen: the urgent card arrives (held for her until she opens her chat, if she had none)
and she presses "Acknowledge"; the card then says so in place. The Playground restarted as Lynne
again: she is told it was acknowledged, by whom and when. Screenshots of each card go to
ACCEPTANCE_ARTIFACTS/test_8_safeguarding/.

The demo concerns' alerts reach Megan too, so each step acts on the card that shows this
scenario's own account (a marker unique to the run).
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from domain.safeguarding.notices import PREVIEW
from tests.acceptance.conftest import ARTIFACTS, BotServer

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator

    from tests.acceptance.playground import Playground

pytestmark = pytest.mark.acceptance

REPORTER, DSL = "lynne", "megan"  # demo people (.m365agentsplayground.yml, domain/demo_data.py)
WELCOME = "Hello, I'm the LNCIP assistant"
SHOTS = ARTIFACTS / "test_8_safeguarding"
WAIT = 30.0  # the alert and the reporter's notice come through the notifier, not as replies


def placed_pupil(data_dir: Path) -> str:
    """A pupil of 990101 placed with the Partnership (whom a concern can be raised about)."""
    with contextlib.closing(sqlite3.connect(data_dir / "lncip.db")) as db:
        row = db.execute(
            "SELECT p.first_name || ' ' || p.last_name FROM pupils p JOIN schools s ON s.id = p.school_id"
            " WHERE s.dfe_urn = '990101' AND p.erased_at IS NULL"
            " AND p.provision IN ('ks3_programme', 'ks4_programme') ORDER BY p.id DESC LIMIT 1"
        ).fetchone()
    assert row is not None, "the demo data has no pupil of 990101 placed with the Partnership"
    return str(row[0])


def card_with(pg: Playground, text: str) -> Locator:
    """The newest Adaptive Card in the chat that shows `text`."""
    return pg.page.locator(".ac-adaptiveCard", has_text=text).last


def _shot(pg: Playground, name: str) -> None:
    pg.screenshot(SHOTS / f"{name}.png")


def test_a_concern_reaches_the_dsl_who_acknowledges_it_and_the_reporter_sees_it(
    bot_server: BotServer, browser: Browser, tmp_path: Path
) -> None:
    from tests.acceptance.playground import playground_as

    pupil = placed_pupil(bot_server.data_dir)
    marker = uuid.uuid4().hex[:8]
    account = f"Said at lunch: 'he grabbed my arm and it still hurts' (scenario 8, {marker})"

    # 1. The Coordinator reports it; the child is in immediate danger, so "Call 999 now" first.
    with playground_as(REPORTER, bot_server.messages_url, browser, tmp_path) as pg:
        pg.wait_for_bot_message(WELCOME)
        pg.send("report a safeguarding concern")
        pg.wait_for_bot_message("immediate danger")
        pg.send("yes")
        first = pg.wait_for_bot_message("Call 999 now")
        assert "Who is the concern about?" not in first, first
        _shot(pg, "01-call-999")
        pg.wait_for_bot_message("Who is the concern about?")
        pg.send(pupil)
        asked = pg.wait_for_bot_message(re.compile("What did you see or hear|Which pupil"))
        if "Which pupil" in asked:  # names alike: take the one typed
            number = next(
                part.split(" ", 1)[0].strip("*")
                for part in asked.split("number:", 1)[1].split(";")
                if part.split(" ", 1)[1].strip().startswith(pupil)
            )
            pg.send(number)
            pg.wait_for_bot_message("What did you see or hear")
        pg.send(account)
        pg.wait_for_bot_message("What have you done already?")
        pg.send("Stayed with the pupil and called 999; told the Centre lead.")
        said = pg.wait_for_bot_message("Recorded.")
        assert "The school's DSL has been alerted." in said, said
        status = pg.wait_for_bot_message("Your safeguarding concern")
        assert "Not acknowledged yet" in status, status
        _shot(pg, "02-raised")

    # 2. The DSL opens her chat: the urgent card is there, and she acknowledges it.
    with playground_as(DSL, bot_server.messages_url, browser, tmp_path) as pg:
        alert = pg.wait_for_bot_message(marker, timeout=WAIT)
        assert "Urgent safeguarding concern" in alert and pupil in alert and "Charnwood Vale Academy" in alert, alert
        assert "immediate danger" in alert and "Lynne Robbins" in alert, alert
        # The Playground's log lags its screen: wait for the send to be logged.
        sent = pg.wait_for_traffic(
            lambda e: e.direction == "from_bot" and marker in str(e.activity.get("attachments"))
        ).activity
        # One message, the card alone: its preview (the summary) says only "please open".
        assert not sent.get("text") and sent.get("summary") == PREVIEW, sent
        _shot(pg, "03-alert")
        pg.click_card_button("Acknowledge", card=card_with(pg, marker))
        pg.wait_for_bot_message("you have acknowledged this concern")
        done = pg.wait_for_bot_message("Acknowledged by Megan Bowen", include_updates=True)
        assert marker in done, done
        assert "Acknowledge" not in card_with(pg, marker).get_by_role("button").all_inner_texts()
        _shot(pg, "04-acknowledged")

    # 3. The reporter, back in Teams, is told it was acknowledged.
    with playground_as(REPORTER, bot_server.messages_url, browser, tmp_path) as pg:
        told = pg.wait_for_bot_message("Acknowledged by Megan Bowen", timeout=WAIT)
        assert "Your safeguarding concern" in told, told
        _shot(pg, "05-reporter-told")
