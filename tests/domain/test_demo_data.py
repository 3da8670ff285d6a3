"""Demo data: a realistic fictional partnership, deterministic and safe to load twice."""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import select

from core.clock import ManualClock
from db.engine import Database
from db.models.safeguarding import SafeguardingConcern
from domain.demo_data import (
    PLAYGROUND_USER_AAD_ID,
    SCHOOLS,
    demo_files,
    load_demo_concerns,
    load_demo_data,
    load_demo_referrals,
    load_demo_term_dates,
)
from domain.directory.csv_files import KINDS
from domain.directory.queries import dsl_for, list_people, list_schools, pupils_for_school, resolve_person
from domain.directory.service import export_directory
from domain.erasure import pupils_past_retention
from domain.referrals.model import QUEUE_ORDER, ReferralStatus
from domain.referrals.queries import drafts_of, my_referrals, queue
from domain.requester import Requester
from domain.roles import PARTNERSHIP_ROLES, SCHOOL_ROLES, Role
from domain.safeguarding.model import Status
from domain.safeguarding.queries import concern_record
from domain.school_calendar.queries import load_term_dates

TODAY = date(2026, 1, 5)


async def test_a_fresh_database_gets_a_whole_partnership(database: Database) -> None:
    reports = await load_demo_data(database, today=TODAY)
    assert all(report.accepted for report in reports.values())
    schools = await list_schools(database)
    assert len(schools) == 6 and sum(not s.is_member for s in schools) == 1
    assert all(s.dfe_urn.startswith("99") for s in schools)
    for school in schools:
        held = set().union(*(p.roles for p in await list_people(database, school.id)))
        assert held == SCHOOL_ROLES, school.name
        assert await dsl_for(database, school.id)
    partnership = set().union(*(p.roles for p in await list_people(database, partnership=True)))
    assert partnership == PARTNERSHIP_ROLES


async def test_pupils_follow_the_offer(database: Database) -> None:
    await load_demo_data(database, today=TODAY)
    pupils = [p for s in await list_schools(database) for p in await pupils_for_school(database, s.id)]
    member_ids = {s.id for s in await list_schools(database, members_only=True)}
    assert {p.school_id for p in pupils} == member_ids  # no pupils at the non-member school
    by_provision = Counter(p.provision for p in pupils if p.left_provision_on is None)
    assert by_provision["ks3_programme"] == 10 and by_provision["ks4_programme"] == 25
    for pupil in pupils:
        days = Counter(pupil.timetable.values())
        if pupil.provision == "ks3_programme" and pupil.year_group in (7, 8):
            assert days == {"centre": 1, "ap": 2, "school": 2} and pupil.programme_time == "part_time"
        elif pupil.provision == "ks3_programme":
            assert pupil.year_group == 9 and days == {"centre": 2, "ap": 3} and pupil.programme_time == "full_time"
        elif pupil.provision == "ks4_programme":
            assert pupil.year_group in (10, 11) and sum(days.values()) == 5
            assert ("school" in days) == (pupil.programme_time == "part_time")
        else:
            assert not days and pupil.programme_time is None
        # Age fits the year group in the academic year starting September 2025.
        if pupil.left_provision_on is None:
            assert pupil.date_of_birth is not None
            born_from = date(2025 - pupil.year_group - 5, 9, 1)
            assert born_from <= pupil.date_of_birth < born_from.replace(year=born_from.year + 1)


async def test_loading_twice_duplicates_nothing(database: Database) -> None:
    await load_demo_data(database, today=TODAY)
    before = {kind: await export_directory(database, Requester.system(), kind) for kind in KINDS}
    reports = await load_demo_data(database, today=TODAY)
    assert all(r.added == 0 and r.changed == 0 and r.unchanged > 0 for r in reports.values())
    assert {kind: await export_directory(database, Requester.system(), kind) for kind in KINDS} == before


def test_deterministic() -> None:
    assert demo_files(TODAY) == demo_files(TODAY)
    assert demo_files(TODAY)["pupils"] != demo_files(TODAY, seed=7)["pupils"]
    text = "\n".join(demo_files(TODAY).values())
    assert "example.org" in text and "@" in text
    assert len(SCHOOLS) == 6


