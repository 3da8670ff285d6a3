"""Scenario 5: the Partnership admin adds a person with the `people` form; a bad form is refused."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.acceptance.playground import Playground

pytestmark = pytest.mark.acceptance

WELCOME = "Hello, I'm the LNCIP assistant"
PARTNERSHIP = "The Partnership (LNCIP staff)"
ASK_EMAIL = "Whose details?"
NEW_FORM = "Add a new person"
CHANGE_FORM = "Change this person's details"
CANCELLED = "OK, I've stopped that. Nothing was saved."


@pytest.fixture
def admin(pg: Playground) -> Playground:
    """The Playground's default user, the demo Partnership admin, in the personal chat, welcomed.

    (The personal chat and its dialog state are shared by all tests: each test here ends
    its dialog, and the ``pg`` fixture sends `cancel` after any failed test.)
    """
    pg.wait_for_bot_message(WELCOME)
    return pg


def _unique_email(name: str) -> str:
    return f"{name}.{time.time_ns()}@lncip.example.org"


def open_form(pg: Playground, email: str, heading: str) -> str:
    pg.send("people")
    pg.wait_for_bot_message(ASK_EMAIL)
    pg.send(email)
    form = pg.wait_for_bot_message(heading)
    assert email in form, form
    return form


def test_admin_adds_a_person(admin: Playground) -> None:
    pg = admin
    pg.send("me")
    assert "Your roles: Partnership admin" in pg.wait_for_bot_message("Alex Wilber")

    email = _unique_email("jordan.example")
    open_form(pg, email, NEW_FORM)
    pg.fill_card_input("display_name", "Jordan Example")
    pg.fill_card_input("school", PARTNERSHIP)
    pg.fill_card_input("roles", ["Partnership staff"])
    pg.click_card_button("Save")
    assert pg.wait_for_bot_message("Added") == "Added Jordan Example to the directory."
    submitted = pg.wait_for_activity_to_bot("message").activity["value"]
    assert submitted["action"] == "people.save" and submitted["roles"] == "partnership_staff", submitted

    # Saved for real: asking for the same email again shows their details to change.
    form = open_form(pg, email, CHANGE_FORM)
    assert pg.latest_card().get_by_role("textbox", name="Name", exact=True).input_value() == "Jordan Example"
    assert "Partnership staff" in form
    pg.send("cancel")
    assert pg.wait_for_bot_message("stopped") == CANCELLED


def test_bad_form_is_refused_and_nothing_is_saved(admin: Playground) -> None:
    pg = admin
    email = _unique_email("casey.example")
    open_form(pg, email, NEW_FORM)
    pg.fill_card_input("display_name", "Casey Example")
    pg.fill_card_input("school", PARTNERSHIP)
    pg.fill_card_input("roles", ["Teacher"])  # a school role at the Partnership
    pg.click_card_button("Save")
    again = pg.wait_for_bot_message(NEW_FORM)  # a new form card, with the problem on it
    assert "Please fix this before saving" in again and "Teacher is a school role" in again, again
    assert pg.latest_card().get_by_role("textbox", name="Name", exact=True).input_value() == "Casey Example"
    assert not [m for m in pg.bot_messages() if m.text.startswith("Added")]

    # `cancel` stops the dialog: nothing saved, and the next message is a question again.
    pg.send("cancel")
    assert pg.wait_for_bot_message("stopped") == CANCELLED
    pg.send("how many KS4 places?")
    assert "26 places" in pg.wait_for_bot_message()

    # Nothing was saved: the same email still gives the form for a new person.
    open_form(pg, email, NEW_FORM)
    pg.send("cancel")
    assert pg.wait_for_bot_message("stopped") == CANCELLED
