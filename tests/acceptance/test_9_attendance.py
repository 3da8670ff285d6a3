"""Scenario 9: the register and the school's attendance. The Playground is restarted as the
Partnership Coordinator, Lynne Robbins, who takes the register on its card (`register`):
a Charnwood Vale Academy pupil late, one absent with a reason given by a parent, one absent
with no reason yet. Then it is restarted as Charnwood Vale's DSL, Megan Bowen, who asks for
"today's attendance", gets her school's digest (no other school's pupils) and presses
"Chased" on the unexplained absence: the card is updated in place. Screenshots of each card
go to ACCEPTANCE_ARTIFACTS / "test_9_attendance".

The bot runs on the real clock, so this passes on any day: on a school day the register is
today's session's and the digest today's; on a weekend or in a holiday both are the last
school day's, and the bot says so (the demo data has term dates for 2025-26 to 2027-28 and
registers for the school days before today).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest

from tests.acceptance.conftest import ARTIFACTS, BotServer

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator

    from tests.acceptance.playground import Playground

pytestmark = pytest.mark.acceptance

WELCOME = "Hello, I'm the LNCIP assistant"
SCHOOL = "Charnwood Vale Academy"
SHOTS = ARTIFACTS / "test_9_attendance"
LONDON = ZoneInfo("Europe/London")
REGISTER_TITLE = re.compile(r"Register: (\w+ \d+ \w+ \d{4}), (morning \(AM\)|afternoon \(PM\))")


def _shot(pg: Playground, step: str, focus: Locator) -> None:
    """The chat scrolled to `focus` (part of a long card), and that part on its own."""
    focus.scroll_into_view_if_needed()
    pg.screenshot(SHOTS / f"{step}.png")
    focus.screenshot(path=SHOTS / f"{step}-detail.png")


def card_with(pg: Playground, text: str) -> Locator:
    """The newest Adaptive Card in the chat that shows `text`."""
    return pg.page.locator(".ac-adaptiveCard", has_text=text).last


def body_texts(card: dict[str, Any]) -> list[str]:
    """Every TextBlock's text in a card, nested containers included."""
    found: list[str] = []
    for item in card.get("body", []) + card.get("items", []):
        if item.get("type") == "TextBlock":
            found.append(str(item.get("text", "")))
        found += body_texts(item)
    return found


def inputs(item: dict[str, Any]) -> dict[str, str]:
    """The values the card holds for its inputs (by id, without the row's number)."""
    found: dict[str, str] = {}
    for inner in item.get("items", []) + item.get("columns", []):
        if str(inner.get("type", "")).startswith("Input."):
            found[str(inner["id"])[0]] = str(inner.get("value", ""))
        found |= inputs(inner)
    return found


