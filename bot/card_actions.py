"""Card actions: a button pressed outside any dialog, routed by its verb to the feature that owns it.

A button carries a verb and record ids, nothing more, so any instance can handle a press after a
restart, with no dialog state (discord.py's persistent views):

    {"type": "Action.Submit", "title": "Acknowledge",
     "data": {"verb": "safeguarding.alert.ack", "id": 42}}

or, as a Universal Action (Teams, card version 1.5; keep the Submit above as its `fallback`):

    {"type": "Action.Execute", "title": "Acknowledge", "verb": "safeguarding.alert.ack", "data": {"id": 42}}

A feature declares each verb once, with the shape of its data (`bot.submit_shapes`) and a handler:

    CardAction("safeguarding.alert.ack", {"id": Id()}, acknowledge)

The router checks the data against that shape before the handler sees it; fields the shape does
not declare are dropped. Who pressed comes from the activity only (`Turn.person`), never from the
card, and the handler reloads the record by its id and asks the access policy again, because
card data can be forged. A press of a stale button (already acted on, perhaps by someone else)
reaches the handler like any other: it sees from the record what already happened and says so.

The handler returns an `ActionOutcome`: the card that replaces the pressed one (so its buttons
cannot be pressed again) and/or a short message. An unknown verb or data that does not fit its
shape gets one kind sentence and changes nothing; the handler is not called.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from botbuilder.core import InvokeResponse
from botbuilder.schema import AdaptiveCardInvokeResponse
from msrest.exceptions import HttpOperationError

from bot.activities import card_activity
from bot.card_text import ADAPTIVE_CARD
from bot.cards import RenderedCard
from bot.submit_shapes import Shape, ShapeProblem, Value, check
from bot.texts import text
from bot.turn import Turn, log_outcome

VERB = "verb"  # the key of a button's data that names its action
MAX_VERB_LENGTH = 64
_VERB_FORMAT = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+")  # feature.thing[.more], e.g. referral.decide
INVOKE_NAME = "adaptiveCard/action"  # how Teams delivers an Action.Execute
_MESSAGE = "application/vnd.microsoft.activity.message"  # an Action.Execute answered with text


@dataclass(frozen=True)
class ActionData:
    """A press's data after its shape was checked: the declared fields only, converted."""

    verb: str
    values: Mapping[str, Value]

    @property
    def id(self) -> int:
        """The `id` field (declare it as `Id()`)."""
        return self.number("id")

    def number(self, name: str) -> int:
        value = self.values[name]
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"{self.verb}: field {name!r} is not declared as an Id")
        return value

    def text(self, name: str) -> str | None:
        value = self.values[name]
        if value is not None and not isinstance(value, str):
            raise TypeError(f"{self.verb}: field {name!r} is not declared as Text")
        return value

    def flag(self, name: str) -> bool:
        value = self.values[name]
        if not isinstance(value, bool):
            raise TypeError(f"{self.verb}: field {name!r} is not declared as a Flag")
        return value


@dataclass(frozen=True)
class ActionOutcome:
    """What to do with the pressed card: `card` replaces it (update in place when Teams says which
    message it was, otherwise sent as a new message); `say` is a short message sent after."""

    card: RenderedCard | None = None
    say: str | None = None


ActionHandler = Callable[[Turn, ActionData], Awaitable[ActionOutcome]]


@dataclass(frozen=True)
class CardAction:
    """One verb a card's button may carry, the shape of its data, and what does it."""

    verb: str
    fields: Shape
    handle: ActionHandler
    starts_dialog: bool = False  # the handler gets the turn's dialog context (`Turn.dialogs`); others get None


@dataclass(frozen=True)
class Refusal:
    """A press that was not handled. `reason`: `no_verb`, `verb_not_text`, `bad_verb`,
    `unknown_verb` or `bad_data`. `verb` is set only for a registered verb; `problem` says
    which declared field was wrong (both safe to log: they are ours, not the sender's)."""

    reason: str
    verb: str | None = None
    problem: ShapeProblem | None = None

    @property
    def known_verb(self) -> bool:
        return self.verb is not None


Pressed = tuple[CardAction, ActionData]


class TextInvokeResponse(AdaptiveCardInvokeResponse):
    """An Action.Execute answered with a message: its `value` is the text, which the SDK's model
    (typed as an object) cannot serialise."""

    _attribute_map = {**AdaptiveCardInvokeResponse._attribute_map, "value": {"key": "value", "type": "str"}}


