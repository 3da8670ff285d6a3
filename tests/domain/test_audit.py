"""Tests for the audit log: recording, reading, append-only in the database, rollback,
and refusing anything that looks like personal data.

`database` (tests/fixtures/database.py) runs each test on a migrated SQLite file and,
when TEST_POSTGRES_URL is set, on PostgreSQL too.
"""

from __future__ import annotations

import inspect
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from db.engine import Database
from db.models.audit import AuditLogRow
from domain.audit import AuditAction, AuditDetailError, read_audit, record_audit


async def test_recorded_entries_read_back_in_order(database: Database) -> None:
    async with database.session() as session:
        await record_audit(
            session,
            actor_id=7,
            action=AuditAction.CREATED,
            record_type="referral",
            record_id="12",
            detail={"status": "submitted", "school_id": 3},
        )
    async with database.session() as session:
        await record_audit(session, actor_id=8, action="viewed", record_type="referral", record_id="12")
        await record_audit(session, actor_id=7, action="viewed", record_type="pupil", record_id="40")

    async with database.session() as session:
        everything = await read_audit(session)
        referral = await read_audit(session, record_type="referral", record_id="12")
        by_seven = await read_audit(session, actor_id=7)
        newest = await read_audit(session, limit=2)

    assert [(e.actor_id, e.action, e.record_type) for e in everything] == [
        (7, "created", "referral"),
        (8, "viewed", "referral"),
        (7, "viewed", "pupil"),
    ]
    assert everything[0].at.tzinfo is not None
    assert everything[0].at <= everything[1].at <= everything[2].at
    assert everything[0].detail == {"status": "submitted", "school_id": 3}
    assert everything[1].detail == {}
    assert [e.actor_id for e in referral] == [7, 8]
    assert [e.record_type for e in by_seven] == ["referral", "pupil"]
    # The newest two, still oldest first.
    assert [e.id for e in newest] == [e.id for e in everything[1:]]


async def test_the_time_is_the_databases_now_in_utc(database: Database) -> None:
    before = datetime.now(UTC)
    async with database.session() as session:
        await record_audit(session, actor_id=7, action="viewed", record_type="pupil", record_id="40")
    after = datetime.now(UTC)
    async with database.session() as session:
        (entry,) = await read_audit(session)
        stored = await session.scalar(text("SELECT at FROM audit_log"))
    assert entry.at.utcoffset() == timedelta(0)
    assert before - timedelta(seconds=2) <= entry.at <= after + timedelta(seconds=2)
    if database.is_sqlite:  # naive UTC, as db.base.UtcDateTime writes every other time column
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", stored), stored
    else:
        assert stored == entry.at


def test_no_caller_chooses_the_time() -> None:
    assert "at" not in inspect.signature(record_audit).parameters


@pytest.mark.parametrize("how", ["orm", "sql"])
async def test_a_time_given_by_hand_is_not_kept(database: Database, how: str) -> None:
    long_ago = datetime(2001, 1, 1, 9, 0, tzinfo=UTC)
    stored_long_ago = "2001-01-01 09:00:00.000000" if database.is_sqlite else long_ago
    insert = text(
        "INSERT INTO audit_log (at, actor_id, action, record_type, record_id, detail)"
        " VALUES (:at, 7, 'viewed', 'pupil', '40', '{}')"
    )
    try:
        async with database.session() as session:
            if how == "orm":
                session.add(AuditLogRow(at=long_ago, actor_id=7, action="viewed", record_type="pupil", record_id="40"))
            else:
                await session.execute(insert, {"at": stored_long_ago})
    except DBAPIError as refused:  # SQLite: a trigger cannot change the row, so it refuses it
        assert database.is_sqlite and "set by the database" in str(refused)
    else:  # PostgreSQL: the trigger puts the database's time in its place
        assert not database.is_sqlite
        async with database.session() as session:
            (entry,) = await read_audit(session)
        assert entry.at > long_ago + timedelta(days=365)


async def test_rollback_of_the_unit_of_work_rolls_back_the_entry(database: Database) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with database.session() as session:
            await record_audit(
                session,
                actor_id=7,
                action="erased",
                record_type="pupil",
                record_id="40",
            )
            raise Boom
    async with database.session() as session:
        assert await read_audit(session) == []


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET action = 'viewed'",
        "DELETE FROM audit_log",
    ],
)
async def test_database_refuses_update_and_delete(database: Database, statement: str) -> None:
    async with database.session() as session:
        await record_audit(
            session,
            actor_id=7,
            action="created",
            record_type="referral",
            record_id="12",
        )
    with pytest.raises(DBAPIError, match="append-only"):
        async with database.session() as session:
            await session.execute(text(statement))
    async with database.session() as session:
        (entry,) = await read_audit(session)
    assert entry.action == "created"


