"""Report a safeguarding concern (Partnership staff, and provider staff with that role).

    [report a safeguarding concern]
        └─> immediate danger? ── yes ──> "Call 999 now" card first ──┐
                 └── no ───────────────────────────────────────────────┤
        who is it about? ── a pupil's name ──> (pick one if several) ──┤
                 └── "adult" ──> which school? ──> the headteacher? ──┤
        what was seen or said (the child's words) ──> actions taken ──> raised
    `cancel` at any step ends it (the handler's fallback); nothing is recorded before the end.

The form is data (`STAGES`: what each stage asks) plus one small handler per stage, found by
name (`_on_<stage>`). The answers so far live in the dialog's state (the database), so a restart
between two messages carries on. Raising is one call to the domain (`service.raise_concern`),
which records the concern, its alerts and the next rung's timer in one transaction.
"""

from __future__ import annotations

from typing import Any

from botbuilder.dialogs import Dialog, DialogContext, DialogTurnResult

from bot.activities import message_text
from bot.texts import text
from bot.turn import Turn, person_of
from core.clock import Clock
from db.engine import Database
from dialogs.safeguarding.cards import call_999_card, status_card
from domain.access import NotAllowed
from domain.requester import Requester
from domain.safeguarding import service
from domain.safeguarding.model import ConcernReport, Ladders, Subject
from domain.safeguarding.pupils import match_placed_pupils, match_schools
from domain.safeguarding.summaries import reporter_status

DIALOG_ID = "safeguarding.report"
YES = frozenset({"yes", "y", "yeah", "yep", "yes.", "yes!"})
NO = frozenset({"no", "n", "nope", "no."})
ADULT = frozenset({"adult", "an adult", "staff", "a member of staff"})
NOTHING = frozenset({"none", "nothing", "no", "n/a", "-"})
CLEAR_LEAD = 10  # a best match this far ahead of the next is taken without asking
STAGES = {  # stage -> the text that asks it
    "danger": "safeguarding_ask_danger",
    "about": "safeguarding_ask_about",
    "school": "safeguarding_ask_school",
    "headteacher": "safeguarding_ask_headteacher",
    "account": "safeguarding_ask_account",
    "actions": "safeguarding_ask_actions",
}

State = dict[str, Any]


def yes_no(answer: str) -> bool | None:
    word = answer.strip().lower()
    return True if word in YES else False if word in NO else None


