"""`to_flat`/`from_flat` write and read exactly what jsonpickle does, quickly for dialog state."""

from __future__ import annotations

import enum
import json
import math
import random
from typing import Any

import pytest
from botbuilder.core import MessageFactory
from botbuilder.dialogs import DialogInstance, DialogState, DialogTurnStatus, PromptOptions
from botbuilder.dialogs.choices import Choice, ListStyle
from botbuilder.schema import Attachment, CardAction, InputHints, SuggestedActions
from jsonpickle.pickler import Pickler
from jsonpickle.unpickler import Unpickler

from bot.sdk_fastpaths import state_codec
from bot.sdk_fastpaths.state_codec import from_flat, to_flat
from tests.fixtures.stored_state import people_prompt_state_before


def jsonpickle_flat(item: object) -> Any:
    return Pickler(unpicklable=True).flatten(item, reset=True)


def prompt_state(email: str = "j.smith@school.example.org") -> dict[str, Any]:
    """A conversation's state as the people dialog leaves it: a component, its prompt, its waterfall."""
    prompt = MessageFactory.text("Whose details?", input_hint=InputHints.expecting_input)
    retry = MessageFactory.text("That doesn't look like an email address.")
    retry.suggested_actions = SuggestedActions(actions=[CardAction(type="imBack", title="cancel", value="cancel")])
    retry.attachments = [
        Attachment(content_type="application/vnd.microsoft.card.adaptive", content={"a": [1, 2.5, None, "é"]})
    ]
    waterfall = DialogInstance(
        "people.steps", {"options": {}, "values": {"email": email}, "instanceId": "deb00336", "stepIndex": 1}
    )
    email_prompt = DialogInstance(
        "people.email", {"options": PromptOptions(prompt=prompt, retry_prompt=retry), "state": {}}
    )
    inner = DialogState([email_prompt, waterfall])
    return {"DialogState": DialogState([DialogInstance("people", {"dialogs": inner})])}


def random_json(rng: random.Random, depth: int = 0) -> Any:
    kinds = ["str", "int", "float", "bool", "none"] + (["list", "dict"] if depth < 4 else [])
    kind = rng.choice(kinds)
    if kind == "str":
        return rng.choice(["", "a", "é ü", "py", "null", "12", "“quoted”", "line\nbreak"])
    if kind == "int":
        return rng.choice([0, -1, 7, 2**40])
    if kind == "float":
        return rng.choice([0.0, -2.5, 1e-9, 3.25])
    if kind == "bool":
        return rng.choice([True, False])
    if kind == "none":
        return None
    if kind == "list":
        return [random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {
        rng.choice(["a", "b", "email", "Ü", "stepIndex", ""]) + str(i): random_json(rng, depth + 1)
        for i in range(rng.randint(0, 4))
    }


def plain_items() -> list[Any]:
    rng = random.Random(20261128)
    items: list[Any] = [
        prompt_state(),
        {"DialogState": DialogState()},
        {"DialogState": DialogState([DialogInstance("x")])},
    ]
    items += [{"k": random_json(rng)} for _ in range(300)]
    items.append(Unpickler().restore(people_prompt_state_before(), reset=True))
    return items


class Colour(enum.Enum):
    RED = "red"


def not_plain_items() -> list[Any]:
    shared = {"n": 1}
    return [
        {"status": DialogTurnStatus.Waiting},
        {"t": (1, 2)},
        {"set": {1}},
        {"twice": [shared, shared]},
        {1: "a number as key"},
        {"py/object": "not a class"},
        {"nan": math.nan},
        {"colour": Colour.RED},
        {"options": PromptOptions(choices=[Choice("yes")], style=ListStyle.hero_card)},
        {"f": len},
    ]


@pytest.mark.parametrize("item", plain_items() + not_plain_items())
def test_to_flat_writes_what_jsonpickle_writes(item: Any) -> None:
    assert json.dumps(to_flat(item)) == json.dumps(jsonpickle_flat(item))


@pytest.mark.parametrize("item", plain_items() + not_plain_items())
def test_from_flat_reads_what_jsonpickle_reads(item: Any) -> None:
    flat = jsonpickle_flat(item)
    ours, theirs = (
        from_flat(json.loads(json.dumps(flat))),
        Unpickler().restore(json.loads(json.dumps(flat)), reset=True),
    )
    assert type(ours) is type(theirs)
    assert json.dumps(jsonpickle_flat(ours)) == json.dumps(jsonpickle_flat(theirs))


def test_dialog_state_takes_the_quick_way(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("jsonpickle was used")

    monkeypatch.setattr(state_codec.Pickler, "flatten", refuse)
    monkeypatch.setattr(state_codec.Unpickler, "restore", refuse)
    state = prompt_state()
    restored = from_flat(json.loads(json.dumps(to_flat(state))))
    inner = restored["DialogState"].dialog_stack[0].state["dialogs"]
    assert inner.dialog_stack[1].state["values"] == {"email": "j.smith@school.example.org"}
    prompt = inner.dialog_stack[0].state["options"].prompt
    assert (prompt.text, prompt.input_hint) == ("Whose details?", "expectingInput")
