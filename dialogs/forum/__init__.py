"""The Inclusion Forum and Core Group in Teams: dates from the records (`dates.py`, answering
"when is the next forum?" before the Q&A does), booking a case (`book.py`, its cards
`booking_cards.py`), a school's bookings with move, cancel and accept buttons (`bookings.py`),
the Partnership's meetings (`meetings.py`), the agenda card for the Partnership with its advice
form (`agenda.py`), the agenda's page for the shared screen (`page.py`, served by
`bot/agenda_page.py`) and the cards its notices become (`notices.py`); texts in `texts.yaml`,
cards in `templates/`. What it does is `domain.forum`; its jobs are `domain.forum.jobs`.
"""

from __future__ import annotations

from bot.commands import Command, own_record
from bot.features import Feature, FeatureServices
from bot.texts import text
from bot.turn import Turn
from core.signed_links import signed_links
from dialogs.forum.agenda import AgendaCards
from dialogs.forum.book import BookDialog, Booking, is_booking
from dialogs.forum.bookings import card_actions, my_bookings_command
from dialogs.forum.dates import dates_answer, meetings_card
from dialogs.forum.meetings import meetings_feature
from dialogs.forum.notices import renderers
from domain.access import Action, RecordKind
from domain.forum.jobs import jobs
from domain.forum.model import MeetingKind, Timings
from domain.forum.queries import next_meetings


def feature(services: FeatureServices) -> Feature:
    database, clock = services.database, services.clock
    agenda = AgendaCards(database, clock, services.settings, signed_links(services.settings))

    async def dates(turn: Turn) -> None:
        kind = MeetingKind.CORE_GROUP if "core" in turn.args.lower() else MeetingKind.FORUM
        meetings = await next_meetings(database, kind, clock)
        if not meetings:
            await turn.say(text("forum_dates_none" if kind is MeetingKind.FORUM else "forum_dates_none_core_group"))
            return
        await turn.send_card(meetings_card(kind, meetings, clock))

    booking = Booking(database, clock)
    manage_meetings, meeting_actions = meetings_feature(database, clock)
    commands = (
        Command("forum", "Forum and Core Group dates, with free slots", dates, takes_args=True, in_menu=True),
        Command(
            "book",
            "Book a case at the Inclusion Forum",
            booking.command,
            action=Action.BOOK_FORUM_CASE,
            target=own_record(RecordKind.FORUM_BOOKING),
            personal_only=True,
            takes_args=True,
            accepts=is_booking,  # "book a case at the forum", "book the forum"
            in_menu=True,
        ),
        Command(
            "bookings",
            "Your school's forum bookings",
            my_bookings_command(database, clock),  # the domain scopes it to the person's school
            aliases=("my forum bookings", "forum bookings", "my bookings"),  # off the menu: Teams allows 12 commands
        ),
        Command(
            "meetings",
            "Add, move or cancel forum and Core Group meetings",
            manage_meetings,
            aliases=("forum meetings",),
            action=Action.RUN_FORUM,
            personal_only=True,
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
        dialogs=(BookDialog(booking),),
        card_actions=(
            *card_actions(database, clock),
            *booking.card_actions(),
            *meeting_actions,
            *agenda.card_actions(),
        ),
        notice_renderers=renderers(database),
        jobs=jobs(
            Timings(
                agenda_days_before=services.settings.forum_agenda_days_before,
                agenda_at=services.settings.forum_agenda_time,
                reminder_at=services.settings.forum_reminder_time,
            )
        ),
        answers=(dates_answer(database, clock),),
    )
