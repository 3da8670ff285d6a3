"""The referral dialog's steps: show one (a card or a question, numbered), take its answer to the
domain, and move on to what the draft still lacks. `refer.py` decides which of these a turn
calls. No pupil name is kept in the dialog state beyond the "which of these?" question.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botbuilder.dialogs import Dialog, DialogContext, DialogTurnResult

from bot import held_replies
from bot.activities import card_activity
from bot.card_actions import replace_card, replace_pressed_card
from bot.cards import RenderedCard
from bot.texts import text
from bot.turn import Turn, person_of
from db.engine import Database
from dialogs.referrals import cards, form, sent_cards
from domain.access import NotAllowed
from domain.directory.queries import dsl_for, get_pupil, get_school, list_people
from domain.referrals import queries, service
from domain.referrals.fields import BY_NAME, IDENTIFYING
from domain.referrals.model import Referral, ReferralKind
from domain.referrals.rules import RuleBreach
from domain.referrals.service import ReferralError, SubmissionRefused
from domain.referrals.validators import MAX_INTERVENTIONS, FieldType, Group
from domain.requester import Requester
from domain.roles import Role

_YES = frozenset({"yes", "y", "yeah", "yep", "true"})
_NO = frozenset({"no", "n", "nope", "false"})
_UNKNOWN = frozenset({"unknown", "not known", "don't know", "dont know", "not sure"})
_ANSWERED = "referrals.card_answered"  # turn state: this turn has put the answer on the step's card
MAX_INPUT = 20_000  # longer than any field allows: the validator names the length; more is cut


def typed_answer(step: str, said: str) -> str | None:
    """A typed reply to a question step, as the value its button would send; None if it isn't one."""
    low = said.lower().strip(" .!")
    if step == "kind":
        return next(
            (
                k.value
                for word, k in (("forum", ReferralKind.FORUM_CASE), ("partner", ReferralKind.PARTNERSHIP_REFERRAL))
                if word in low
            ),
            None,
        )
    if step == "anonymity":
        return "named" if low in _YES or "name" in low else "anonymous" if low in _NO or "anonym" in low else None
    if step == "confirm_cancel":
        return "yes" if low in _YES else "no" if low in _NO else None
    if step in (form.SUMMARY, "refused"):
        return "submit" if low in ("submit", "send", "send it") else None
    if not step.startswith("ask:"):
        return None
    form_field = BY_NAME[step[4:]]
    if low in _YES:
        return "yes"
    if low in _NO:
        return "no"
    if low in _UNKNOWN and form_field.type is FieldType.YES_NO_UNKNOWN:
        return "unknown"
    for choice in cards.choices_of(form_field):
        if low in (choice, choice.replace("_", " "), cards.choice_label(choice).lower()):
            return choice
    return None


