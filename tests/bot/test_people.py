"""The Partnership admin adds or changes a person from Teams; the dialog survives a restart."""

from __future__ import annotations

import aiohttp

from app import NOTIFIER
from bot.card_text import visible_text
from core.settings import Settings
from db.engine import Database
from domain.audit import read_audit
from domain.directory.queries import list_schools
from domain.roles import Role
from tests.fixtures.bot_server import BotClient, start_app
from tests.fixtures.connector import ConnectorStandIn
from tests.fixtures.directory import ADMIN_AAD, TEACHER_AAD, lookup
from tests.fixtures.people_form import form, form_values, save_data, submit


async def test_admin_adds_a_person_through_the_form(seeded_bot: BotClient, seeded_settings: Settings) -> None:
    admin = seeded_bot.conversation(aad_object_id=ADMIN_AAD)
    assert "email" in visible_text(await admin.ask("people")).lower()
    card = form(await admin.ask("New.Person@CVA.example.org"))
    assert "Add a new person" in visible_text(
        [{"attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}]}]
    )
    database = Database(seeded_settings.effective_database_url)
    school_id = str((await list_schools(database))[0].id)
    await database.dispose()
    value = save_data(card) | {
        "display_name": "Nia Person",
        "school": school_id,
        "roles": "senco,dsl",
        "active": "true",
    }
    reply = visible_text(await submit(admin, value))
    assert "Added Nia Person" in reply
    person = await lookup(seeded_settings, "new.person@cva.example.org")
    assert person.roles == frozenset({Role.SENCO, Role.DSL})
    assert str(person.school_id) == school_id
    database = Database(seeded_settings.effective_database_url)
    async with database.session() as session:
        entries = await read_audit(session, record_type="person", record_id=str(person.id))
    await database.dispose()
    assert [e.action for e in entries] == ["created"]


async def test_a_bad_form_comes_back_with_the_problem_and_saves_nothing(
    seeded_bot: BotClient, seeded_settings: Settings
) -> None:
    admin = seeded_bot.conversation(aad_object_id=ADMIN_AAD)
    await admin.ask("people someone@cva.example.org")
    card = form([seeded_bot.connector.sent[-1].activity])
    value = save_data(card) | {"display_name": "Someone", "school": "partnership", "roles": "teacher", "active": "true"}
    again = form(await submit(admin, value))
    assert again["body"][2]["color"] == "Attention"  # the problems block
    assert form_values(again)["display_name"] == "Someone"  # what they typed is kept
    assert await lookup(seeded_settings, "someone@cva.example.org") is None


async def test_cancel_stops_without_saving(seeded_bot: BotClient, seeded_settings: Settings) -> None:
    admin = seeded_bot.conversation(aad_object_id=ADMIN_AAD)
    await admin.ask("people")
    await admin.ask("x@cva.example.org")
    reply = visible_text(await admin.ask("cancel")).lower()
    assert "stopped" in reply
    assert "Added" not in visible_text(await admin.ask("help"))
    assert await lookup(seeded_settings, "x@cva.example.org") is None


async def test_only_the_admin_may_manage_people(seeded_bot: BotClient) -> None:
    teacher = seeded_bot.conversation(aad_object_id=TEACHER_AAD)
    assert "Only the Partnership admin" in visible_text(await teacher.ask("people"))
    stranger = seeded_bot.conversation(aad_object_id="aad-nobody")
    reply = visible_text(await stranger.ask("people"))
    assert "Ask the Partnership admin to add you" in reply
    assert reply.count("don't know who you are") == 1  # said once, not twice


async def test_a_refused_people_command_is_audited(seeded_bot: BotClient, seeded_settings: Settings) -> None:
    await seeded_bot.conversation(aad_object_id=TEACHER_AAD).ask("people")
    await seeded_bot.conversation(aad_object_id="aad-nobody").ask("people")
    await seeded_bot.conversation(aad_object_id=ADMIN_AAD).ask("people")  # allowed: not a refusal
    teacher = await lookup(seeded_settings, "teacher@cva.example.org")
    database = Database(seeded_settings.effective_database_url)
    try:
        async with database.session() as session:
            refused = await read_audit(session, record_type="command")
    finally:
        await database.dispose()
    # Who (the teacher; nobody the directory knows), what and where.
    assert [(e.actor_id, e.action, e.record_id, e.detail) for e in refused] == [
        (teacher.id, "refused", "people", {"kind": "manage_people", "source": "teams"}),
        (None, "refused", "people", {"kind": "manage_people", "source": "teams"}),
    ]


async def test_help_lists_people_only_for_the_admin(seeded_bot: BotClient) -> None:
    assert "people" in visible_text(await seeded_bot.conversation(aad_object_id=ADMIN_AAD).ask("help"))
    assert "people" not in visible_text(await seeded_bot.conversation(aad_object_id=TEACHER_AAD).ask("help"))


async def test_me_says_who_you_are_or_how_to_be_added(seeded_bot: BotClient) -> None:
    assert "Tam Teacher" in visible_text(await seeded_bot.conversation(aad_object_id=TEACHER_AAD).ask("me"))
    assert "Charnwood Vale Academy" in visible_text(await seeded_bot.conversation(aad_object_id=TEACHER_AAD).ask("me"))
    assert "don't know who you are" in visible_text(await seeded_bot.conversation(aad_object_id="aad-x").ask("me"))


async def test_people_in_a_channel_asks_for_a_private_chat(seeded_bot: BotClient) -> None:
    channel = seeded_bot.conversation(aad_object_id=ADMIN_AAD, type="channel", id="19:c@thread.tacv2")
    assert "private chat" in visible_text(await channel.ask("people", mention=True))


async def test_the_dialog_carries_on_after_a_restart(seeded_settings: Settings, connector: ConnectorStandIn) -> None:
    async with aiohttp.ClientSession() as session:
        runner, url = await start_app(seeded_settings)
        admin = BotClient(url, session, connector).conversation(aad_object_id=ADMIN_AAD)
        await admin.ask("people")
        card = form(await admin.ask("restart.test@lncip.example.org"))
        await runner.cleanup()  # the bot stops between two turns of the dialog

        runner, url = await start_app(seeded_settings)
        try:
            admin.client = BotClient(url, session, connector)
            value = save_data(card) | {"display_name": "Rae Start", "school": "partnership", "roles": "coordinator"}
            reply = visible_text(await submit(admin, value | {"active": "true"}))
        finally:
            await runner.cleanup()
    assert "Added Rae Start" in reply
    assert (await lookup(seeded_settings, "restart.test@lncip.example.org")).roles == frozenset({Role.COORDINATOR})


async def test_help_in_a_channel_leaves_out_private_chat_commands(seeded_bot: BotClient) -> None:
    channel = seeded_bot.conversation(aad_object_id=ADMIN_AAD, type="channel", id="19:c@thread.tacv2")
    reply = visible_text(await channel.ask("help", mention=True))
    assert "people" not in reply
    assert "me" in reply.split()


async def test_the_person_changed_hears_of_it_in_their_own_chat(
    seeded_settings: Settings, connector: ConnectorStandIn
) -> None:
    runner, url = await start_app(seeded_settings)
    try:
        notifier = runner.app[NOTIFIER]
        async with aiohttp.ClientSession() as session:
            client = BotClient(url, session, connector)
            teacher = client.conversation(aad_object_id=TEACHER_AAD, user_id="29:teacher")
            await teacher.ask("help")  # the bot now knows the teacher's chat
            admin = client.conversation(aad_object_id=ADMIN_AAD)
            await admin.ask("people teacher@cva.example.org")
            card = form([connector.sent[-1].activity])
            value = save_data(card) | {**form_values(card), "roles": "teacher,head_of_year"}
            assert "Saved the changes to Tam Teacher" in visible_text(await submit(admin, value))
        before = len(connector.sent)
        assert await notifier.run_due() == 1
        [notice] = (await connector.wait_for(before + 1))[before:]
        assert notice.conversation_id == teacher.id
        text = visible_text([notice.activity])
        assert "Your LNCIP assistant details have changed" in text
        assert "Head of year" in text and "Pat Admin did this." in text
        assert await notifier.run_due() == 0  # sent once
    finally:
        await runner.cleanup()


async def test_the_last_admin_cannot_remove_their_own_admin_role(
    seeded_bot: BotClient, seeded_settings: Settings
) -> None:
    admin = seeded_bot.conversation(aad_object_id=ADMIN_AAD)
    await admin.ask("people")
    card = form(await admin.ask("admin@lncip.example.org"))
    value = save_data(card) | form_values(card) | {"roles": "coordinator", "active": "true"}
    again = form(await submit(admin, value))
    assert again["body"][2]["color"] == "Attention"  # the problems block, as for any other problem
    assert "last Partnership admin" in again["body"][2]["text"]
    assert (await lookup(seeded_settings, "admin@lncip.example.org")).roles == frozenset({Role.PARTNERSHIP_ADMIN})


async def test_a_name_that_looks_like_markdown_is_shown_as_typed(
    seeded_bot: BotClient, seeded_settings: Settings
) -> None:
    admin = seeded_bot.conversation(aad_object_id=ADMIN_AAD)
    await admin.ask("people")
    card = form(await admin.ask("link@lncip.example.org"))
    name = "[click](https://example.org) **x** <b>"
    value = save_data(card) | {"display_name": name, "school": "partnership", "roles": "coordinator", "active": "true"}
    (said,) = await submit(admin, value)
    assert said["text"] == r"Added \[click\](https://example.org) \*\*x\*\* &lt;b&gt; to the directory."


async def test_help_and_a_question_inside_the_dialog_are_answered_and_the_dialog_asks_again(
    seeded_bot: BotClient,
) -> None:
    admin = seeded_bot.conversation(aad_object_id=ADMIN_AAD)
    await admin.ask("people")
    helped = visible_text(await admin.ask("help"))
    assert "doesn't look like an email" not in helped
    assert "How to use the LNCIP assistant" in helped and "Whose details?" in helped
    answered = visible_text(await admin.ask("how many KS4 places are there?"))
    assert "26" in answered and "doesn't look like an email" not in answered
    assert "Whose details?" in answered  # the dialog asks again
    card = form(await admin.ask("x@cva.example.org"))  # and carries on where it was
    assert card["type"] == "AdaptiveCard"
    assert "stopped" in visible_text(await admin.ask("cancel"))


async def test_an_unknown_person_is_promised_only_what_exists(seeded_bot: BotClient) -> None:
    stranger = seeded_bot.conversation(aad_object_id="aad-x")
    reply = visible_text(await stranger.ask("me"))
    assert "don't know who you are" in reply
    for promise in ("referrals", "forums", "alerts"):
        assert promise not in reply
