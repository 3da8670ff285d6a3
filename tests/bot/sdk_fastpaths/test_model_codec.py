"""`ModelCodec` gives exactly what msrest gives, both ways, on hand-made and random documents."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Callable
from typing import Any

import pytest
from botbuilder.core import CardFactory, MessageFactory
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    CardAction,
    ChannelAccount,
    ConversationAccount,
    Entity,
    InputHints,
    Mention,
    ResourceResponse,
    SuggestedActions,
    TextFormatTypes,
)
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import MicrosoftAppCredentials

from bot.sdk_fastpaths import sdk_fixes
from bot.sdk_fastpaths.model_codec import ModelCodec

sdk_fixes.apply()
CLIENT = ConnectorClient(MicrosoftAppCredentials.empty(), base_url="http://connector")
OUTGOING = ModelCodec(CLIENT._serialize.dependencies, CLIENT._serialize)
INCOMING = ModelCodec(Activity._infer_class_models())


def outcome(call: Callable[[], Any]) -> tuple[str, Any]:
    try:
        return "ok", call()
    except Exception as error:
        return "error", type(error).__name__


def same_json(activity: Any, type_name: str = "Activity") -> None:
    mine = outcome(lambda: json.dumps(OUTGOING.serialize(activity, type_name)))
    msrest = outcome(lambda: json.dumps(CLIENT._serialize.body(activity, type_name)))
    assert mine == msrest


def same_model(data: Any, type_name: str = "Activity") -> Any:
    mine = outcome(lambda: INCOMING.deserialize(type_name, data))
    msrest = outcome(lambda: Activity._infer_class_models()[type_name].deserialize(data))
    assert mine == msrest
    if mine[0] == "ok":
        assert vars(mine[1]) == vars(msrest[1])
    return mine[1]


def replies() -> list[Activity]:
    card = CardFactory.adaptive_card(
        {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "Ünï “q” & <t>"}]}
    )
    mention = Mention(mentioned=ChannelAccount(id="29:x", name="Sam"), text="<at>Sam</at>", type="mention")
    with_everything = MessageFactory.text("hello", speak="hi", input_hint=InputHints.expecting_input)
    with_everything.text_format = TextFormatTypes.markdown
    with_everything.entities = [mention, Entity(type="clientInfo")]
    with_everything.suggested_actions = SuggestedActions(
        actions=[
            CardAction(type="imBack", title="KS4?", value="KS4?"),
            CardAction(type="messageBack", value={"a": [1, None]}),
        ]
    )
    with_everything.timestamp = dt.datetime(2026, 11, 28, 9, 30, 5, 123000, tzinfo=dt.UTC)
    with_everything.local_timestamp = dt.datetime(2026, 11, 28, 9, 30, 5, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    with_everything.channel_data = {"notification": {"alert": True}, "n": [1.5, None, "x"]}
    with_everything.from_property = ChannelAccount(id="28:bot", name="LNCIP assistant", role="bot")
    with_everything.conversation = ConversationAccount(
        id="a:1", conversation_type="personal", tenant_id="t", is_group=False
    )
    with_everything.reply_to_id = "1:act"
    dict_in_model_place = Activity(type="message", text="x")
    dict_in_model_place.from_property = {"id": "28:bot", "name": "as a dict"}  # msrest turns it into a model
    enum_type = Activity(type=ActivityTypes.typing)
    odd_values = Activity(type="message", history_disclosed=1, listen_for=["a", None])  # int for bool: msrest's call
    return [
        MessageFactory.text("plain"),
        MessageFactory.attachment(card),
        MessageFactory.carousel([card, card], "two"),
        with_everything,
        dict_in_model_place,
        enum_type,
        odd_values,
        Activity(),
    ]


@pytest.mark.parametrize("index", range(len(replies())))
def test_a_reply_is_written_as_msrest_writes_it(index: int) -> None:
    same_json(replies()[index])


def test_a_connector_answer_is_read_as_msrest_reads_it() -> None:
    assert same_model({"id": "sent-1"}, "ResourceResponse") == ResourceResponse(id="sent-1")
    same_model({"id": 5, "extra": True}, "ResourceResponse")
    same_model({}, "ResourceResponse")


INCOMING_ACTIVITIES: list[dict[str, Any]] = [
    {
        "type": "message",
        "id": "1:abc",
        "timestamp": "2026-11-28T09:30:05.1234567Z",
        "localTimestamp": "2026-11-28T09:30:05.123+00:00",
        "localTimezone": "Europe/London",
        "serviceUrl": "https://smba.trafficmanager.net/uk/",
        "channelId": "msteams",
        "from": {"id": "29:1", "name": "Sam Teacher", "aadObjectId": "00000000-0000-0000-0000-000000000001"},
        "conversation": {
            "conversationType": "channel",
            "tenantId": "t",
            "id": "19:x@thread.tacv2;messageid=1",
            "isGroup": True,
        },
        "recipient": {"id": "28:bot", "name": "LNCIP"},
        "textFormat": "plain",
        "locale": "en-GB",
        "text": "<at>LNCIP</at> how many KS4 places?",
        "entities": [
            {"type": "mention", "mentioned": {"id": "28:bot", "name": "LNCIP"}, "text": "<at>LNCIP</at>"},
            {"type": "clientInfo", "locale": "en-GB", "country": "GB", "platform": "Web", "timezone": "Europe/London"},
        ],
        "channelData": {"tenant": {"id": "t"}, "team": {"id": "19:t"}, "channel": {"id": "19:c"}, "source": None},
        "attachments": [{"contentType": "text/html", "content": "<div>hi</div>"}],
        "rawTimestamp": "2026-11-28T09:30:05.1234567Z",
    },
    {
        "type": "message",
        "value": {"action": "ask", "question": "KS4?", "n": 1.5, "ok": True, "none": None},
        "replyToId": "9",
    },
    {"type": "conversationUpdate", "membersAdded": [{"id": "28:bot"}, {"id": "29:1"}], "membersRemoved": []},
    {"type": "installationUpdate", "action": "add", "conversation": {"id": "a:1"}},
    {"type": "messageReaction", "reactionsAdded": [{"type": "like"}]},
    {"type": "invoke", "name": "adaptiveCard/action", "value": {"action": {"type": "Action.Execute", "verb": "save"}}},
    {"type": "message", "timestamp": "not a date"},
    {"type": "message", "historyDisclosed": "true", "id": 12},
    {"type": "message", "from": "not an object"},
    {"type": "message", "entities": {"not": "a list"}},
    {
        "type": "message",
        "suggestedActions": {"actions": [{"type": "imBack", "value": "x", "image": None}], "to": ["29:1"]},
    },
    {
        "type": "message",
        "relatesTo": {"activityId": "1", "user": {"id": "u"}, "conversation": {"id": "c"}, "bot": None},
    },
]


@pytest.mark.parametrize("index", range(len(INCOMING_ACTIVITIES)))
def test_an_incoming_activity_is_read_as_msrest_reads_it(index: int) -> None:
    model = same_model(INCOMING_ACTIVITIES[index])
    if isinstance(model, Activity):
        same_json(model)  # and written back the same way


def random_value(rng: random.Random, kind: str, depth: int) -> Any:
    """A value for an attribute of msrest type `kind`: usually of that type, sometimes not."""
    roll = rng.random()
    if roll < 0.08:
        return None
    if roll < 0.14:
        return rng.choice([1, 2.5, True, "text", [], {}, "2026-01-01T00:00:00Z"])  # the wrong kind
    if kind == "str":
        return rng.choice(["", "a", "Ünïcode “q”", "message", "29:user"])
    if kind == "bool":
        return rng.random() < 0.5
    if kind in ("int", "float"):
        return rng.choice([0, 1, -5, 3.25]) if kind == "float" else rng.choice([0, 7, -1])
    if kind == "iso-8601":
        return rng.choice(["2026-11-28T09:30:05Z", "2026-11-28T09:30:05.1234567+01:00", "2026-11-28"])
    if kind == "object":
        return rng.choice([{"a": [1, None, {"b": "c"}]}, "text", 4, [True], None])
    if kind.startswith("[") and kind.endswith("]"):
        return [random_value(rng, kind[1:-1], depth + 1) for _ in range(rng.randrange(0, 3))]
    if kind.startswith("{") and kind.endswith("}"):
        return {f"k{i}": random_value(rng, kind[1:-1], depth + 1) for i in range(rng.randrange(0, 3))}
    return random_document(rng, kind, depth + 1)


def random_document(rng: random.Random, type_name: str, depth: int = 0) -> dict[str, Any] | None:
    model = Activity._infer_class_models().get(type_name)
    if model is None or depth > 3 or not hasattr(model, "_attribute_map"):
        return None
    document = {}
    for description in model._attribute_map.values():
        if rng.random() < 0.5:
            document[description["key"]] = random_value(rng, description["type"], depth)
    if rng.random() < 0.2:
        document["somethingNew"] = {"x": 1}
    return document


@pytest.mark.parametrize("seed", range(300))
def test_random_activities_both_ways(seed: int) -> None:
    rng = random.Random(seed)
    model = same_model(random_document(rng, "Activity"))
    if isinstance(model, Activity):
        same_json(model)


def test_everyday_documents_take_the_fast_way(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_msrest(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("went through msrest")

    monkeypatch.setattr(OUTGOING.serializer, "body", no_msrest)
    monkeypatch.setattr(INCOMING.deserializer, "_deserialize", no_msrest)
    INCOMING.deserialize("Activity", INCOMING_ACTIVITIES[0])  # channelData goes through msrest's own
    for reply in replies()[:4]:
        OUTGOING.serialize(reply, "Activity")
