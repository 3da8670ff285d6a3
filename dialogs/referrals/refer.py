"""Refer a pupil, conversationally (a school's SENCO or head of year, in a private chat).

    [refer …] --> kind? --(forum case)--> named or anonymous? --+
        |  (the first sentence's facts are kept)                 |
        +--(Referral to the Partnership)-------------------------+--> draft (a domain row)
                                                                  |
        pupil? --> one of these on your roll? / not on our roll --+
                                                                  v
        for each group: a card of what is missing, then one question at a time
                                                                  v
        summary (Change per group) --> Send --> sent (reference) | refused (each rule, a way forward)

    any time: `back`, `change the attendance`, `summary`, `carry on later` (the draft stays),
    `cancel` (asks, then deletes the draft), or a question (answered, then the step again).

The dialog state holds only the draft's id, the step on screen and its number `n`; what is
asked next is worked out from the draft (`form.next_step`), so the domain is the truth. Every
card carries the draft and `n`: a press of an older card changes nothing. The steps' cards and
their answers are `steps.py`; the domain's services decide, save and audit.
"""

from __future__ import annotations

from typing import Any

from botbuilder.dialogs import Dialog, DialogContext, DialogTurnResult

from bot.activities import message_text
from bot.card_actions import replace_pressed_card
from bot.texts import text
from bot.turn import Turn, answer_question, person_of
from db.engine import Database
from dialogs.referrals import cards, form
from dialogs.referrals.opening import read_opening
from dialogs.referrals.steps import Steps, typed_answer
from domain.access import NotAllowed
from domain.referrals import service
from domain.referrals.model import Referral, ReferralKind
from domain.referrals.service import ReferralError
from domain.requester import Requester

DIALOG_ID = "referrals.refer"
BACK = frozenset({"back", "go back", "previous", "undo"})
LATER = frozenset({"carry on later", "later", "save for later", "pause", "save and exit", "not now"})
CANCEL = frozenset({"cancel", "stop", "quit", "exit", "never mind", "nevermind", "delete", "discard"})
SUMMARY = frozenset({"summary", "check", "review", "show me", "where am i"})
_QUESTION_WORDS = frozenset(
    {"what", "how", "who", "when", "why", "where", "which", "can", "could", "do", "does", "is", "are", "should"}
)
MAX_TYPED = 5_000


