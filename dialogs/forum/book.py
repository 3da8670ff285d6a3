"""Book a case at the Inclusion Forum (`book`, "book a case at the forum"), in cards:

    [book] --> forums (dates, free slots, deadline) --pick--> full? --> next with space | waiting list
                                                      |        closed? --> says so, next still open
                                                      v
               the school's forum cases --attach--> confirm (what is shared, with whom; the question)
                      |                                      --Book it--> booked | waiting | last slot
                      +--start a new one--> the referral dialog --sent--> confirm    just gone: waiting?

Every button carries a verb and ids (`booking_cards.py`); each press reloads the meeting and the
case and the domain asks the policy again (`domain.forum.queries`, `domain.forum.service`), so
a card pressed after a restart, or a forged one, changes nothing it should not. Starting a forum
case is the one step with dialog state: `BookDialog` runs the referral dialog as its child and,
when the case is sent, shows the confirm card for it. "Book a forum slot" on a Referral to the
Partnership held back for want of a forum discussion (`forum.book.held`) books the pupil's
existing forum case, or starts one from the held-back draft.
"""

from __future__ import annotations

import re

from botbuilder.dialogs import Dialog, DialogContext, DialogReason, DialogTurnResult

from bot.activities import conversation_type
from bot.card_actions import ActionData, ActionOutcome, CardAction
from bot.submit_shapes import Flag, Id, Text
from bot.texts import text
from bot.turn import Turn, person_of
from core.clock import Clock
from db.engine import Database
from dialogs.forum import booking_cards as cards
from dialogs.forum.wording import when
from dialogs.referrals.refer import DIALOG_ID as REFER_DIALOG
from domain.access import NotAllowed
from domain.conversations import PERSONAL
from domain.forum import queries, service
from domain.forum.model import MeetingKind, MeetingStatus, Sharing
from domain.forum.service import Outcome
from domain.requester import Requester

BOOK_DIALOG = "forum.book"
HELD = "forum.book.held"  # id: a held-back Referral to the Partnership (its draft)
_ABOUT_BOOKING = re.compile(r"\b(forum|forums|case|cases|slot|slots|inclusion)\b", re.IGNORECASE)


def is_booking(rest: str) -> bool:
    """Words after `book` that make the message a booking ("a case at the forum", "the forum")."""
    return bool(_ABOUT_BOOKING.search(rest))


def _refused(error: NotAllowed | service.ForumError) -> ActionOutcome:
    if isinstance(error, NotAllowed):
        return ActionOutcome(say=text("forum_not_allowed", reason=error.decision.reason))
    return ActionOutcome(say=text("forum_not_possible", reason=error.reason))


