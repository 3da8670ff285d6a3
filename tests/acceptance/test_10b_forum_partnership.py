"""Scenario 10b: the meeting side of the Inclusion Forum. The Playground is restarted as the
demo Partnership Director, Patti Fernandez, who opens the agenda (`agenda`): the next forum with
the demo bookings (Charnwood Vale's anonymous case, Outwoods Edge's case named to the
Partnership). She records the advice on the Outwoods Edge case from the agenda card: the card
becomes the advice form, then the agenda again with that case's "Advice recorded". She then
opens the agenda's page for the shared screen (a signed link) in the same browser. Screenshots
of each step go to ACCEPTANCE_ARTIFACTS/test_10b_forum_partnership/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.acceptance.conftest import ARTIFACTS, BotServer

if TYPE_CHECKING:
    from playwright.sync_api import Browser

    from tests.acceptance.playground import Playground

pytestmark = pytest.mark.acceptance

WELCOME = "Hello, I'm the LNCIP assistant"
AGENDA = "Inclusion Forum agenda"
SHOTS = ARTIFACTS / "test_10b_forum_partnership"
ADVICE = "A key adult at break and lunch; the Educational Psychologist to observe in class (demo)."


@pytest.fixture
def director(bot_server: BotServer, browser: Browser, tmp_path: Path) -> Iterator[Playground]:
    from tests.acceptance.playground import playground_as

    with playground_as("patti", bot_server.messages_url, browser, tmp_path) as pg:
        pg.wait_for_bot_message(WELCOME)
        pg.wait_until_quiet()  # the notices held for the Director come first
        yield pg


def test_the_director_records_the_forums_advice_from_the_agenda(director: Playground) -> None:
    pg = director
    pg.send("agenda")
    agenda = pg.wait_for_bot_message(AGENDA)
    assert "Charnwood Vale Academy" in agenda and "Outwoods Edge Academy" in agenda, agenda
    assert "Anonymous case" in agenda and "Record advice" in agenda, agenda
    pg.screenshot(SHOTS / "01-agenda.png")

    card = pg.card_with(AGENDA)
    case = card.locator(".ac-container", has_text="Outwoods Edge Academy").last
    pg.click_card_button("Record advice", card=case)
    form = pg.wait_for_bot_message("Record advice:", include_updates=True)
    assert "Outwoods Edge Academy" in form and "Next step" in form, form
    pg.screenshot(SHOTS / "02-advice-form.png")

    form_card = pg.card_with("Save the advice")
    # By label: the form replaced the agenda card in place, so the driver holds no JSON of it.
    pg.fill_card_input("The advice given", ADVICE, card=form_card)
    form_card.get_by_role("checkbox", name="LCC Educational Psychologist").check()
    pg.fill_card_input("Next step", "Review at the next forum", card=form_card)
    pg.click_card_button("Save the advice", card=form_card)
    said = pg.wait_for_bot_message("The school will get it as a card")
    assert "Advice recorded" in said, said
    updated = pg.wait_for_bot_message(AGENDA, include_updates=True)
    assert "Advice recorded" in updated and "Outwoods Edge Academy" in updated, updated
    pg.screenshot(SHOTS / "03-advice-recorded.png")

    url = pg.card_link_url("Open the agenda page", card=pg.card_with(AGENDA))
    page = pg.page.context.new_page()
    try:
        response = page.goto(url)
        assert response is not None and response.status == 200
        shown = page.content()
        assert "Outwoods Edge Academy" in shown and "Advice recorded" in shown
        page.screenshot(path=str(SHOTS / "04-agenda-page.png"), full_page=True)
    finally:
        page.close()
