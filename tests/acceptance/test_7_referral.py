"""Scenario 7: a school SENCO (the Playground restarted as the demo SENCO Adele Vance) files a
named Referral to the Partnership in the personal chat from start to finish, for a demo pupil
already discussed at the Inclusion Forum, asking for a part-time programme (purchase order and
funding lines answered), a screenshot of each card saved; the demo teacher Isaiah Langer is
refused. Then the same SENCO files a named case for the Inclusion Forum for another pupil."""

from __future__ import annotations

import contextlib
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from bot.texts import text
from dialogs.referrals.cards import choice_label
from domain.referrals.fields import FIELDS
from domain.referrals.model import academic_year_end
from tests.acceptance.conftest import ARTIFACTS, BotServer
from tests.dialogs.referrals.conftest import ANSWERS

if TYPE_CHECKING:
    from playwright.sync_api import Browser

    from tests.acceptance.playground import Playground, TrafficEntry

pytestmark = pytest.mark.acceptance
SENCO, TEACHER = "adele", "isaiah"  # demo people (.m365agentsplayground.yml, domain/demo_data.py)

QUESTIONS = {}
for _field in FIELDS:
    with contextlib.suppress(KeyError):
        QUESTIONS[text(f"referrals_ask_{_field.name}")] = _field.name


def pupil_on_roll(data_dir: Path, *, discussed_at_the_forum: bool) -> tuple[str, int]:
    """A pupil on the roll of Adele's school (990101) with no referral yet, discussed at the
    Inclusion Forum or not (so the two scenarios never pick the same pupil): name and year."""
    discussed = "IN" if discussed_at_the_forum else "NOT IN"
    with contextlib.closing(sqlite3.connect(data_dir / "lncip.db")) as db:
        row = db.execute(
            "SELECT p.first_name || ' ' || p.last_name, p.year_group FROM pupils p JOIN schools s ON s.id = p.school_id"
            " WHERE s.dfe_urn = '990101' AND p.erased_at IS NULL"
            " AND p.id NOT IN (SELECT pupil_id FROM referrals WHERE pupil_id IS NOT NULL)"
            f" AND p.id {discussed} (SELECT pupil_id FROM forum_discussions) ORDER BY p.id LIMIT 1"
        ).fetchone()
    assert row is not None, f"the demo data has no pupil at 990101 (discussed at the forum: {discussed_at_the_forum})"
    return str(row[0]), int(row[1])


def _buttons_card(entry: TrafficEntry) -> dict[str, Any] | None:
    """The card with buttons in a reply of the bot's (not in a notice, which may come meanwhile)."""
    if not entry.activity.get("replyToId"):
        return None
    for attachment in entry.activity.get("attachments") or []:
        content = attachment.get("content") or {}
        if entry.direction == "from_bot" and content.get("actions"):
            return dict(content)
    return None


def next_card(pg: Playground, since: int) -> dict[str, Any]:
    """The first card with buttons the bot sent after `since` (the log lags the screen)."""
    entry = pg.wait_for_traffic(lambda e: _buttons_card(e) is not None, since=since)
    card = _buttons_card(entry)
    assert card is not None
    return card


def _shows(card: dict[str, Any]) -> str:
    """Text only this step's card shows: the summary's title, its first input's label, or its question."""
    body = card["body"]
    if body[0].get("text") == text("referrals_summary_title"):
        return str(body[0]["text"])
    labels = [str(e["label"]) for e in body if e["type"].startswith("Input.") and e.get("label")]
    return labels[0] if labels else str(body[1]["text"])


