"""Demo data: a fictional Loughborough and North Charnwood partnership for local trials.

Six invented secondary schools (five members, one not), staff in every school role at
each, the Partnership's own team, and pupils on the KS3 and KS4 offer:
- Y7/Y8 KS3 programme, part time: 1 day at the LNCIP Centre, 2 at AP, 2 in school;
- Y9 KS3 programme, full time: 2 days at the Centre, 3 at AP;
- KS4 programmes, full time (Centre and AP every day) or part time (some school days);
plus pupils with in-school support, pupils not (yet) on provision, and two former pupils
past the retention period so `retention-report` has something to show.

All names, e-mail addresses (example.org / example.com), URNs (99xxxx) and UPNs are
invented; UPNs carry a valid DfE check letter under the Leicestershire LA number 855.
Deterministic (seeded) for a given `today`, and idempotent: it goes through the CSV
importer, so a second run finds everything unchanged.

Local identity: Microsoft 365 Agents Playground sends its default user "Alex Wilber"
with `from.aadObjectId` "00000000-0000-0000-0000-0000000000020" (its other users end in
21..25). Alex is the demo Partnership admin; set DEMO_USER_AAD_ID to give that role to
another Entra object id. The Playground's other users get a school DSL, SENCO and
teacher and the Partnership Director and Coordinator, so group chats show several roles.
The Bot Framework Emulator sends no aadObjectId, so its user resolves to nobody.

Safeguarding (`load_demo_concerns`): two invented concerns about placed pupils at Charnwood Vale
Academy, raised by a Partnership staff member: one open (its DSL, Megan Bowen, is alerted and the
ladder climbs from there) and one Megan has acknowledged, so a new user sees the ladder at once.
Loaded once: a second run finds them and adds nothing.

Referrals (`load_demo_referrals`, from `domain.referrals.demo`): one in every state across the
demo schools, made through the referral services, so a new user sees a live queue.

Term dates (`DEMO_TERM_DATES`) for 2025-26, 2026-27 and 2027-28 are invented, shaped like a
Leicestershire school year; the bank holidays are England's real ones for those years.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from core.clock import Clock, SystemClock
from db.engine import Database
from db.models.directory import WEEKDAYS
from db.models.safeguarding import SafeguardingConcern
from domain.directory.csv_files import SPECS, ImportReport, Kind, format_timetable
from domain.directory.queries import get_school_by_urn, list_people, pupils_for_school
from domain.directory.rules import upn_check_letter
from domain.directory.service import import_directory
from domain.referrals.demo import load_demo_referrals
from domain.requester import Requester
from domain.roles import Role
from domain.safeguarding import service as safeguarding
from domain.safeguarding.model import ConcernReport, Subject
from domain.school_calendar.service import TermDatesReport, import_term_dates

__all__ = ["load_demo_data", "load_demo_referrals", "load_demo_term_dates"]

DEMO_USER_ENV = "DEMO_USER_AAD_ID"
PLAYGROUND_USER_AAD_ID = "00000000-0000-0000-0000-0000000000020"
LA_NUMBER = "855"  # Leicestershire
PARTNERSHIP_DOMAIN = "lncip.example.org"


@dataclass(frozen=True)
class DemoSchool:
    urn: str
    name: str
    town: str
    member: bool
    establishment: str  # the 4-digit DfE number used in its pupils' UPNs

    @property
    def domain(self) -> str:
        return "".join(word[0] for word in self.name.lower().split()) + ".example.org"


SCHOOLS = (
    DemoSchool("990101", "Charnwood Vale Academy", "Loughborough", True, "4101"),
    DemoSchool("990102", "Outwoods Edge Academy", "Loughborough", True, "4102"),
    DemoSchool("990103", "Soar Meadows School", "Loughborough", True, "4103"),
    DemoSchool("990104", "Shepshed Ridge College", "Shepshed", True, "4104"),
    DemoSchool("990105", "Mountsorrel Brook Academy", "Mountsorrel", True, "4105"),
    DemoSchool("990106", "Wolds Gate School", "Barrow upon Soar", False, "4106"),
)
SCHOOL_STAFF = (
    Role.HEADTEACHER,
    Role.DSL,
    Role.DEPUTY_DSL,
    Role.SENCO,
    Role.ATTENDANCE_LEAD,
    Role.HEAD_OF_YEAR,
    Role.TEACHER,
)
PARTNERSHIP_STAFF = (
    Role.PARTNERSHIP_DIRECTOR,
    Role.PARTNERSHIP_SENCO,
    Role.COORDINATOR,
    Role.PARTNERSHIP_STAFF,
    Role.PARTNERSHIP_STAFF,
    Role.PARTNERSHIP_STAFF,
    Role.PARTNERSHIP_ADMIN,
)
# Playground users (aadObjectId suffix, name, e-mail) -> the demo post they fill.
PLAYGROUND_PEOPLE = {
    (None, Role.PARTNERSHIP_ADMIN): ("20", "Alex Wilber", "alexw@example.com"),
    ("990101", Role.DSL): ("21", "Megan Bowen", "meganb@example.com"),
    ("990101", Role.SENCO): ("22", "Adele Vance", "adelev@example.com"),
    ("990101", Role.TEACHER): ("23", "Isaiah Langer", "isaiahl@example.com"),
    (None, Role.PARTNERSHIP_DIRECTOR): ("24", "Patti Fernandez", "pattif@example.com"),
    (None, Role.COORDINATOR): ("25", "Lynne Robbins", "lynner@example.com"),
    (None, Role.PARTNERSHIP_SENCO): ("26", "Johanna Lorenz", "johannal@example.com"),
}
FIRST_NAMES = (
    "Aisha",
    "Ben",
    "Chloe",
    "Daniel",
    "Ella",
    "Farhan",
    "Grace",
    "Harry",
    "Imani",
    "Jack",
    "Kiran",
    "Leah",
    "Mason",
    "Nadia",
    "Oliver",
    "Priya",
    "Reuben",
    "Sophie",
    "Tomasz",
    "Una",
    "Vikram",
    "Willow",
    "Yusuf",
    "Zara",
    "Callum",
    "Freya",
    "Jayden",
    "Lily",
    "Rhys",
    "Amelia",
    "Kacper",
    "Maya",
    "Noah",
    "Poppy",
    "Ravi",
    "Isla",
)
LAST_NAMES = (
    "Ahmed",
    "Bennett",
    "Clarke",
    "Dawson",
    "Evans",
    "Fletcher",
    "Gill",
    "Harrison",
    "Iqbal",
    "Jones",
    "Kaur",
    "Lewis",
    "Mistry",
    "Nowak",
    "Owen",
    "Patel",
    "Quinn",
    "Roberts",
    "Singh",
    "Turner",
    "Underwood",
    "Varley",
    "Walsh",
    "Young",
    "Brooks",
    "Chauhan",
    "Hughes",
    "Kowalski",
    "Marsh",
    "Shaw",
)
# (year group, provision, programme time, settings for the week before shuffling)
PUPIL_PLANS = (
    (7, "ks3_programme", "part_time", ("centre", "ap", "ap", "school", "school")),
    (9, "ks3_programme", "full_time", ("centre", "centre", "ap", "ap", "ap")),
    (10, "ks4_programme", "full_time", ("centre", "centre", "ap", "ap", "ap")),
    (10, "ks4_programme", "part_time", ("centre", "centre", "ap", "school", "school")),
    (11, "ks4_programme", "full_time", ("centre", "centre", "centre", "ap", "ap")),
    (11, "ks4_programme", "full_time", ("centre", "ap", "ap", "ap", "ap")),
    (11, "ks4_programme", "part_time", ("centre", "ap", "ap", "school", "school")),
    (8, "in_school_support", None, ()),
    (10, "none", None, ()),
)


def academic_year_start(today: date) -> int:
    return today.year if today.month >= 9 else today.year - 1


def _csv(kind: Kind, rows: list[list[object]]) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(SPECS[kind].columns)
    writer.writerows(rows)
    return out.getvalue()


def _name(rng: random.Random, used: set[str]) -> tuple[str, str]:
    while True:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        if f"{first} {last}" not in used:
            used.add(f"{first} {last}")
            return first, last


def _people(rng: random.Random, demo_user_aad_id: str) -> list[list[object]]:
    rows: list[list[object]] = []
    used = {name for _, name, _ in PLAYGROUND_PEOPLE.values()}
    posts: list[tuple[str | None, Role, str]] = [(s.urn, role, s.domain) for s in SCHOOLS for role in SCHOOL_STAFF]
    posts += [(None, role, PARTNERSHIP_DOMAIN) for role in PARTNERSHIP_STAFF]
    for urn, role, domain in posts:
        first, last = _name(rng, used)  # drawn for every post, so the sequence never shifts
        if (urn, role) in PLAYGROUND_PEOPLE:
            suffix, name, email = PLAYGROUND_PEOPLE[urn, role]
            aad = demo_user_aad_id if suffix == "20" else f"00000000-0000-0000-0000-00000000000{suffix}"
        else:
            name, email, aad = f"{first} {last}", f"{first}.{last}@{domain}".lower(), ""
        rows.append([email, name, urn or "", role.value, aad.lower(), "yes"])
    return rows


def _pupils(rng: random.Random, today: date) -> list[list[object]]:
    start = academic_year_start(today)
    rows: list[list[object]] = []
    used: set[str] = set()
    for school in (s for s in SCHOOLS if s.member):
        plans: list[tuple[int, str, str | None, tuple[str, ...], date | None, int]] = [
            (year + (rng.random() < 0.5 if year in (7, 10) else 0), provision, time, week, None, start)
            for year, provision, time, week in PUPIL_PLANS
        ]
        if school.urn in ("990101", "990103"):  # a former pupil, gone more than six years
            plans.append((11, "none", None, (), date(start - 6, 7, 20), start - 7))
        for serial, (year, provision, time, week, left, year_start) in enumerate(plans, start=1):
            first, last = _name(rng, used)
            born = date(year_start - year - 5, 9, 1) + timedelta(days=rng.randrange(365))
            body = f"{LA_NUMBER}{school.establishment}{(born.year + 5) % 100:02d}{serial:03d}"
            days = list(week)
            rng.shuffle(days)
            timetable = dict(zip(WEEKDAYS, days, strict=False))
            rows.append(
                [
                    upn_check_letter(body) + body,
                    first,
                    last,
                    born.isoformat(),
                    year,
                    school.urn,
                    provision,
                    time or "",
                    format_timetable(timetable),
                    left.isoformat() if left else "",
                ]
            )
    return rows


def demo_files(today: date, demo_user_aad_id: str = PLAYGROUND_USER_AAD_ID, seed: int = 2024) -> dict[Kind, str]:
    """The demo directory as the three CSV files the importer takes."""
    rng = random.Random(seed)
    schools: list[list[object]] = [[s.urn, s.name, "yes" if s.member else "no"] for s in SCHOOLS]
    return {
        "schools": _csv("schools", schools),
        "people": _csv("people", _people(rng, demo_user_aad_id)),
        "pupils": _csv("pupils", _pupils(rng, today)),
    }


async def load_demo_data(
    database: Database, *, today: date, demo_user_aad_id: str = PLAYGROUND_USER_AAD_ID, seed: int = 2024
) -> dict[Kind, ImportReport]:
    """Fill (or refresh) the directory with the demo partnership; stops at a rejected file."""
    reports: dict[Kind, ImportReport] = {}
    for kind, text in demo_files(today, demo_user_aad_id.strip() or PLAYGROUND_USER_AAD_ID, seed).items():
        reports[kind] = await import_directory(database, Requester.system(), kind, text)
        if not reports[kind].accepted:
            break
    return reports


# Fictional term dates (plausible, not any council's) with England's bank holidays.
DEMO_TERM_DATES = """kind,start,end,name
term,2025-09-02,2025-12-19,Autumn term 2025
inset,2025-09-02,,INSET day
holiday,2025-10-27,2025-10-31,October half term
bank_holiday,2025-12-25,,Christmas Day
bank_holiday,2025-12-26,,Boxing Day
bank_holiday,2026-01-01,,New Year's Day
term,2026-01-05,2026-03-27,Spring term 2026
inset,2026-01-05,,INSET day
holiday,2026-02-16,2026-02-20,February half term
bank_holiday,2026-04-03,,Good Friday
bank_holiday,2026-04-06,,Easter Monday
term,2026-04-13,2026-07-22,Summer term 2026
bank_holiday,2026-05-04,,Early May bank holiday
holiday,2026-05-25,2026-05-29,May half term
bank_holiday,2026-05-25,,Spring bank holiday
inset,2026-07-22,,INSET day
bank_holiday,2026-08-31,,Summer bank holiday
term,2026-09-01,2026-12-18,Autumn term 2026
inset,2026-09-01,,INSET day
holiday,2026-10-26,2026-10-30,October half term
bank_holiday,2026-12-25,,Christmas Day
bank_holiday,2026-12-28,,Boxing Day (substitute day)
bank_holiday,2027-01-01,,New Year's Day
term,2027-01-04,2027-03-25,Spring term 2027
inset,2027-01-04,,INSET day
holiday,2027-02-15,2027-02-19,February half term
bank_holiday,2027-03-26,,Good Friday
bank_holiday,2027-03-29,,Easter Monday
term,2027-04-12,2027-07-21,Summer term 2027
bank_holiday,2027-05-03,,Early May bank holiday
holiday,2027-05-31,2027-06-04,May half term
bank_holiday,2027-05-31,,Spring bank holiday
inset,2027-07-21,,INSET day
bank_holiday,2027-08-30,,Summer bank holiday
term,2027-09-02,2027-12-17,Autumn term 2027
inset,2027-09-02,,INSET day
holiday,2027-10-25,2027-10-29,October half term
bank_holiday,2027-12-27,,Christmas Day (substitute day)
bank_holiday,2027-12-28,,Boxing Day (substitute day)
bank_holiday,2028-01-03,,New Year's Day (substitute day)
term,2028-01-04,2028-04-07,Spring term 2028
inset,2028-01-04,,INSET day
holiday,2028-02-14,2028-02-18,February half term
bank_holiday,2028-04-14,,Good Friday
bank_holiday,2028-04-17,,Easter Monday
term,2028-04-24,2028-07-21,Summer term 2028
bank_holiday,2028-05-01,,Early May bank holiday
holiday,2028-05-29,2028-06-02,May half term
bank_holiday,2028-05-29,,Spring bank holiday
inset,2028-07-21,,INSET day
bank_holiday,2028-08-28,,Summer bank holiday
"""


async def load_demo_term_dates(database: Database) -> TermDatesReport:
    """Load the demo calendar (replacing any stored one), as the command line would."""
    return await import_term_dates(database, Requester.system(), DEMO_TERM_DATES)


DEMO_CONCERNS = (
    (
        "Said at break: 'I don't want to go home tonight, my uncle is staying again.' Quiet all morning.",
        "Stayed with the pupil at lunch; told the Centre lead.",
        False,
    ),
    (
        "Arrived without a coat in the rain and said 'there was no food at home again'.",
        "Gave breakfast at the Centre.",
        True,
    ),
)


async def load_demo_concerns(database: Database, clock: Clock = SystemClock()) -> int:
    """Raise the demo concerns (and acknowledge one as the DSL) unless they are there; returns
    how many were added. Needs the demo directory."""
    school = await get_school_by_urn(database, SCHOOLS[0].urn)
    staff = await list_people(database, role=Role.PARTNERSHIP_STAFF, partnership=True)
    dsls = await list_people(database, school.id, Role.DSL) if school else []
    if school is None or not staff or not dsls:
        return 0
    async with database.session() as session:
        query = select(func.count()).select_from(SafeguardingConcern).where(SafeguardingConcern.school_id == school.id)
        if await session.scalar(query):
            return 0
    placed = [p for p in await pupils_for_school(database, school.id) if p.placed_with_partnership]
    reporter, dsl = Requester.in_teams(staff[0]), Requester.in_teams(dsls[0])
    for pupil, (account, actions, acknowledged) in zip(placed, DEMO_CONCERNS, strict=False):
        report = ConcernReport(Subject.PUPIL, account, pupil_id=pupil.id, actions_taken=actions, child_at_risk=True)
        concern = await safeguarding.raise_concern(database, reporter, report, clock)
        if acknowledged:
            await safeguarding.acknowledge(database, dsl, concern.id, clock)
    return min(len(placed), len(DEMO_CONCERNS))
