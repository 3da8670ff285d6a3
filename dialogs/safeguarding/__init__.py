"""The safeguarding feature in Teams: report a concern (`report.py`: "call 999 now" first when
the child is in immediate danger), the urgent alert with "Acknowledge" and "Add note"
(`cards.py`, `templates/`, `card_actions.py`), the alert, acknowledged and status cards sent by
the notifier (`notices.py`), "open concerns" for the Partnership (each with "Open"), `concern
<id>` (the record with its chronology for whoever may view it; the status to its reporter
otherwise; "Add note" on it), and the ladder's jobs (the
escalation one-offs and the delivery follower) with the waits from the settings
(`SAFEGUARDING_ESCALATE_AFTER_MINUTES`). What it does to records is `domain.safeguarding`.
"""

from __future__ import annotations

import re
from datetime import timedelta

from bot.commands import Command
from bot.features import Feature, FeatureServices
from bot.texts import text
from bot.turn import Turn
from dialogs.safeguarding.card_actions import card_actions, open_concern
from dialogs.safeguarding.cards import open_concerns_card
from dialogs.safeguarding.notices import renderers
from dialogs.safeguarding.report import DIALOG_ID, ReportDialog
from domain.access import Action, NotAllowed
from domain.directory.queries import list_schools
from domain.requester import Requester
from domain.safeguarding import service
from domain.safeguarding.jobs import delivery_job, escalation_job
from domain.safeguarding.model import ladders

CONCERN_ID = re.compile(r"#?([1-9][0-9]{0,17})")  # "concern 12" or "concern #12"


def feature(services: FeatureServices) -> Feature:
    database, clock = services.database, services.clock
    ladder = ladders(timedelta(minutes=services.settings.safeguarding_escalate_after_minutes))

    async def report(turn: Turn) -> None:
        assert turn.dialogs is not None, "reporting a concern needs dialog state"
        await turn.dialogs.begin_dialog(DIALOG_ID)

    async def open_concerns(turn: Turn) -> None:
        try:
            concerns = await service.open_concerns(database, Requester.in_teams(turn.person))
        except NotAllowed as refusal:
            await turn.say(refusal.decision.reason)
            return
        if not concerns:
            await turn.say(text("safeguarding_none_open"))
            return
        schools = {school.id: school.name for school in await list_schools(database)}
        await turn.send_card(open_concerns_card(concerns, schools, clock.now()))

    async def concern(turn: Turn) -> None:
        found = CONCERN_ID.fullmatch(turn.args)
        if found is None:
            await turn.say(text("safeguarding_which_concern"))
            return
        opened = await open_concern(database, Requester.in_teams(turn.person), int(found.group(1)), clock)
        if opened.card is not None:
            await turn.send_card(opened.card)
        else:
            await turn.say(opened.say or text("safeguarding_no_such_concern"))

    commands = (
        Command(
            "safeguarding",
            "Report a safeguarding concern: the school's DSL is alerted at once",
            report,
            aliases=("report a safeguarding concern", "report a concern", "safeguarding concern"),
            action=Action.RAISE_SAFEGUARDING_CONCERN,
            personal_only=True,
            starts_dialog=True,
            in_menu=True,
        ),
        Command(
            "concerns",
            "Open safeguarding concerns, oldest first",
            open_concerns,
            aliases=("open concerns",),
            action=Action.LIST_OPEN_CONCERNS,
        ),
        # Anyone may ask: the service asks the policy about that concern (a reporter, a DSL,
        # the Director). In a private chat only: the record holds the pupil's detail.
        Command(
            "concern",
            "Open a safeguarding concern by its number, e.g. `concern 12`",
            concern,
            takes_args=True,
            accepts=lambda rest: CONCERN_ID.fullmatch(rest) is not None,
            personal_only=True,
        ),
    )
    return Feature(
        "safeguarding",
        commands=commands,
        dialogs=(ReportDialog(database, ladder, clock),),
        card_actions=card_actions(database, ladder, clock),
        notice_renderers=renderers(database),
        jobs=(escalation_job(ladder), delivery_job(ladder)),
    )
