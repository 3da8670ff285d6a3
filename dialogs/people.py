"""Add or change a person in the directory from Teams (Partnership admin only).

    [people] --> ask email --> show form card --> Save pressed?
                    ^                               |  invalid: form again, with the problems
                    |                               v
               (email given)                 saved + audited --> done
    `cancel` at any step ends it; nothing is saved until Save passes every check.

State between steps lives in the dialog state (the database), so a restart between two turns
carries on where it was. The domain decides; this file only talks.
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

from bot.cards import render_card
from bot.commands import Command
from bot.texts import text
from bot.turn import Turn, person_of
from db.engine import Database
from domain.access import Action, decide
from domain.audit import AuditAction, record_audit
from domain.directory.queries import get_person_by_email, list_schools
from domain.directory.rules import DirectoryError, normalise_email
from domain.directory.writes import save_person
from domain.roles import Role

DIALOG_ID = "people"
EMAIL_PROMPT = "people.email"
SAVE_ACTION = "people.save"
PARTNERSHIP = "partnership"


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
        schools = [{"title": s.name, "value": str(s.id)} for s in await list_schools(self.database)]
        values = options.get("values") or _form_values(existing)
        rendered = render_card(
            "people/form.json.j2",
            email=email,
            is_new=existing is None,
            values=values,
            schools=[{"title": "The Partnership (LNCIP staff)", "value": PARTNERSHIP}, *schools],
            roles=[{"title": role.label, "value": role.value} for role in Role],
            problems=options.get("problems", []),
            save_action=SAVE_ACTION,
        )
        await Turn(step.context, person_of(step.context), None).send_card(rendered)
        return Dialog.end_of_turn

    async def _save(self, step: WaterfallStepContext) -> DialogTurnResult:
        email = step.values["email"]
        submitted = step.context.activity.value
        if not isinstance(submitted, dict) or submitted.get("action") != SAVE_ACTION:
            await step.context.send_activity(text("people_use_the_card"))
            return await step.replace_dialog(self.initial_dialog_id, {"email": email})
        actor = person_of(step.context)
        decision = decide(actor.actor if actor else None, Action.MANAGE_PEOPLE)
        if not decision.allowed:
            await step.context.send_activity(decision.reason)
            return await step.end_dialog()
        values = _submitted_values(submitted)
        try:
            async with self.database.session() as session:
                person, outcome = await save_person(
                    session,
                    email=email,
                    display_name=values["display_name"],
                    roles=[r for r in values["roles"].split(",") if r],
                    school_id=None if values["school"] == PARTNERSHIP else _int_or_none(values["school"]),
                    aad_object_id=values["aad_object_id"] or None,
                    active=values["active"] == "true",
                )
                if outcome != "unchanged":
                    await record_audit(
                        session,
                        actor_id=actor.id if actor else None,
                        action=AuditAction.CREATED if outcome == "added" else AuditAction.CHANGED,
                        record_type="person",
                        record_id=str(person.id),
                        detail={"source": "teams", "roles": sorted(r.value for r in person.roles)},
                    )
        except DirectoryError as error:
            return await step.replace_dialog(
                self.initial_dialog_id, {"email": email, "values": values, "problems": error.problems}
            )
        await step.context.send_activity(text("people_saved", name=person.display_name, outcome=outcome))
        return await step.end_dialog(person.id)


def command(database: Database) -> tuple[Command, Dialog]:
    """The `people` command and its dialog, registered with the bot in one line."""

    async def start(turn: Turn) -> None:
        assert turn.dialogs is not None, "the people command needs dialog state"
        email = _email_or_none(turn.args)
        options = {"email": email} if email else {}
        await turn.dialogs.begin_dialog(DIALOG_ID, options)

    return (
        Command(
            "people",
            "Add or change a person in the directory",
            start,
            aliases=("person",),
            action=Action.MANAGE_PEOPLE,
            personal_only=True,
            takes_args=True,
            starts_dialog=True,
        ),
        PeopleDialog(database),
    )


async def _valid_email(prompt: PromptValidatorContext) -> bool:
    return prompt.recognized.succeeded and _email_or_none(prompt.recognized.value or "") is not None


def _email_or_none(raw: str) -> str | None:
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


def _form_values(person: Any) -> dict[str, str]:
    if person is None:
        return {"display_name": "", "aad_object_id": "", "school": "", "roles": "", "active": "true"}
    return {
        "display_name": person.display_name,
        "aad_object_id": person.aad_object_id or "",
        "school": PARTNERSHIP if person.school_id is None else str(person.school_id),
        "roles": ",".join(sorted(r.value for r in person.roles)),
        "active": "true" if person.active else "false",
    }


def _submitted_values(submitted: dict[str, Any]) -> dict[str, str]:
    """Only the form's own fields, as short strings; anything else in the submit is ignored."""
    fields = ("display_name", "aad_object_id", "school", "roles", "active")
    return {name: str(submitted.get(name) or "").strip()[:200] for name in fields}
