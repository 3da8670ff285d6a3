"""Taking the register in Teams (Partnership staff): `register` (or `take the register`,
`register am`, `register pm`) shows today's session's register as cards, pre-filled with what
is stored; Save (`attendance.register.save`) records the marks and actions through
`domain.attendance.service.record_register` and puts the card back as it now stands, so
saving again corrects it. The domain checks who may (placed pupils, Partnership staff), audits
corrections and queues the immediate alerts; this module only talks.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, time

from bot.card_actions import ActionData, ActionOutcome, CardAction
from bot.commands import Command
from bot.texts import text
from bot.turn import Turn
from core.clock import Clock
from db.engine import Database
from dialogs.attendance.cards import MAX_ROWS, REGISTER_SUBMIT, SAVE_VERB, RegisterRow, register_cards, session_label
from domain.access import Action, NotAllowed, RecordKind, Target
from domain.attendance import queries
from domain.attendance.model import (
    NEEDS_TIME,
    ActionTaken,
    Mark,
    MarkError,
    MarkKind,
    Session,
    Setting,
    expected_setting,
)
from domain.attendance.service import RegisterError, london_day, record_register
from domain.directory.model import PupilRecord
from domain.requester import Requester
from domain.school_calendar.queries import load_term_dates

SESSION_WORDS = {"am": Session.AM, "morning": Session.AM, "pm": Session.PM, "afternoon": Session.PM}
PLACED_PUPILS = Target(RecordKind.ATTENDANCE, placed_with_partnership=True)  # the register's pupils
PM_FROM = time(12, 0)  # London time: the register shown is the afternoon's from midday


def session_now(clock: Clock) -> Session:
    from domain.scheduler.schedules import LONDON

    return Session.PM if clock.now().astimezone(LONDON).time() >= PM_FROM else Session.AM


async def expected_rows(database: Database, day: date, which: Session) -> list[RegisterRow]:
    """The pupils expected at the Centre or a provider on `day`, with what is stored for them."""
    pupils = [p for p in await queries.placed_pupils(database, day) if queries.expected_at_partnership(p, day)]
    ids = [p.id for p in pupils]
    marks = await queries.marks_between(database, ids, day, day)
    actions = await queries.actions_on(database, ids, day)
    providers = await queries.providers_of(database, ids)
    rows = []
    for pupil in pupils:
        stored = queries.by_session(marks.get(pupil.id, []), day).get(which)
        mark = stored.mark if stored else None
        rows.append(
            RegisterRow(
                pupil_id=pupil.id,
                name=pupil.display_name,
                where=_where(pupil, day, providers.get(pupil.id)),
                mark=mark.kind.value if mark else "",
                at=mark.at.strftime("%H:%M") if mark and mark.at else "",
                reason=mark.reason.value if mark and mark.reason else "",
                given_by=mark.given_by.value if mark and mark.given_by else "",
                actions=tuple(a.value for a in actions.get(pupil.id, [])),
            )
        )
    return rows


def _where(pupil: PupilRecord, day: date, provider: queries.ProviderRecord | None) -> str:
    setting = expected_setting(pupil.timetable, day)
    if setting is Setting.AP:
        return provider.name if provider else "an alternative provider"
    return text("attendance_setting_centre")


def read_rows(
    data: ActionData, rows: Sequence[RegisterRow]
) -> tuple[list[Mark], dict[int, set[ActionTaken]], list[str]]:
    """The marks and actions the card sent, and a problem per pupil whose mark does not make
    sense. A value that does not go with the mark chosen (a time left on a present mark) is
    left out rather than refused: the card keeps what was typed last time."""
    names = {row.pupil_id: row.name for row in rows}
    marks: list[Mark] = []
    actions: dict[int, set[ActionTaken]] = {}
    problems: list[str] = []
    for i in range(MAX_ROWS):
        if f"p{i}" not in data.values or data.values[f"p{i}"] is None:
            continue
        pupil_id = data.number(f"p{i}")
        name = names.get(pupil_id, f"Pupil {pupil_id}")
        kind, raw_time = data.text(f"m{i}"), data.text(f"t{i}")
        reason, given_by = data.text(f"r{i}"), data.text(f"g{i}")
        chosen = data.values.get(f"a{i}") or ()
        if kind is None:
            if chosen:
                problems.append(
                    text("attendance_register_problem", name=name, problem=text("attendance_actions_need_mark"))
                )
            continue
        mark_kind = MarkKind(kind)
        at = time.fromisoformat(raw_time) if raw_time and mark_kind in NEEDS_TIME else None
        absent = mark_kind is MarkKind.ABSENT
        try:
            marks.append(
                Mark(pupil_id, mark_kind, at, reason if absent else None, given_by if absent and reason else None)  # type: ignore[arg-type]
            )
        except MarkError as error:
            problems.append(text("attendance_register_problem", name=name, problem=str(error)))
            continue
        if isinstance(chosen, tuple) and chosen:
            actions[pupil_id] = {ActionTaken(a) for a in chosen}
    return marks, actions, problems


def typed_back(rows: Sequence[RegisterRow], data: ActionData) -> list[RegisterRow]:
    """The rows as the card sent them, to show again with the problems."""
    sent = {data.values.get(f"p{i}"): i for i in range(MAX_ROWS) if f"p{i}" in data.values}
    shown = []
    for row in rows:
        i = sent.get(row.pupil_id)
        if i is None:
            shown.append(row)
            continue
        value = data.values
        chosen = value.get(f"a{i}")
        shown.append(
            RegisterRow(
                row.pupil_id,
                row.name,
                row.where,
                str(value.get(f"m{i}") or ""),
                str(value.get(f"t{i}") or "")[:5],
                str(value.get(f"r{i}") or ""),
                str(value.get(f"g{i}") or ""),
                chosen if isinstance(chosen, tuple) else (),
            )
        )
    return shown


def register_feature(database: Database, clock: Clock) -> tuple[Command, CardAction]:
    async def show(turn: Turn) -> None:
        today = london_day(clock.now())
        which = SESSION_WORDS.get(turn.args.lower(), session_now(clock))
        if not (await load_term_dates(database)).is_school_day(today):
            await turn.say(text("attendance_no_register_today"))
            return
        rows = await expected_rows(database, today, which)
        if not rows:
            await turn.say(text("attendance_nobody_expected", session=session_label(which)))
            return
        for card in register_cards(today, which, rows):
            await turn.send_card(card)

    async def save(turn: Turn, data: ActionData) -> ActionOutcome:
        if turn.person is None:
            return ActionOutcome(say=text("attendance_not_in_directory"))
        day, which = date.fromisoformat(str(data.text("date"))), Session(str(data.text("session")))
        ids = {data.values[f"p{i}"] for i in range(MAX_ROWS) if data.values.get(f"p{i}") is not None}
        rows = [row for row in await expected_rows(database, day, which) if row.pupil_id in ids]
        marks, actions, problems = read_rows(data, rows)
        if not marks and not problems:
            problems = [text("attendance_register_nothing")]
        if not problems:
            try:
                result = await record_register(
                    database, Requester.in_teams(turn.person), day, which, marks, actions=actions, clock=clock
                )
            except NotAllowed as refusal:
                return ActionOutcome(say=refusal.decision.reason)
            except RegisterError as error:
                problems = error.problems
            else:
                saved = text(
                    "attendance_register_saved",
                    added=result.added,
                    changed=result.changed,
                    unchanged=result.unchanged,
                    actions=result.actions,
                    alerts=result.alerts,
                )
                rows = [row for row in await expected_rows(database, day, which) if row.pupil_id in ids]
                [card] = register_cards(day, which, rows, saved=saved)
                return ActionOutcome(card=card, say=saved)
        [card] = register_cards(day, which, typed_back(rows, data), problems=problems)
        return ActionOutcome(card=card)

    command = Command(
        "register",
        "Take the register for today's session",
        show,
        aliases=("take the register",),
        action=Action.TAKE_REGISTER,
        target=lambda _actor: PLACED_PUPILS,
        personal_only=True,
        takes_args=True,
        accepts=lambda args: args.lower() in SESSION_WORDS,
        in_menu=True,
    )
    return command, CardAction(SAVE_VERB, REGISTER_SUBMIT, save)
