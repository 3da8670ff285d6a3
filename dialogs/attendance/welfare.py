"""A pupil's welfare status in Teams (a child protection plan, a child in need plan, looked
after), for those the policy lets see it:

- `welfare <pupil>`: finds the pupil by name among those the person may see (typo tolerant,
  never another school's) and shows the status card; several matches get a choice first
  (`attendance.welfare.open`, the pupil's id only);
- `attendance.welfare.save` (the card's Save, the pupil's id and the three toggles): the
  school's DSL changes the status, and the card is replaced by the status as now stored.
  Someone who may see but not change it gets the card without toggles or Save.

The status decides whether a pupil's unexplained absence is alerted to the DSL at once.
Every read and write goes through `domain.attendance.welfare` (policy asked on every press,
audited there); this module only talks, and logs nothing of the status.
"""

from __future__ import annotations

from bot.card_actions import ActionData, ActionOutcome, CardAction
from bot.commands import Command
from bot.texts import text
from bot.turn import Turn
from core.clock import Clock
from db.engine import Database
from dialogs.attendance.cards import (
    WELFARE_OPEN,
    WELFARE_OPEN_VERB,
    WELFARE_SAVE_VERB,
    WELFARE_SUBMIT,
    welfare_card,
    welfare_choices,
)
from domain.access import Action, Actor, NotAllowed, RecordKind, Target
from domain.attendance.welfare import (
    FIELDS,
    UnknownPupil,
    WelfareFlags,
    find_pupils,
    set_welfare_flags,
    welfare_view,
)
from domain.requester import Requester

MAX_NAME = 100


def pupils_of(actor: Actor | None) -> Target:
    """What the command is about: pupils of the asker's school (the Partnership's: placed pupils)."""
    return Target(RecordKind.PUPIL, school_id=actor.school_id if actor else None, placed_with_partnership=True)


# Words after "welfare" that make the message a question for the Q&A ("welfare concerns"), not a name.
NOT_A_NAME = frozenset(
    "a about an and are can check concern concerns do does for how in is my of officer on policy team the to "
    "what when where who why".split()
)


def accepts(args: str) -> bool:
    """A name ("welfare Cam Taylor"), not a question that starts with the word."""
    words = args.lower().split()
    return "?" not in args and len(words) <= 4 and not NOT_A_NAME.intersection(words)


def welfare_feature(database: Database, clock: Clock) -> tuple[Command, CardAction, CardAction]:
    async def show(turn: Turn) -> None:
        if turn.person is None:
            await turn.say(text("attendance_not_in_directory"))
            return
        typed = turn.args.strip()[:MAX_NAME]
        if not typed:
            await turn.say(text("attendance_welfare_which"))
            return
        requester = Requester.in_teams(turn.person)
        try:
            found = await find_pupils(database, requester, typed)
            if len(found) == 1:
                await turn.send_card(welfare_card(await welfare_view(database, requester, found[0].id, clock)))
            elif found:
                await turn.send_card(welfare_choices(typed, found))
            else:
                await turn.say(text("attendance_welfare_no_pupil", name=typed))
        except NotAllowed as refusal:
            await turn.say(refusal.decision.reason)

    async def open_one(turn: Turn, data: ActionData) -> ActionOutcome:
        if turn.person is None:
            return ActionOutcome(say=text("attendance_not_in_directory"))
        try:
            view = await welfare_view(database, Requester.in_teams(turn.person), data.number("pupil"), clock)
        except NotAllowed as refusal:
            return ActionOutcome(say=refusal.decision.reason)
        except UnknownPupil:
            return ActionOutcome(say=text("attendance_welfare_gone"))
        return ActionOutcome(card=welfare_card(view))

    async def save(turn: Turn, data: ActionData) -> ActionOutcome:
        if turn.person is None:
            return ActionOutcome(say=text("attendance_not_in_directory"))
        requester, pupil_id = Requester.in_teams(turn.person), data.number("pupil")
        flags = WelfareFlags(**{name: data.flag(name) for name in FIELDS})
        try:
            await set_welfare_flags(database, requester, pupil_id, flags, clock)
            view = await welfare_view(database, requester, pupil_id, clock)
        except NotAllowed as refusal:
            return ActionOutcome(say=refusal.decision.reason)
        except UnknownPupil:
            return ActionOutcome(say=text("attendance_welfare_gone"))
        saved = text("attendance_welfare_saved", name=view.pupil.name)
        return ActionOutcome(card=welfare_card(view, saved=saved), say=saved)

    command = Command(
        "welfare",
        "See (or, as DSL, change) a pupil's welfare status: `welfare <pupil's name>`",
        show,
        action=Action.VIEW_WELFARE_FLAGS,
        target=pupils_of,
        personal_only=True,
        takes_args=True,
        accepts=accepts,
    )
    return (
        command,
        CardAction(WELFARE_OPEN_VERB, WELFARE_OPEN, open_one),
        CardAction(WELFARE_SAVE_VERB, WELFARE_SUBMIT, save),
    )
