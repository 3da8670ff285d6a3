"""The agenda card for the Partnership SENCO and Director (`agenda`, `agenda anonymised`), and
recording the forum's advice from it.

`agenda` shows the meeting the Partnership is working on (`queries.current_agenda`); any other
meeting's agenda opens from the "Open the agenda" button (`OPEN_AGENDA` and the meeting's id) on
its agenda notice and on the `meetings` card. The card shows each case
with its school, year group, need and the school's question, pupils named only as the case's
consent allows for the reader; a "Record advice" button per case still awaiting advice (or
"Advice recorded"), or for a Core Group an "Open the referral" button per referral listed for
decision (its card records the decision: the referral's path); a signed link to the same
agenda as a page for the shared screen (`bot/agenda_page.py`) and the meeting's Teams link.

```
agenda card --Record advice--> advice form --Save the advice--> agenda card ("Advice recorded")
     ^                             |
     +------Back to the agenda-----+
```

Each button carries a verb, an id and the view only, so a press works after a restart; the
handler reloads the case and the domain asks the access policy again on every press.
"""

from __future__ import annotations

import re

from bot.card_actions import ActionData, ActionOutcome, CardAction
from bot.cards import RenderedCard, render_card
from bot.submit_shapes import Id, Text
from bot.texts import text
from bot.turn import Turn
from core.clock import Clock
from core.settings import Settings
from core.signed_links import SignedLinks
from db.engine import Database
from dialogs.forum.page import agenda_page_url, case_lines, headings, reader_of, view_of
from dialogs.forum.wording import NEXT_STEP, when
from dialogs.referrals.partnership_cards import OPEN as OPEN_REFERRAL
from domain.access import Action, NotAllowed, RecordKind, Target
from domain.forum import advice, queries
from domain.forum.model import DEFAULT_SERVICES, Agenda, AgendaCase, Meeting, MeetingKind, NextStep, Reader
from domain.forum.service import ForumError
from domain.requester import Requester

OPEN_AGENDA = "forum.agenda.open"
OPEN_ADVICE = "forum.advice.open"
RECORD_ADVICE = "forum.advice.record"
VIEW = Text(max_length=12, required=False, default="named", choices=frozenset({"named", "anonymised"}))
MAX_SERVICES_TEXT = 12 * 102  # the choices a multi-select sends, comma-separated
_SERVICE_SEPARATORS = re.compile(r"[,;\n]")


