"""CSV files PostgreSQL could not store are refused row by row, on both databases, like any
other problem; and exports are safe to open in a spreadsheet, and come back exactly."""

from __future__ import annotations

import pytest

from db.engine import Database
from domain.directory.csv_files import neutralise, restore
from domain.directory.queries import get_person_by_email, get_school_by_urn
from domain.directory.rules import DirectoryError
from domain.directory.service import export_directory, import_directory
from domain.directory.writes import upsert_person
from domain.requester import Requester
from domain.roles import Role
from tests.fixtures.directory_rows import upn

OPERATOR = Requester.at_command_line()
SCHOOLS = "urn,name,member\n990101,Charnwood Vale Academy,yes\n"
PEOPLE_HEADINGS = "email,display_name,school_urn,roles,aad_object_id,active\n"
GUID = "0f8fad5b-d9cb-469f-a165-70867728950e"


async def _problems(database: Database, kind: str, text: str) -> list[tuple[int, str, str]]:
    report = await import_directory(database, OPERATOR, kind, text)  # type: ignore[arg-type]
    assert not report.accepted
    assert report.added == report.changed == report.unchanged == 0
    return [(p.row, p.field, p.message) for p in report.problems]


async def test_a_short_row_names_its_row_and_the_first_missing_column(database: Database) -> None:
    text = PEOPLE_HEADINGS + f"a@lncip.example.org,Ann,,coordinator,{GUID},yes\nx@y.org,Name\n"
    assert await _problems(database, "people", text) == [
        (3, "school_urn", "missing: the row has 2 cells, the headings 6")
    ]
    assert await get_person_by_email(database, "a@lncip.example.org") is None


async def test_a_short_row_does_not_clear_what_is_stored(database: Database) -> None:
    """A missing Entra id cell is not a blank one: it would unlink the person."""
    await import_directory(
        database, OPERATOR, "people", PEOPLE_HEADINGS + f"a@lncip.example.org,Ann,,coordinator,{GUID},yes\n"
    )
    problems = await _problems(database, "people", PEOPLE_HEADINGS + "a@lncip.example.org,Ann,,coordinator\n")
    assert problems == [(2, "aad_object_id", "missing: the row has 4 cells, the headings 6")]
    person = await get_person_by_email(database, "a@lncip.example.org")
    assert person is not None and person.aad_object_id == GUID


async def test_a_quote_never_closed_names_its_row_and_column(database: Database) -> None:
    text = PEOPLE_HEADINGS + 'a@lncip.example.org,Ann,,coordinator,,yes\nb@lncip.example.org,"Bea,,coordinator,,yes\n'
    assert await _problems(database, "people", text) == [
        (3, "display_name", "a quote opens in this cell and is never closed")
    ]


@pytest.mark.parametrize(
    "row, field, message",
    [
        ("a@lncip.example.org," + "N" * 201 + ",,coordinator,,yes", "display_name", "longer than 200 characters"),
        ("a@lncip.example.org,Ann,,coordinator," + "a" * 100 + ",yes", "aad_object_id", "an Entra object id is a GUID"),
        ("a@lncip.example.org,An\x00n,,coordinator,,yes", "display_name", "holds a control character"),
        ("a@lncip\x00.example.org,Ann,,coordinator,,yes", "email", "is not an e-mail address"),
        ("a@lncip.example.org,Ann,,coordinator,not-a-guid <b>,yes", "aad_object_id", "an Entra object id is a GUID"),
    ],
    ids=["long-name", "long-entra-id", "nul-in-name", "nul-in-email", "entra-id-not-a-guid"],
)
async def test_what_the_database_would_refuse_is_a_problem_of_its_row(
    database: Database, row: str, field: str, message: str
) -> None:
    ((number, named, said),) = await _problems(database, "people", PEOPLE_HEADINGS + row + "\n")
    assert (number, named) == (2, field)
    assert message in said


