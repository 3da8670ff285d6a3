"""Scenario 6: a notice reaches a person's chat through the notifier.

The Playground has one person in it, the demo Partnership admin (Alex Wilber), so Alex changes
their own directory record: the people service queues a `people.saved` notice to the person
changed, and the notifier delivers the card into Alex's personal chat a moment later. The
change is then put back (a second notice), so the demo data stays as it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.acceptance.playground import Playground

pytestmark = pytest.mark.acceptance

WELCOME = "Hello, I'm the LNCIP assistant"
ALEX = "alexw@example.com"
CHANGED = "Your LNCIP assistant details have changed"


def _set_roles(pg: Playground, roles: list[str]) -> None:
    pg.send(f"people {ALEX}")
    pg.wait_for_bot_message("Change this person's details")
    pg.fill_card_input("roles", roles)
    pg.click_card_button("Save")
    assert pg.wait_for_bot_message("Saved the changes") == "Saved the changes to Alex Wilber."


def test_a_notice_reaches_the_person_changed(pg: Playground) -> None:
    pg.wait_for_bot_message(WELCOME)
    _set_roles(pg, ["Partnership admin", "Partnership staff"])
    notice = pg.wait_for_bot_message(CHANGED)
    assert "Partnership staff" in notice and "Alex Wilber did this." in notice, notice
    _set_roles(pg, ["Partnership admin"])
    pg.send("me")
    # The second notice may arrive after "me" is sent (the notifier looks once a second): wait for the reply itself.
    assert "Your roles: Partnership admin" in pg.wait_for_bot_message("Your roles:")