class AgendaCards:
    """The agenda and advice cards for one running bot: its database, clock and page links."""

    def __init__(self, database: Database, clock: Clock, settings: Settings, links: SignedLinks | None) -> None:
        self.database, self.clock, self.settings, self.links = database, clock, settings, links

    def agenda_card(self, agenda: Agenda, requester: Requester) -> RenderedCard:
        runs = requester.decide(Action.RUN_FORUM, Target(RecordKind.FORUM)).allowed
        core_group = agenda.meeting.kind is MeetingKind.CORE_GROUP  # decided on the referral's own card
        cases = [
            {**line, "advice_button": runs and not core_group, "referral_button": runs and core_group}
            for line in case_lines(agenda)
        ]
        title, subtitle = headings(agenda)
        page_url = None
        if self.links is not None and requester.person_id is not None:
            page_url = agenda_page_url(
                self.links,
                self.settings.page_base_url,
                requester.person_id,
                agenda.meeting.id,
                view_of(agenda.reader),
                self.clock.now(),
            )
        return render_card(
            "forum/agenda.json.j2",
            title=title,
            subtitle=subtitle,
            cases=cases,
            view=view_of(agenda.reader),
            open_referral=OPEN_REFERRAL,
            page_url=page_url,
            link=agenda.meeting.teams_link or None,
        )

    def advice_form(self, meeting: Meeting, case: AgendaCase, reader: Reader) -> RenderedCard:
        services = list(dict.fromkeys([*meeting.services, *DEFAULT_SERVICES]))
        return render_card(
            "forum/advice_form.json.j2",
            title=f"Record advice: {case.pupil_name or 'Anonymous case'}"
            + (f" ({case.reference})" if case.reference else ""),
            subtitle=f"{meeting.kind.label}, {when(meeting)}",
            case={
                "school": case.school,
                "year": f"Year {case.year_group}" if case.year_group else "Not given",
                "need": case.need,
                "question": case.question or "Not given",
            },
            services=[{"title": name, "value": name} for name in services],
            next_steps=[{"title": NEXT_STEP[step], "value": step.value} for step in NextStep],
            max_advice=advice.MAX_ADVICE,
            booking_id=case.booking_id,
            meeting_id=meeting.id,
            view=view_of(reader),
        )

    async def command(self, turn: Turn) -> None:
        requester = Requester.in_teams(turn.person)
        words = turn.args.lower()
        reader = Reader.EXTERNAL if "anon" in words or "screen" in words else Reader.PARTNERSHIP
        try:
            agenda = await queries.current_agenda(self.database, requester, reader, self.clock)
        except NotAllowed as refusal:
            await turn.say(text("forum_not_allowed", reason=refusal.decision.reason))
            return
        if agenda is None:
            await turn.say(text("forum_agenda_none"))
            return
        await turn.send_card(self.agenda_card(agenda, requester))

    async def _agenda(self, requester: Requester, meeting_id: int, reader: Reader) -> RenderedCard:
        return self.agenda_card(await queries.agenda(self.database, requester, meeting_id, reader), requester)

    async def open_agenda(self, turn: Turn, data: ActionData) -> ActionOutcome:
        requester = Requester.in_teams(turn.person)
        try:
            return ActionOutcome(card=await self._agenda(requester, data.id, reader_of(data.text("view"))))
        except NotAllowed as refusal:
            return ActionOutcome(say=text("forum_not_allowed", reason=refusal.decision.reason))
        except ForumError as error:
            return ActionOutcome(say=text("forum_not_possible", reason=error.reason))

    async def open_advice(self, turn: Turn, data: ActionData) -> ActionOutcome:
        requester = Requester.in_teams(turn.person)
        reader = reader_of(data.text("view"))
        try:
            meeting, case = await queries.case_for_advice(self.database, requester, data.id, reader)
        except NotAllowed as refusal:
            return ActionOutcome(say=text("forum_not_allowed", reason=refusal.decision.reason))
        except ForumError as error:
            return await self._stale(requester, data.id, reader, error)
        return ActionOutcome(card=self.advice_form(meeting, case, reader))

    async def record_advice(self, turn: Turn, data: ActionData) -> ActionOutcome:
        requester = Requester.in_teams(turn.person)
        reader = reader_of(data.text("view"))
        step = data.text("next_step")
        if step is None:
            return ActionOutcome(say=text("forum_advice_next_step"))
        chosen = (data.text("services") or "").split(",")
        other = _SERVICE_SEPARATORS.split(data.text("other_services") or "")
        try:
            recorded = await advice.record_advice(
                self.database,
                requester,
                data.id,
                data.text("advice") or "",
                [name.strip() for name in [*chosen, *other] if name.strip()],
                NextStep(step),
                clock=self.clock,
            )
        except NotAllowed as refusal:
            return ActionOutcome(say=text("forum_not_allowed", reason=refusal.decision.reason))
        except advice.AdviceProblem as problem:  # the form needs changing: it stays as it is
            return ActionOutcome(say=text("forum_not_possible", reason=problem.reason))
        except ForumError as error:
            return await self._stale(requester, data.id, reader, error)
        card = await self._agenda(requester, recorded.booking.meeting_id, reader)
        said = "forum_advice_recorded_handed_over" if recorded.handed_over else "forum_advice_recorded"
        return ActionOutcome(card=card, say=text(said))

    async def _stale(self, requester: Requester, booking_id: int, reader: Reader, error: ForumError) -> ActionOutcome:
        """A press on a case that has moved on: say why, and show its agenda as it is now."""
        booking, _ = await queries.booking_and_meeting(self.database, booking_id, None)
        if booking is None:
            return ActionOutcome(say=text("forum_not_possible", reason=error.reason))
        try:
            card = await self._agenda(requester, booking.meeting_id, reader)
        except (NotAllowed, ForumError):
            return ActionOutcome(say=text("forum_not_possible", reason=error.reason))
        return ActionOutcome(card=card, say=text("forum_not_possible", reason=error.reason))

    def card_actions(self) -> tuple[CardAction, ...]:
        return (
            CardAction(OPEN_AGENDA, {"id": Id(), "view": VIEW}, self.open_agenda),
            CardAction(OPEN_ADVICE, {"id": Id(), "view": VIEW}, self.open_advice),
            CardAction(
                RECORD_ADVICE,
                {
                    "id": Id(),
                    "view": VIEW,
                    "advice": Text(max_length=advice.MAX_ADVICE, required=False, default=""),
                    "services": Text(max_length=MAX_SERVICES_TEXT, required=False, default=""),
                    "other_services": Text(max_length=300, required=False, default=""),
                    "next_step": Text(max_length=40, required=False, choices=frozenset(s.value for s in NextStep)),
                },
                self.record_advice,
            ),
        )
