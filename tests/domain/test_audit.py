"""Tests for the audit log: recording, reading, append-only in the database, rollback,
and refusing anything that looks like personal data.

`database` (tests/fixtures/database.py) runs each test on a migrated SQLite file and,
when TEST_POSTGRES_URL is set, on PostgreSQL too.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core.clock import ManualClock
from db.engine import Database
from domain.audit import AuditAction, AuditDetailError, read_audit, record_audit

START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


async def test_recorded_entries_read_back_in_order(database: Database) -> None:
    clock = ManualClock(START)
    async with database.session() as session:
        await record_audit(
            session,
            actor_id=7,
            action=AuditAction.CREATED,
            record_type="referral",
            record_id="12",
            detail={"status": "submitted", "school_id": 3},
            at=clock.now(),
        )
        clock.advance(timedelta(minutes=5))
        await record_audit(
            session,
            actor_id=8,
            action="viewed",
            record_type="referral",
            record_id="12",
            at=clock.now(),
        )
        clock.advance(timedelta(minutes=5))
        await record_audit(
            session,
            actor_id=7,
            action="viewed",
            record_type="pupil",
            record_id="40",
            at=clock.now(),
        )

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
    assert everything[0].at == START
    assert everything[0].at.tzinfo is not None
    assert everything[0].detail == {"status": "submitted", "school_id": 3}
    assert everything[1].detail == {}
    assert [e.actor_id for e in referral] == [7, 8]
    assert [e.record_type for e in by_seven] == ["referral", "pupil"]
    # The newest two, still oldest first.
    assert [e.at for e in newest] == [START + timedelta(minutes=5), START + timedelta(minutes=10)]


async def test_time_in_another_zone_is_stored_as_the_same_instant(database: Database) -> None:
    bst = timezone(timedelta(hours=1))
    async with database.session() as session:
        await record_audit(
            session,
            actor_id=None,
            action="sent",
            record_type="school",
            record_id="3",
            at=datetime(2026, 6, 1, 9, 0, tzinfo=bst),
        )
    async with database.session() as session:
        (entry,) = await read_audit(session)
    assert entry.at == datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
    assert entry.actor_id is None


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
                at=START,
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
            at=START,
        )
    with pytest.raises(DBAPIError, match="append-only"):
        async with database.session() as session:
            await session.execute(text(statement))
    async with database.session() as session:
        (entry,) = await read_audit(session)
    assert entry.action == "created"


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
                at=START,
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
            at=START,
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
                at=START,
            )


async def test_time_without_a_zone_is_refused(database: Database) -> None:
    async with database.session() as session:
        with pytest.raises(ValueError, match="timezone"):
            await record_audit(
                session,
                actor_id=7,
                action="viewed",
                record_type="pupil",
                record_id="40",
                at=datetime(2026, 1, 5, 8, 0),
            )


async def test_time_defaults_to_now(database: Database) -> None:
    before = datetime.now(UTC)
    async with database.session() as session:
        await record_audit(session, actor_id=7, action="viewed", record_type="pupil", record_id="40")
    async with database.session() as session:
        (entry,) = await read_audit(session)
    assert before - timedelta(seconds=1) <= entry.at <= datetime.now(UTC)


def test_the_api_has_no_update_or_delete() -> None:
    import domain.audit as audit

    public = {name for name in vars(audit) if not name.startswith("_")}
    assert not {n for n in public if any(w in n for w in ("update", "delete", "remove", "edit"))}
