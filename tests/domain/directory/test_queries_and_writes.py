"""The directory: field rules, people and their roles, identity resolution, DSLs, pupils."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from db.engine import Database
from domain.access import Action, decide
from domain.directory.model import KEEP
from domain.directory.queries import (
    dsl_for,
    get_person,
    get_person_by_email,
    get_pupil,
    get_pupil_by_upn,
    get_school_by_urn,
    list_people,
    list_schools,
    pupils_for_school,
    resolve_person,
)
from domain.directory.rules import (
    DirectoryError,
    normalise_email,
    normalise_upn,
    normalise_urn,
    parse_roles,
    pupil_problems,
)
from domain.directory.writes import link_aad_object_id, upsert_person
from domain.roles import Role
from tests.fixtures.directory_rows import add_pupil, add_school, upn

AAD_A = "11111111-2222-3333-4444-555555555555"
AAD_B = "99999999-2222-3333-4444-555555555555"


# --- field rules -----------------------------------------------------------------------


@pytest.mark.parametrize("value", ["B801200005001", "P207000016049", upn("85540012500A")])
def test_valid_upns(value: str) -> None:
    assert normalise_upn(f" {value.lower()} ") == value


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("A801200005001", "check letter"),
        ("Q207000016049", "check letter"),
        ("I801200005001", "13 characters"),  # I is never a check letter
        ("B80120000500", "13 characters"),
        ("B80120000A001", "13 characters"),
        ("B80120000500S", "13 characters"),  # S is never a final letter
    ],
)
def test_invalid_upns(value: str, problem: str) -> None:
    with pytest.raises(DirectoryError, match=problem) as error:
        normalise_upn(value)
    assert value not in str(error.value)  # pupil data is never quoted


def test_urn_and_email() -> None:
    assert normalise_urn(" 990101 ") == "990101"
    for bad in ("99010", "0990101", "99010a"):
        with pytest.raises(DirectoryError, match="6 digits"):
            normalise_urn(bad)
    assert normalise_email(" Jo.Bloggs@School.Example.ORG ") == "jo.bloggs@school.example.org"
    for bad in ("jo", "jo@", "jo@school", "jo bloggs@school.org", "@school.org"):
        with pytest.raises(DirectoryError, match="e-mail"):
            normalise_email(bad)


def test_roles_from_values_and_labels_in_any_case() -> None:
    assert parse_roles("dsl; Deputy DSL ;HEAD_OF_YEAR") == {Role.DSL, Role.DEPUTY_DSL, Role.HEAD_OF_YEAR}
    assert parse_roles("Designated Safeguarding Lead;partnership senco") == {Role.DSL, Role.PARTNERSHIP_SENCO}
    assert parse_roles([Role.SENCO, "teacher"]) == {Role.SENCO, Role.TEACHER}
    with pytest.raises(DirectoryError, match="unknown role 'caretaker'"):
        parse_roles("teacher;caretaker")


@pytest.mark.parametrize(
    ("year", "provision", "time", "timetable", "problem"),
    [
        (8, "ks3_programme", "part_time", "centre ap ap school school", None),
        (9, "ks3_programme", "full_time", "centre centre ap ap ap", None),
        (11, "ks4_programme", "full_time", "centre centre ap ap ap", None),
        (7, "none", None, "", None),
        (10, "in_school_support", None, "", None),
        (10, "ks3_programme", "full_time", "centre centre ap ap ap", "does not fit year 10"),
        (9, "ks4_programme", "full_time", "centre centre ap ap ap", "does not fit year 9"),
        (9, "ks3_programme", None, "centre centre ap ap ap", "full_time or part_time"),
        (9, "ks3_programme", "full_time", "centre ap ap school school", "no days in school"),
        (8, "ks3_programme", "part_time", "centre centre ap ap ap", "at least one day in school"),
        (8, "ks3_programme", "part_time", "centre ap school", "every weekday"),
        (8, "none", "part_time", "", "only for programmes"),
        (8, "none", None, "centre ap ap school school", "only for programmes"),
        (12, "none", None, "", "7 to 11"),
        (8, "full_time_ap", None, "", "must be one of"),
    ],
)
def test_pupil_rules_follow_the_offer(
    year: int, provision: str, time: str | None, timetable: str, problem: str | None
) -> None:
    pattern = dict(zip(("mon", "tue", "wed", "thu", "fri"), timetable.split(), strict=False))
    problems = pupil_problems("Sam", "Taylor", year, provision, time, pattern)
    if problem is None:
        assert problems == []
    else:
        assert any(problem in p for p in problems), problems


# --- people ----------------------------------------------------------------------------


async def test_upsert_person_adds_then_changes_by_email(database: Database) -> None:
    school = await add_school(database)
    added = await upsert_person(
        database, email="Jo.Bloggs@CVA.example.org", display_name=" Jo  Bloggs ", roles=["dsl"], school_id=school
    )
    assert (added.email, added.display_name, added.roles, added.school_id) == (
        "jo.bloggs@cva.example.org",
        "Jo Bloggs",
        frozenset({Role.DSL}),
        school,
    )
    changed = await upsert_person(
        database,
        email="jo.bloggs@cva.example.org",
        display_name="Jo Bloggs",
        roles=["deputy dsl", "SENCO"],
        school_id=school,
    )
    assert changed.id == added.id
    assert changed.roles == {Role.DEPUTY_DSL, Role.SENCO}
    assert await get_person(database, added.id) == changed


async def test_upsert_person_reports_every_problem(database: Database) -> None:
    with pytest.raises(DirectoryError) as error:
        await upsert_person(database, email="not-an-email", display_name=" ", roles=["wizard"], school_id=4242)
    text = str(error.value)
    for expected in ("e-mail", "a person needs a name", "unknown role 'wizard'", "school 4242 does not exist"):
        assert expected in text


async def test_roles_must_match_where_the_person_works(database: Database) -> None:
    school = await add_school(database)
    with pytest.raises(DirectoryError, match="is a school role: give the person's school"):
        await upsert_person(database, email="a@lncip.example.org", display_name="A", roles=["dsl"], school_id=None)
    with pytest.raises(DirectoryError, match="is a Partnership role: leave the school empty"):
        await upsert_person(
            database, email="b@cva.example.org", display_name="B", roles=["coordinator"], school_id=school
        )
    with pytest.raises(DirectoryError, match="at least one role"):
        await upsert_person(database, email="c@cva.example.org", display_name="C", roles=[], school_id=school)


async def test_email_and_entra_id_belong_to_one_person(database: Database) -> None:
    school = await add_school(database)
    first = await upsert_person(
        database,
        email="a@cva.example.org",
        display_name="A",
        roles=["teacher"],
        school_id=school,
        aad_object_id=AAD_A.upper(),
    )
    assert first.aad_object_id == AAD_A
    second = await upsert_person(
        database, email="b@cva.example.org", display_name="B", roles=["teacher"], school_id=school
    )
    with pytest.raises(DirectoryError, match="email: already belongs to someone else"):
        await upsert_person(
            database,
            email="a@cva.example.org",
            display_name="B",
            roles=["teacher"],
            school_id=school,
            person_id=second.id,
        )
    with pytest.raises(DirectoryError, match="aad_object_id: already belongs to someone else"):
        await upsert_person(
            database,
            email="b@cva.example.org",
            display_name="B",
            roles=["teacher"],
            school_id=school,
            aad_object_id=AAD_A,
        )


async def test_the_entra_id_is_kept_unless_given(database: Database) -> None:
    await upsert_person(
        database,
        email="a@lncip.example.org",
        display_name="A",
        roles=["coordinator"],
        school_id=None,
        aad_object_id=AAD_A,
    )
    kept = await upsert_person(
        database,
        email="a@lncip.example.org",
        display_name="A A",
        roles=["coordinator"],
        school_id=None,
        aad_object_id=KEEP,
    )
    assert kept.aad_object_id == AAD_A
    cleared = await upsert_person(
        database,
        email="a@lncip.example.org",
        display_name="A A",
        roles=["coordinator"],
        school_id=None,
        aad_object_id=None,
    )
    assert cleared.aad_object_id is None


async def test_resolve_person(database: Database) -> None:
    school = await add_school(database)
    bound = await upsert_person(
        database,
        email="bound@cva.example.org",
        display_name="Bound",
        roles=["teacher"],
        school_id=school,
        aad_object_id=AAD_A,
    )
    unbound = await upsert_person(
        database, email="unbound@cva.example.org", display_name="Unbound", roles=["teacher"], school_id=school
    )
    assert await resolve_person(database, AAD_A.upper()) == bound
    assert await resolve_person(database, AAD_B) is None
    # E-mail only counts when the caller vouches that it is verified.
    assert await resolve_person(database, AAD_B, "unbound@cva.example.org") is None
    assert await resolve_person(database, AAD_B, "UNBOUND@cva.example.org", email_verified=True) == unbound
    assert await resolve_person(database, None, "unbound@cva.example.org", email_verified=True) == unbound
    # A person bound to one Entra account is not claimed by another through e-mail.
    assert await resolve_person(database, AAD_B, "bound@cva.example.org", email_verified=True) is None
    linked = await link_aad_object_id(database, unbound.id, AAD_B)
    assert linked.aad_object_id == AAD_B and linked.roles == unbound.roles
    assert await resolve_person(database, AAD_B) == linked
    # Inactive people are nobody.
    await upsert_person(
        database,
        email="bound@cva.example.org",
        display_name="Bound",
        roles=["teacher"],
        school_id=school,
        active=False,
    )
    assert await resolve_person(database, AAD_A) is None
    assert await resolve_person(database, None, "bound@cva.example.org", email_verified=True) is None


async def test_list_people_and_dsl_for(database: Database) -> None:
    cva = await add_school(database)
    other = await add_school(database, "990102", "Outwoods Edge Academy")

    async def person(email: str, name: str, roles: list[str], school: int | None, active: bool = True) -> int:
        record = await upsert_person(
            database, email=email, display_name=name, roles=roles, school_id=school, active=active
        )
        return record.id

    zoe = await person("zoe@cva.example.org", "Zoe Deputy", ["deputy_dsl"], cva)
    amy = await person("amy@cva.example.org", "Amy Deputy", ["deputy_dsl", "teacher"], cva)
    ben = await person("ben@cva.example.org", "Ben Lead", ["dsl", "deputy_dsl"], cva)
    await person("old@cva.example.org", "Old Lead", ["dsl"], cva, active=False)
    await person("dsl@owe.example.org", "Other Lead", ["dsl"], other)
    director = await person("dir@lncip.example.org", "Dee Director", ["partnership_director"], None)

    assert [p.id for p in await dsl_for(database, cva)] == [ben, amy, zoe]
    assert [p.display_name for p in await list_people(database, cva)] == ["Amy Deputy", "Ben Lead", "Zoe Deputy"]
    assert len(await list_people(database, cva, include_inactive=True)) == 4
    assert [p.id for p in await list_people(database, role=Role.TEACHER)] == [amy]
    assert [p.id for p in await list_people(database, partnership=True)] == [director]
    assert len(await list_people(database)) == 5
    boss = await get_person_by_email(database, "DIR@lncip.example.org")
    assert boss is not None and boss.at_partnership and boss.has_role(Role.PARTNERSHIP_DIRECTOR)
    assert decide(boss.actor, Action.ERASE_PUPIL_DATA).allowed


async def test_schools(database: Database) -> None:
    await add_school(database, "990102", "Outwoods Edge Academy")
    await add_school(database, "990101", "Charnwood Vale Academy")
    assert [s.name for s in await list_schools(database)] == ["Charnwood Vale Academy", "Outwoods Edge Academy"]
    school = await get_school_by_urn(database, "990102")
    assert school is not None and school.name == "Outwoods Edge Academy" and school.is_member


# --- pupils ----------------------------------------------------------------------------


async def test_pupils_for_school_leaves_out_erased_pupils_unless_asked(database: Database) -> None:
    school = await add_school(database)
    kept = await add_pupil(database, school, "855400125001", last_name="Adams")
    await add_pupil(
        database,
        school,
        "855400125002",
        first_name=None,
        last_name=None,
        date_of_birth=None,
        upn=None,
        erased_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert [p.id for p in await pupils_for_school(database, school)] == [kept]
    everyone = await pupils_for_school(database, school, include_erased=True)
    assert len(everyone) == 2 and any(p.erased and p.display_name.startswith("Erased pupil") for p in everyone)
    pupil = await get_pupil_by_upn(database, upn("855400125001").lower())
    assert pupil is not None and pupil == await get_pupil(database, kept)
    assert pupil.display_name == "Sam Adams" and pupil.key_stage == 3 and not pupil.placed_with_partnership
