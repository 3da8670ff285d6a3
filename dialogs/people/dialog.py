"""Add or change a person in the directory from Teams (Partnership admin only).

    [people] --> ask email --> show form card --> Save pressed?
                    ^                               |  invalid: form again, with the problems
                    |                               v
               (email given)                 saved + audited --> done
    `cancel` at any step ends it; nothing is saved until Save passes every check.

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

from bot.texts import text
from bot.turn import Turn, person_of
from db.engine import Database
from dialogs.people.cards import PARTNERSHIP, SAVE_ACTION, form_card, form_values, submitted_values
from domain.access import NotAllowed
from domain.directory import service
from domain.directory.model import PersonChange
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
        step.values["email"] = email
        existing = await get_person_by_email(self.database, email)
        values = options.get("values") or form_values(existing)
        card = form_card(email, existing, await list_schools(self.database), values, options.get("problems", []))
        await Turn(step.context, person_of(step.context), None).send_card(card)
        return Dialog.end_of_turn

    async def _save(self, step: WaterfallStepContext) -> DialogTurnResult:
        email = step.values["email"]
        submitted = step.context.activity.value
        if not isinstance(submitted, dict) or submitted.get("action") != SAVE_ACTION:
            await step.context.send_activity(text("people_use_the_card"))
            return await step.replace_dialog(self.initial_dialog_id, {"email": email})
        values = submitted_values(submitted)
        change = PersonChange(
            email=email,
            display_name=values["display_name"],
            roles=[r for r in values["roles"].split(",") if r],
            school_id=None if values["school"] == PARTNERSHIP else _int_or_none(values["school"]),
            aad_object_id=values["aad_object_id"] or None,
            active=values["active"] == "true",
        )
        try:
            person, outcome = await service.save_person(
                self.database, Requester.in_teams(person_of(step.context)), change
            )
        except NotAllowed as refusal:
            await step.context.send_activity(refusal.decision.reason)
            return await step.end_dialog()
        except DirectoryError as error:
            return await step.replace_dialog(
                self.initial_dialog_id, {"email": email, "values": values, "problems": error.problems}
            )
        await step.context.send_activity(text("people_saved", name=person.display_name, outcome=outcome))
        return await step.end_dialog(person.id)


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


def _int_or_none(raw: str) -> int | None:
    return int(raw) if raw.isdigit() else None