class Booking:
    """The booking's command and card actions over one database and clock."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self.database, self.clock = database, clock

    async def forums(self, case: int | None = None, lines: tuple[str, ...] = ()) -> ActionOutcome:
        meetings = await queries.next_meetings(self.database, MeetingKind.FORUM, self.clock)
        if not meetings:
            return ActionOutcome(say=text("forum_book_no_dates"))
        return ActionOutcome(card=cards.forums_card(meetings, self.clock.now(), case=case, lines=lines))

    async def command(self, turn: Turn) -> None:
        shown = await self.forums()
        if shown.card is not None:
            await turn.send_card(shown.card)
        elif shown.say:
            await turn.say(shown.say)

    async def again(self, turn: Turn, data: ActionData) -> ActionOutcome:
        case = data.values.get("case")
        return await self.forums(case if isinstance(case, int) else None)

    async def pick(self, turn: Turn, data: ActionData) -> ActionOutcome:
        """A forum picked (with a case, or not yet): what happens next depends on the meeting now."""
        meeting_id, wait = data.number("meeting"), data.flag("wait")
        case = data.values.get("case")
        case = case if isinstance(case, int) else None
        meeting = await queries.get_meeting(self.database, meeting_id)
        if meeting is None or meeting.status is MeetingStatus.CANCELLED or meeting.kind is not MeetingKind.FORUM:
            return ActionOutcome(say=text("forum_book_no_meeting"))
        requester = Requester.in_teams(turn.person)
        if not meeting.open_for_booking(self.clock.now()):
            alternative = await queries.next_open_forum(self.database, self.clock)
            return ActionOutcome(card=cards.closed_card(meeting, alternative, case=case))
        if meeting.free_slots == 0 and not wait:
            alternative = await queries.next_open_forum(self.database, self.clock, besides=meeting.id)
            return ActionOutcome(card=cards.full_card(meeting, alternative, case=case))
        try:
            if case is None:
                found = await queries.cases_to_book(self.database, requester)
                return ActionOutcome(card=cards.cases_card(meeting, found, wait=wait))
            preview = await queries.preview_booking(self.database, requester, meeting.id, case)
        except (NotAllowed, service.ForumError) as error:
            return _refused(error)
        return ActionOutcome(card=cards.confirm_card(preview, wait=wait))

    async def confirm(self, turn: Turn, data: ActionData) -> ActionOutcome:
        requester = Requester.in_teams(turn.person)
        meeting_id, case, wait = data.number("meeting"), data.number("case"), data.flag("wait")
        question = data.text("question") or ""
        try:
            result = await service.book_case(
                self.database,
                requester,
                meeting_id,
                case,
                sharing=Sharing(data.text("sharing") or ""),
                question=question,
                wait_if_full=wait,
                clock=self.clock,
            )
            if result.outcome in (Outcome.BOOKED, Outcome.WAITING):
                label = await self._label(requester, result)
                return ActionOutcome(card=cards.done_card(result, label))
            if result.outcome is Outcome.PAST_DEADLINE:
                return ActionOutcome(card=cards.closed_card(result.meeting, result.alternative, case=case))
            # Full: the last slot went a moment ago (another school's press): the waiting list.
            preview = await queries.preview_booking(self.database, requester, meeting_id, case)
        except (NotAllowed, service.ForumError) as error:
            return _refused(error)
        note = text("forum_book_last_gone", when=when(result.meeting))
        card = cards.confirm_card(preview, wait=True, note=note, question=question, alternative=result.alternative)
        return ActionOutcome(card=card)

    async def _label(self, requester: Requester, result: service.BookingResult) -> str:
        assert result.booking is not None
        for line in await queries.my_bookings(self.database, requester, self.clock):
            if line.booking.id == result.booking.id:
                return cards.case_label(line.reference, result.booking.referral_id)
        return cards.case_label(None, result.booking.referral_id)

    async def new_case(self, turn: Turn, data: ActionData) -> ActionOutcome:
        """Start a forum case in the referral dialog; `BookDialog` comes back to the booking."""
        meeting = data.values.get("meeting")
        try:
            await queries.may_book(self.database, Requester.in_teams(turn.person))
        except NotAllowed as error:
            return _refused(error)
        return await self._start(
            turn, {"meeting": meeting, "wait": data.flag("wait")}, text("forum_book_starting_case")
        )

    async def held(self, turn: Turn, data: ActionData) -> ActionOutcome:
        """ "Book a forum slot" on a Referral to the Partnership held back for want of a forum
        discussion: book the pupil's forum case if the school has one, else start it from the draft."""
        requester = Requester.in_teams(turn.person)
        try:
            found = await queries.cases_to_book(self.database, requester, for_referral=data.id)
        except NotAllowed as error:
            return _refused(error)
        if turn.dialogs is not None:
            await turn.dialogs.cancel_all_dialogs()  # the held-back draft is kept
        await turn.say(text("forum_book_held_intro"))
        if found:
            case = found[0]
            line = text("forum_book_held_existing", case=cards.case_label(case.reference, case.referral_id))
            shown = await self.forums(case.referral_id, (line,))
            if shown.card is not None:
                await turn.send_card(shown.card)
            return ActionOutcome(say=shown.say)
        return await self._start(turn, {"held": data.id}, None)

    async def _start(self, turn: Turn, options: dict[str, object], say: str | None) -> ActionOutcome:
        if turn.dialogs is None or conversation_type(turn.context.activity) != PERSONAL:
            return ActionOutcome(say=text("forum_book_personal_only"))
        await turn.dialogs.cancel_all_dialogs()
        if say:
            await turn.say(say)
        await turn.dialogs.begin_dialog(BOOK_DIALOG, options)
        return ActionOutcome()

    def card_actions(self) -> tuple[CardAction, ...]:
        sharing = frozenset(s.value for s in Sharing)
        return (
            CardAction(cards.FORUMS, {"case": Id(required=False)}, self.again),
            CardAction(cards.PICK, {"meeting": Id(), "case": Id(required=False), "wait": Flag()}, self.pick),
            CardAction(
                cards.CONFIRM,
                {
                    "meeting": Id(),
                    "case": Id(),
                    "wait": Flag(),
                    "sharing": Text(max_length=20, choices=sharing),
                    "question": Text(max_length=cards.MAX_QUESTION_INPUT, required=False, default=""),
                },
                self.confirm,
            ),
            CardAction(
                cards.NEW_CASE, {"meeting": Id(required=False), "wait": Flag()}, self.new_case, starts_dialog=True
            ),
            CardAction(HELD, {"id": Id()}, self.held, starts_dialog=True),
        )


class BookDialog(Dialog):
    """Runs the referral dialog for a new forum case, then, once it is sent, the booking's next
    card for it (the confirm card for the forum picked, or the forums to pick from)."""

    def __init__(self, booking: Booking) -> None:
        super().__init__(BOOK_DIALOG)
        self.booking = booking

    async def begin_dialog(self, dialog_context: DialogContext, options: object = None) -> DialogTurnResult:
        given = options if isinstance(options, dict) else {}
        meeting = given.get("meeting")
        state = dialog_context.active_dialog.state
        state.update(meeting=meeting if isinstance(meeting, int) else None, wait=given.get("wait") is True)
        held = given.get("held")
        refer = {"forum_from": held} if isinstance(held, int) else {"text": "forum"}
        return await dialog_context.begin_dialog(REFER_DIALOG, refer)

    async def continue_dialog(self, dialog_context: DialogContext) -> DialogTurnResult:
        return await dialog_context.end_dialog()  # the referral dialog is the one that talks

    async def resume_dialog(
        self, dialog_context: DialogContext, reason: DialogReason, result: object = None
    ) -> DialogTurnResult:
        state = dialog_context.active_dialog.state
        turn = Turn(dialog_context.context, person_of(dialog_context.context), None)
        if not isinstance(result, int) or isinstance(result, bool):
            await turn.say(text("forum_book_no_case_sent"))
            return await dialog_context.end_dialog()
        meeting = state.get("meeting")
        if isinstance(meeting, int):
            data = ActionData(cards.PICK, {"meeting": meeting, "case": result, "wait": bool(state.get("wait"))})
            shown = await self.booking.pick(turn, data)
        else:
            shown = await self.booking.forums(result)
        if shown.card is not None:
            await turn.send_card(shown.card)
        if shown.say:
            await turn.say(shown.say)
        return await dialog_context.end_dialog()
