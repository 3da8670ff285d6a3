"""A school's forum bookings in Teams: `forum bookings` lists them with buttons to cancel (or
leave a waiting list) and to accept a freed slot; the buttons carry a verb and the booking id
only, so a press works after a restart; the domain checks who pressed, never the card."""

from __future__ import annotations

from bot.card_actions import ActionData, ActionOutcome, CardAction
from bot.cards import RenderedCard, render_card
from bot.submit_shapes import Id
from bot.texts import text
from bot.turn import Turn
from core.clock import Clock
from db.engine import Database
from dialogs.forum.wording import STATUS, when
from domain.access import NotAllowed
from domain.forum import queries, service
from domain.forum.model import BookingStatus
from domain.requester import Requester

CANCEL = "forum.booking.cancel"
ACCEPT = "forum.offer.accept"


def bookings_card(found: list[queries.MyBooking]) -> RenderedCard:
    lines = [
        {
            "id": line.booking.id,
            "when": when(line.meeting),
            "case": line.reference or f"Forum case {line.booking.referral_id}",
            "status": STATUS[line.booking.status] + (f" (number {line.position})" if line.position is not None else ""),
            "offered": line.booking.status is BookingStatus.OFFERED,
            "waiting": line.booking.status is BookingStatus.WAITING,
        }
        for line in found
    ]
    return render_card("forum/bookings.json.j2", lines=lines)


def my_bookings_command(database: Database, clock: Clock):  # type: ignore[no-untyped-def]
    async def run(turn: Turn) -> None:
        try:
            found = await queries.my_bookings(database, Requester.in_teams(turn.person), clock)
        except NotAllowed as refusal:
            await turn.say(text("forum_not_allowed", reason=refusal.decision.reason))
            return
        if not found:
            await turn.say(text("forum_no_bookings"))
            return
        await turn.send_card(bookings_card(found))

    return run


def card_actions(database: Database, clock: Clock) -> tuple[CardAction, ...]:
    async def cancel(turn: Turn, data: ActionData) -> ActionOutcome:
        try:
            await service.cancel_booking(database, Requester.in_teams(turn.person), data.id, clock=clock)
        except NotAllowed as refusal:
            return ActionOutcome(say=text("forum_not_allowed", reason=refusal.decision.reason))
        except service.ForumError as error:
            return ActionOutcome(say=text("forum_not_possible", reason=error.reason))
        found = await queries.my_bookings(database, Requester.in_teams(turn.person), clock)
        return ActionOutcome(card=bookings_card(found) if found else None, say=text("forum_cancelled"))

    async def accept(turn: Turn, data: ActionData) -> ActionOutcome:
        try:
            booking = await service.accept_offer(database, Requester.in_teams(turn.person), data.id, clock=clock)
        except NotAllowed as refusal:
            return ActionOutcome(say=text("forum_not_allowed", reason=refusal.decision.reason))
        except service.ForumError as error:
            return ActionOutcome(say=text("forum_not_possible", reason=error.reason))
        meeting = await queries.get_meeting(database, booking.meeting_id)
        return ActionOutcome(say=text("forum_accepted", when=when(meeting) if meeting else "the forum"))

    return (CardAction(CANCEL, {"id": Id()}, cancel), CardAction(ACCEPT, {"id": Id()}, accept))
