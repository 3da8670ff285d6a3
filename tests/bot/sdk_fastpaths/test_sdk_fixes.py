"""The msrest patches in bot/sdk_fastpaths/sdk_fixes.py give exactly what msrest itself gives."""

from __future__ import annotations

import datetime
import enum
import json
import random
from typing import Any

import pytest
from botbuilder.core import TurnContext
from botbuilder.schema import Activity, Attachment, ChannelAccount, ConversationAccount
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import MicrosoftAppCredentials
from msrest.serialization import Serializer
from msrest.universal_http.requests import ClientRetryPolicy

from bot.activities import card_activity
from bot.qa_cards import render_reply, render_welcome
from bot.sdk_fastpaths import sdk_fixes
from tests.fixtures.bot_server import shared_knowledge


@pytest.fixture(autouse=True)
def applied() -> None:
    sdk_fixes.apply()


def test_a_retry_policy_is_the_one_msrest_builds() -> None:
    assert sdk_fixes.policy_state(ClientRetryPolicy()) == sdk_fixes.policy_state(sdk_fixes.original_retry_policy())


def test_retry_policies_share_no_mutable_state() -> None:
    first, second = ClientRetryPolicy(), ClientRetryPolicy()
    first.retries = 0
    first.policy.status_forcelist.append(1000)
    assert (second.retries, ClientRetryPolicy().retries) == (3, 3)
    assert 1000 not in second.policy.status_forcelist and 1000 not in ClientRetryPolicy().policy.status_forcelist
    assert first.policy is not second.policy


def random_json(rng: random.Random, depth: int = 0) -> Any:
    kinds = ["str", "int", "float", "bool", "none"] + (["dict", "list"] if depth < 4 else [])
    kind = rng.choice(kinds)
    if kind == "str":
        return "".join(rng.choice('aZ é“”\n\\"<>&0') for _ in range(rng.randrange(6)))
    if kind == "int":
        return rng.randrange(-(2**50), 2**50)
    if kind == "float":
        return rng.uniform(-1e6, 1e6)
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "none":
        return None
    if kind == "dict":
        return {f"k{rng.randrange(50)}": random_json(rng, depth + 1) for _ in range(rng.randrange(5))}
    return [random_json(rng, depth + 1) for _ in range(rng.randrange(5))]


@pytest.mark.parametrize("seed", range(50))
def test_plain_json_serialises_as_msrest_would(seed: int) -> None:
    value = random_json(random.Random(seed))
    for kwargs in ({}, {"is_xml": False}):
        patched = Serializer().serialize_object(value, **kwargs)
        assert patched == sdk_fixes.original_serialize_object(value, **kwargs)
        assert json.dumps(patched) == json.dumps(sdk_fixes.original_serialize_object(value, **kwargs))


class Colour(enum.Enum):
    RED = "red"


@pytest.mark.parametrize(
    "value",
    [
        {"when": datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)},
        {1: "a number as a key"},
        {"pair": (1, 2)},
        [Colour.RED, {"nested": Colour.RED}],
        {"account": ChannelAccount(id="29:x", name="Sam")},
        {"bool": True, "float": 1.5, "set": {1}},
    ],
)
def test_anything_else_still_goes_through_msrest(value: Any) -> None:
    assert Serializer().serialize_object(value) == sdk_fixes.original_serialize_object(value)


def test_xml_and_custom_serialisers_are_left_to_msrest() -> None:
    custom = {"basic_types_serializers": {"bool": lambda b: "yes" if b else "no"}}
    assert Serializer().serialize_object({"a": [True]}, **custom) == {"a": ["yes"]}
    as_xml = Serializer().serialize_object([False], is_xml=True)
    assert as_xml == sdk_fixes.original_serialize_object([False], is_xml=True)


def replies() -> list[Activity]:
    knowledge = shared_knowledge()
    incoming = Activity(
        type="message",
        id="1",
        channel_id="msteams",
        service_url="http://connector",
        from_property=ChannelAccount(id="29:u", name="Sam"),
        recipient=ChannelAccount(id="28:bot", name="Bot"),
        conversation=ConversationAccount(id="a:1", conversation_type="personal", tenant_id="t"),
    )
    reference = TurnContext.get_conversation_reference(incoming)
    rendered = [render_reply(knowledge.reply(q)) for q in ("how many KS4 places?", "wifi password?", "KS3 places")]
    rendered.append(render_welcome(knowledge.welcome_examples(), [("help", "What I can do")]))
    activities = [card_activity(r.card, r.text) for r in rendered]
    activities.append(Activity(type="message", text="plain", attachments=[Attachment(content_type="x", content=None)]))
    return [TurnContext.apply_conversation_reference(a, reference) for a in activities]


def test_a_reply_body_is_the_same_byte_for_byte() -> None:
    client = ConnectorClient(MicrosoftAppCredentials.empty(), base_url="http://connector")
    original = sdk_fixes.MsrestSerializer(client._serialize.dependencies)
    for activity in replies():
        patched = client._serialize.body(activity, "Activity")
        assert json.dumps(patched) == json.dumps(original.body(activity, "Activity"))


def unpatched(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ClientRetryPolicy, "__init__", sdk_fixes._ORIGINAL_INIT)
    monkeypatch.setattr(Serializer, "serialize_object", sdk_fixes._ORIGINAL_SERIALIZE_OBJECT)


def test_apply_refuses_to_start_when_a_policy_would_differ(monkeypatch: pytest.MonkeyPatch) -> None:
    unpatched(monkeypatch)
    real_copy = sdk_fixes._copy_state

    def slower_backoff(policy: ClientRetryPolicy) -> dict[str, Any]:
        state = real_copy(policy)
        state["policy"].backoff_factor = 2.0
        return state

    monkeypatch.setattr(sdk_fixes, "_copy_state", slower_backoff)
    with pytest.raises(sdk_fixes.SdkFixError, match="ClientRetryPolicy"):
        sdk_fixes.apply()
    assert ClientRetryPolicy.__init__ is sdk_fixes._ORIGINAL_INIT
    assert Serializer.serialize_object is sdk_fixes._ORIGINAL_SERIALIZE_OBJECT


def test_apply_refuses_to_start_when_a_body_would_differ(monkeypatch: pytest.MonkeyPatch) -> None:
    unpatched(monkeypatch)
    real_copy = sdk_fixes._plain_json_copy

    def floats_as_text(value: Any) -> Any:
        return str(value) if type(value) is float else real_copy(value)

    monkeypatch.setattr(sdk_fixes, "_plain_json_copy", floats_as_text)
    with pytest.raises(sdk_fixes.SdkFixError, match="serialize_object"):
        sdk_fixes.apply()
    assert Serializer.serialize_object is sdk_fixes._ORIGINAL_SERIALIZE_OBJECT
