"""A school's daily attendance digest (domain.md §2.7), as plain data: the day's counts and, per
placed pupil of that school only, where they were expected, each session's mark, the reason
and who gave it, the code suggested for the school's register, actions already taken, whether
the school has chased it, the flags, and attendance over the week, term and year.

The figures count the sessions the Partnership recorded (the Centre and providers), not the
days in the home school, and say so. Nothing here is safeguarding, SEN or health detail: no
welfare flags, no needs, no date of birth or UPN; a reason is a code word ("illness").
`build_digest` is the one query; the rest is pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta

from db.engine import DatabaseOrSession, unit_of_work
from domain.attendance import queries
from domain.attendance.model import (
    PARTNERSHIP_SETTINGS,
    AbsenceReason,
    ActionTaken,
    Figure,
    Flag,
    GivenBy,
    MarkKind,
    Session,
    Setting,
    absence_flags,
    expected_setting,
    figure,
    suggested_code,
)
from domain.attendance.queries import Chase, ProviderRecord, StoredMark
from domain.directory.model import PupilRecord
from domain.directory.queries import get_person, get_school
from domain.school_calendar.model import TermDates
from domain.school_calendar.queries import load_term_dates

FIGURES_COVER = "partnership_sessions"  # the Centre's and providers' sessions only


@dataclass(frozen=True)
class SessionLine:
    session: Session
    mark: MarkKind | None  # None: not marked yet
    at: time | None = None
    reason: AbsenceReason | None = None
    given_by: GivenBy | None = None
    suggested_code: str | None = None  # for the school's own register; the school decides


@dataclass(frozen=True)
class PupilLine:
    pupil_id: int
    name: str
    year_group: int
    setting: Setting | None  # where the timetable put them today
    provider: ProviderRecord | None  # at a provider: which (its registration decides B or D)
    sessions: tuple[SessionLine, SessionLine]
    actions: tuple[ActionTaken, ...]
    flags: tuple[Flag, ...]
    week: Figure
    term: Figure
    year: Figure
    chase: Chase | None

    @property
    def unexplained(self) -> bool:
        return Flag.UNEXPLAINED in self.flags

    @property
    def open(self) -> bool:
        """An unexplained absence nobody at the school has taken on yet."""
        return self.unexplained and self.chase is None


@dataclass(frozen=True)
class DigestCounts:
    placed: int = 0
    present: int = 0
    late: int = 0
    absent_explained: int = 0
    absent_unexplained: int = 0
    not_scheduled: int = 0
    not_marked: int = 0


@dataclass(frozen=True)
class SchoolDigest:
    school_id: int
    school_name: str
    day: date
    counts: DigestCounts
    pupils: tuple[PupilLine, ...]
    figures_cover: str = FIGURES_COVER

    @property
    def open_chases(self) -> tuple[PupilLine, ...]:
        return tuple(p for p in self.pupils if p.open)


def period_starts(day: date, calendar: TermDates) -> tuple[date, date, date]:
    """The first day of `day`'s week, term and academic year (1 September; the term from the
    calendar, or the year's start when no term covers the day)."""
    week = day - timedelta(days=day.weekday())
    year = date(day.year if day.month >= 9 else day.year - 1, 9, 1)
    term = next((t.start for t in calendar.terms if t.covers(day)), None)
    if term is None:
        term = max((t.start for t in calendar.terms if year <= t.start <= day), default=year)
    return week, max(term, year), year


def pupil_line(
    pupil: PupilRecord,
    day: date,
    marks: Sequence[StoredMark],
    starts: tuple[date, date, date],
    provider: ProviderRecord | None,
    actions: Sequence[ActionTaken],
    chase: Chase | None,
) -> PupilLine:
    setting = expected_setting(pupil.timetable, day)
    today = queries.by_session(marks, day)
    lines: list[SessionLine] = []
    for which in Session:
        stored = today.get(which)
        mark = stored.mark if stored else None
        code = suggested_code(
            mark,
            setting,
            provider_registered=bool(provider and provider.registered_school and setting is Setting.AP),
            part_time=pupil.programme_time == "part_time",
        )
        if mark is None:
            lines.append(SessionLine(which, None, suggested_code=code))
        else:
            lines.append(SessionLine(which, mark.kind, mark.at, mark.reason, mark.given_by, code))
    dated = [(m.on_date, m.mark) for m in marks]
    week, term, year = (figure(dated, start, day) for start in starts)
    flags = [Flag.UNEXPLAINED] if any(m.mark.unexplained for m in today.values()) else []
    flags += absence_flags(year)
    return PupilLine(
        pupil_id=pupil.id,
        name=pupil.display_name,
        year_group=pupil.year_group,
        setting=setting,
        provider=provider if setting is Setting.AP else None,
        sessions=(lines[0], lines[1]),
        actions=tuple(actions),
        flags=tuple(flags),
        week=week,
        term=term,
        year=year,
        chase=chase,
    )


def count(lines: Sequence[PupilLine]) -> DigestCounts:
    """Each pupil counted once for the day, by their most pressing mark."""
    tally = dict.fromkeys(("present", "late", "absent_explained", "absent_unexplained", "not_scheduled"), 0)
    not_marked = 0
    for line in lines:
        kinds = {s.mark for s in line.sessions if s.mark is not None}
        if line.setting not in PARTNERSHIP_SETTINGS or kinds == {MarkKind.NOT_EXPECTED}:
            tally["not_scheduled"] += 1
        elif not kinds:
            not_marked += 1
        elif line.unexplained:
            tally["absent_unexplained"] += 1
        elif MarkKind.ABSENT in kinds:
            tally["absent_explained"] += 1
        elif MarkKind.LATE in kinds:
            tally["late"] += 1
        else:
            tally["present"] += 1
    return DigestCounts(placed=len(lines), not_marked=not_marked, **tally)


async def build_digest(db: DatabaseOrSession, school_id: int, day: date) -> SchoolDigest:
    """The school's digest for `day` from what is stored now. No policy asked: the service
    and the digest job decide who gets it."""
    school = await get_school(db, school_id)
    if school is None:
        raise LookupError(f"there is no school {school_id}")
    pupils = await queries.placed_pupils(db, day, school_id)
    ids = [p.id for p in pupils]
    starts = period_starts(day, await load_term_dates(db))
    marks = await queries.marks_between(db, ids, starts[2], day)
    providers = await queries.providers_of(db, ids)
    actions = await queries.actions_on(db, ids, day)
    chases = await queries.chases_on(db, ids, day)
    lines = tuple(
        pupil_line(p, day, marks.get(p.id, []), starts, providers.get(p.id), actions.get(p.id, []), chases.get(p.id))
        for p in pupils
    )
    return SchoolDigest(school.id, school.name, day, count(lines), lines)


async def chaser_names(db: DatabaseOrSession, digest: SchoolDigest) -> dict[int, str]:
    """Who took each chased absence on, by pupil, for the card."""
    names: dict[int, str] = {}
    for line in digest.pupils:
        if line.chase is not None and line.chase.chased_by is not None:
            person = await get_person(db, line.chase.chased_by)
            names[line.pupil_id] = person.display_name if person else "the school"
    return names


async def digest_to_send(
    db: DatabaseOrSession, school_id: int, day: date
) -> tuple[SchoolDigest, dict[int, str]] | None:
    """The school's digest for the daily notice, with who chased what, read in one session
    (not one a query); None when the school is gone."""
    async with unit_of_work(db) as session:
        if await get_school(session, school_id) is None:
            return None
        built = await build_digest(session, school_id, day)
        return built, await chaser_names(session, built)
