"""The Partnership's meeting records in Teams (`meetings`, Partnership SENCO or Director): a card
of upcoming forum and Core Group meetings with Open the agenda (`agenda.OPEN_AGENDA`), Move and
Cancel, and a form for a new one. Each press reloads the meeting and the domain asks the policy
again and audits (`domain.forum.meetings`); schools with a case on a moved or cancelled meeting are told by the
notifier. A term's dates can also come from CSV (`python -m cli`)."""

from __future__ import annotations

import re
from datetime import date, time
from typing import Any

from bot.card_actions import ActionData, ActionOutcome, CardAction
from bot.cards import RenderedCard
from bot.submit_shapes import Id, Text
from bot.texts import text
from bot.turn import Turn
from core.clock import Clock
from db.engine import Database
from dialogs.forum.agenda import OPEN_AGENDA
from dialogs.forum.views import Button, Section, View, render, verb
from dialogs.forum.wording import deadline, when
from domain.access import Action, NotAllowed
from domain.forum import meetings, queries
from domain.forum.model import DEFAULT_SERVICES, MeetingKind, MeetingStatus
from domain.forum.service import ForumError
from domain.requester import Requester

LIST = "forum.meeting.list"
MOVE_FORM = "forum.meeting.move_form"
MOVE = "forum.meeting.move"
CANCEL_ASK = "forum.meeting.cancel_ask"
CANCEL = "forum.meeting.cancel"
NEW = "forum.meeting.new"
CREATE = "forum.meeting.create"
DAY = r"\d{4}-\d{2}-\d{2}"
CLOCK_TIME = r"\d{1,2}:\d{2}"
KINDS = frozenset(kind.value for kind in MeetingKind)


def _refused(error: NotAllowed | ForumError) -> ActionOutcome:
    if isinstance(error, NotAllowed):
        return ActionOutcome(say=text("forum_not_allowed", reason=error.decision.reason))
    return ActionOutcome(say=text("forum_not_possible", reason=error.reason))


def _day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _time(raw: str | None) -> time | None:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", raw or "")
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        return None
    return time(int(match.group(1)), int(match.group(2)))


def list_card(found: list[queries.ManagedMeeting]) -> RenderedCard:
    sections = []
    for line in found:
        meeting = line.meeting
        facts = [(text("forum_meetings_kind"), meeting.kind.label)]
        if meeting.kind is MeetingKind.FORUM:
            facts += [
                (text("forum_meetings_slots"), f"{meeting.slots_taken} of {meeting.slots}"),
                (text("forum_book_fact_deadline"), deadline(meeting.booking_deadline)),
            ]
        facts.append((text("forum_meetings_cases"), str(line.cases)))
        buttons = [
            Button(text("forum_agenda_open"), verb(OPEN_AGENDA, id=meeting.id)),
            Button(text("forum_meetings_move"), verb(MOVE_FORM, id=meeting.id)),
            Button(text("forum_meetings_cancel"), verb(CANCEL_ASK, id=meeting.id), "destructive"),
        ]
        sections.append(Section(when(meeting), facts, buttons))
    lines = [text("forum_meetings_intro")] + ([] if found else [text("forum_meetings_none")])
    buttons = [
        Button(text("forum_meetings_new_forum"), verb(NEW, kind=MeetingKind.FORUM.value), "positive"),
        Button(text("forum_meetings_new_core_group"), verb(NEW, kind=MeetingKind.CORE_GROUP.value)),
    ]
    return render(View(text("forum_meetings_title"), lines, sections, buttons=buttons))


def _inputs(day: date | None, start: time, end: time) -> list[dict[str, Any]]:
    return [
        {"type": "Input.Date", "id": "date", "label": text("forum_meeting_date"), "isRequired": True}
        | ({"value": day.isoformat()} if day else {}),
        {"type": "Input.Time", "id": "start", "label": text("forum_meeting_start"), "value": f"{start:%H:%M}"},
        {"type": "Input.Time", "id": "end", "label": text("forum_meeting_end"), "value": f"{end:%H:%M}"},
    ]


