"""A small partnership for the referral tests: two schools, their staff, pupils on each roll, the
Partnership's team, and a complete Referral to the Partnership's values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from core.clock import ManualClock
from db.engine import Database
from domain.directory.model import PersonRecord
from domain.directory.queries import get_person_by_email, list_schools, pupils_for_school
from domain.directory.rules import upn_check_letter
from domain.directory.service import import_directory
from domain.requester import Requester

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def upn(body: str) -> str:
    return upn_check_letter(body) + body


SCHOOLS = "urn,name,member\n100001,Charnwood Vale Academy,yes\n100002,Outwoods Edge Academy,yes\n"
PEOPLE = """email,display_name,school_urn,roles,aad_object_id,active
senco@a.example.org,Sam Senco,100001,senco,,yes
hoy@a.example.org,Hal Year,100001,head_of_year,,yes
teacher@a.example.org,Tam Teacher,100001,teacher,,yes
dsl@a.example.org,Dee Dsl,100001,dsl,,yes
senco@b.example.org,Bea Senco,100002,senco,,yes
psenco@lncip.example.org,Pat Psenco,,partnership_senco,,yes
director@lncip.example.org,Dan Director,,partnership_director,,yes
coordinator@lncip.example.org,Cat Coordinator,,coordinator,,yes
"""
JACK_UPN = upn("855410112001")
PUPILS = (
    (
        "upn,first_name,last_name,date_of_birth,year_group,school_urn,provision,programme_time,timetable,"
        "left_provision_on\n"
    )
    + f"""{JACK_UPN},Jack,Smith,2012-02-01,9,100001,none,,,
{upn("855410111002")},Jacqueline,Smyth,2011-03-01,10,100001,none,,,
{upn("855410111003")},Oliver,Brown,2010-11-11,10,100001,none,,,
{upn("855410211004")},Jack,Smithson,2012-01-01,9,100002,none,,,
"""
)


@dataclass(frozen=True)
class World:
    db: Database
    clock: ManualClock
    people: dict[str, PersonRecord]
    pupils: dict[str, int]  # "Jack Smith" -> id
    school_a: int
    school_b: int

    def as_(self, who: str) -> Requester:
        return Requester.in_teams(self.people[who])


@pytest.fixture
async def world(database: Database) -> World:
    for kind, text in (("schools", SCHOOLS), ("people", PEOPLE), ("pupils", PUPILS)):
        assert (await import_directory(database, Requester.system(), kind, text)).accepted  # type: ignore[arg-type]
    people: dict[str, PersonRecord] = {}
    for line in PEOPLE.splitlines()[1:]:
        email = line.split(",")[0]
        person = await get_person_by_email(database, email)
        assert person is not None
        people[email.split("@")[0] + ("_b" if "@b." in email else "")] = person
    schools = {s.dfe_urn: s.id for s in await list_schools(database)}
    pupils = {
        f"{p.first_name} {p.last_name}": p.id
        for school_id in schools.values()
        for p in await pupils_for_school(database, school_id)
    }
    return World(database, ManualClock(START), people, pupils, schools["100001"], schools["100002"])


def complete_values(**changes: Any) -> dict[str, Any]:
    """Every field a Referral to the Partnership needs, for a pupil chosen from the roll."""
    values: dict[str, Any] = {
        "gender": "male",
        "pupil_premium": "yes",
        "looked_after": "no",
        "sen_status": "sen_support",
        "primary_need": "semh",
        "attendance_percent": "62%",
        "attendance_last_year_percent": 81,
        "part_time_timetable": "no",
        "suspensions_count": 3,
        "suspension_days": 4.5,
        "permanent_exclusion_before": "no",
        "reason": "At risk of permanent exclusion after repeated incidents.",
        "behaviour": "Leaves lessons, refuses instructions.",
        "semh_needs": "Anxiety, low mood.",
        "child_protection_plan": "no",
        "child_in_need": "unknown",
        "early_help": "yes",
        "agencies": "CAMHS, school nurse",
        "known_risks": "Has left the site twice when upset.",
        "interventions": [
            {
                "what": "Mentoring twice a week",
                "started_on": "2025-09-15",
                "ended_on": "2025-12-12",
                "review": "Reviewed with parents in December.",
                "impact": "Fewer removals from lessons, attendance unchanged.",
            }
        ],
        "requested_support": "in_school_support",
        "parental_consent": "yes",
        "consent_given_by": "Mother",
        "consent_date": "2025-12-15",
        "parent_carer": "Jane Smith, mother, 07700 900123",
        "parent_views": "Worried, wants help.",
        "pupil_voice": "I want to stay in school.",
        "senior_leader_agreement": "Mrs Patel, deputy head",
    }
    values.update(changes)
    return values


PROGRAMME = {
    "requested_support": "ks4_out_of_school",
    "programme_time": "part_time",
    "po_number": "PO-12345",
    "po_start": "2026-01-05",
    "po_end": "2026-08-31",
    "funding_lines": ["awpu", "pp"],
}