class ReportDialog(Dialog):  # type: ignore[misc]  # botbuilder ships no type hints
    def __init__(self, database: Database, ladders: Ladders, clock: Clock) -> None:
        super().__init__(DIALOG_ID)
        self.database = database
        self.ladders = ladders
        self.clock = clock

    async def begin_dialog(self, dc: DialogContext, options: object = None) -> DialogTurnResult:
        return await self._ask(dc, dc.active_dialog.state, "danger")

    async def continue_dialog(self, dc: DialogContext) -> DialogTurnResult:
        state: State = dc.active_dialog.state
        answer = message_text(dc.context.activity)
        handler = getattr(self, f"_on_{state['stage']}")
        result: DialogTurnResult = await handler(dc, state, answer)
        return result

    async def _ask(self, dc: DialogContext, state: State, stage: str, key: str | None = None, **values: Any) -> Any:
        state["stage"] = stage
        await dc.context.send_activity(text(key or STAGES[stage], **values))
        return Dialog.end_of_turn

    async def _on_danger(self, dc: DialogContext, state: State, answer: str) -> Any:
        danger = yes_no(answer)
        if danger is None:
            return await self._ask(dc, state, "danger", "safeguarding_yes_or_no")
        state["danger"] = danger
        if danger:  # before anything else
            await Turn(dc.context, person_of(dc.context), None).send_card(call_999_card())
        return await self._ask(dc, state, "about")

    async def _on_about(self, dc: DialogContext, state: State, answer: str) -> Any:
        if answer.strip().lower() in ADULT:
            return await self._ask(dc, state, "school")
        if state.get("choices") and answer.strip().isdigit():
            return await self._picked(dc, state, answer)
        matches = await match_placed_pupils(self.database, self._requester(dc), answer)
        if not matches:
            return await self._ask(dc, state, "about", "safeguarding_no_pupil", typed=answer[:100])
        if len(matches) == 1 or matches[0].score - matches[1].score >= CLEAR_LEAD:
            state.update(subject=Subject.PUPIL.value, pupil_id=matches[0].id, choices=None)
            return await self._ask(dc, state, "account")
        state["choices"] = [m.id for m in matches]
        return await self._ask(
            dc,
            state,
            "about",
            "safeguarding_pick_pupil",
            pupils=[f"{m.name} ({m.school}, year {m.year_group})" for m in matches],
        )

    async def _picked(self, dc: DialogContext, state: State, answer: str) -> Any:
        choices: list[int] = state["choices"]
        number = int(answer.strip())
        if not 1 <= number <= len(choices):
            return await self._ask(dc, state, "about")
        state.update(subject=Subject.PUPIL.value, pupil_id=choices[number - 1], choices=None)
        return await self._ask(dc, state, "account")

    async def _on_school(self, dc: DialogContext, state: State, answer: str) -> Any:
        if state.get("schools") and answer.strip().isdigit() and 1 <= int(answer) <= len(state["schools"]):
            state["school_id"] = state["schools"][int(answer) - 1]
            return await self._ask(dc, state, "headteacher")
        schools = await match_schools(self.database, answer)
        if not schools:
            return await self._ask(dc, state, "school", "safeguarding_no_school", typed=answer[:100])
        if len(schools) == 1 or answer.strip().lower() == schools[0].name.lower():
            state["school_id"] = schools[0].id
            return await self._ask(dc, state, "headteacher")
        state["schools"] = [s.id for s in schools]
        return await self._ask(dc, state, "school", "safeguarding_pick_school", schools=[s.name for s in schools])

    async def _on_headteacher(self, dc: DialogContext, state: State, answer: str) -> Any:
        head = yes_no(answer)
        if head is None:
            return await self._ask(dc, state, "headteacher", "safeguarding_yes_or_no")
        state["subject"] = (Subject.HEADTEACHER if head else Subject.ADULT).value
        return await self._ask(dc, state, "account")

    async def _on_account(self, dc: DialogContext, state: State, answer: str) -> Any:
        raw = dc.context.activity.text or ""
        state["account"] = raw.strip() or answer  # as typed: the child's own words
        return await self._ask(dc, state, "actions")

    async def _on_actions(self, dc: DialogContext, state: State, answer: str) -> Any:
        raw = (dc.context.activity.text or "").strip() or answer
        report = ConcernReport(
            subject=Subject(state["subject"]),
            account=state["account"],
            pupil_id=state.get("pupil_id"),
            school_id=state.get("school_id"),
            actions_taken="" if raw.lower() in NOTHING else raw,
            immediate_danger=bool(state.get("danger")),
            child_at_risk=bool(state.get("danger")),
        )
        clock = self.clock
        try:
            concern = await service.raise_concern(self.database, self._requester(dc), report, clock, self.ladders)
        except (NotAllowed, service.ConcernError) as problem:
            reason = problem.decision.reason if isinstance(problem, NotAllowed) else str(problem)
            await dc.context.send_activity(text("safeguarding_not_recorded", reason=reason))
            return await dc.end_dialog()
        await dc.context.send_activity(text("safeguarding_raised", subject=concern.subject.value))
        status = await reporter_status(self.database, concern.id)
        if status is not None:
            await Turn(dc.context, person_of(dc.context), None).send_card(status_card(status))
        return await dc.end_dialog(concern.id)

    @staticmethod
    def _requester(dc: DialogContext) -> Requester:
        return Requester.in_teams(person_of(dc.context))
