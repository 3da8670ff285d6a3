"""The Partnership's card actions on a referral: open, receive, ask the school, list for the Core
Group, decide, withdraw, mark a follow-up done, allow a held-back Referral to the Partnership
without a forum discussion; and the school's answer to a question and its "Send it now" once the
exception is allowed.

Each button carries a verb and ids only. Who pressed comes from the activity (`Turn.person`),
never from the card; the handler calls the domain, which reloads the record and asks the
policy again. A refusal is answered with the policy's reason. A stale press (the referral has
moved on, perhaps by someone else's hand) says what already happened and puts the referral's
card as it is now in place of the pressed one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import date

from bot.card_actions import ActionData, ActionOutcome, CardAction
from bot.submit_shapes import Id, Text
from bot.texts import text
from bot.turn import Turn
from core.clock import Clock
from db.engine import Database
from dialogs.referrals import cards as school_cards
from dialogs.referrals.partnership_cards import (
    ALLOW_EXCEPTION,
    ANSWER,
    ASK,
    DECIDE,
    END_PLACE,
    LIST,
    MAX_REASON,
    OPEN,
    RECEIVE,
    SEND,
    TASK_DONE,
    WITHDRAW,
    CaseView,
    case_card,
    reference,
)
from domain.access import Action, NotAllowed
from domain.directory.queries import get_pupil, get_school
from domain.referrals import casework, queries, service
from domain.referrals.model import TRANSITIONS, Outcome, Referral, ReferralStatus
from domain.referrals.service import ReferralError, SubmissionRefused
from domain.requester import Requester

S = ReferralStatus
FREE_TEXT = 1_000  # as the domain allows for a question or an answer
Step = Callable[[Requester], Awaitable[ActionOutcome]]


async def case_view(
    database: Database,
    referral: Referral,
    requester: Requester,
    *,
    lines: Sequence[str] = (),
    clock: Clock | None = None,
) -> CaseView:
    """The case as `requester` may see it: the pupil's name and the details only when the policy
    lets them see the referral (`referral` came from the domain: its audited view, or an action
    the policy allowed); with a `clock` (the case card's), when it may be listed, the Core Group
    meetings on record to list it for."""
    school = await get_school(database, referral.school_id)
    may_see = requester.decide(Action.VIEW_REFERRAL, referral.target).allowed
    pupil = None
    if may_see and referral.pupil_id is not None and not referral.anonymous:
        record = await get_pupil(database, referral.pupil_id)
        pupil = f"{record.first_name} {record.last_name}" if record and not record.erased else None
    place = await queries.place_of(database, referral.id) if may_see else None
    days = []
    if clock is not None and S.LISTED_FOR_CORE_GROUP in TRANSITIONS[referral.status]:
        days = await casework.upcoming_core_group_days(database, clock)
    school_name = school.name if school else "a school"
    return CaseView(referral, school_name, pupil, may_see, lines=lines, place=place, core_group_days=days)


class PartnershipActions:
    """The card actions, on one database and clock."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self.database = database
        self.clock = clock

    def actions(self) -> tuple[CardAction, ...]:
        referral = {"id": Id()}
        return (
            CardAction(OPEN, referral, self.open),
            CardAction(RECEIVE, referral, self.receive),
            CardAction(ASK, {**referral, "question": Text(max_length=FREE_TEXT, required=False)}, self.ask),
            CardAction(LIST, {**referral, "on": Text(max_length=10, required=False)}, self.list),
            CardAction(DECIDE, {**referral, "outcome": Text(max_length=40, required=False)}, self.decide),
            CardAction(WITHDRAW, referral, self.withdraw),
            CardAction(TASK_DONE, referral, self.task_done),
            CardAction(ANSWER, {**referral, "answer": Text(max_length=FREE_TEXT, required=False)}, self.answer),
            CardAction(
                ALLOW_EXCEPTION, {**referral, "reason": Text(max_length=MAX_REASON, required=False)}, self.allow
            ),
            CardAction(SEND, referral, self.send),
            CardAction(END_PLACE, referral, self.end_place),
        )

    async def _card(self, referral: Referral, requester: Requester) -> ActionOutcome:
        view = await case_view(self.database, referral, requester, clock=self.clock)
        return ActionOutcome(card=case_card(view, requester))

    async def _run(
        self, turn: Turn, referral_id: int | None, step: Step, moving_to: ReferralStatus | None = None
    ) -> ActionOutcome:
        """Run `step` as the person who pressed; refusals and stale presses are answered here."""
        requester = Requester.in_teams(turn.person)
        try:
            return await step(requester)
        except NotAllowed as refusal:
            return ActionOutcome(say=text("partnership_refused", reason=refusal.decision.reason))
        except ReferralError as error:
            if referral_id is None or moving_to is None:
                return ActionOutcome(say=text("partnership_stale", reason=error.reason))
            try:  # has the referral moved on? Then show it as it is now.
                now = await service.view_referral(self.database, requester, referral_id, clock=self.clock)
            except (NotAllowed, ReferralError):
                return ActionOutcome(say=text("partnership_stale", reason=error.reason))
            if now.status is moving_to or moving_to not in TRANSITIONS[now.status]:
                outcome = await self._card(now, requester)
                return ActionOutcome(card=outcome.card, say=text("partnership_stale", reason=error.reason))
            return ActionOutcome(say=text("partnership_stale", reason=error.reason))

    async def open(self, turn: Turn, data: ActionData) -> ActionOutcome:
        """A new card with the referral's details (the pressed card stays: a queue, a notice)."""

        async def step(requester: Requester) -> ActionOutcome:
            referral = await service.view_referral(self.database, requester, data.id, clock=self.clock)
            outcome = await self._card(referral, requester)
            assert outcome.card is not None
            await turn.send_card(outcome.card)
            return ActionOutcome()

        return await self._run(turn, None, step)

    async def receive(self, turn: Turn, data: ActionData) -> ActionOutcome:
        async def step(requester: Requester) -> ActionOutcome:
            referral = await casework.receive(self.database, requester, data.id, clock=self.clock)
            shown = await self._card(referral, requester)
            return ActionOutcome(card=shown.card, say=text("partnership_received", reference=reference(referral)))

        return await self._run(turn, data.id, step, S.RECEIVED)

    async def ask(self, turn: Turn, data: ActionData) -> ActionOutcome:
        async def step(requester: Requester) -> ActionOutcome:
            question = data.text("question") or ""
            referral = await casework.request_information(self.database, requester, data.id, question, self.clock)
            shown = await self._card(referral, requester)
            return ActionOutcome(card=shown.card, say=text("partnership_asked", reference=reference(referral)))

        return await self._run(turn, data.id, step, S.INFORMATION_REQUESTED if data.text("question") else None)

    async def list(self, turn: Turn, data: ActionData) -> ActionOutcome:
        try:
            on = date.fromisoformat(data.text("on") or "")
        except ValueError:
            return ActionOutcome(say=text("partnership_bad_date"))

        async def step(requester: Requester) -> ActionOutcome:
            referral = await casework.list_for_core_group(self.database, requester, data.id, on, self.clock)
            shown = await self._card(referral, requester)
            said = text("partnership_listed", reference=reference(referral), on=on.strftime("%d %B %Y"))
            return ActionOutcome(card=shown.card, say=said)

        # Re-listing is allowed, so a stale "list" is one the lifecycle no longer allows.
        return await self._run(turn, data.id, step, S.LISTED_FOR_CORE_GROUP)

    async def decide(self, turn: Turn, data: ActionData) -> ActionOutcome:
        try:
            outcome = Outcome(data.text("outcome") or "")
        except ValueError:
            return ActionOutcome(say=text("partnership_bad_outcome"))

        async def step(requester: Requester) -> ActionOutcome:
            decision = await casework.decide(self.database, requester, data.id, outcome, self.clock)
            referral = decision.referral
            shown = await self._card(referral, requester)
            said = text(
                "partnership_decided",
                reference=reference(referral),
                outcome=text("partnership_outcome", outcome=outcome.value),
                place=decision.place.value if decision.place else None,
                key_stage=referral.key_stage,
            )
            return ActionOutcome(card=shown.card, say=said)

        return await self._run(turn, data.id, step, S.DECIDED)

    async def withdraw(self, turn: Turn, data: ActionData) -> ActionOutcome:
        async def step(requester: Requester) -> ActionOutcome:
            referral = await casework.withdraw(self.database, requester, data.id, clock=self.clock)
            shown = await self._card(referral, requester)
            return ActionOutcome(card=shown.card, say=text("partnership_withdrawn", reference=reference(referral)))

        return await self._run(turn, data.id, step, S.WITHDRAWN)

    async def end_place(self, turn: Turn, data: ActionData) -> ActionOutcome:
        async def step(requester: Requester) -> ActionOutcome:
            ended = await casework.end_placement(self.database, requester, data.id, clock=self.clock)
            shown = await self._card(ended.referral, requester)
            said = text(f"partnership_{ended.was.value}_ended", reference=reference(ended.referral))
            if ended.given_to is not None:
                said += " " + text("partnership_place_given", reference=reference(ended.given_to))
            return ActionOutcome(card=shown.card, say=said)

        return await self._run(turn, None, step)

    async def task_done(self, turn: Turn, data: ActionData) -> ActionOutcome:
        async def step(requester: Requester) -> ActionOutcome:
            referral = await casework.complete_task(self.database, requester, data.id, clock=self.clock)
            shown = await self._card(referral, requester)
            return ActionOutcome(card=shown.card, say=text("partnership_task_done", reference=reference(referral)))

        return await self._run(turn, None, step)

    async def answer(self, turn: Turn, data: ActionData) -> ActionOutcome:
        async def step(requester: Requester) -> ActionOutcome:
            answer = data.text("answer") or ""
            referral = await casework.give_information(self.database, requester, data.id, answer, self.clock)
            shown = await self._card(referral, requester)
            return ActionOutcome(card=shown.card, say=text("partnership_answered", reference=reference(referral)))

        return await self._run(turn, data.id, step, S.INFORMATION_GIVEN if data.text("answer") else None)

    async def allow(self, turn: Turn, data: ActionData) -> ActionOutcome:
        """Let a held-back Referral to the Partnership go ahead without a forum discussion (the
        Partnership SENCO or Director, with a reason); the referrer is told and sends it."""

        async def step(requester: Requester) -> ActionOutcome:
            # No reason: the domain asks the policy first (a refusal is audited), then for one.
            reason = data.text("reason") or ""
            referral = await service.allow_forum_exception(self.database, requester, data.id, reason, self.clock)
            shown = await self._card(referral, requester)
            said = text("partnership_exception_allowed", reference=reference(referral))
            return ActionOutcome(card=shown.card, say=said)

        return await self._run(turn, data.id, step)

    async def send(self, turn: Turn, data: ActionData) -> ActionOutcome:
        """The referrer sends their draft once the Partnership has allowed it (the notice's button)."""

        async def step(requester: Requester) -> ActionOutcome:
            try:
                referral = await service.submit(self.database, requester, data.id, clock=self.clock)
            except SubmissionRefused as refused:
                reasons = " ".join(b.reason for b in refused.breaches)
                said = text("partnership_send_held", reference=f"Draft {data.id}", reasons=reasons, id=data.id)
                return ActionOutcome(say=said)
            title = school_cards.title_of(referral.kind.value, referral.anonymous)
            what = text(f"referrals_what_{referral.kind.value}")
            return ActionOutcome(card=school_cards.sent(title, referral.reference or "", what))

        return await self._run(turn, None, step)
