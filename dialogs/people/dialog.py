"""Add or change a person in the directory from Teams (Partnership admin only).

    [people] --> ask email --> show form card --> Save pressed?
                    ^                               |  not the form's shape, or invalid:
                    |                               |  form again, with the problems
                    |                               v
               (email given)                 claim the form --> saved + audited --> done
                                                    |  already claimed: "already saved"
    `cancel` at any step ends it; nothing is saved until Save passes every check.

Every card of one run carries the run's form token (`bot/forms.py`): a second press of Save, or
a press after the dialog ended, is answered "already saved" or "expired" (by the handler, when
no dialog waits on it). What Save sends is checked against `cards.SUBMIT` before it is used.

State between steps lives in the dialog state (the database), so a restart between two turns
carries on where it was. This file only talks: the directory's service decides, saves and
audits (`domain.directory.service.save_person`).
"""

from __future__ import annotations

from typing import Any

from botbuilder.core import MessageFactory
from botbuilder.dialogs import (
    ComponentDialog,
    Dialog,
    DialogTurnResult,
    PromptOptions,
    PromptValidatorContext,
    TextPrompt,
    WaterfallDialog,
    WaterfallStepContext,
)

from bot.forms import form_of, forms_of, new_form
from bot.submit_shapes import ShapeProblem, check
from bot.texts import text
from bot.turn import Turn, person_of
from db.engine import Database
from dialogs.people.cards import LABELS, PARTNERSHIP, SAVE_ACTION, SUBMIT, form_card, form_values, shown_again
from domain.access import NotAllowed
from domain.directory import service
from domain.directory.model import KEEP, Keep, PersonChange
from domain.directory.queries import get_person_by_email, list_schools
from domain.directory.rules import DirectoryError, normalise_email
from domain.requester import Requester

DIALOG_ID = "people"
EMAIL_PROMPT = "people.email"


class PeopleDialog(ComponentDialog):
    def __init__(self, database: Database) -> None:
        super().__init__(DIALOG_ID)
        self.database = database
        self.add_dialog(TextPrompt(EMAIL_PROMPT, _valid_email))
        self.add_dialog(WaterfallDialog(f"{DIALOG_ID}.steps", [self._ask_email, self._show_form, self._save]))
        self.initial_dialog_id = f"{DIALOG_ID}.steps"

    async def _ask_email(self, step: WaterfallStepContext) -> DialogTurnResult:
        options = _options(step)
        if options.get("email"):
            return await step.next(options["email"])
        prompt = MessageFactory.text(text("people_ask_email"))
        retry = MessageFactory.text(text("people_bad_email"))
        return await step.prompt(EMAIL_PROMPT, PromptOptions(prompt=prompt, retry_prompt=retry))

    async def _show_form(self, step: WaterfallStepContext) -> DialogTurnResult:
        options = _options(step)
        email = normalise_email(str(step.result))
        existing = await get_person_by_email(self.database, email)
        values = options.get("values") or form_values(existing)
        step.values.update(email=email, form=options.get("form") or new_form(), shown=values)
        schools = await list_schools(self.database)
        card = form_card(email, existing, schools, values, options.get("problems", []), step.values["form"])
        await Turn(step.context, person_of(step.context), None).send_card(card)
        return Dialog.end_of_turn

    async def _save(self, step: WaterfallStepContext) -> DialogTurnResult:
        email, form, shown = step.values["email"], step.values["form"], step.values["shown"]
        submitted = step.context.activity.value
        if not isinstance(submitted, dict) or submitted.get("action") != SAVE_ACTION:
            await step.context.send_activity(text("people_use_the_card"))
            return await self._again(step, shown)
        if form_of(submitted) != form:  # a form of an earlier run, neither saved nor waited on
            await step.context.send_activity(text("form_expired", command=DIALOG_ID))
            return await self._again(step, shown)
        if submitted.get("aad_object_id") == shown["aad_object_id"] != "":
            submitted = {k: v for k, v in submitted.items() if k != "aad_object_id"}  # unchanged: kept as it is
        checked = check(SUBMIT, submitted)
        if isinstance(checked, ShapeProblem):
            field, reason = checked.field, checked.reason
            problem = text("people_form_problem", label=LABELS[field], field=field, reason=reason)
            return await self._again(step, shown_again(shown, submitted), [problem])
        forms = forms_of(step.context)
        if not await forms.claim(step.context, form):  # another press of this Save got there first
            await step.context.send_activity(text("form_already_saved"))
            return Dialog.end_of_turn
        change = PersonChange(
            email=email,
            display_name=str(checked["display_name"]),
            roles=list(checked["roles"] or ()),  # type: ignore[arg-type]  # Choices: a tuple of role values
            school_id=None if checked["school"] == PARTNERSHIP else int(checked["school"]),  # type: ignore[arg-type]
            aad_object_id=_entra_id(checked["aad_object_id"]),
            active=bool(checked["active"]),
        )
        try:
            person, outcome = await service.save_person(
                self.database, Requester.in_teams(person_of(step.context)), change
            )
        except NotAllowed as refusal:
            await forms.release(step.context, form)
            await step.context.send_activity(refusal.decision.reason)
            return await step.end_dialog()
        except DirectoryError as error:
            await forms.release(step.context, form)
            return await self._again(step, shown_again(shown, submitted), error.problems)
        await forms.saved(step.context, form)
        await step.context.send_activity(text("people_saved", name=person.display_name, outcome=outcome))
        return await step.end_dialog(person.id)

    async def _again(
        self, step: WaterfallStepContext, values: dict[str, str] | None = None, problems: list[str] | None = None
    ) -> DialogTurnResult:
        """The same form once more (same email, same form token), with `values` and `problems`."""
        options = {"email": step.values["email"], "form": step.values["form"]}
        if values is not None:
            options |= {"values": values, "problems": problems or []}
        return await step.replace_dialog(self.initial_dialog_id, options)


async def _valid_email(prompt: PromptValidatorContext) -> bool:
    return prompt.recognized.succeeded and email_or_none(prompt.recognized.value or "") is not None


def email_or_none(raw: str) -> str | None:
    """The address, normalised, or None if `raw` is not one."""
    try:
        return normalise_email(raw.strip()) if raw.strip() else None
    except ValueError:
        return None


def _options(step: WaterfallStepContext) -> dict[str, Any]:
    """The options the dialog was started (or restarted) with."""
    return step.options if isinstance(step.options, dict) else {}


def _entra_id(checked: object) -> str | None | Keep:
    """Absent (or unchanged): keep it; "" (emptied): clear it; else the new id."""
    if checked is None:
        return KEEP
    return str(checked) or None
