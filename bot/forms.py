"""A dialog's form: the token its Save carries, so a press is understood even after the dialog ended.

A form is a card a dialog shows and then waits on (the people form). Every card of one run of
the dialog carries the same token in its Save's data, `{"form": "<token>"}`, and the
conversation's state keeps the last few tokens whose Save was pressed:

- `claim` comes first, before the dialog saves anything: it writes the state at once, against
  the etag the turn read, so of two presses of one Save (a double click, two instances at once)
  only one goes on to save; the other hears the form was already saved, and changes nothing;
- `saved` once saved, `release` if the save was refused (the form may be pressed again);
- the handler answers a press of a form already saved, or of one whose dialog has ended without
  saving it (cancelled, or from an older chat), without any dialog: "already saved", "expired".

A claim stays "saving" only if the process died inside the save; after `ABANDONED_AFTER` it no
longer counts, and the form's Save works again (the dialog is still waiting on it).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from botbuilder.core import TurnContext

from bot.storage import FINISHED_FORMS, DatabaseConversationState, EtagConflict
from bot.submit_shapes import ShapeProblem, Text, check
from core.clock import Clock

FORM_KEY = "form"  # the key of a form's Save data that holds its token
FORM_SHAPE = {FORM_KEY: Text(max_length=32, pattern=r"[0-9a-f]{32}")}
KEPT = 20  # tokens remembered per conversation, the newest
ABANDONED_AFTER = timedelta(minutes=2)  # far longer than any turn (Teams gives up after 15 s)
FORMS_KEY = "lncip.forms"  # where the handler puts this bot's `Forms` in a turn's state


class FormStatus(Enum):
    OPEN = "open"  # not pressed yet (or its save was refused, or abandoned)
    SAVING = "saving"  # another turn is saving it now
    SAVED = "saved"


def new_form() -> str:
    return uuid.uuid4().hex


def form_of(value: object) -> str | None:
    """The form token in a submit's data, or None if it has none (or one that is not a token)."""
    if not isinstance(value, dict):
        return None
    checked = check(FORM_SHAPE, value)
    return None if isinstance(checked, ShapeProblem) else checked[FORM_KEY]  # type: ignore[return-value]


@dataclass
class Forms:
    """The forms of each conversation, kept in its conversation state."""

    state: DatabaseConversationState
    clock: Clock

    async def status(self, context: TurnContext, token: str) -> FormStatus:
        entry = (await self._ledger(context)).get(token)
        if not isinstance(entry, dict):
            return FormStatus.OPEN
        if entry.get("saved") is True:
            return FormStatus.SAVED
        claimed = datetime.fromisoformat(str(entry.get("at")))
        return FormStatus.SAVING if self.clock.now() - claimed < ABANDONED_AFTER else FormStatus.OPEN

    async def claim(self, context: TurnContext, token: str) -> bool:
        """Mark the form as being saved and store that now; False if another turn changed this
        conversation's state since this one read it (then the state is read again, and this
        turn must not save)."""
        ledger = await self._ledger(context, create=True)
        ledger.pop(token, None)
        ledger[token] = {"saved": False, "at": self.clock.now().isoformat()}
        for old in list(ledger)[:-KEPT]:
            del ledger[old]
        try:
            await self.state.save_changes(context, force=True)
        except EtagConflict:
            await self.state.load(context, force=True)
            return False
        return True

    async def saved(self, context: TurnContext, token: str) -> None:
        (await self._ledger(context, create=True))[token] = {"saved": True, "at": self.clock.now().isoformat()}

    async def release(self, context: TurnContext, token: str) -> None:
        (await self._ledger(context, create=True)).pop(token, None)

    async def _ledger(self, context: TurnContext, create: bool = False) -> dict[str, Any]:
        await self.state.load(context)
        state = self.state.get_cached_state(context).state
        ledger = state.get(FINISHED_FORMS)
        if not isinstance(ledger, dict):
            ledger = {}
            if create:
                state[FINISHED_FORMS] = ledger
        return ledger


def forms_of(context: TurnContext) -> Forms:
    forms = context.turn_state.get(FORMS_KEY)
    if not isinstance(forms, Forms):
        raise RuntimeError("a form needs conversation state (the handler puts `Forms` in the turn)")
    return forms