async def test_the_playground_user_is_the_demo_partnership_admin(database: Database) -> None:
    await load_demo_data(database, today=TODAY)
    alex = await resolve_person(database, PLAYGROUND_USER_AAD_ID)
    assert alex is not None and alex.display_name == "Alex Wilber" and alex.roles == {Role.PARTNERSHIP_ADMIN}
    megan = await resolve_person(database, "00000000-0000-0000-0000-0000000000021")
    assert megan is not None and Role.DSL in megan.roles and megan.school_id is not None


async def test_demo_user_id_can_be_chosen(database: Database) -> None:
    mine = "12345678-90AB-CDEF-1234-567890ABCDEF"
    await load_demo_data(database, today=TODAY, demo_user_aad_id=mine)
    me = await resolve_person(database, mine)
    assert me is not None and me.roles == {Role.PARTNERSHIP_ADMIN}
    assert await resolve_person(database, PLAYGROUND_USER_AAD_ID) is None


async def test_former_pupils_show_in_the_retention_report(database: Database) -> None:
    await load_demo_data(database, today=TODAY)
    due = await pupils_past_retention(database, TODAY, 2190)
    assert len(due) == 2 and all(p.left_provision_on == date(2019, 7, 20) for p in due)


async def test_the_demo_calendar_knows_2026_27(database: Database) -> None:
    assert (await load_demo_term_dates(database)).accepted
    dates = await load_term_dates(database)
    assert dates.is_school_day(date(2026, 9, 2))
    assert not dates.is_school_day(date(2026, 9, 1))  # INSET
    assert not dates.is_school_day(date(2026, 10, 27))  # half term
    assert not dates.is_school_day(date(2026, 12, 21))  # Christmas holiday
    assert not dates.is_school_day(date(2027, 3, 29))  # Easter Monday
    assert dates.is_school_day(date(2027, 7, 20))
    # 2027-28 too, so the whole of 2025 to 2027 has real holidays (the summer of 2027 is one).
    assert not dates.is_school_day(date(2027, 8, 10)) and not dates.is_school_day(date(2027, 12, 20))
    assert dates.is_school_day(date(2027, 9, 3)) and dates.is_school_day(date(2028, 7, 20))
    assert (await load_demo_term_dates(database)).accepted  # twice is fine: it replaces


async def test_demo_concerns_one_open_one_acknowledged_loaded_once(database: Database) -> None:
    await load_demo_data(database, today=TODAY)
    assert await load_demo_concerns(database, ManualClock()) == 2
    assert await load_demo_concerns(database, ManualClock()) == 0
    async with database.session() as session:
        concerns = [concern_record(r) for r in await session.scalars(select(SafeguardingConcern))]
    assert sorted(c.status for c in concerns) == [Status.ACKNOWLEDGED, Status.RAISED]
    dsl = (await dsl_for(database, concerns[0].school_id))[0]
    assert dsl.display_name == "Megan Bowen"
    assert {c.acknowledged_by for c in concerns} == {None, dsl.id}


async def test_demo_referrals_in_every_state_once(database: Database) -> None:
    await load_demo_data(database, today=TODAY)
    assert await load_demo_referrals(database, today=TODAY) == 10
    assert await load_demo_referrals(database, today=TODAY) == 0  # idempotent
    director = await resolve_person(database, "00000000-0000-0000-0000-0000000000024")
    adele = await resolve_person(database, "00000000-0000-0000-0000-0000000000022")
    assert director is not None and adele is not None
    seen = await my_referrals(database, Requester.in_teams(director))
    drafts = await drafts_of(database, Requester.in_teams(adele))
    assert {line.status for line in seen} | {d.status for d in drafts} == set(ReferralStatus)
    assert any(line.anonymous for line in seen) and len(drafts) == 1
    live = await queue(database, Requester.in_teams(director))
    statuses = [line.status for line in live.referrals]
    assert statuses == sorted(statuses, key=QUEUE_ORDER.index)  # by state, in the lifecycle's order
    assert statuses[:1] == [ReferralStatus.SUBMITTED]
    assert len(live.tasks) == 1  # the decided referral's "contact parents"
    assert {line.school_id for line in await my_referrals(database, Requester.in_teams(adele))} == {adele.school_id}
