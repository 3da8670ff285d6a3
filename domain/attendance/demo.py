"""Demo registers: two fictional providers, the placed demo pupils' AP days with one of them,
and about three weeks of marks up to today's morning, with some lateness, some explained and
some unexplained absences, so a new user sees a real digest at once.

One placed pupil at the demo DSL's school (Megan Bowen, Charnwood Vale Academy) is looked
after, so `welfare <pupil>` shows a status and that pupil's next unexplained absence on the
register is alerted to Megan at once.

Deterministic (each mark is drawn from the pupil's UPN, the day and the session) and idempotent:
a stored mark is left as it is, so a second run changes nothing and a mark corrected by hand
survives it.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from db.engine import Database
from domain.attendance import queries, writes
from domain.attendance.model import PARTNERSHIP_SETTINGS, AbsenceReason, GivenBy, Mark, MarkKind, Session, Setting
from domain.attendance.model import expected_setting as setting_on
from domain.attendance.providers import add_provider, place_pupil
from domain.attendance.service import london_day
from domain.attendance.welfare import WelfareFlags, flag_for_demo
from domain.directory.model import PupilRecord
from domain.directory.queries import get_school_by_urn
from domain.requester import Requester
from domain.school_calendar.queries import load_term_dates

DEMO_PROVIDERS = (("Soar Valley Farm Skills", False), ("Wreake Vale Studio School", True))
DEMO_SCHOOL_DAYS = 15
DEMO_WELFARE_SCHOOL = "990101"  # Charnwood Vale Academy: the demo DSL Megan Bowen's school


def demo_mark(pupil_id: int, upn: str, day: date, which: Session, seed: int) -> Mark:
    draw = random.Random(f"{seed}:{upn}:{day.isoformat()}:{which.value}").random()
    if draw < 0.05:
        return Mark(pupil_id, MarkKind.LATE, at=time(9, 25) if which is Session.AM else time(13, 25))
    if draw < 0.09:
        return Mark(pupil_id, MarkKind.ABSENT, reason=AbsenceReason.ILLNESS, given_by=GivenBy.PARENT_PHONE)
    if draw < 0.14:
        return Mark(pupil_id, MarkKind.ABSENT)  # unexplained: for the school to chase
    return Mark(pupil_id, MarkKind.PRESENT)


async def load_demo_registers(database: Database, *, now: datetime, seed: int = 2024) -> int:
    """Add the demo providers, placements and registers; returns how many marks were added."""
    system = Requester.system()
    providers = [await add_provider(database, system, name, registered_school=reg) for name, reg in DEMO_PROVIDERS]
    today = london_day(now)
    pupils = await queries.placed_pupils(database, today)
    for index, pupil in enumerate(p for p in pupils if Setting.AP.value in p.timetable.values()):
        await place_pupil(database, system, providers[index % len(providers)].id, pupil.id)
    calendar = await load_term_dates(database)
    days: list[date] = []
    day = today
    while len(days) < DEMO_SCHOOL_DAYS and day > today - timedelta(days=60):
        if calendar.is_school_day(day):
            days.append(day)
        day -= timedelta(days=1)
    placed_with = await queries.providers_of(database, [p.id for p in pupils])
    added = 0
    async with database.session() as session:
        for day in days:
            for which in (Session.AM,) if day == today else tuple(Session):
                for pupil in pupils:
                    setting = setting_on(pupil.timetable, day)
                    if setting not in PARTNERSHIP_SETTINGS or pupil.upn is None:
                        continue
                    provider = placed_with.get(pupil.id) if setting is Setting.AP else None
                    written = await writes.write_mark(
                        session,
                        day,
                        which,
                        demo_mark(pupil.id, pupil.upn, day, which, seed),
                        setting=setting,
                        provider_id=provider.id if provider else None,
                        source="demo",
                        by=None,
                        now=now,
                        only_if_missing=True,
                    )
                    added += written.outcome == "added"
    await flag_demo_pupil(database, pupils)
    return added


async def flag_demo_pupil(database: Database, pupils: list[PupilRecord]) -> int | None:
    """Make the first of the demo DSL's school's placed pupils who come to Partnership sessions
    looked after (once: see `flag_for_demo`); their id, or None without such a pupil."""
    school = await get_school_by_urn(database, DEMO_WELFARE_SCHOOL)
    chosen = next(
        (
            p
            for p in pupils
            if school is not None
            and p.school_id == school.id
            and any(s in PARTNERSHIP_SETTINGS for s in p.timetable.values())
        ),
        None,
    )
    if chosen is None:
        return None
    await flag_for_demo(database, chosen.id, WelfareFlags(looked_after=True))
    return chosen.id
