"""The people form's submit is checked against its declared shape before anything is used, a
second press of Save changes nothing, and a press of a form whose dialog has ended says so."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.card_text import visible_text
from core.settings import Settings
from db.engine import Database
from domain.audit import read_audit
from domain.roles import Role
from tests.fixtures.bot_server import BotClient, Conversation
from tests.fixtures.directory import ADMIN_AAD, TEACHER_AAD, lookup
from tests.fixtures.people_form import form, form_values, save_data, submit

TEACHER = "teacher@cva.example.org"
GUID = "6f9619ff-8b86-d011-b42d-00c04fc964ff"


async def teacher_form(bot: BotClient) -> tuple[Conversation, dict[str, Any]]:
    """The admin's chat, showing the form for the seeded teacher (Tam Teacher, active)."""
    admin = bot.conversation(aad_object_id=ADMIN_AAD)
    card = form(await admin.ask(f"people {TEACHER}"))
    return admin, card


def as_shown(card: dict[str, Any]) -> dict[str, Any]:
    """Save pressed on the card as it is shown: its data and its inputs' values."""
    return save_data(card) | form_values(card)


async def changes_to_teacher(settings: Settings) -> list[str]:
    person = await lookup(settings, TEACHER)
    database = Database(settings.effective_database_url)
    try:
        async with database.session() as session:
            entries = await read_audit(session, record_type="person", record_id=str(person.id))
    finally:
        await database.dispose()
    return [entry.action for entry in entries][1:]  # after the seed's "created"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"active": "yes"}, "Active"),
        ({"active": None}, "Active"),
        ({"display_name": {"first": "Tam"}}, "Name"),
        ({"aad_object_id": "not-a-guid <b>"}, "Microsoft Entra object id"),
        ({"school": "\u00b2"}, "Works for"),
        ({"school": "1" * 40}, "Works for"),
        ({"school": "2147483648"}, "Works for"),
        ({"roles": "teacher,head"}, "Roles"),
    ],
)
async def test_a_submit_that_does_not_fit_the_form_comes_back_naming_the_field(
    seeded_bot: BotClient, seeded_settings: Settings, change: dict[str, Any], problem: str
) -> None:
    admin, card = await teacher_form(seeded_bot)
    value = {k: v for k, v in (as_shown(card) | change).items() if v is not None}
    replies = await submit(admin, value)
    again = form(replies)
    assert problem in visible_text(replies)
    assert "went wrong" not in visible_text(replies)
    assert again["body"][2]["color"] == "Attention"
    person = await lookup(seeded_settings, TEACHER)
    assert (person.display_name, person.active, person.aad_object_id) == ("Tam Teacher", True, TEACHER_AAD)
    assert await changes_to_teacher(seeded_settings) == []


@pytest.mark.parametrize("active", [True, "TRUE"])
async def test_active_sent_as_a_json_true_keeps_them_active(
    seeded_bot: BotClient, seeded_settings: Settings, active: Any
) -> None:
    admin, card = await teacher_form(seeded_bot)
    value = as_shown(card) | {"active": active, "roles": "teacher,head_of_year"}
    assert "Saved the changes to Tam Teacher" in visible_text(await submit(admin, value))
    person = await lookup(seeded_settings, TEACHER)
    assert person.active and person.roles == frozenset({Role.TEACHER, Role.HEAD_OF_YEAR})


async def test_an_entra_id_left_out_is_kept_and_one_emptied_is_cleared(
    seeded_bot: BotClient, seeded_settings: Settings
) -> None:
    admin, card = await teacher_form(seeded_bot)
    value = as_shown(card) | {"roles": "teacher,head_of_year"}
    del value["aad_object_id"]
    assert "Saved the changes" in visible_text(await submit(admin, value))
    assert (await lookup(seeded_settings, TEACHER)).aad_object_id == TEACHER_AAD

    admin, card = await teacher_form(seeded_bot)
    assert "Saved the changes" in visible_text(await submit(admin, as_shown(card) | {"aad_object_id": GUID.upper()}))
    assert (await lookup(seeded_settings, TEACHER)).aad_object_id == GUID

    admin, card = await teacher_form(seeded_bot)
    assert "Saved the changes" in visible_text(await submit(admin, as_shown(card) | {"aad_object_id": ""}))
    assert (await lookup(seeded_settings, TEACHER)).aad_object_id is None


async def test_pressing_save_again_says_it_was_already_saved_and_changes_nothing(
    seeded_bot: BotClient, seeded_settings: Settings
) -> None:
    admin, card = await teacher_form(seeded_bot)
    value = as_shown(card) | {"roles": "teacher,head_of_year"}
    assert "Saved the changes to Tam Teacher" in visible_text(await submit(admin, value))
    again = visible_text(await submit(admin, value | {"roles": "teacher"}))
    assert "That form was already saved." in again
    assert (await lookup(seeded_settings, TEACHER)).roles == frozenset({Role.TEACHER, Role.HEAD_OF_YEAR})
    assert await changes_to_teacher(seeded_settings) == ["changed"]


async def test_two_presses_at_once_save_once(seeded_bot: BotClient, seeded_settings: Settings) -> None:
    admin, card = await teacher_form(seeded_bot)
    value = as_shown(card) | {"roles": "teacher,head_of_year"}
    before = len(seeded_bot.connector.sent)
    statuses = await asyncio.gather(admin.submit(value), admin.submit(value))
    assert all(status in (200, 201) for status in statuses)
    replies = visible_text([s.activity for s in seeded_bot.connector.sent[before:]])
    assert replies.count("Saved the changes to Tam Teacher") == 1
    assert "already" in replies
    assert "went wrong" not in replies
    assert await changes_to_teacher(seeded_settings) == ["changed"]


async def test_a_form_whose_dialog_has_ended_has_expired_and_says_nothing_was_saved(
    seeded_bot: BotClient, seeded_settings: Settings
) -> None:
    admin, card = await teacher_form(seeded_bot)
    await admin.ask("cancel")
    reply = visible_text(await submit(admin, as_shown(card) | {"roles": "teacher,head_of_year"}))
    assert "That form has expired: nothing was saved." in reply
    assert "`people`" in reply
    assert "didn't catch" not in reply
    assert (await lookup(seeded_settings, TEACHER)).roles == frozenset({Role.TEACHER})


async def test_a_form_from_before_forms_had_tokens_has_expired_too(seeded_bot: BotClient) -> None:
    admin = seeded_bot.conversation(aad_object_id=ADMIN_AAD)
    reply = visible_text(await submit(admin, {"action": "people.save", "display_name": "X"}))
    assert "That form has expired: nothing was saved." in reply
