"""The alert card's buttons: "Acknowledge" and "Add note". Each press reloads the concern and asks
the domain (which asks the policy), whoever the card says it is for: card data can be forged."""

from __future__ import annotations

from bot.card_actions import ActionData, ActionOutcome, CardAction
from bot.submit_shapes import Id, Text
from bot.texts import text
from bot.turn import Turn
from core.clock import Clock
from db.engine import Database
from dialogs.safeguarding.cards import ACKNOWLEDGE, NOTE, alert_card, when
from domain.access import NotAllowed
from domain.requester import Requester
from domain.safeguarding import service
from domain.safeguarding.model import Ladders
from domain.safeguarding.summaries import alert_detail

MAX_NOTE = 2000
SHAPE = {"id": Id(), "note": Text(max_length=MAX_NOTE, required=False, default="")}


def card_actions(database: Database, ladders: Ladders, clock: Clock) -> tuple[CardAction, ...]:
    async def acknowledge(turn: Turn, data: ActionData) -> ActionOutcome:
        requester = Requester.in_teams(turn.person)
        try:
            done = await service.acknowledge(database, requester, data.id, clock, ladders)
            note = data.text("note")
            if note:
                await service.add_note(database, requester, data.id, note, clock)
        except NotAllowed as refusal:
            return ActionOutcome(say=refusal.decision.reason)
        except service.NoSuchConcern:
            return ActionOutcome(say=text("safeguarding_no_such_concern"))
        detail = await alert_detail(database, data.id)
        card = alert_card(detail, 1) if detail is not None else None
        if done.already:
            return ActionOutcome(card, text("safeguarding_acknowledged_already", name=done.by_name, at=when(done.at)))
        return ActionOutcome(card, text("safeguarding_acknowledged_now"))

    async def add_note(turn: Turn, data: ActionData) -> ActionOutcome:
        try:
            await service.add_note(database, Requester.in_teams(turn.person), data.id, data.text("note") or "", clock)
        except NotAllowed as refusal:
            return ActionOutcome(say=refusal.decision.reason)
        except service.NoSuchConcern:
            return ActionOutcome(say=text("safeguarding_no_such_concern"))
        except service.ConcernError as error:
            return ActionOutcome(say=str(error))
        return ActionOutcome(say=text("safeguarding_note_added"))

    return (CardAction(ACKNOWLEDGE, SHAPE, acknowledge), CardAction(NOTE, SHAPE, add_note))