OVERWRITE_COLUMNS = (
    "(id, at, actor_id, action, record_type, record_id, detail) VALUES (:id, {now}, 9, 'erased', 'pupil', '41', '{{}}')"
)
NOW = {"sqlite": "strftime('%Y-%m-%d %H:%M:%f000', 'now')", "postgresql": "CURRENT_TIMESTAMP"}


@pytest.mark.parametrize(
    ("statement", "sqlite_only"),
    [
        (f"INSERT OR REPLACE INTO audit_log {OVERWRITE_COLUMNS}", True),
        (f"REPLACE INTO audit_log {OVERWRITE_COLUMNS}", True),
        (f"INSERT INTO audit_log {OVERWRITE_COLUMNS} ON CONFLICT (id) DO UPDATE SET action = 'erased'", False),
        (f"INSERT INTO audit_log {OVERWRITE_COLUMNS} ON CONFLICT (id) DO UPDATE SET action = excluded.action", False),
    ],
    ids=["insert-or-replace", "replace", "upsert", "upsert-excluded"],
)
async def test_an_insert_over_an_existing_entry_is_refused(
    database: Database, statement: str, sqlite_only: bool
) -> None:
    if sqlite_only and not database.is_sqlite:
        pytest.skip("SQLite's own syntax")
    async with database.session() as session:
        await record_audit(session, actor_id=7, action="created", record_type="referral", record_id="12")
    async with database.session() as session:
        (entry,) = await read_audit(session)
    with pytest.raises(DBAPIError, match="append-only"):
        async with database.session() as session:
            now = NOW["sqlite" if database.is_sqlite else "postgresql"]
            await session.execute(text(statement.format(now=now)), {"id": entry.id})
    async with database.session() as session:
        assert await read_audit(session) == [entry]


async def test_postgres_also_refuses_truncate(database: Database) -> None:
    if database.is_sqlite:
        pytest.skip("SQLite has no TRUNCATE")
    with pytest.raises(DBAPIError, match="append-only"):
        async with database.session() as session:
            await session.execute(text("TRUNCATE audit_log"))


@pytest.mark.parametrize(
    "detail",
    [
        {"pupil_name": "Jamie Smith"},
        {"dob": "2011-03-04"},
        {"upn": "A123456789012"},
        {"message": "He said his dad hit him"},
        {"outcome": "Jamie Smith"},  # allowed key, but the value is a name
        {"outcome": "Jamie"},  # capitals: a name, not a code word
        {"reason": "2011-03-04"},  # a date, not a code word
        {"fields": ["phone", "Jamie Smith"]},
        {"pupil_id": "A123456789012"},  # an id key holding a UPN
        {"outcome": "a123456789012"},  # a UPN in lower case
        {"source": "upn_a123456789012"},  # inside a code word
        {"reason": "dob_20111203"},  # a date without separators
        {"file_digest": "sha256:a123456789012"},  # too short for a digest: a UPN
        {"outcome": {"nested": "dict"}},
    ],
)
async def test_personal_data_in_detail_is_refused(database: Database, detail: dict) -> None:  # type: ignore[type-arg]
    async with database.session() as session:
        with pytest.raises(AuditDetailError) as refused:
            await record_audit(
                session,
                actor_id=7,
                action="changed",
                record_type="pupil",
                record_id="40",
                detail=detail,
            )
        # The refusal must not repeat the personal data it refused.
        assert "Jamie" not in str(refused.value)
        assert "2011" not in str(refused.value)
        assert await read_audit(session) == []


async def test_ids_and_outcomes_are_accepted(database: Database) -> None:
    detail = {
        "pupil_id": 40,
        "school_ids": [3, 4],
        "from_status": "submitted",
        "to_status": "accepted",
        "fields": ["phone", "roles"],
        "allowed": False,
        "reason": "not_allowed",
        "count": 12,
        "file_digest": "sha256:0123456789abcdef0123456789012345",  # digit runs, but a digest
    }
    async with database.session() as session:
        await record_audit(
            session,
            actor_id=1,
            action="changed",
            record_type="referral",
            record_id="12",
            detail=detail,
        )
    async with database.session() as session:
        (entry,) = await read_audit(session)
    assert entry.detail == detail


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("action", "deleted"),
        ("record_type", "Pupil Record"),
        ("record_id", "Jamie Smith"),
        ("record_id", "A123456789012"),  # a UPN, not our own id
        ("record_id", "a12345678901b"),
    ],
)
async def test_action_record_type_and_id_are_checked(database: Database, field: str, value: str) -> None:
    fields = {"action": "viewed", "record_type": "pupil", "record_id": "40"} | {field: value}
    async with database.session() as session:
        with pytest.raises(AuditDetailError):
            await record_audit(
                session,
                actor_id=7,
                action=fields["action"],
                record_type=fields["record_type"],
                record_id=fields["record_id"],
            )


def test_the_api_has_no_update_or_delete() -> None:
    import domain.audit as audit

    public = {name for name in vars(audit) if not name.startswith("_")}
    assert not {n for n in public if any(w in n for w in ("update", "delete", "remove", "edit"))}