def file_it(pg: Playground, shots: Path, pupil: str, answers: dict[str, Any]) -> str:
    """Choose `pupil` on the roll, answer every card and question from `answers` until the
    summary, send it, and see its reference (returned); a screenshot of each card."""
    mark = len(pg.traffic)
    pg.click_card_button(pupil)
    for step in range(4, 40):
        card = next_card(pg, mark)
        # This step's card on screen, not simply the newest message: a notice may come meanwhile.
        pg.wait_for_bot_message(_shows(card))
        shown = pg.page.locator(".ac-adaptiveCard", has_text=_shows(card)).last
        mark = len(pg.traffic)
        pg.screenshot(shots / f"{step:02d}-step.png")
        if card["body"][0]["text"] == text("referrals_summary_title"):
            break
        inputs = [e["id"] for e in card["body"] if e["type"].startswith("Input.")]
        if inputs:
            for input_id in inputs:
                pg.fill_card_input(input_id, answers[input_id], card=shown)
            pg.click_card_button(text("referrals_next"), card=shown)
        else:
            pg.click_card_button(choice_label(answers[QUESTIONS[card["body"][1]["text"]]]), card=shown)
    else:
        raise AssertionError("the summary never came")
    pg.click_card_button(text("referrals_submit"))
    sent = pg.wait_for_bot_message("Sent: R-")
    pg.screenshot(shots / f"{step + 1:02d}-sent.png")
    assert "has been sent to the Partnership" in sent
    found = re.search(r"R-\d{4}-\d{4}", sent)
    assert found is not None, sent
    return found.group(0)


def test_a_senco_files_a_referral_to_the_partnership_and_a_teacher_is_refused(
    bot_server: BotServer, browser: Browser, tmp_path: Path
) -> None:
    from tests.acceptance.playground import playground_as

    name, year = pupil_on_roll(bot_server.data_dir, discussed_at_the_forum=True)
    today = datetime.now(UTC).date()  # the bot's referral date
    programme = {  # a part-time place: the purchase order runs to the end of the school year
        "requested_support": "ks3_out_of_school" if year <= 9 else "ks4_out_of_school",
        "programme_time": "part_time",
        "po_number": "PO-20451",
        "po_start": (today - timedelta(days=1)).isoformat(),
        "po_end": academic_year_end(today).isoformat(),
        "funding_lines": ["awpu", "pp"],  # pupil premium, no EHCP (ANSWERS)
    }
    shots = ARTIFACTS / "test_7_referral"
    with playground_as(SENCO, bot_server.messages_url, browser, tmp_path) as pg:
        pg.wait_for_bot_message("Hello")
        pg.send(f"refer {name}")
        pg.wait_for_bot_message(text("referrals_ask_kind"))
        pg.screenshot(shots / "01-kind.png")
        pg.click_card_button(text("referrals_kind_partnership_referral"))
        pg.wait_for_bot_message(name)
        pg.screenshot(shots / "02-pupil.png")
        file_it(pg, shots, f"{name} (year {year})", {**ANSWERS, **programme})
    with playground_as(TEACHER, bot_server.messages_url, browser, tmp_path) as pg:
        pg.wait_for_bot_message("Hello")
        pg.send("refer")
        assert "Only your school's SENCO or a head of year can refer a pupil." in pg.wait_for_bot_message("SENCO")
        pg.screenshot(shots / "teacher-refused.png")


def file_a_named_forum_case(pg: Playground, data_dir: Path, shots: Path) -> str:
    """As the SENCO (`pg`, welcomed), file a named forum case for a pupil of her school never
    discussed at the forum, from `refer <name>` to its reference (returned)."""
    name, year = pupil_on_roll(data_dir, discussed_at_the_forum=False)
    pg.send(f"refer {name}")
    pg.wait_for_bot_message(text("referrals_ask_kind"))
    pg.screenshot(shots / "01-kind.png")
    pg.click_card_button(text("referrals_kind_forum_case"))
    pg.wait_for_bot_message(text("referrals_ask_anonymity").split("?")[0])
    pg.screenshot(shots / "02-named.png")
    pg.click_card_button(text("referrals_named"))
    pg.wait_for_bot_message(name)
    pg.screenshot(shots / "03-pupil.png")
    return file_it(pg, shots, f"{name} (year {year})", ANSWERS)


def test_a_senco_files_a_named_case_for_the_inclusion_forum(
    bot_server: BotServer, browser: Browser, tmp_path: Path
) -> None:
    from tests.acceptance.playground import playground_as

    with playground_as(SENCO, bot_server.messages_url, browser, tmp_path) as pg:
        pg.wait_for_bot_message("Hello")
        file_a_named_forum_case(pg, bot_server.data_dir, ARTIFACTS / "test_7_referral" / "forum-case")
