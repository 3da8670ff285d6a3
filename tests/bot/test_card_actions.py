"""Card actions end to end over HTTP: a sample verb, `test.notice.ack`, registered as a feature would.

The sample keeps its records in memory (`Notices`): the handler reloads the notice by the id on
the button, asks its policy with the person from the activity, and records who acknowledged it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.card_actions import ActionData, ActionOutcome, CardAction, CardActionRouter, Refusal
from bot.card_text import visible_text
from bot.cards import RenderedCard
from bot.submit_shapes import Id, ShapeProblem, Text
from bot.turn import Turn
from core.settings import Settings
from domain.directory.model import PersonRecord
from tests.fixtures.bot_server import BotClient, Conversation, running_bot
from tests.fixtures.connector import ConnectorStandIn, Sent
from tests.fixtures.directory import ADMIN_AAD, TEACHER_AAD
from tests.fixtures.logs import JsonLines
from tests.fixtures.people_form import form, save_data, submit

VERB = "test.notice.ack"
NOTICE = 42
PRESSED = "sent-card-1"  # the id Teams gave the message holding the pressed card
ACKED_AT = datetime(2026, 3, 2, 10, 42, tzinfo=UTC)


@dataclass
class Notice:
    id: int
    school_id: int | None
    acked_by: str | None = None
    acked_at: datetime | None = None


@dataclass
class Notices:
    """The sample feature: its records, and every call its handler got (who, with what data)."""

    records: dict[int, Notice] = field(default_factory=dict)
    calls: list[tuple[PersonRecord | None, dict[str, Any]]] = field(default_factory=list)
    changes: int = 0
    broken: bool = False  # the handler fails, as a lost database would make it

    async def acknowledge(self, turn: Turn, data: ActionData) -> ActionOutcome:
        self.calls.append((turn.person, dict(data.values)))
        if self.broken:
            raise RuntimeError("the notices table is gone")
        notice = self.records.get(data.id)  # reloaded: the card says only which one
        if notice is None:
            return ActionOutcome(say="That notice no longer exists.")
        if turn.person is None or turn.person.school_id != notice.school_id:  # the policy, asked again
            return ActionOutcome(say="Only staff at the notice's school may acknowledge it.")
        if notice.acked_by is not None:
            return ActionOutcome(card=acked_card(notice), say=already_said(notice))
        notice.acked_by, notice.acked_at = turn.person.display_name, ACKED_AT
        self.changes += 1
        return ActionOutcome(card=acked_card(notice), say="Acknowledged.")

    def action(self) -> CardAction:
        return CardAction(VERB, {"id": Id()}, self.acknowledge)


def already_said(notice: Notice) -> str:
    assert notice.acked_at is not None
    return f"Already acknowledged by {notice.acked_by} at {notice.acked_at:%H:%M}."


def acked_card(notice: Notice) -> RenderedCard:
    line = f"Notice {notice.id}: acknowledged by {notice.acked_by}"
    card = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": line}]}
    return RenderedCard(card, line)


def press(notice_id: Any = NOTICE, **extra: Any) -> dict[str, Any]:
    """An Action.Submit's data, as the notice card's button carries it."""
    return {"verb": VERB, "id": notice_id, **extra}


@pytest.fixture
async def notices(seeded_settings: Settings) -> Notices:
    from tests.fixtures.directory import lookup

    teacher = await lookup(seeded_settings, "teacher@cva.example.org")
    return Notices(records={NOTICE: Notice(NOTICE, teacher.school_id)})


@pytest.fixture
async def bot(seeded_settings: Settings, connector: ConnectorStandIn, notices: Notices) -> AsyncIterator[BotClient]:
    async with running_bot(seeded_settings, connector, card_actions=[notices.action()]) as client:
        yield client


async def pressing(chat: Conversation, value: dict[str, Any], reply_to_id: str | None = PRESSED) -> list[Sent]:
    """Press a button; what the bot sent or replaced in this chat in that turn."""
    before = len(chat.client.connector.sent)
    assert await chat.submit(value, reply_to_id) in (200, 201)
    return [s for s in chat.client.connector.sent[before:] if s.conversation_id == chat.id]


def said(sent: list[Sent]) -> str:
    return " ".join(s.text for s in sent if not s.is_update)


CHATS = {
    "personal": {},
    "groupChat": {"type": "groupChat", "id": "19:group@thread.v2"},
    "channel": {"type": "channel", "id": "19:team-channel@thread.tacv2;messageid=1"},
}


@pytest.mark.parametrize("where", CHATS)
async def test_a_press_without_mention_is_handled_and_the_card_replaced_in_place(
    bot: BotClient, notices: Notices, where: str
) -> None:
    chat = bot.conversation(aad_object_id=TEACHER_AAD, **CHATS[where])
    sent = await pressing(chat, press())
    (update,) = [s for s in sent if s.is_update]
    assert update.id == PRESSED
    assert update.activity["attachments"][0]["content"]["body"][0]["text"] == "Notice 42: acknowledged by Tam Teacher"
    assert "actions" not in update.activity["attachments"][0]["content"]  # nothing left to press
    assert said(sent) == "Acknowledged."
    assert notices.records[NOTICE].acked_by == "Tam Teacher"
    (person, data), *_ = notices.calls
    assert person is not None and person.display_name == "Tam Teacher" and data == {"id": NOTICE}


async def test_a_second_press_of_the_stale_card_says_what_already_happened(bot: BotClient, notices: Notices) -> None:
    await pressing(bot.conversation(aad_object_id=TEACHER_AAD), press())
    other_chat = bot.conversation(aad_object_id=TEACHER_AAD, type="groupChat", id="19:other@thread.v2")
    sent = await pressing(other_chat, press(), reply_to_id="sent-card-2")
    assert said(sent) == "Already acknowledged by Tam Teacher at 10:42."
    assert [s.id for s in sent if s.is_update] == ["sent-card-2"]  # the stale copy loses its button too
    assert notices.changes == 1
    assert notices.records[NOTICE].acked_at == ACKED_AT


async def test_without_a_reply_to_id_the_new_card_is_sent(bot: BotClient) -> None:
    sent = await pressing(bot.conversation(aad_object_id=TEACHER_AAD), press(), reply_to_id=None)
    assert not any(s.is_update for s in sent)
    assert "acknowledged by Tam Teacher" in visible_text([s.activity for s in sent])


async def test_when_the_card_cannot_be_replaced_the_new_one_is_sent(
    bot: BotClient, connector: ConnectorStandIn, logged: JsonLines
) -> None:
    connector.failures.append((404, {}))  # the PUT: e.g. the message was deleted
    sent = await pressing(bot.conversation(aad_object_id=TEACHER_AAD), press())
    assert "acknowledged by Tam Teacher" in visible_text([s.activity for s in sent])
    assert said(sent).endswith("Acknowledged.")
    (line,) = logged.lines("lncip.turn")
    assert line["card_update_failed"] == "ErrorResponseException"


MALFORMED = {
    "missing id": {"verb": VERB},
    "id not a number": press("abc"),
    "id an object": press({"id": 42}),
    "id a 5000-character string": press("4" * 5000),
    "id true": press(True),
    "id zero": press(0),
    "id negative": press(-42),
    "id a fraction": press(4.2),
}
UNKNOWN = {
    "unknown verb": {"verb": "test.notice.delete", "id": NOTICE},
    "verb not a string": {"verb": 42, "id": NOTICE},
    "verb an object": {"verb": {"name": VERB}, "id": NOTICE},
    "verb a 5000-character string": {"verb": "a." + "b" * 4998, "id": NOTICE},
    "verb of the wrong form": {"verb": "Notice Ack; drop table", "id": NOTICE},
    "verb null": {"verb": None, "id": NOTICE},
}


@pytest.mark.parametrize("value", MALFORMED.values(), ids=MALFORMED.keys())
async def test_malformed_data_is_refused_kindly_and_the_handler_not_called(
    bot: BotClient, notices: Notices, value: dict[str, Any], logged: JsonLines
) -> None:
    sent = await pressing(bot.conversation(aad_object_id=TEACHER_AAD, type="groupChat", id="19:g@thread.v2"), value)
    assert "didn't come through properly" in said(sent) and "haven't done anything" in said(sent)
    assert not any(s.is_update for s in sent)
    assert notices.calls == [] and notices.records[NOTICE].acked_by is None
    (line,) = logged.lines("lncip.turn")
    assert (line["card_action"], line["card_action_refused"], line["card_action_field"]) == (VERB, "bad_data", "id")


@pytest.mark.parametrize("value", UNKNOWN.values(), ids=UNKNOWN.keys())
async def test_an_unknown_or_malformed_verb_is_refused_kindly(
    bot: BotClient, notices: Notices, value: dict[str, Any], logged: JsonLines
) -> None:
    sent = await pressing(bot.conversation(aad_object_id=TEACHER_AAD, type="channel", id="19:c@thread.tacv2"), value)
    assert "don't recognise that button" in said(sent)
    assert len(sent) == 1 and notices.calls == []
    (line,) = logged.lines("lncip.turn")
    assert "card_action" not in line  # the sender's verb is not ours to log
    assert line["card_action_refused"] in ("unknown_verb", "verb_not_text", "bad_verb", "no_verb")
    assert "drop table" not in "\n".join(logged.written)


async def test_identity_comes_from_the_activity_not_the_card(bot: BotClient, notices: Notices) -> None:
    forged = press(person_id=1, school_id=notices.records[NOTICE].school_id, aad_object_id=TEACHER_AAD, name="Tam")
    sent = await pressing(bot.conversation(aad_object_id="aad-stranger"), forged)
    assert said(sent) == "Only staff at the notice's school may acknowledge it."
    assert notices.calls == [(None, {"id": NOTICE})]  # the forged fields never reached the handler
    assert notices.records[NOTICE].acked_by is None

    admin_forging_a_teacher = press(person_id=2, school_id=notices.records[NOTICE].school_id)
    sent = await pressing(bot.conversation(aad_object_id=ADMIN_AAD), admin_forging_a_teacher)
    assert said(sent) == "Only staff at the notice's school may acknowledge it."
    person, data = notices.calls[-1]
    assert person is not None and person.display_name == "Pat Admin" and data == {"id": NOTICE}


async def test_the_turn_log_names_the_action_and_none_of_its_data(bot: BotClient, logged: JsonLines) -> None:
    await pressing(bot.conversation(aad_object_id=TEACHER_AAD), press(note="Zebedee Quartermaine"))
    (line,) = logged.lines("lncip.turn")
    assert line["card_action"] == VERB and line["card_replaced"] is True and "card_action_refused" not in line
    assert "Zebedee" not in "\n".join(logged.written)


# --- Action.Execute (an invoke), answered with an SDK model (the botbuilder 4.17.1 invoke bug) ----


async def test_action_execute_answers_200_with_the_new_card(bot: BotClient, notices: Notices) -> None:
    chat = bot.conversation(aad_object_id=TEACHER_AAD, type="groupChat", id="19:exec@thread.v2")
    before = len(bot.connector.sent)
    status, body = await chat.execute(VERB, {"id": NOTICE}, reply_to_id=PRESSED)
    assert status == 200
    assert body is not None and body["statusCode"] == 200
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    assert body["value"]["body"][0]["text"] == "Notice 42: acknowledged by Tam Teacher"
    sent = bot.connector.sent[before:]
    assert [s.id for s in sent if s.is_update] == [PRESSED]  # the others in the chat see it too
    assert said(sent) == "Acknowledged."
    assert notices.changes == 1


async def test_action_execute_with_bad_data_answers_a_message_and_calls_nothing(
    bot: BotClient, notices: Notices
) -> None:
    chat = bot.conversation(aad_object_id=TEACHER_AAD)
    for verb, data in [(VERB, {"id": "abc"}), ("test.nothing.here", {"id": 1}), (42, None), (VERB, ["id", 42])]:
        status, body = await chat.execute(verb, data)
        assert status == 200 and body is not None
        assert body["type"] == "application/vnd.microsoft.activity.message"
        assert "haven't done anything" in body["value"]
    assert notices.calls == []


async def test_other_invokes_still_get_the_sdks_answer(bot: BotClient) -> None:
    chat = bot.conversation(aad_object_id=TEACHER_AAD)
    status, _ = await bot.post_for_body(chat.activity("invoke", name="composeExtension/query", value={}))
    assert status == 501


# --- buttons that are not card actions -----------------------------------------------------------


@pytest.mark.parametrize("where", ["groupChat", "channel"])
async def test_a_question_button_is_answered_in_group_chats_and_channels_without_mention(
    bot: BotClient, where: str
) -> None:
    chat = bot.conversation(**CHATS[where])
    sent = await pressing(chat, {"action": "ask", "question": "how many KS4 places are there?"}, reply_to_id=None)
    assert "26" in visible_text([s.activity for s in sent])


async def test_typed_messages_in_a_group_chat_still_need_a_mention(bot: BotClient) -> None:
    assert await bot.conversation(**CHATS["groupChat"]).ask("how many KS4 places are there?") == []


async def test_a_known_verb_is_handled_during_a_dialog_and_the_dialog_carries_on(
    bot: BotClient, notices: Notices
) -> None:
    admin = bot.conversation(aad_object_id=ADMIN_AAD)
    await admin.ask("people")
    card = form(await admin.ask("during.dialog@cva.example.org"))
    assert said(await pressing(admin, press())) == "Only staff at the notice's school may acknowledge it."
    value = save_data(card) | {"display_name": "Dee Alog", "school": "partnership", "roles": "coordinator"}
    assert "Added Dee Alog" in visible_text(await submit(admin, value | {"active": "true"}))


async def test_an_unknown_verb_during_a_dialog_goes_to_the_dialog(bot: BotClient) -> None:
    admin = bot.conversation(aad_object_id=ADMIN_AAD)
    await admin.ask("people")
    await admin.ask("other.dialog@cva.example.org")
    sent = await pressing(admin, {"verb": "test.nothing.here", "id": 1})
    assert "fill in the card" in said(sent)


# --- the router on its own ---------------------------------------------------------------------


async def _nothing(_turn: Turn, _data: ActionData) -> ActionOutcome:
    return ActionOutcome()


def test_a_verb_is_registered_once_and_in_the_feature_dot_action_form() -> None:
    router = CardActionRouter([CardAction("referral.decide", {"id": Id()}, _nothing)])
    with pytest.raises(ValueError, match="twice"):
        router.register(CardAction("referral.decide", {}, _nothing))
    for bad in ("decide", "Referral.Decide", "referral decide", "referral.", "a." + "b" * 64):
        with pytest.raises(ValueError, match="form"):
            router.register(CardAction(bad, {}, _nothing))
    with pytest.raises(ValueError, match="name"):
        router.register(CardAction("referral.withdraw", {"verb": Text()}, _nothing))


def test_parse_gives_the_action_and_only_its_declared_data() -> None:
    action = CardAction("referral.decide", {"id": Id(), "outcome": Text(choices=frozenset({"accept"}))}, _nothing)
    router = CardActionRouter([action])
    parsed = router.parse({"verb": "referral.decide", "id": "42", "outcome": "accept", "person_id": 7})
    assert not isinstance(parsed, Refusal)
    found, data = parsed
    assert found is action and data.id == 42 and data.text("outcome") == "accept"
    assert dict(data.values) == {"id": 42, "outcome": "accept"}
    assert router.parse({"verb": "referral.decide", "id": 42, "outcome": "reject"}) == Refusal(
        "bad_data", "referral.decide", ShapeProblem("outcome", "bad_format")
    )
    executed = router.parse_execute({"action": {"verb": "referral.decide", "data": {"id": 42, "outcome": "accept"}}})
    assert not isinstance(executed, Refusal) and executed[1].id == 42
    with_its_own_verb = {"action": {"verb": "referral.decide", "data": {"id": 42, "outcome": "accept", "verb": "x.y"}}}
    assert not isinstance(router.parse_execute(with_its_own_verb), Refusal)  # the action's verb wins
    assert router.parse_execute({"action": "referral.decide"}) == Refusal("no_verb")


async def test_a_typed_message_never_reaches_the_router(bot: BotClient, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: Any) -> None:
        raise AssertionError("a message without a value paid for card actions")

    monkeypatch.setattr(CardActionRouter, "parse", refuse)
    assert "26" in visible_text(await bot.conversation().ask("how many KS4 places are there?"))
    assert "26" in visible_text(await bot.conversation(**CHATS["channel"]).ask("how many KS4 places?", mention=True))


async def test_a_failing_handler_gets_the_apology_and_no_card(bot: BotClient, notices: Notices) -> None:
    notices.broken = True
    chat = bot.conversation(aad_object_id=TEACHER_AAD)
    sent = await pressing(chat, press())
    assert "something went wrong" in said(sent) and not any(s.is_update for s in sent)
    before = len(bot.connector.sent)
    status, body = await chat.execute(VERB, {"id": NOTICE})
    # The SDK answers an invoke whose turn failed with 501 and no body: Teams shows the card's own
    # error line; the apology goes to the chat.
    assert (status, body) == (501, None)
    assert "something went wrong" in said(bot.connector.sent[before:])
