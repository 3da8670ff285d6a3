"""What a school's digest holds: its own placed pupils only, and no safeguarding, SEN or health
detail (domain.md §2.7, "keep out of the digest"); who may see it on request."""

from __future__ import annotations

import dataclasses
import re
from datetime import date

import pytest

from core.clock import ManualClock
from db.engine import Database
from domain.access import NotAllowed
from domain.attendance.digest import PupilLine, SchoolDigest
from domain.attendance.model import Mark, MarkKind, Session
from domain.attendance.service import attendance_digest, record_register
from domain.attendance.welfare import welfare_flags
from domain.requester import Requester
from tests.domain.attendance.conftest import World, move_to, queued, utc

MONDAY = date(2026, 11, 2)
KEPT_OUT = ("child_protection", "child_in_need", "looked_after", "sen", "ehcp", "health", "upn", "date_of_birth")


def field_names(kind: type) -> set[str]:
    return {f.name for f in dataclasses.fields(kind)}


async def test_the_digest_holds_only_its_schools_pupils_and_no_sensitive_detail(
    database: Database, clock: ManualClock, world: World
) -> None:
    move_to(clock, utc(2026, 11, 2, 9, 15))
    marks = [Mark(p, MarkKind.ABSENT) for p in (world.at_centre, world.protected, world.other_school)]
    await record_register(database, Requester.in_teams(world.staff), MONDAY, Session.AM, marks, clock=clock)
    digest = await attendance_digest(database, Requester.in_teams(world.lead_a), world.school_a, MONDAY, clock)
    assert {p.pupil_id for p in digest.pupils} == {world.at_centre, world.at_ap, world.protected}
    assert world.other_school not in {p.pupil_id for p in digest.pupils}
    assert world.not_placed not in {p.pupil_id for p in digest.pupils}
    for name in field_names(PupilLine) | field_names(SchoolDigest):
        assert not any(word in name for word in KEPT_OUT), name
    text = repr(digest).lower()
    assert not any(re.search(rf"\b{word}", text) for word in KEPT_OUT)
    assert "2012" not in text  # no date of birth
    # The alert for the pupil with a CP plan says nothing of the plan itself.
    for notice in await queued(database):
        assert set(notice.payload) <= {"pupil_id", "school_id", "date", "session", "setting", "at", "reason"}


async def test_only_the_schools_own_staff_see_its_digest(database: Database, clock: ManualClock, world: World) -> None:
    with pytest.raises(NotAllowed):
        await attendance_digest(database, Requester.in_teams(world.dsl_b), world.school_a, MONDAY, clock)
    with pytest.raises(NotAllowed):
        await attendance_digest(database, Requester.in_teams(world.teacher_a), world.school_a, MONDAY, clock)
    assert (await attendance_digest(database, Requester.in_teams(world.staff), world.school_a, MONDAY, clock)).pupils


async def test_welfare_flags_only_for_those_the_policy_allows(
    database: Database, clock: ManualClock, world: World
) -> None:
    assert (
        await welfare_flags(database, Requester.in_teams(world.dsl_a), world.protected, clock)
    ).child_protection_plan
    for who in (world.lead_a, world.staff, world.admin, world.dsl_b):
        with pytest.raises(NotAllowed):
            await welfare_flags(database, Requester.in_teams(who), world.protected, clock)
