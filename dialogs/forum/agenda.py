"""The agenda card for the Partnership SENCO and Director (`agenda`): the next meeting with
cases, each with its school, year group, need and the school's question; pupils named only as
the case's consent allows for the reader (`domain.forum.model.shows_name`)."""

from __future__ import annotations

from bot.cards import RenderedCard, render_card
from bot.texts import text
from bot.turn import Turn
from core.clock import Clock
from db.engine import Database
from dialogs.forum.wording import when
from domain.access import NotAllowed
from domain.forum import queries
from domain.forum.model import Agenda, Reader
from domain.requester import Requester


def agenda_card(agenda: Agenda) -> RenderedCard:
    cases = [
        {
            "heading": f"{number}. {case.pupil_name or 'Anonymous case'}"
            + (f" ({case.reference})" if case.reference else ""),
            "school": case.school,
            "year": f"Year {case.year_group}" if case.year_group else "Not given",
            "need": case.need,
            "question": case.question or "Not given",
        }
        for number, case in enumerate(agenda.cases, start=1)
    ]
    view = "named as consent allows" if agenda.reader is Reader.PARTNERSHIP else "anonymised for visiting services"
    return render_card(
        "forum/agenda.json.j2",
        title=f"{agenda.meeting.kind.label} agenda: {when(agenda.meeting)}",
        subtitle=f"{len(cases)} case(s), {view}.",
        cases=cases,
        link=agenda.meeting.teams_link or None,
    )


def agenda_command(database: Database, clock: Clock):  # type: ignore[no-untyped-def]
    async def run(turn: Turn) -> None:
        requester = Requester.in_teams(turn.person)
        reader = Reader.EXTERNAL if "anon" in turn.args.lower() or "screen" in turn.args.lower() else Reader.PARTNERSHIP
        for meeting in await queries.next_meetings(database, None, clock):
            try:
                agenda = await queries.agenda(database, requester, meeting.id, reader)
            except NotAllowed as refusal:
                await turn.say(text("forum_not_allowed", reason=refusal.decision.reason))
                return
            if agenda.cases:
                await turn.send_card(agenda_card(agenda))
                return
        await turn.say(text("forum_agenda_none"))

    return run
