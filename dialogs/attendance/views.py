"""A school's attendance on request, and the digest's "Chased" button.

- `today's attendance` (`attendance`, `attendance today`): the digest card as it stands for the
  asker's school (its DSL, deputies, attendance lead or head, as the policy says); Partnership
  staff get each school's counts and the absences the schools have not yet taken on;
- `attendance this week`: each school day's counts so far and each pupil's week;
- `attendance for <pupil>`: one pupil's line of today's digest, from the asker's school only;
- `attendance.chased` (the button, pupil and date only): the school takes the absence on, and
  the pressed card is replaced by the school's digest as it now stands.

On a weekend or in a holiday "today" is the last school day, and the reply says so first.

Everything is read through `domain.attendance.service` (policy checked, scoped to one school).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from bot.card_actions import ActionData, ActionOutcome, CardAction
from bot.cards import RenderedCard
from bot.commands import Command
from bot.texts import text
from bot.turn import Turn
from core.clock import Clock
from db.engine import Database
from dialogs.attendance.cards import CHASED_SUBMIT, CHASED_VERB, day_label, digest_card, partnership_card, week_card
from domain.access import Action, Actor, NotAllowed, RecordKind, Target
from domain.attendance.digest import SchoolDigest, chaser_names
from domain.attendance.queries import schools_with_placed_pupils
from domain.attendance.service import RegisterError, attendance_digest, last_school_day, london_day, mark_chased
from domain.directory.queries import get_person, get_pupil
from domain.requester import Requester
from domain.school_calendar.queries import load_term_dates

TODAY_WORDS = frozenset({"", "today", "today's", "now"})
WEEK_WORDS = frozenset({"this week", "week"})


def own_school(actor: Actor | None) -> Target:
    """The asker's school's attendance (the Partnership's: the placed pupils of any school)."""
    school_id = actor.school_id if actor is not None else None
    return Target(RecordKind.SCHOOL, school_id=school_id, placed_with_partnership=True)


def accepts(args: str) -> bool:
    words = args.lower().strip(" ?.")
    return words in TODAY_WORDS | WEEK_WORDS or words.startswith("for ")


async def chasers(database: Database, digest: SchoolDigest) -> dict[int, str]:
    """Who took each chased absence on, by pupil, for the card."""
    return await chaser_names(database, digest)


async def school_card(
    database: Database, requester: Requester, school_id: int, day: date, clock: Clock
) -> RenderedCard:
    digest = await attendance_digest(database, requester, school_id, day, clock=clock)
    return digest_card(digest, await chasers(database, digest))


def attendance_feature(database: Database, clock: Clock) -> tuple[Command, CardAction]:
    async def today_or_week(turn: Turn) -> None:
        if turn.person is None:
            await turn.say(text("attendance_not_in_directory"))
            return
        requester = Requester.in_teams(turn.person)
        today = london_day(clock.now())
        day = last_school_day(await load_term_dates(database), today) or today
        if day != today:
            await turn.say(text("attendance_last_school_day", day=day_label(day)))
        words = turn.args.lower().strip(" ?.")
        try:
            if turn.person.school_id is None:
                await turn.send_card(await _partnership(database, requester, day, clock))
            elif words in WEEK_WORDS:
                await turn.send_card(await _week(database, requester, turn.person.school_id, day, clock))
            elif words.startswith("for "):
                await _one_pupil(turn, database, requester, turn.person.school_id, day, clock, turn.args.strip()[4:])
            else:
                await turn.send_card(await school_card(database, requester, turn.person.school_id, day, clock))
        except NotAllowed as refusal:
            await turn.say(refusal.decision.reason)

    async def chased(turn: Turn, data: ActionData) -> ActionOutcome:
        if turn.person is None:
            return ActionOutcome(say=text("attendance_not_in_directory"))
        requester = Requester.in_teams(turn.person)
        try:
            day = date.fromisoformat(str(data.text("date")))
        except ValueError:
            return ActionOutcome(say=text("attendance_bad_date"))
        pupil = await get_pupil(database, data.number("pupil"))
        if pupil is None or pupil.erased:
            return ActionOutcome(say=text("attendance_bad_date"))
        try:
            chase = await mark_chased(database, requester, pupil.id, day, clock=clock)
            card = await school_card(database, requester, pupil.school_id, day, clock)
        except NotAllowed as refusal:
            return ActionOutcome(say=refusal.decision.reason)
        except RegisterError:
            return ActionOutcome(say=text("attendance_bad_date"))
        if chase.chased_by != turn.person.id:
            who = await get_person(database, chase.chased_by) if chase.chased_by is not None else None
            return ActionOutcome(
                card=card, say=text("attendance_chased_already", who=who.display_name if who else "Someone")
            )
        return ActionOutcome(card=card, say=text("attendance_chased", name=pupil.display_name))

    command = Command(
        "attendance",
        "Today's attendance for your school's pupils placed with the Partnership",
        today_or_week,
        aliases=("today's attendance",),
        action=Action.VIEW_ATTENDANCE,
        target=own_school,
        personal_only=True,
        takes_args=True,
        accepts=accepts,
        in_menu=True,
    )
    return command, CardAction(CHASED_VERB, CHASED_SUBMIT, chased)


async def _week(database: Database, requester: Requester, school_id: int, day: date, clock: Clock) -> RenderedCard:
    calendar = await load_term_dates(database)
    monday = day - timedelta(days=day.weekday())
    days: Sequence[date] = [
        d for d in (monday + timedelta(days=n) for n in range(day.weekday() + 1)) if calendar.is_school_day(d)
    ]
    digests = [await attendance_digest(database, requester, school_id, d, clock=clock) for d in days]
    today = (
        digests[-1]
        if digests and digests[-1].day == day
        else await attendance_digest(database, requester, school_id, day, clock=clock)
    )
    return week_card(today.school_name, digests, today)


async def _one_pupil(
    turn: Turn, database: Database, requester: Requester, school_id: int, day: date, clock: Clock, name: str
) -> None:
    digest = await attendance_digest(database, requester, school_id, day, clock=clock)
    wanted = " ".join(name.lower().split())
    found = [line for line in digest.pupils if wanted and wanted in line.name.lower()]
    if not found:
        await turn.say(text("attendance_no_pupil", name=name))
        return
    names = await chasers(database, digest)
    for line in found[:5]:
        await turn.send_card(digest_card(digest, names, title=f"Attendance: {line.name}", only=line.pupil_id))


async def _partnership(database: Database, requester: Requester, day: date, clock: Clock) -> RenderedCard:
    digests = [
        await attendance_digest(database, requester, school_id, day, clock=clock)
        for school_id in await schools_with_placed_pupils(database, day)
    ]
    return partnership_card(day, digests)