def meetings_feature(database: Database, clock: Clock):  # type: ignore[no-untyped-def]
    """The `meetings` command and its card actions."""

    async def listing(requester: Requester) -> ActionOutcome:
        try:
            return ActionOutcome(card=list_card(await queries.meetings_to_manage(database, requester, clock)))
        except NotAllowed as error:
            return _refused(error)

    async def command(turn: Turn) -> None:
        shown = await listing(Requester.in_teams(turn.person))
        if shown.card is not None:
            await turn.send_card(shown.card)
        elif shown.say:
            await turn.say(shown.say)

    async def again(turn: Turn, data: ActionData) -> ActionOutcome:
        return await listing(Requester.in_teams(turn.person))

    async def one(turn: Turn, meeting_id: int) -> queries.ManagedMeeting | ActionOutcome:
        try:
            found = await queries.meetings_to_manage(
                database, Requester.in_teams(turn.person), clock, meeting_id=meeting_id
            )
        except NotAllowed as error:
            return _refused(error)
        if not found or found[0].meeting.status is MeetingStatus.CANCELLED:
            return ActionOutcome(say=text("forum_meeting_gone"))
        return found[0]

    async def move_form(turn: Turn, data: ActionData) -> ActionOutcome:
        line = await one(turn, data.id)
        if isinstance(line, ActionOutcome):
            return line
        meeting = line.meeting
        lines = [text("forum_meeting_move_intro", when=when(meeting), cases=line.cases)]
        inputs = _inputs(meeting.day, meeting.local_start.time(), meeting.local_end.time())
        buttons = [
            Button(text("forum_meeting_save_move"), verb(MOVE, id=meeting.id), "positive"),
            Button(text("forum_meetings_back"), verb(LIST)),
        ]
        title = text("forum_meeting_move_title", kind=meeting.kind.label)
        return ActionOutcome(card=render(View(title, lines, inputs=inputs, buttons=buttons)))

    async def move(turn: Turn, data: ActionData) -> ActionOutcome:
        day, start, end = _day(data.text("date")), _time(data.text("start")), _time(data.text("end"))
        if day is None or start is None or end is None:
            return ActionOutcome(say=text("forum_meeting_bad_date"))
        requester = Requester.in_teams(turn.person)
        try:
            moved = await meetings.move_meeting(database, requester, data.id, day, start, end, clock=clock)
            found = await queries.meetings_to_manage(database, requester, clock)
        except (NotAllowed, ForumError) as error:
            return _refused(error)
        cases = next((line.cases for line in found if line.meeting.id == moved.id), 0)
        return ActionOutcome(card=list_card(found), say=text("forum_meeting_moved", when=when(moved), cases=cases))

    async def cancel_ask(turn: Turn, data: ActionData) -> ActionOutcome:
        line = await one(turn, data.id)
        if isinstance(line, ActionOutcome):
            return line
        meeting = line.meeting
        kind = meeting.kind.label
        lines = [text("forum_meeting_cancel_intro", kind=kind, when=when(meeting), cases=line.cases)]
        buttons = [
            Button(text("forum_meeting_cancel_yes"), verb(CANCEL, id=meeting.id), "destructive"),
            Button(text("forum_meetings_back"), verb(LIST)),
        ]
        return ActionOutcome(card=render(View(text("forum_meeting_cancel_title", kind=kind), lines, buttons=buttons)))

    async def cancel(turn: Turn, data: ActionData) -> ActionOutcome:
        requester = Requester.in_teams(turn.person)
        line = await one(turn, data.id)
        if isinstance(line, ActionOutcome):
            return line
        try:
            cancelled = await meetings.cancel_meeting(database, requester, data.id, clock=clock)
            found = await queries.meetings_to_manage(database, requester, clock)
        except (NotAllowed, ForumError) as error:
            return _refused(error)
        said = text("forum_meeting_cancelled", kind=cancelled.kind.label, when=when(cancelled), cases=line.cases)
        return ActionOutcome(card=list_card(found), say=said)

    async def new(turn: Turn, data: ActionData) -> ActionOutcome:
        requester = Requester.in_teams(turn.person)
        decision = requester.decide(Action.RUN_FORUM, meetings.FORUM)
        if not decision.allowed:
            return ActionOutcome(say=text("forum_not_allowed", reason=decision.reason))
        kind = MeetingKind(data.text("kind") or "")
        forum = kind is MeetingKind.FORUM
        start, end = (time(9, 30), time(11, 30)) if forum else (time(13, 30), time(15, 30))
        inputs = _inputs(None, start, end) + [
            {"type": "Input.Text", "id": "link", "label": text("forum_meeting_link"), "style": "Url"},
            {
                "type": "Input.Number",
                "id": "slots",
                "label": text("forum_meeting_slots"),
                "min": 1,
                "max": meetings.MAX_SLOTS,
                "value": meetings.DEFAULT_SLOTS,
            },
            {"type": "Input.Date", "id": "deadline", "label": text("forum_meeting_deadline")},
            {
                "type": "Input.Text",
                "id": "services",
                "label": text("forum_meeting_services"),
                "value": "; ".join(DEFAULT_SERVICES),
                "maxLength": meetings.MAX_SERVICES_TEXT,
            },
        ]
        buttons = [
            Button(text("forum_meeting_create"), verb(CREATE, kind=kind.value), "positive"),
            Button(text("forum_meetings_back"), verb(LIST)),
        ]
        view = View(
            text("forum_meeting_new_title", kind=kind.label), [text("forum_meeting_new_intro")], (), inputs, buttons
        )
        return ActionOutcome(card=render(view))

    async def create(turn: Turn, data: ActionData) -> ActionOutcome:
        day, start, end = _day(data.text("date")), _time(data.text("start")), _time(data.text("end"))
        deadline_raw = data.text("deadline")
        book_by = _day(deadline_raw)
        slots = data.text("slots")
        if day is None or start is None or end is None or (deadline_raw and book_by is None):
            return ActionOutcome(say=text("forum_meeting_bad_date"))
        plan = meetings.MeetingPlan(
            MeetingKind(data.text("kind") or ""),
            day,
            start,
            end,
            data.text("link") or "",
            int(slots) if slots else meetings.DEFAULT_SLOTS,
            book_by,
            meetings.services_from(data.text("services") or ""),
        )
        requester = Requester.in_teams(turn.person)
        try:
            made = await meetings.create_meeting(database, requester, plan, clock=clock)
            found = await queries.meetings_to_manage(database, requester, clock)
        except (NotAllowed, ForumError) as error:
            return _refused(error)
        said = text("forum_meeting_created", kind=made.kind.label, when=when(made))
        return ActionOutcome(card=list_card(found), say=said)

    when_fields = {
        "date": Text(max_length=10, pattern=DAY),
        "start": Text(max_length=5, pattern=CLOCK_TIME),
        "end": Text(max_length=5, pattern=CLOCK_TIME),
    }
    actions = (
        CardAction(LIST, {}, again),
        CardAction(MOVE_FORM, {"id": Id()}, move_form),
        CardAction(MOVE, {"id": Id(), **when_fields}, move),
        CardAction(CANCEL_ASK, {"id": Id()}, cancel_ask),
        CardAction(CANCEL, {"id": Id()}, cancel),
        CardAction(NEW, {"kind": Text(max_length=20, choices=KINDS)}, new),
        CardAction(
            CREATE,
            {
                "kind": Text(max_length=20, choices=KINDS),
                **when_fields,
                "link": Text(max_length=1000, required=False, default=""),
                "slots": Text(max_length=2, pattern=r"[1-9][0-9]?", required=False),
                "deadline": Text(max_length=10, pattern=DAY, required=False),
                "services": Text(max_length=meetings.MAX_SERVICES_TEXT, required=False, default=""),
            },
            create,
        ),
    )
    return command, actions