class CardActionRouter:
    """Every registered card action, by verb."""

    def __init__(self, actions: Iterable[CardAction] = ()) -> None:
        self._actions: dict[str, CardAction] = {}
        for action in actions:
            self.register(action)

    def register(self, action: CardAction) -> None:
        if not _VERB_FORMAT.fullmatch(action.verb) or len(action.verb) > MAX_VERB_LENGTH:
            raise ValueError(f"card action verb {action.verb!r} is not of the form feature.action")
        if action.verb in self._actions:
            raise ValueError(f"card action verb {action.verb!r} is registered twice")
        if VERB in action.fields:
            raise ValueError(f"{action.verb}: {VERB!r} is the action's name, not a field")
        self._actions[action.verb] = action

    def knows(self, verb: str) -> bool:
        """A feature registered `verb` (so `help` mentions only what works)."""
        return verb in self._actions

    def parse(self, value: Mapping[str, Any]) -> Pressed | Refusal:
        """The action a submit's `value` names and its checked data, or why it will not be handled."""
        verb = value.get(VERB)
        if verb is None:
            return Refusal("no_verb")
        if not isinstance(verb, str):
            return Refusal("verb_not_text")
        if len(verb) > MAX_VERB_LENGTH or not _VERB_FORMAT.fullmatch(verb):
            return Refusal("bad_verb")
        action = self._actions.get(verb)
        if action is None:
            return Refusal("unknown_verb")
        checked = check(action.fields, value)
        if isinstance(checked, ShapeProblem):
            return Refusal("bad_data", verb=action.verb, problem=checked)
        return action, ActionData(action.verb, checked)

    def parse_execute(self, value: object) -> Pressed | Refusal:
        """The same for an Action.Execute invoke: `value.action.verb` and `value.action.data`."""
        action = value.get("action") if isinstance(value, dict) else None
        if not isinstance(action, dict):
            return Refusal("no_verb")
        data = action.get("data")
        if data is None:
            data = {}
        if not isinstance(data, dict):
            return Refusal("bad_data")
        return self.parse({**data, VERB: action.get(VERB)})

    async def submit(self, turn: Turn, pressed: Pressed | Refusal) -> None:
        """Answer an Action.Submit: run the handler, then replace the pressed card and/or say something."""
        outcome = await self._run(turn, pressed)
        if outcome.card is not None:
            await replace_pressed_card(turn, outcome.card)
        if outcome.say:
            await turn.say(outcome.say)

    async def execute(self, turn: Turn, pressed: Pressed | Refusal) -> InvokeResponse:
        """Answer an Action.Execute: the new card goes back in the invoke response (Teams shows it
        in place at once) and replaces the message for everyone else in the chat too.

        The body is an SDK model, not a dict: botbuilder 4.17.1 serialises an invoke response's
        body again, and a dict there fails with HTTP 500 (see TEAMS-NOTES)."""
        outcome = await self._run(turn, pressed)
        if outcome.card is None:
            reply = TextInvokeResponse(status_code=200, type=_MESSAGE, value=outcome.say or text("done"))
            return InvokeResponse(status=200, body=reply)
        if turn.context.activity.reply_to_id:
            await replace_pressed_card(turn, outcome.card, send_if_not_replaced=False)
        if outcome.say:
            await turn.say(outcome.say)
        reply = AdaptiveCardInvokeResponse(status_code=200, type=ADAPTIVE_CARD, value=outcome.card.card)
        return InvokeResponse(status=200, body=reply)

    async def _run(self, turn: Turn, pressed: Pressed | Refusal) -> ActionOutcome:
        if isinstance(pressed, Refusal):
            fields = {"card_action_refused": pressed.reason}
            if pressed.verb is not None:
                fields["card_action"] = pressed.verb
            if pressed.problem is not None:
                fields |= {"card_action_field": pressed.problem.field, "card_action_problem": pressed.problem.reason}
            log_outcome(turn.context, **fields)
            return ActionOutcome(say=text("card_action_bad_data" if pressed.known_verb else "card_action_unknown"))
        action, data = pressed
        log_outcome(turn.context, card_action=action.verb)
        return await action.handle(turn, data)


async def replace_pressed_card(turn: Turn, card: RenderedCard, send_if_not_replaced: bool = True) -> None:
    """Put `card` where the pressed card was (the message Teams names in `replyToId`), so its
    buttons are gone; if Teams named none, or the message cannot be changed, send it as a new one."""
    pressed_id = turn.context.activity.reply_to_id
    if pressed_id and await replace_card(turn, pressed_id, card):
        return
    if send_if_not_replaced:
        await turn.send_card(card)


async def replace_card(turn: Turn, activity_id: str, card: RenderedCard) -> bool:
    """Put `card` in place of the bot's message `activity_id` in this conversation (a card it
    sent earlier, e.g. one answered by typing); False if Teams would not change it."""
    replacement = card_activity(card.card, card.text)
    replacement.id = activity_id
    try:
        await turn.context.update_activity(replacement)
    except HttpOperationError as error:  # e.g. 404: deleted, or not a message of this bot
        log_outcome(turn.context, card_update_failed=type(error).__name__)
        return False
    log_outcome(turn.context, card_replaced=True)
    return True