@dataclass
class Steps:
    database: Database
    dialogs: DialogContext
    requester: Requester

    @property
    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = self.dialogs.active_dialog.state
        return state

    @property
    def turn(self) -> Turn:
        return Turn(self.dialogs.context, person_of(self.dialogs.context), self.dialogs)

    async def say(self, message: str) -> None:
        await self.dialogs.context.send_activity(message)

    def title(self) -> str:
        return cards.title_of(self.state.get("kind") or "", bool(self.state.get("anonymous")))

    def form_draft(self, draft: Referral) -> form.Draft:
        return form.Draft(draft.kind, draft.anonymous, draft.values, bool(self.state.get("pupil_typed")))

    async def draft(self) -> Referral | None:
        """The dialog's draft, as the domain has it now (None, said why, if it is gone)."""
        try:
            return await service.open_draft(self.database, self.requester, int(self.state["draft"]))
        except NotAllowed as refusal:
            await self.say(refusal.decision.reason)
        except ReferralError as error:
            await self.say(error.reason)
        return None

    # --- showing a step ---------------------------------------------------------------------

    async def show(
        self,
        step: str,
        *,
        problems: list[str] | None = None,
        typed: dict[str, Any] | None = None,
        in_place: bool = False,
        draft: Referral | None = None,
    ) -> DialogTurnResult:
        """Put the step on screen: a new card with the next number, or (`in_place`, after a
        press) the pressed card again with the problems, keeping its number."""
        if not in_place:
            self.state["n"] = int(self.state.get("n") or 0) + 1
        self.state["step"] = step
        if draft is None and self.state.get("draft") is not None:
            draft = await self.draft()
            if draft is None:
                return await self.dialogs.end_dialog()
        card = await self._card(step, draft, problems or [], typed or {})
        if in_place:
            await replace_pressed_card(self.turn, card)
        else:
            await self._send(card)
        return Dialog.end_of_turn

    async def _send(self, card: RenderedCard) -> None:
        """A new step card. The one before it, if never answered (a question asked in between,
        `summary`, a bad typed answer), loses its buttons first: one card needing input on screen.
        The new card's message id is kept (`card` in the dialog state, or `sent_cards` until the
        next turn), so that an answer typed instead of pressed can still put the answer in its place."""
        await self.answered_in_place(lambda: cards.moved_on(self.title()))
        state = self.state
        sent = await self.dialogs.context.send_activity(card_activity(card.card, card.text))
        state["card"] = sent.id if sent is not None and sent.id else None
        if state["card"] is None:  # held until the state is stored: its id comes when it is sent
            token = state["card_sent"] = uuid.uuid4().hex
            held_replies.when_sent(self.dialogs.context, lambda card_id: sent_cards.keep(token, card_id))

    async def answered_in_place(self, card: Callable[[], RenderedCard]) -> None:
        """The step's card on screen becomes `card()` (its answer, nothing to press): the card
        pressed, or, for a typed answer, the last card this dialog sent. Made only if there is
        such a card to change."""
        context = self.dialogs.context
        if context.turn_state.get(_ANSWERED):  # once a turn: the card was already given its answer
            return
        context.turn_state[_ANSWERED] = True
        state = self.state
        held = sent_cards.take(state.pop("card_sent", None))  # the id of a card that went out held
        card_id, state["card"] = state.get("card") or held, None
        if _pressed(context.activity.value):
            if context.activity.reply_to_id:
                await replace_pressed_card(self.turn, card(), send_if_not_replaced=False)
        elif isinstance(card_id, str) and card_id:
            await replace_card(self.turn, card_id, card())

    async def _card(
        self, step: str, draft: Referral | None, problems: list[str], typed: dict[str, Any]
    ) -> RenderedCard:
        n, draft_id, title = int(self.state["n"]), self.state.get("draft"), self.title()
        if step == "kind":
            answers = [(k.value, text(f"referrals_kind_{k.value}")) for k in ReferralKind]
            return cards.question(text("referrals_start_button"), text("referrals_ask_kind"), answers, None, n)
        if step == "anonymity":
            answers = [("named", text("referrals_named")), ("anonymous", text("referrals_anonymous"))]
            return cards.question(title, text("referrals_ask_anonymity"), answers, None, n)
        if step == "confirm_cancel":
            answers = [("yes", text("referrals_cancel_yes")), ("no", text("referrals_cancel_no"))]
            return cards.question(title, text("referrals_confirm_cancel"), answers, draft_id, n)
        assert draft is not None
        if step == "pupil":
            return cards.question(title, text("referrals_ask_pupil"), [], draft.id, n, problems)
        if step == "pick":
            matches = self.state.get("matches") or []
            answers = [(str(pid), f"{name} (year {year})") for pid, name, year in matches]
            asked = text("referrals_pick_pupil" if matches else "referrals_no_match")
            answers.append(("none", text("referrals_not_on_roll")))
            return cards.question(title, asked, answers, draft.id, n, problems)
        if step.startswith("ask:"):
            return cards.field_question(title, BY_NAME[step[4:]], draft.id, n, problems)
        if step.startswith(("card:", "edit:")):
            fields = form.step_fields(self.form_draft(draft), step)
            values = {**draft.values, **typed}
            group = Group(step[5:])
            return cards.group_card(
                title, group, fields, values, draft.id, n, editing=step.startswith("edit:"), problems=problems
            )
        if step == "refused":
            breaches = [RuleBreach(*b) for b in self.state.get("breaches") or []]
            possible = not draft.anonymous
            return cards.refused(title, breaches, draft.id, n, anonymous_possible=possible)
        groups = [
            (group, cards.facts_of(form.applicable(self.form_draft(draft), group), draft.values))
            for group in form.filled_groups(self.form_draft(draft))
        ]
        return cards.summary(title, groups, draft.id, n, header=await self._from_directory(draft))

    async def _from_directory(self, draft: Referral) -> str:
        """What the directory already says: the school, its SENCO and DSL, the pupil on the roll."""
        school = await get_school(self.database, draft.school_id)
        sencos = await list_people(self.database, draft.school_id, Role.SENCO)
        dsls = await dsl_for(self.database, draft.school_id)
        parts = [f"School: {school.name if school else '-'}"]
        parts.append(f"SENCO: {', '.join(p.display_name for p in sencos) or '-'}")
        parts.append(f"DSL: {', '.join(p.display_name for p in dsls) or '-'}")
        if draft.pupil_id is not None:
            pupil = await get_pupil(self.database, draft.pupil_id)
            if pupil is not None and pupil.school_id == draft.school_id:
                parts.insert(0, f"Pupil: {pupil.first_name} {pupil.last_name}, year {pupil.year_group}")
        return " · ".join(parts)

    async def mark_answered(self, step: str, answer: str | None, *, by_press: bool = True) -> None:
        """The card answered (pressed, or typed) becomes its answer, with nothing left to press."""
        await self.answered_in_place(lambda: cards.answered(self.title(), _label(step, answer), []))

    # --- moving on --------------------------------------------------------------------------

    async def advance(self, draft: Referral, *, came_from: str | None) -> DialogTurnResult:
        if came_from:
            self.state.setdefault("history", []).append(came_from)
        return await self.show(form.next_step(self.form_draft(draft)), draft=draft)

    async def start(self, kind: ReferralKind, *, anonymous: bool) -> DialogTurnResult:
        try:
            draft = await service.start_draft(self.database, self.requester, kind, anonymous=anonymous)
        except NotAllowed as refusal:
            await self.say(refusal.decision.reason)
            return await self.dialogs.end_dialog()
        self.state.update(draft=draft.id, kind=kind.value, anonymous=anonymous)
        opening = self.state.pop("opening", None) or {}
        raw = dict(opening.get("values") or {})
        if kind is ReferralKind.FORUM_CASE:
            raw["parental_consent"] = "no" if anonymous else "yes"
        if raw:
            result = await service.set_fields(self.database, self.requester, draft.id, raw)
            draft = result.referral
            if result.problems:
                await self.say(" ".join(result.problems.values()))
        if not anonymous and opening.get("name"):
            return await self.find_pupil(str(opening["name"]), year=raw.get("year_group"))
        return await self.advance(draft, came_from=None)

    async def find_pupil(self, typed: str, year: object = None) -> DialogTurnResult:
        """The pupils on the school's roll whose name is like `typed` (the same year first)."""
        await self.mark_answered(PUPIL_STEP, typed)
        matches = await queries.match_pupils(self.database, self.requester, typed[:100])
        if year is not None:
            same = [m for m in matches if str(m.year_group) == str(year)]
            matches = same or matches
        self.state["matches"] = [[m.pupil_id, m.name, m.year_group] for m in matches]
        return await self.show("pick")

    async def pick(self, draft: Referral, answer: str, *, by_press: bool) -> DialogTurnResult:
        chosen = [m for m in self.state.get("matches") or [] if str(m[0]) == answer]
        if answer == "none" or chosen:
            await self.mark_answered(
                "pick", chosen[0][1] if chosen else text("referrals_not_on_roll"), by_press=by_press
            )
        self.state["matches"] = []  # names do not stay in the dialog state
        if answer == "none":
            self.state["pupil_typed"] = True
            return await self.advance(draft, came_from="pupil")
        if not chosen:
            return await self.show("pupil")
        return await self.set(draft, "pupil", {"pupil_id": int(chosen[0][0])}, by_press=False)

    def card_values(self, draft: Referral, step: str, pressed: dict[str, Any]) -> dict[str, Any]:
        """What a group card's press gives for each of the step's fields (an empty input: None)."""
        raw: dict[str, Any] = {}
        for form_field in form.step_fields(self.form_draft(draft), step):
            if form_field.type is FieldType.INTERVENTIONS:
                items = (
                    {part: _input(pressed.get(cards.intervention_input(i, part))) for part in cards.INTERVENTION_PARTS}
                    for i in range(MAX_INTERVENTIONS)
                )
                raw[form_field.name] = [item for item in items if any(v not in (None, "") for v in item.values())]
            else:
                raw[form_field.name] = _input(pressed.get(form_field.name))
        return raw

    async def set(self, draft: Referral, step: str, raw: dict[str, Any], *, by_press: bool) -> DialogTurnResult:
        """Give the domain what was answered: problems come back on the same step, with what was
        typed kept; otherwise on to what is still missing."""
        result = await service.set_fields(self.database, self.requester, draft.id, raw)
        if result.problems:
            problems = list(dict.fromkeys(result.problems.values()))
            typed = {name: raw[name] for name in result.problems if name in raw}
            if by_press:
                return await self.show(step, problems=problems, typed=typed, in_place=True, draft=result.referral)
            await self.say(" ".join(problems))
            return await self.show(step, draft=result.referral)

        def answered() -> RenderedCard:
            fields = [BY_NAME[name] for name in raw if name in BY_NAME]
            facts = cards.facts_of(fields, result.referral.values)
            group = form.group_of(step)
            heading = text(f"referrals_group_{group.value}") if group else self.title()
            return cards.answered(self.title(), heading, facts)

        await self.answered_in_place(answered)
        return await self.advance(result.referral, came_from=step)

    async def back(self, *, by_press: bool) -> DialogTurnResult:
        history: list[str] = self.state.setdefault("history", [])
        if not history:
            await self.say(text("referrals_not_back"))
            return Dialog.end_of_turn
        await self.mark_answered(str(self.state.get("step")), "back", by_press=by_press)
        previous = history.pop()
        if previous.startswith("card:"):
            previous = "edit:" + previous[5:]
        return await self.show(previous)

    async def submit(self, draft: Referral) -> DialogTurnResult:
        try:
            referral = await service.submit(self.database, self.requester, draft.id)
        except SubmissionRefused as refusal:
            self.state["breaches"] = [[b.code, b.reason, b.way_forward] for b in refusal.breaches]
            return await self.show("refused", draft=draft)
        except (NotAllowed, ReferralError) as error:
            await self.say(error.decision.reason if isinstance(error, NotAllowed) else error.reason)
            return await self.dialogs.end_dialog()
        await self.mark_answered(str(self.state.get("step")), "submit")
        what = text(f"referrals_what_{referral.kind.value}")
        await self.turn.send_card(cards.sent(self.title(), referral.reference or "", what))
        return await self.dialogs.end_dialog(referral.id)

    async def switch(self, draft: Referral, *, anonymous: bool) -> DialogTurnResult:
        """A forum case instead (the way forward from "forum first" or "no consent"), carrying
        over what applies to it; the Referral to the Partnership stays a draft."""
        kind = ReferralKind.FORUM_CASE
        gone = IDENTIFYING | {"parental_consent", "consent_given_by", "consent_date"} if anonymous else frozenset()
        raw = {
            name: value
            for name, value in draft.values.items()
            if name in BY_NAME
            and kind in BY_NAME[name].required | {kind}
            and name not in gone | {"pupil_id"}
            and BY_NAME[name].required != frozenset({ReferralKind.PARTNERSHIP_REFERRAL})
        }
        raw["parental_consent"] = "no" if anonymous else "yes"
        pupil = None if anonymous else draft.pupil_id
        new = await service.start_draft(self.database, self.requester, kind, anonymous=anonymous, pupil_id=pupil)
        result = await service.set_fields(self.database, self.requester, new.id, raw)
        self.state.update(draft=new.id, kind=kind.value, anonymous=anonymous, history=[], breaches=[])
        await self.say(text("referrals_forum_started"))
        return await self.advance(result.referral, came_from=None)

    async def discard(self) -> DialogTurnResult:
        if self.state.get("draft") is not None:
            try:
                await service.discard_draft(self.database, self.requester, int(self.state["draft"]))
            except (NotAllowed, ReferralError):
                pass  # already gone: nothing to delete
        await self.say(text("referrals_discarded"))
        return await self.dialogs.end_dialog()


PUPIL_STEP = "pupil"


def _pressed(value: object) -> bool:
    """Whether this turn is a press of one of the dialog's cards (not something typed)."""
    return isinstance(value, dict) and value.get("verb") == cards.STEP_VERB


def _input(value: object) -> object:
    return value[:MAX_INPUT] if isinstance(value, str) else value


def _label(step: str, answer: str | None) -> str:
    """The answer a question's card shows once answered."""
    if answer is None:
        return text("referrals_answered")
    if step == "kind" and answer in {k.value for k in ReferralKind}:
        return text(f"referrals_kind_{answer}")
    if step == "anonymity":
        return text("referrals_named" if answer == "named" else "referrals_anonymous")
    if step == "confirm_cancel":
        return text("referrals_cancel_yes" if answer == "yes" else "referrals_cancel_no")
    if answer in ("back", "later", "submit"):
        return text({"back": "referrals_back", "later": "referrals_later", "submit": "referrals_submit"}[answer])
    return answer
