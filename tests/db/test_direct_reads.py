"""Direct reads (`db.direct_reads`): the per-turn `select`s run on the driver give exactly what
SQLAlchemy's execution gives, on SQLite and PostgreSQL; what the driver cannot run as compiled
goes through the engine; errors arrive as SQLAlchemy's; a cancelled or failed read leaves nothing
broken behind."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import pytest
from sqlalchemy import bindparam, func, select, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.sql import Executable

from db import direct_reads
from db.engine import Database, read_rows
from db.models.directory import Person, School
from db.state_store import _READ_MANY, _READ_ONE, StateStore
from domain.demo_data import load_demo_data
from domain.directory import queries as directory

_ALL_PEOPLE = select(Person.id, Person.email, Person.active, Person.created_at).order_by(Person.id)
_SCHOOL_BY_URN = select(School.id, School.name, School.is_member, School.updated_at).where(
    School.dfe_urn == bindparam("urn")
)


async def _both_ways(database: Database, statement: Executable, params: dict[str, Any] | None = None) -> list[Any]:
    """The rows read directly, after checking them against the engine's, value by value and type by type."""
    direct = list(await database.read_rows(statement, params))
    async with database.session() as session:
        through_engine = list(await read_rows(session, statement, params))
    assert [tuple(row) for row in direct] == [tuple(row) for row in through_engine]
    assert [[type(v) for v in row] for row in direct] == [[type(v) for v in row] for row in through_engine]
    for mine, theirs in zip(direct, through_engine, strict=True):
        assert mine._asdict() == theirs._asdict()  # the same names, as `row.email` reads them
    return direct


async def test_every_per_turn_read_gives_what_the_engine_gives(database: Database) -> None:
    await load_demo_data(database, today=date(2024, 11, 4), demo_user_aad_id="00000000-0000-0000-0000-0000000000aa")
    store = StateStore(database)
    await store.write({"chat": ({"n": 1, "nested": {"list": [1, "two", None, True]}, "é": "ü"}, None)})

    assert len(await _both_ways(database, _ALL_PEOPLE)) > 5
    people = await directory.list_people(database)
    someone = people[0]
    by_email = await _both_ways(database, directory._PERSON_BY_EMAIL, {"email": someone.email})
    assert by_email[0].email == someone.email
    by_aad = await _both_ways(database, directory._PERSON_BY_AAD, {"aad": "00000000-0000-0000-0000-0000000000aa"})
    assert by_aad and by_aad[0].active is True
    assert await _both_ways(database, directory._PERSON_BY_AAD, {"aad": "nobody"}) == []
    members = await _both_ways(database, directory._MEMBER_SCHOOLS)
    assert len(await _both_ways(database, directory._SCHOOLS)) >= len(members) > 0
    [school] = await _both_ways(database, _SCHOOL_BY_URN, {"urn": "990101"})
    assert school.updated_at.tzinfo is not None  # the UTC type's own conversion ran
    [state] = await _both_ways(database, _READ_ONE, {"b_key": "chat"})
    assert state.data == {"n": 1, "nested": {"list": [1, "two", None, True]}, "é": "ü"}


async def test_a_parameter_used_twice_is_given_twice(database: Database) -> None:
    await load_demo_data(database, today=date(2024, 11, 4), demo_user_aad_id="00000000-0000-0000-0000-0000000000aa")
    either = bindparam("email")
    statement = select(Person.id, Person.email).where((Person.email == either) | (Person.display_name == either))
    assert database._direct is not None and database._direct.compiled(statement) is not None
    someone = (await directory.list_people(database))[0]
    [row] = await _both_ways(database, statement, {"email": someone.email})
    assert row.email == someone.email


async def test_the_directory_reads_the_same_people_as_before(database: Database) -> None:
    await load_demo_data(database, today=date(2024, 11, 4), demo_user_aad_id="00000000-0000-0000-0000-0000000000aa")
    for person in await directory.list_people(database, include_inactive=True):
        assert await directory.get_person_by_email(database, person.email) == person
        if person.aad_object_id and person.active:
            assert await directory.resolve_person(database, person.aad_object_id) == person


async def test_what_the_driver_cannot_run_as_compiled_goes_through_the_engine(database: Database) -> None:
    assert database._direct is not None
    unnamed = select(func.count(Person.id).label("how many"))
    for statement in (_READ_MANY, text("SELECT 1"), unnamed):  # a list; not a select; a name Python cannot read
        assert database._direct.compiled(statement) is None
    assert (await database.read_rows(unnamed))[0][0] == 0
    await StateStore(database).write({"a": ({"n": 1}, None), "b": ({"n": 2}, None)})
    rows = await database.read_rows(_READ_MANY, {"b_keys": ["a", "b", "c"]})
    assert sorted((row.key, row.data["n"]) for row in rows) == [("a", 1), ("b", 2)]
    assert (await database.read_rows(text("SELECT 41 + 1")))[0][0] == 42


