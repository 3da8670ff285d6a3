"""A school's forum bookings in Teams: `my forum bookings` lists them with buttons to move a
booked case to another forum, to cancel (or leave a waiting list) and to accept a freed slot;
the buttons carry a verb and ids only, so a press works after a restart; the domain checks who
pressed, never the card."""

from __future__ import annotations

from bot.card_actions import ActionData, ActionOutcome, CardAction
from bot.cards import RenderedCard, render_card
from bot.submit_shapes import Id
from bot.texts import text
from bot.turn import Turn
from core.clock import Clock
from db.engine import Database
from dialogs.forum.views import Button, Section, View, render, verb
from dialogs.forum.wording import STATUS, when
from domain.access import NotAllowed
from domain.forum import queries, service
from domain.forum.model import BookingStatus, MeetingKind
from domain.requester import Requester

CANCEL = "forum.booking.cancel"
ACCEPT = "forum.offer.accept"
MOVE_CHOOSE = "forum.booking.move_to"  # id: the forums the booking may move to
MOVE = "forum.booking.move"  # id, to: move it there


def bookings_card(found: list[queries.MyBooking]) -> RenderedCard:
    lines = [
        {
            "id": line.booking.id,
            "when": when(line.meeting),
            "case": line.reference or f"Forum case {line.booking.referral_id}",
            "status": STATUS[line.booking.status] + (f" (number {line.position})" if line.position is not None else ""),
            "offered": line.booking.status is BookingStatus.OFFERED,
            "waiting": line.booking.status is BookingStatus.WAITING,
            "booked": line.booking.status is BookingStatus.BOOKED,
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

    async def move_to(turn: Turn, data: ActionData) -> ActionOutcome:
        requester = Requester.in_teams(turn.person)
        try:
            found = await queries.my_bookings(database, requester, clock)
        except NotAllowed as refusal:
            return ActionOutcome(say=text("forum_not_allowed", reason=refusal.decision.reason))
        mine = [line for line in found if line.booking.id == data.id and line.booking.status is BookingStatus.BOOKED]
        if not mine:
            return ActionOutcome(say=text("forum_not_possible", reason=text("forum_move_gone")))
        line = mine[0]
        now = clock.now()
        others = [
            m
            for m in await queries.next_meetings(database, MeetingKind.FORUM, clock)
            if m.id != line.meeting.id and m.open_for_booking(now) and m.free_slots
        ]
        label = line.reference or f"forum case {line.booking.referral_id}"
        lines = [text("forum_move_intro", case=label, when=when(line.meeting))]
        if not others:
            lines.append(text("forum_move_none"))
        sections = [
            Section(
                when(m),
                [(text("forum_book_fact_free"), text("forum_book_free", free=m.free_slots, slots=m.slots))],
                [Button(text("forum_move_to"), verb(MOVE, id=line.booking.id, to=m.id), "positive")],
            )
            for m in others
        ]
        return ActionOutcome(card=render(View(text("forum_move_title"), lines, sections)))

    async def move(turn: Turn, data: ActionData) -> ActionOutcome:
        requester = Requester.in_teams(turn.person)
        try:
            result = await service.move_booking(database, requester, data.id, data.number("to"), clock=clock)
        except NotAllowed as refusal:
            return ActionOutcome(say=text("forum_not_allowed", reason=refusal.decision.reason))
        except service.ForumError as error:
            return ActionOutcome(say=text("forum_not_possible", reason=error.reason))
        found = await queries.my_bookings(database, requester, clock)
        card = bookings_card(found) if found else None
        if result.outcome is service.Outcome.BOOKED:
            return ActionOutcome(card=card, say=text("forum_moved", when=when(result.meeting)))
        key = "forum_move_full" if result.outcome is service.Outcome.FULL else "forum_move_closed"
        return ActionOutcome(card=card, say=text(key, when=when(result.meeting)))

    return (
        CardAction(CANCEL, {"id": Id()}, cancel),
        CardAction(ACCEPT, {"id": Id()}, accept),
        CardAction(MOVE_CHOOSE, {"id": Id()}, move_to),
        CardAction(MOVE, {"id": Id(), "to": Id()}, move),
    )
