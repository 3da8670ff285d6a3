"""`resolve_person` runs on every turn as one plain query; it must give the very record the
directory's other reads give (same roles, same refusals), inside a caller's session too."""

from __future__ import annotations

from db.engine import Database
from db.models.directory import PersonRole
from domain.directory.queries import get_person_by_email, resolve_person
from domain.directory.writes import upsert_person
from tests.fixtures.directory_rows import add_person, add_school

AAD = "11111111-2222-3333-4444-555555555555"


async def test_several_roles_and_a_role_this_version_does_not_know(database: Database) -> None:
    school = await add_school(database)
    person = await upsert_person(
        database,
        email="many@cva.example.org",
        display_name="Many Hats",
        roles=["teacher", "senco", "dsl"],
        school_id=school,
        aad_object_id=AAD,
    )
    async with database.session() as session:
        session.add(PersonRole(person_id=person.id, role="role_from_a_newer_version"))
    expected = await get_person_by_email(database, "many@cva.example.org")
    assert expected is not None and len(expected.roles) == 3
    assert await resolve_person(database, AAD) == expected
    async with database.session() as session:
        assert await resolve_person(session, AAD) == expected


async def test_a_person_without_roles(database: Database) -> None:
    person_id = await add_person(database, "none@school.example")
    expected = await get_person_by_email(database, "none@school.example")
    assert expected is not None and expected.id == person_id and expected.roles == frozenset()
    assert await resolve_person(database, None, "None@School.example", email_verified=True) == expected


async def test_partnership_staff_have_no_school(database: Database) -> None:
    person = await upsert_person(
        database,
        email="admin@lncip.example.org",
        display_name="Pat Admin",
        roles=["partnership_admin"],
        school_id=None,
        aad_object_id=AAD,
    )
    found = await resolve_person(database, AAD.upper())
    assert found == person and found is not None and found.at_partnership