def school_rows(card: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
    """The register card's pupils from `SCHOOL` (name, stored values), in the card's order."""
    rows = [item for item in card["body"] if item.get("type") == "Container"]
    return [
        (str(row["items"][0]["text"]), inputs(row))
        for row in rows
        if str(row["items"][1]["text"]).startswith(f"{SCHOOL} · ")
    ]


def row_of(card: Locator, name: str) -> Locator:
    """The register card's block for one pupil: the container holding the name and its inputs."""
    return card.locator(".ac-container").filter(has_text=name).filter(has_text="Mark").last


def pupil_of(card: Locator, name: str) -> Locator:
    """The digest card's block for one pupil."""
    return card.locator(".ac-container").filter(has_text=name).filter(has_text="Attendance at Partnership").last


@pytest.fixture
def lynne(bot_server: BotServer, browser: Browser, tmp_path: Path) -> Iterator[Playground]:
    from tests.acceptance.playground import playground_as

    with playground_as("lynne", bot_server.messages_url, browser, tmp_path) as pg:
        pg.wait_for_bot_message(WELCOME)
        pg.wait_until_quiet()  # the notices held for her come first
        yield pg


def test_the_coordinator_takes_the_register_and_the_dsl_chases_an_absence(
    lynne: Playground, bot_server: BotServer, browser: Browser, tmp_path: Path
) -> None:
    pg = lynne
    pg.send("register")
    reply = pg.wait_for_bot_message("Register: ")
    title = REGISTER_TITLE.search(reply)
    assert title, reply
    day = title[1]
    # On a weekend or in a holiday the register is the last school day's, and the bot says so.
    not_today = datetime.strptime(day, "%A %d %B %Y").date() != datetime.now(LONDON).date()
    if not_today:
        said = " ".join(m.text for m in pg.bot_messages())
        assert f"It isn't a school day today, so this is the register for {day}" in said, said
    parts = re.search(r"Part 1 of (\d+)", reply)
    if parts:  # a long register comes as several cards: wait for the last
        pg.wait_for_bot_message(f"Part {parts[1]} of {parts[1]}")
    registers = [c for c in pg.cards_sent if any(t.startswith("Register: ") for t in body_texts(c))]
    rows = [(n, name, values) for n, card in enumerate(registers) for name, values in school_rows(card)]
    assert len(rows) >= 3, rows  # each demo school has four pupils with the Partnership every day
    # The unexplained absence goes to a pupil with no reason stored (the demo registers may
    # have given one already); the others to the first two of the rest.
    unexplained = next(name for _, name, values in rows if not values.get("r"))
    late, explained = [name for _, name, _ in rows if name != unexplained][:2]
    on_card = {name: n for n, name, _ in rows}
    _shot(pg, "1-register", row_of(card_with(pg, unexplained), unexplained))

    row = row_of(card_with(pg, late), late)
    pg.fill_card_input("Mark", "Late", card=row)
    pg.fill_card_input("Time", "09:20", card=row)
    row = row_of(card_with(pg, explained), explained)
    pg.fill_card_input("Mark", "Absent", card=row)
    pg.fill_card_input("Absence reason, if known", "Illness", card=row)
    pg.fill_card_input("Reason given by", "parent, by phone", card=row)
    pg.fill_card_input("Actions taken", ["Parent phoned"], card=row)
    pg.fill_card_input("Mark", "Absent", card=row_of(card_with(pg, unexplained), unexplained))
    # Save each card marked on (one, or more when the three are on different parts).
    for name in {on_card[name]: name for name in (late, explained, unexplained)}.values():
        pg.click_card_button("Save", card=card_with(pg, name))
        saved = pg.wait_for_bot_message("Register saved:", include_updates=True)
        assert "marked" in saved and "corrected" in saved, saved
    _shot(pg, "2-register-saved", row_of(card_with(pg, unexplained), unexplained))

    from tests.acceptance.playground import playground_as

    with playground_as("megan", bot_server.messages_url, browser, tmp_path) as dsl:
        dsl.wait_for_bot_message(WELCOME)
        dsl.wait_until_quiet()  # the alerts held for the DSL (e.g. scenario 8's) come first
        dsl.send("today's attendance")
        # Her answer, not an alert about one pupil that may still come in meanwhile.
        digest = dsl.wait_for_bot_message(re.compile(rf"Attendance at {SCHOOL}: {day}[\s\S]*please chase today"))
        assert "please chase today" in digest and late in digest and unexplained in digest, digest
        assert "Late at 09:20" in digest and "Absent: Illness (given by parent, by phone)" in digest, digest
        assert "Outwoods Edge Academy" not in digest
        if not_today:
            said = " ".join(m.text for m in dsl.bot_messages())  # other cards may arrive after it
            assert f"It isn't a school day today, so this is {day}, the last school day" in said, said
        _shot(dsl, "3-digest", pupil_of(card_with(dsl, f"Attendance at {SCHOOL}"), unexplained))

        dsl.click_card_button("Chased", card=pupil_of(card_with(dsl, f"Attendance at {SCHOOL}"), unexplained))
        assert f"{unexplained}'s absence is marked as chased by you" in dsl.wait_for_bot_message("Thanks:")
        updated = dsl.wait_for_bot_message("Chased by Megan Bowen", include_updates=True)
        assert f"Attendance at {SCHOOL}: {day}" in updated, updated
        _shot(dsl, "4-chased", pupil_of(card_with(dsl, "Chased by Megan Bowen"), unexplained))