async def test_long_or_nul_school_and_pupil_names_are_refused_without_quoting_them(database: Database) -> None:
    long_school = await _problems(database, "schools", "urn,name\n990101," + "S" * 201 + "\n")
    assert long_school == [(2, "name", "longer than 200 characters")]
    await import_directory(database, OPERATOR, "schools", SCHOOLS)
    pupils = (
        "upn,first_name,last_name,date_of_birth,year_group,school_urn\n"
        f"{upn('855400125001')},{'F' * 101},Taylor,01/10/2012,8,990101\n"
        f"{upn('855400125002')},Sam,Tay\x00lor,01/10/2012,8,990101\n"
    )
    problems = await _problems(database, "pupils", pupils)
    assert problems == [(2, "first_name", "longer than 100 characters"), (3, "last_name", "holds a control character")]
    assert not any("Tay" in message for *_, message in problems)


async def test_the_people_form_refuses_an_entra_id_that_is_not_a_guid(database: Database) -> None:
    with pytest.raises(DirectoryError, match="aad_object_id: an Entra object id is a GUID"):
        await upsert_person(
            database,
            email="a@lncip.example.org",
            display_name="Ann",
            roles=[Role.COORDINATOR],
            school_id=None,
            aad_object_id="not-a-guid <b>",
        )
    playground = "00000000-0000-0000-0000-0000000000020"  # the Teams App Test Tool's users: kept for the demo
    person = await upsert_person(
        database,
        email="a@lncip.example.org",
        display_name="Ann",
        roles=[Role.COORDINATOR],
        school_id=None,
        aad_object_id=GUID.upper(),
    )
    assert person.aad_object_id == GUID
    await upsert_person(
        database,
        email="b@lncip.example.org",
        display_name="Bea",
        roles=[Role.COORDINATOR],
        school_id=None,
        aad_object_id=playground,
    )


@pytest.mark.parametrize(
    "cell",
    ['=HYPERLINK("x")', "-Smith", "+44 1234", "@SUM(A1)", "\t=x", "\r=x", "'=x", "''-x", "'t Hart", "Smith", "", "'"],
)
def test_neutralise_then_restore_is_exact_and_leaves_nothing_a_spreadsheet_runs(cell: str) -> None:
    written = neutralise(cell)
    assert restore(written) == cell
    assert not written.startswith(("=", "+", "-", "@", "\t", "\r"))


async def test_export_neutralises_formulas_and_import_brings_them_back_exactly(database: Database) -> None:
    await import_directory(database, OPERATOR, "schools", 'urn,name\n990101,=HYPERLINK("x")\n990102,-Smith School\n')
    people = (
        PEOPLE_HEADINGS
        + 'a@lncip.example.org,"=HYPERLINK(""https://example.org"",""click"")",,coordinator,,yes\n'
        + "b@lncip.example.org,-Smith,,coordinator,,yes\n"
        + "c@lncip.example.org,@Ann +1,,coordinator,,yes\n"
        + "d@lncip.example.org,'t Hart,,coordinator,,yes\n"
    )
    assert (await import_directory(database, OPERATOR, "people", people)).accepted
    exported = {kind: await export_directory(database, OPERATOR, kind) for kind in ("schools", "people")}
    for line in "".join(exported.values()).splitlines():
        for cell in line.split(","):
            assert not cell.lstrip('"').startswith(("=", "+", "-", "@")), line
    assert "'=HYPERLINK" in exported["people"] and "'-Smith" in exported["people"]

    for kind in ("schools", "people"):
        again = await import_directory(database, OPERATOR, kind, exported[kind])  # type: ignore[arg-type]
        assert again.accepted and again.changed == again.added == 0, again.lines()
    assert (await get_person_by_email(database, "a@lncip.example.org")).display_name == (  # type: ignore[union-attr]
        '=HYPERLINK("https://example.org","click")'
    )
    assert (await get_person_by_email(database, "b@lncip.example.org")).display_name == "-Smith"  # type: ignore[union-attr]
    assert (await get_person_by_email(database, "d@lncip.example.org")).display_name == "'t Hart"  # type: ignore[union-attr]
    assert (await get_school_by_urn(database, "990101")).name == '=HYPERLINK("x")'  # type: ignore[union-attr]