class ReferDialog(Dialog):
    """One custom dialog (no waterfall): each turn is answered from the step on screen."""

    card_verbs = frozenset({cards.STEP_VERB})  # presses the handler gives this dialog while it runs
    confirms_cancel = True  # "cancel" asks first (a draft would be deleted)
    answers_questions = True  # a question in the middle is answered here, then the step re-asked

    def __init__(self, database: Database) -> None:
        super().__init__(DIALOG_ID)
        self.database = database

    async def begin_dialog(self, dialog_context: DialogContext, options: object = None) -> DialogTurnResult:
        state = dialog_context.active_dialog.state
        given = options if isinstance(options, dict) else {}
        state.update(step="", n=0, history=[], draft=None, pupil_typed=False, matches=[])
        steps = self._steps(dialog_context)
        if isinstance(given.get("resume"), int):
            try:
                draft = await service.open_draft(self.database, steps.requester, given["resume"])
            except (NotAllowed, ReferralError):
                await dialog_context.context.send_activity(text("referrals_draft_missing"))
                return await dialog_context.end_dialog()
            state.update(draft=draft.id, kind=draft.kind.value, anonymous=draft.anonymous)
            return await steps.advance(draft, came_from=None)
        if isinstance(given.get("forum_from"), int):  # "Book a forum slot" on a held-back referral
            try:
                held = await service.open_draft(self.database, steps.requester, given["forum_from"])
            except (NotAllowed, ReferralError):
                await dialog_context.context.send_activity(text("referrals_draft_missing"))
                return await dialog_context.end_dialog()
            return await steps.switch(held, anonymous=False)
        opening = read_opening(str(given.get("text") or ""))
        state["opening"] = {"name": opening.name, "values": opening.values}
        if opening.kind is ReferralKind.PARTNERSHIP_REFERRAL:
            return await steps.start(ReferralKind.PARTNERSHIP_REFERRAL, anonymous=False)
        if opening.kind is ReferralKind.FORUM_CASE:
            state["kind"] = ReferralKind.FORUM_CASE.value
            return await steps.show("anonymity")
        return await steps.show("kind")

    async def continue_dialog(self, dialog_context: DialogContext) -> DialogTurnResult:
        state = dialog_context.active_dialog.state
        activity = dialog_context.context.activity
        steps = self._steps(dialog_context)
        pressed = activity.value if isinstance(activity.value, dict) else None
        if pressed is not None and pressed.get("verb") == cards.STEP_VERB:
            return await self._pressed(steps, state, pressed)
        return await self._typed(steps, state, message_text(activity)[:MAX_TYPED])

    def _steps(self, dialog_context: DialogContext) -> Steps:
        requester = Requester.in_teams(person_of(dialog_context.context))
        return Steps(self.database, dialog_context, requester)

    async def _pressed(self, steps: Steps, state: dict[str, Any], pressed: dict[str, Any]) -> DialogTurnResult:
        n, draft_id = pressed.get("n"), pressed.get("draft")
        if draft_id is not None and draft_id != state.get("draft"):
            # A card of another draft: the person may not even own it (a crafted press). The
            # domain decides, and audits a refusal; either way nothing here changes.
            refusal = await _refusal_for(self.database, steps.requester, draft_id)
            await steps.say(refusal or text("referrals_stale"))
            return Dialog.end_of_turn
        if n != state.get("n") or isinstance(n, bool):
            await replace_pressed_card(steps.turn, cards.stale(), send_if_not_replaced=False)
            await steps.say(text("referrals_stale"))
            return Dialog.end_of_turn
        answer = pressed.get("answer")
        return await self._answer(steps, state, answer if isinstance(answer, str) else None, pressed, by_press=True)

    async def _typed(self, steps: Steps, state: dict[str, Any], said: str) -> DialogTurnResult:
        low = said.lower().strip(" .!")
        step = str(state.get("step"))
        draft = state.get("draft")
        if not low:
            await steps.say(text("referrals_use_the_card"))
            return Dialog.end_of_turn
        if low in BACK:
            return await self._answer(steps, state, "back", {}, by_press=False)
        if low in LATER:
            return await self._answer(steps, state, "later", {}, by_press=False)
        if low in CANCEL and step != "confirm_cancel":
            state["return_to"] = step
            return await steps.show("confirm_cancel")
        if draft is not None and low in SUMMARY:
            return await steps.show(form.SUMMARY)
        group = form.group_asked(said)
        if draft is not None and group is not None:
            return await steps.show(f"edit:{group.value}")
        answer = typed_answer(step, said)
        if answer is not None:
            return await self._answer(steps, state, answer, {}, by_press=False)
        if step in ("pupil", "pick") and not _looks_like_a_question(low):
            return await steps.find_pupil(said)
        if _looks_like_a_question(low) and await answer_question(steps.dialogs.context, said):
            await steps.say(text("referrals_back_to"))
            return await steps.show(step)  # the step again, with a new number: the old card is out of date
        await steps.say(text("referrals_use_the_card"))
        return Dialog.end_of_turn

    async def _answer(
        self, steps: Steps, state: dict[str, Any], answer: str | None, pressed: dict[str, Any], *, by_press: bool
    ) -> DialogTurnResult:
        step = str(state.get("step"))
        if answer == "back":
            return await steps.back(by_press=by_press)
        if answer == "later":
            await steps.mark_answered(step, answer)
            if state.get("draft") is not None:
                await steps.say(text("referrals_kept"))
            else:
                await steps.say(text("cancelled"))
            return await steps.dialogs.end_dialog()
        if step == "kind" and answer in {k.value for k in ReferralKind}:
            await steps.mark_answered(step, answer, by_press=by_press)
            if answer == ReferralKind.FORUM_CASE.value:
                state["kind"] = answer
                return await steps.show("anonymity")
            return await steps.start(ReferralKind.PARTNERSHIP_REFERRAL, anonymous=False)
        if step == "anonymity" and answer in ("named", "anonymous"):
            await steps.mark_answered(step, answer, by_press=by_press)
            return await steps.start(ReferralKind.FORUM_CASE, anonymous=answer == "anonymous")
        if step == "confirm_cancel" and answer in ("yes", "no"):
            await steps.mark_answered(step, answer, by_press=by_press)
            if answer == "yes":
                return await steps.discard()
            return await steps.show(str(state.get("return_to") or form.SUMMARY))
        draft = await steps.draft()
        if draft is None:
            return await steps.dialogs.end_dialog()
        return await self._on_draft(steps, state, draft, step, answer, pressed, by_press)

    async def _on_draft(
        self,
        steps: Steps,
        state: dict[str, Any],
        draft: Referral,
        step: str,
        answer: str | None,
        pressed: dict[str, Any],
        by_press: bool,
    ) -> DialogTurnResult:
        if step == "pick" and answer is not None:
            return await steps.pick(draft, answer, by_press=by_press)
        if step in (form.SUMMARY, "refused") and answer is not None:
            if answer == "submit":
                return await steps.submit(draft)
            if answer.startswith("edit:"):
                return await steps.show(answer)
            if answer == "summary":
                return await steps.show(form.SUMMARY)
            if answer in ("forum_instead", "anonymous_instead"):
                await steps.mark_answered(step, answer, by_press=by_press)
                return await steps.switch(draft, anonymous=answer == "anonymous_instead")
        if step.startswith("ask:") and answer is not None:
            return await steps.set(draft, step, {step[4:]: answer}, by_press=by_press)
        if step.startswith(("card:", "edit:")) and answer == "next" and by_press:
            return await steps.set(draft, step, steps.card_values(draft, step, pressed), by_press=True)
        await steps.say(text("referrals_use_the_card"))
        return Dialog.end_of_turn


async def _refusal_for(database: Database, requester: Requester, draft_id: object) -> str | None:
    """The policy's reason if the requester may not touch this draft (the domain audits it)."""
    if not isinstance(draft_id, int) or isinstance(draft_id, bool) or draft_id < 1:
        return None
    try:
        await service.open_draft(database, requester, draft_id)
    except NotAllowed as refusal:
        return refusal.decision.reason
    except ReferralError:
        return None
    return None


def _looks_like_a_question(low: str) -> bool:
    return low.endswith("?") or low.split(" ", 1)[0] in _QUESTION_WORDS


def turn_of(dialog_context: DialogContext) -> Turn:
    return Turn(dialog_context.context, person_of(dialog_context.context), dialog_context)