async def test_a_statement_is_compiled_once_and_statements_built_per_call_are_not_hoarded(database: Database) -> None:
    reads = database._direct
    assert reads is not None
    first = reads.compiled(_READ_ONE)
    assert first is not None and reads.compiled(_READ_ONE) is first
    for n in range(direct_reads.COMPILED_KEPT * 2):
        statement = select(Person.id).where(Person.email == f"x{n}@example.org")
        assert (await database.read_rows(statement)) == []
    assert len(reads._compiled) <= direct_reads.COMPILED_KEPT


async def test_a_missing_parameter_is_refused(database: Database) -> None:
    with pytest.raises(KeyError, match="b_key"):
        await database.read_rows(_READ_ONE, {})


async def test_a_driver_error_arrives_as_sqlalchemys_without_the_parameters(database: Database) -> None:
    secret = text("n = :secret").bindparams(secret="pupil-name")
    missing = select(text("n")).select_from(text("no_such_table")).where(secret)
    assert database._direct is not None and database._direct.compiled(missing) is not None
    with pytest.raises(DBAPIError) as raised:
        await database.read_rows(missing)
    assert "no_such_table" in str(raised.value) and "pupil-name" not in str(raised.value)
    assert await _both_ways(database, _READ_ONE, {"b_key": "nothing"}) == []  # and the next read works


async def test_sqlite_errors_keep_their_sqlalchemy_class(sqlite_database: Database) -> None:
    with pytest.raises(OperationalError):
        await sqlite_database.read_rows(select(text("x")).select_from(text("no_such_table")))


async def test_in_memory_sqlite_reads_through_the_engine() -> None:
    database = Database("sqlite+aiosqlite://")
    try:
        assert database._direct is None
        assert (await database.read_rows(select(func.abs(-3))))[0][0] == 3
    finally:
        await database.dispose()


async def test_direct_sqlite_reads_cannot_write(sqlite_database: Database) -> None:
    assert sqlite_database._direct is not None
    await sqlite_database.read_rows(_READ_ONE, {"b_key": "x"})  # opens its connection
    driver = sqlite_database._direct._driver
    with pytest.raises(DBAPIError, match="readonly"):
        await driver.fetch("DELETE FROM bot_state", ())


@pytest.mark.postgres
async def test_a_cancelled_postgresql_read_leaves_no_busy_connection(postgres_database: Database) -> None:
    read = asyncio.create_task(postgres_database.read_rows(select(func.pg_sleep(5))))
    await asyncio.sleep(0.3)
    read.cancel()
    with pytest.raises(asyncio.CancelledError):
        await read
    async with asyncio.timeout(3):  # not behind the sleeping one
        assert await _both_ways(postgres_database, _READ_ONE, {"b_key": "nothing"}) == []


@pytest.mark.postgres
async def test_postgresql_reads_beyond_the_connection_limit_wait_their_turn(postgres_database: Database) -> None:
    await StateStore(postgres_database).write({"k": ({"n": 1}, None)})
    many = direct_reads.POSTGRES_CONNECTIONS * 3
    async with asyncio.TaskGroup() as group:
        reads = [group.create_task(postgres_database.read_rows(_READ_ONE, {"b_key": "k"})) for _ in range(many)]
    assert all(task.result()[0].data == {"n": 1} for task in reads)
    rows = await postgres_database.read_rows(
        select(func.count()).select_from(text("pg_stat_activity")).where(text("datname = current_database()"))
    )
    assert rows[0][0] <= direct_reads.POSTGRES_CONNECTIONS + 3  # the direct ones, the engine's and this one's


@pytest.mark.postgres
async def test_postgresql_direct_connections_close_with_the_database(postgres_url: str) -> None:
    database = Database(postgres_url)
    await database.read_rows(_READ_ONE, {"b_key": "k"})
    await database.dispose()
    check = Database(postgres_url)
    others = (
        select(func.count())
        .select_from(text("pg_stat_activity"))
        .where(
            text(
                "datname = current_database() AND pid <> pg_backend_pid()"
                " AND backend_type = 'client backend' AND state = 'idle'"
            )
        )
    )
    try:
        async with asyncio.timeout(5):  # a closed connection's server process ends a moment later
            while (await check.read_rows(others))[0][0] != 0:
                await asyncio.sleep(0.05)
    finally:
        await check.dispose()
