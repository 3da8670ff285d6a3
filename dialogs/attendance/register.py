"""Taking the register in Teams (Partnership staff): `register` (or `take the register`,
`register am`, `register pm`) shows today's session's register as cards, pre-filled with what
is stored. On a weekend or in a holiday it shows the last school day's (saying so), and
`register <date> [am|pm]` (`2026-12-04`, `4/12/2026`) any past school day's, to take it late
or correct it; a past day opens on its morning. Save (`attendance.register.save`) records the marks and actions through
`domain.attendance.service.record_register` and puts the card back as it now stands, so
saving again corrects it. The domain checks who may (placed pupils, Partnership staff), audits
corrections and queues the immediate alerts; this module only talks.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, time

from bot.card_actions import ActionData, ActionOutcome, CardAction
from bot.commands import Command
from bot.texts import text
from bot.turn import Turn
from core.clock import Clock
from db.engine import Database
from dialogs.attendance.cards import (
    MAX_ROWS,
    REGISTER_SUBMIT,
    SAVE_VERB,
    RegisterRow,
    day_label,
    register_cards,
    session_label,
)
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
from domain.attendance.service import RegisterError, last_school_day, london_day, record_register
from domain.directory.model import PupilRecord
from domain.requester import Requester
from domain.school_calendar.queries import load_term_dates

SESSION_WORDS = {"am": Session.AM, "morning": Session.AM, "pm": Session.PM, "afternoon": Session.PM}
PLACED_PUPILS = Target(RecordKind.ATTENDANCE, placed_with_partnership=True)  # the register's pupils
PM_FROM = time(12, 0)  # London time: the register shown is the afternoon's from midday
UK_DATE = re.compile(r"([0-3]?[0-9])/([01]?[0-9])/(20[0-9]{2})")


def register_args(args: str) -> tuple[Session | None, date | None] | None:
    """The session and day typed after `register` (either, both, or neither, in any order);
    None when the words are not a session or a date."""
    which: Session | None = None
    day: date | None = None
    for word in args.lower().split():
        if word in SESSION_WORDS and which is None:
            which = SESSION_WORDS[word]
            continue
        if day is not None:
            return None
        try:
            uk = UK_DATE.fullmatch(word)
            day = date(int(uk[3]), int(uk[2]), int(uk[1])) if uk else date.fromisoformat(word)
        except ValueError:
            return None
        if not uk and not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", word):
            return None
    return which, day


def session_now(clock: Clock) -> Session:
    from domain.scheduler.schedules import LONDON

    return Session.PM if clock.now().astimezone(LONDON).time() >= PM_FROM else Session.AM


async def expected_rows(database: Database, day: date, which: Session) -> list[RegisterRow]:
    """The pupils expected at the Centre or a provider on `day`, with what is stored for them."""
    register = await queries.register_data(database, day)
    pupils, marks, actions, providers, schools = (
        register.pupils,
        register.marks,
        register.actions,
        register.providers,
        register.schools,
    )
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
                school=schools.get(pupil.school_id, ""),
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
                school=row.school,
            )
        )
    return shown


def register_feature(database: Database, clock: Clock) -> tuple[Command, CardAction]:
    async def show(turn: Turn) -> None:
        today = london_day(clock.now())
        calendar = await load_term_dates(database)
        which, asked = register_args(turn.args) or (None, None)
        if asked is not None:
            if asked > today:
                await turn.say(text("attendance_register_future", day=day_label(asked)))
                return
            if not calendar.is_school_day(asked):
                await turn.say(text("attendance_register_not_school_day", day=day_label(asked)))
                return
            day = asked
        else:
            found = last_school_day(calendar, today)
            if found is None:
                await turn.say(text("attendance_no_register_today"))
                return
            day = found
            if day != today:
                await turn.say(text("attendance_register_last_school_day", day=day_label(day), iso=day.isoformat()))
        which = which or (session_now(clock) if day == today else Session.AM)
        rows = await expected_rows(database, day, which)
        if not rows:
            await turn.say(text("attendance_nobody_expected", day=day_label(day), session=session_label(which)))
            return
        for card in register_cards(day, which, rows):
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
        "Take the register for today's session (or `register 2026-12-04 pm` for a past school day)",
        show,
        aliases=("take the register",),
        action=Action.TAKE_REGISTER,
        target=lambda _actor: PLACED_PUPILS,
        personal_only=True,
        takes_args=True,
        accepts=lambda args: register_args(args) is not None,
        in_menu=True,
    )
    return command, CardAction(SAVE_VERB, REGISTER_SUBMIT, save)
