"""The safeguarding cards' buttons: the alert's "Acknowledge" and "Add note", "Open" on the open
concerns list, and "Add note" on a concern's record (the record refreshed in place). Each press
reloads the concern and asks the domain (which asks the policy), whoever the card says it is
for: card data can be forged.

`open_concern` is also what the `concern <id>` command does."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.card_actions import ActionData, ActionOutcome, CardAction
from bot.cards import RenderedCard
from bot.submit_shapes import Id, Text
from bot.texts import text
from bot.turn import Turn
from core.clock import Clock
from db.engine import Database
from dialogs.safeguarding.cards import ACKNOWLEDGE, NOTE, OPEN, RECORD_NOTE, alert_card, record_card, status_card, when
from domain.access import NotAllowed
from domain.requester import Requester
from domain.safeguarding import service
from domain.safeguarding.model import Ladders
from domain.safeguarding.summaries import alert_detail, record_detail

MAX_NOTE = 2000
SHAPE = {"id": Id(), "note": Text(max_length=MAX_NOTE, required=False, default="")}
OPEN_SHAPE = {"id": Id()}


async def open_concern(database: Database, requester: Requester, concern_id: int, clock: Clock) -> ActionOutcome:
    """The concern's record card for whoever may view it (the view audited and in the
    chronology); its status card for a reporter who may not; else the policy's reason."""
    try:
        opened = await service.open_concern(database, requester, concern_id, clock)
    except NotAllowed as refusal:
        return ActionOutcome(say=refusal.decision.reason)
    except service.NoSuchConcern:
        return ActionOutcome(say=text("safeguarding_no_such_concern"))
    if isinstance(opened, service.ConcernView):
        return ActionOutcome(card=await _record(database, opened), say=None)
    return ActionOutcome(card=status_card(opened))


async def _answered(step: Callable[[], Awaitable[ActionOutcome]]) -> ActionOutcome:
    """Run a press's step; the domain's refusals and problems become the reply."""
    try:
        return await step()
    except NotAllowed as refusal:
        return ActionOutcome(say=refusal.decision.reason)
    except service.NoSuchConcern:
        return ActionOutcome(say=text("safeguarding_no_such_concern"))
    except service.ConcernError as error:
        return ActionOutcome(say=str(error))


async def _record(database: Database, view: service.ConcernView) -> RenderedCard | None:
    record = await record_detail(database, view)
    return record_card(record) if record is not None else None


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
        async def step() -> ActionOutcome:
            await service.add_note(database, Requester.in_teams(turn.person), data.id, data.text("note") or "", clock)
            return ActionOutcome(say=text("safeguarding_note_added"))

        return await _answered(step)

    async def open_(turn: Turn, data: ActionData) -> ActionOutcome:
        opened = await open_concern(database, Requester.in_teams(turn.person), data.id, clock)
        if opened.card is not None:  # a new message: the list stays as it was
            await turn.send_card(opened.card)
        elif opened.say is None:
            return ActionOutcome(say=text("safeguarding_no_such_concern"))
        return ActionOutcome(say=opened.say)

    async def record_note(turn: Turn, data: ActionData) -> ActionOutcome:
        async def step() -> ActionOutcome:
            requester = Requester.in_teams(turn.person)
            await service.add_note(database, requester, data.id, data.text("note") or "", clock)
            view = await service.view(database, requester, data.id, clock)
            return ActionOutcome(card=await _record(database, view))

        return await _answered(step)

    return (
        CardAction(ACKNOWLEDGE, SHAPE, acknowledge),
        CardAction(NOTE, SHAPE, add_note),
        CardAction(OPEN, OPEN_SHAPE, open_),
        CardAction(RECORD_NOTE, SHAPE, record_note),
    )
