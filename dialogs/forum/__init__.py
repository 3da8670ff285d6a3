"""The Inclusion Forum and Core Group in Teams: dates from the records (`dates.py`, answering
"when is the next forum?" before the Q&A does), a school's bookings with cancel and accept
buttons (`bookings.py`), the agenda card for the Partnership with its advice form (`agenda.py`)
and the agenda's page for the shared screen (`page.py`, served by `bot/agenda_page.py`), and
the cards its notices become (`notices.py`); texts in `texts.yaml`, cards in `templates/`. What it does is
`domain.forum`; its jobs are `domain.forum.jobs`.
"""

from __future__ import annotations

from bot.commands import Command
from bot.features import Feature, FeatureServices
from bot.turn import Turn
from core.signed_links import signed_links
from dialogs.forum.agenda import AgendaCards
from dialogs.forum.bookings import card_actions, my_bookings_command
from dialogs.forum.dates import dates_answer, meetings_card
from dialogs.forum.notices import renderers
from domain.access import Action
from domain.forum.jobs import jobs
from domain.forum.model import MeetingKind
from domain.forum.queries import next_meetings


def feature(services: FeatureServices) -> Feature:
    database, clock = services.database, services.clock
    agenda = AgendaCards(database, clock, services.settings, signed_links(services.settings))

    async def dates(turn: Turn) -> None:
        kind = MeetingKind.CORE_GROUP if "core" in turn.args.lower() else MeetingKind.FORUM
        meetings = await next_meetings(database, kind, clock)
        if not meetings:
            await turn.say("No dates are on record yet: see https://www.leicsseips.org/meeting-dates")
            return
        await turn.send_card(meetings_card(kind, meetings, clock))

    commands = (
        Command("forum", "Forum and Core Group dates, with free slots", dates, takes_args=True, in_menu=True),
        Command(
            "bookings",
            "Your school's forum bookings",
            my_bookings_command(database, clock),  # the domain scopes it to the person's school
            in_menu=True,
        ),
        Command(
            "agenda",
            "The next forum or Core Group agenda (add `anonymised` for the shared screen)",
            agenda.command,
            action=Action.RUN_FORUM,
            takes_args=True,
            personal_only=True,
        ),
    )
    return Feature(
        "forum",
        commands=commands,
        card_actions=(*card_actions(database, clock), *agenda.card_actions()),
        notice_renderers=renderers(database),
        jobs=jobs(),
        answers=(dates_answer(database, clock),),
    )
