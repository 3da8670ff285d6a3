"""What one turn knows beyond the activity: who is talking and their dialog context."""

from __future__ import annotations

from dataclasses import dataclass

from botbuilder.core import TurnContext
from botbuilder.dialogs import DialogContext

from bot.activities import card_activity
from bot.cards import RenderedCard
from core.clock import Clock, SystemClock
from domain.access import Actor
from domain.directory.model import PersonRecord


@dataclass
class Turn:
    context: TurnContext
    person: PersonRecord | None
    dialogs: DialogContext | None
    args: str = ""

    @property
    def actor(self) -> Actor | None:
        return self.person.actor if self.person else None

    async def send_card(self, rendered: RenderedCard) -> None:
        await self.context.send_activity(card_activity(rendered.card, rendered.text))

    async def say(self, message: str) -> None:
        await self.context.send_activity(message)


PERSON_KEY = "lncip.person"
CLOCK_KEY = "lncip.clock"  # the app's one clock, for the features' services
LOG_KEY = "lncip.log"  # the fields of this turn's one log line, written when the turn ends


def log_outcome(context: TurnContext, **fields: str | int | bool | None) -> None:
    """Add what the turn did (ids and kinds, never message text) to its log line."""
    line = context.turn_state.get(LOG_KEY)
    if isinstance(line, dict):
        line.update(fields)


def person_of(context: TurnContext) -> PersonRecord | None:
    """The directory person the handler resolved for this turn (None: not in the directory)."""
    person = context.turn_state.get(PERSON_KEY)
    return person if isinstance(person, PersonRecord) else None


def clock_of(context: TurnContext) -> Clock:
    """The app's clock (a `ManualClock` in tests), as the handler put it on the turn."""
    clock: Clock | None = context.turn_state.get(CLOCK_KEY)
    return clock if clock is not None else SystemClock()
