"""What one turn knows beyond the activity: who is talking and their dialog context."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from botbuilder.core import TurnContext
from botbuilder.dialogs import DialogContext

from bot.activities import card_activity
from bot.cards import RenderedCard
from domain.access import Actor
from domain.directory.model import PersonRecord


@dataclass
class Turn:
    context: TurnContext
    person: PersonRecord | None
    dialogs: DialogContext | None
    args: str = ""
    in_dialog: bool = False  # a question answered in the middle of a dialog ("what does AWPU mean?")

    @property
    def actor(self) -> Actor | None:
        return self.person.actor if self.person else None

    async def send_card(self, rendered: RenderedCard) -> None:
        await self.context.send_activity(card_activity(rendered.card, rendered.text))

    async def say(self, message: str) -> None:
        await self.context.send_activity(message)


PERSON_KEY = "lncip.person"
LOG_KEY = "lncip.log"  # the fields of this turn's one log line, written when the turn ends
ANSWER_KEY = "lncip.answer"  # how the handler answers a question from the knowledge base, this turn
Answerer = Callable[[TurnContext, str], Awaitable[None]]


def log_outcome(context: TurnContext, **fields: str | int | bool | None) -> None:
    """Add what the turn did (ids and kinds, never message text) to its log line."""
    line = context.turn_state.get(LOG_KEY)
    if isinstance(line, dict):
        line.update(fields)


def person_of(context: TurnContext) -> PersonRecord | None:
    """The directory person the handler resolved for this turn (None: not in the directory)."""
    person = context.turn_state.get(PERSON_KEY)
    return person if isinstance(person, PersonRecord) else None


async def answer_question(context: TurnContext, question: str) -> bool:
    """Answer `question` from the knowledge base as the Q&A does (a dialog's question in the
    middle: "what does AWPU mean?"); False if this turn has no knowledge base."""
    answer = context.turn_state.get(ANSWER_KEY)
    if answer is None:
        return False
    await answer(context, question)
    return True
