"""Erasure (the Director's, through `domain.directory.service.erase_pupil`) leaves an audited
tombstone, is refused and audited for anyone else, reaches the outbox and leaves nothing in the
SQLite files; retention lists who is due."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import make_url, text

import domain.directory.service
from core.clock import ManualClock
from db.engine import Database
from db.models.directory import Pupil
from db.models.proactive import Notification
from domain.access import NotAllowed
from domain.audit import AuditAction, read_audit, record_audit
from domain.directory.model import PersonRecord
from domain.directory.queries import get_person_by_email, get_pupil, get_pupil_by_upn, pupils_for_school
from domain.directory.service import erase_pupil, import_directory
from domain.erasure import ErasureReason, ErasureRefused, erase, pupils_past_retention
from domain.notices import Notice
from domain.notifier import Notifier, queue_notice
from domain.outbox import NotificationStatus
from domain.requester import Requester
from tests.fixtures.directory_rows import add_pupil, add_school, upn
from tests.fixtures.fakes import FakeSleep
from tests.fixtures.outbox import FakeSender, Message, reachable_person

CLOCK = ManualClock(datetime(2026, 3, 2, 9, 30, tzinfo=UTC))
PEOPLE = (
    "email,display_name,school_urn,roles,aad_object_id,active\n"
    "director@lncip.example.org,Pat Director,,partnership_director,,yes\n"
    "admin@lncip.example.org,Al Admin,,partnership_admin,,yes\n"
)


async def person(database: Database, email: str) -> PersonRecord:
    if await get_person_by_email(database, email) is None:
        assert (await import_directory(database, Requester.system(), "people", PEOPLE)).accepted
    found = await get_person_by_email(database, email)
    assert found is not None
    return found


async def director(database: Database) -> Requester:
    return Requester.at_command_line(await person(database, "director@lncip.example.org"))


async def erase_by_id(database: Database, pupil_id: int, reason: ErasureReason | str = "erasure_request") -> None:
    """Erase the pupil as the Director at the command line."""
    pupil = await get_pupil(database, pupil_id)
    assert pupil is not None and pupil.upn is not None
    await erase_pupil(database, await director(database), pupil.upn, reason, clock=CLOCK)


async def test_erasure_leaves_an_audited_tombstone(database: Database) -> None:
    school = await add_school(database)
    pupil_id = await add_pupil(database, school, "855400125001", provision="none", left_provision_on=date(2019, 7, 20))
    requester = await director(database)
    erased = await erase_pupil(
        database, requester, upn("855400125001"), ErasureReason.RETENTION_PERIOD_ENDED, clock=CLOCK
    )
    assert erased.erased and erased.id == pupil_id and erased.school_id == school and erased.year_group == 8
    assert (erased.first_name, erased.last_name, erased.date_of_birth, erased.upn) == (None, None, None, None)
    assert await get_pupil(database, pupil_id) == erased
    assert await get_pupil_by_upn(database, upn("855400125001")) is None
    assert await pupils_for_school(database, school) == []
    async with database.session() as session:
        (entry,) = await read_audit(session, record_type="pupil", record_id=str(pupil_id))
    # Who (the Director, named at the command line), how (the command line, and the
    # operating-system account behind it) and why.
    assert (entry.actor_id, entry.action) == (requester.person_id, "erased")
    assert entry.detail == {"reason": "retention_period_ended", "source": "command_line", "os_user": requester.os_user}
    assert requester.os_user
    # The UPN is gone, so it finds nobody now; and the mechanics, asked again by id, change nothing.
    with pytest.raises(ErasureRefused, match="no pupil has that UPN"):
        await erase_pupil(database, requester, upn("855400125001"), "erasure_request", clock=CLOCK)
    async with database.session() as session:
        assert not (await erase(session, pupil_id, CLOCK.now())).changed
    async with database.session() as session:
        assert len(await read_audit(session, record_type="pupil")) == 1


async def test_only_the_director_may_erase_and_a_refusal_is_audited(database: Database) -> None:
    school = await add_school(database)
    pupil_id = await add_pupil(database, school, "855400125001")
    admin = Requester.at_command_line(await person(database, "admin@lncip.example.org"))
    for requester in (admin, Requester.at_command_line(), Requester.in_teams(None)):
        with pytest.raises(NotAllowed):
            await erase_pupil(database, requester, upn("855400125001"), "erasure_request", clock=CLOCK)
    assert not (await get_pupil(database, pupil_id)).erased  # type: ignore[union-attr]
    async with database.session() as session:
        entries = await read_audit(session, record_type="pupil", record_id=str(pupil_id))
    assert [(e.actor_id, e.action, e.detail) for e in entries] == [
        (admin.person_id, "refused", {"kind": "erase_pupil_data", "source": "command_line", "os_user": admin.os_user}),
        (None, "refused", {"kind": "erase_pupil_data", "source": "command_line", "os_user": admin.os_user}),
        (None, "refused", {"kind": "erase_pupil_data", "source": "teams"}),
    ]


async def test_a_held_pupil_is_not_erased(database: Database) -> None:
    school = await add_school(database)
    pupil_id = await add_pupil(database, school, "855400125001", retention_hold="Child protection file kept")
    requester = await director(database)
    with pytest.raises(ErasureRefused, match="must be kept"):
        await erase_pupil(database, requester, upn("855400125001"), "retention_period_ended")
    pupil = await get_pupil(database, pupil_id)
    assert pupil is not None and not pupil.erased and pupil.first_name == "Sam"
    with pytest.raises(ErasureRefused, match="no pupil"):
        await erase_pupil(database, requester, upn("855400129999"), "retention_period_ended")
    async with database.session() as session:
        (refused,) = await read_audit(session, record_type="pupil")
    assert (refused.record_id, refused.action, refused.detail["reason"]) == (str(pupil_id), "refused", "retention_hold")


async def test_the_reason_is_a_code_word_never_free_text(database: Database) -> None:
    school = await add_school(database)
    pupil_id = await add_pupil(database, school, "855400125001")
    with pytest.raises(ValueError):
        await erase_pupil(database, await director(database), upn("855400125001"), "Sam Taylor's parents asked")
    assert not (await get_pupil(database, pupil_id)).erased  # type: ignore[union-attr]


async def test_no_audit_entry_no_erasure(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    school = await add_school(database)
    pupil_id = await add_pupil(database, school, "855400125001")
    requester = await director(database)

    async def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("audit unavailable")

    monkeypatch.setattr(domain.directory.service, "record_audit", broken)
    with pytest.raises(RuntimeError):
        await erase_pupil(database, requester, upn("855400125001"), "erasure_request")
    assert not (await get_pupil(database, pupil_id)).erased  # type: ignore[union-attr]


async def test_pupils_past_retention(database: Database) -> None:
    school = await add_school(database)
    today = date(2026, 3, 2)
    days = 2190
    due = await add_pupil(database, school, "855400125001", left_provision_on=today - timedelta(days=days + 1))
    older = await add_pupil(database, school, "855400125002", left_provision_on=today - timedelta(days=days + 400))
    await add_pupil(database, school, "855400125003", left_provision_on=today - timedelta(days=days))  # not yet
    await add_pupil(database, school, "855400125004")  # still on provision
    await add_pupil(
        database, school, "855400125005", left_provision_on=date(2010, 1, 1), retention_hold="IICSA instruction"
    )
    gone = await add_pupil(database, school, "855400125006", left_provision_on=date(2010, 1, 1))
    await erase_by_id(database, gone, "retention_period_ended")
    assert [p.id for p in await pupils_past_retention(database, today, days)] == [older, due]
    now = datetime(2026, 3, 2, 23, 0, tzinfo=UTC)
    assert [p.id for p in await pupils_past_retention(database, now, days)] == [older, due]


async def test_the_tombstone_keeps_the_table_rules(database: Database) -> None:
    # The table refuses a nameless pupil that is not erased.
    from sqlalchemy.exc import IntegrityError

    school = await add_school(database)
    with pytest.raises(IntegrityError):
        async with database.session() as session:
            session.add(Pupil(year_group=8, school_id=school, provision="none"))


# ---- the outbox and the audit log ----------------------------------------------------------------

CARD = {"type": "AdaptiveCard", "version": "1.5", "body": []}


async def render(notice: Notice) -> Message:
    return Message(CARD, "a notice")


def about(pupil_id: int, key: str, **facts: Any) -> Notice:
    return Notice("concern.raised", {"pupil_id": pupil_id, **facts}, key)


async def test_erasure_cancels_and_empties_the_notices_about_the_pupil(database: Database) -> None:
    clock = ManualClock(CLOCK.now())
    school = await add_school(database)
    erased = await add_pupil(database, school, "855400125001")
    kept = await add_pupil(database, school, "855400125002")
    recipient = await reachable_person(database, clock)
    sender = FakeSender(clock)
    notifier = Notifier(database, sender, clock, FakeSleep(clock), render=render)
    sent = await queue_notice(database, about(erased, "c:1", rung=1), to_person=recipient, now=clock.now())
    await notifier.run_due(10)
    waiting = await queue_notice(database, about(erased, "c:2", rung=2), to_person=recipient, now=clock.now())
    other = await queue_notice(database, about(kept, "c:3", rung=1), to_person=recipient, now=clock.now())

    await erase_by_id(database, erased)

    async with database.session() as session:
        rows = {n: await session.get(Notification, n) for n in (sent, waiting, other)}
    assert {n: (row.status, row.payload, row.last_error) for n, row in rows.items() if row} == {
        sent: (NotificationStatus.SENT, {}, None),
        waiting: (NotificationStatus.CANCELLED, {}, "erased"),
        other: (NotificationStatus.PENDING, {"pupil_id": kept, "rung": 1}, None),
    }
    assert await notifier.run_due(10) == 1
    assert len(sender.posted) == 2  # the first notice, before the erasure, and the other pupil's


async def dump(database: Database, tables: tuple[str, ...]) -> str:
    """Every value in every column of `tables`, as text, lower-cased."""
    values: list[str] = []
    async with database.session() as session:
        for table in tables:
            for row in (await session.execute(text(f"SELECT * FROM {table}"))).mappings():
                for value in row.values():
                    values.append(json.dumps(value, default=str) if isinstance(value, dict | list) else str(value))
    return "\n".join(values).lower()


async def test_after_erasure_no_notification_or_audit_entry_names_the_pupil(database: Database) -> None:
    clock = ManualClock(CLOCK.now())
    school = await add_school(database)
    born = date(2012, 10, 1)
    pupil = await add_pupil(
        database, school, "855400125001", first_name="Philippa", last_name="Quennell", date_of_birth=born
    )
    the_upn = upn("855400125001")
    recipient = await reachable_person(database, clock)
    notifier = Notifier(database, FakeSender(clock), clock, FakeSleep(clock), render=render)
    # A careless feature that puts the pupil's details in its payloads (facts, not ids):
    # erasure must reach them all the same, sent or waiting.
    careless = {"first_name": "Philippa", "last_name": "Quennell", "upn": the_upn, "born": born.isoformat()}
    await queue_notice(database, about(pupil, "c:1", **careless), to_person=recipient, now=clock.now())
    await notifier.run_due(10)
    await queue_notice(database, about(pupil, "c:2", **careless), to_person=recipient, now=clock.now())
    # The audit entries a feature writes about a pupil: ids and code words.
    async with database.session() as session:
        for action, detail in (
            (AuditAction.VIEWED, {}),
            (AuditAction.CHANGED, {"fields": ["first_name", "date_of_birth"], "source": "teams"}),
            (AuditAction.EXPORTED, {"format": "csv", "school_id": school}),
        ):
            await record_audit(
                session,
                actor_id=7,
                action=action,
                record_type="pupil",
                record_id=str(pupil),
                detail=detail,
            )
    tables = ("notifications", "notification_pupils", "delivery_attempts", "audit_log")
    needles = ("philippa", "quennell", the_upn.lower(), "2012-10-01", "01/10/2012", "20121001", "2012, 10, 1")
    before = await dump(database, tables)
    assert [needle in before for needle in needles[:4]] == [True] * 4  # the search does find them

    await erase_by_id(database, pupil)

    after = await dump(database, tables)
    assert [needle for needle in needles if needle in after] == []
    async with database.session() as session:
        entries = await read_audit(session, record_type="pupil", record_id=str(pupil))
    # The log is whole (nothing was rewritten) and points at the tombstone: only who it was is gone.
    assert [e.action for e in entries] == ["viewed", "changed", "exported", "erased"]


# ---- the SQLite files --------------------------------------------------------------------------


async def test_after_erasure_the_sqlite_files_hold_nothing_of_the_pupil(sqlite_database: Database) -> None:
    database = sqlite_database
    path = Path(make_url(database.url).database or "")
    school = await add_school(database)
    pupil = await add_pupil(
        database,
        school,
        "855400125001",
        first_name="Philippa",
        last_name="Quennellington",
        date_of_birth=date(2011, 2, 13),
    )
    await database.checkpoint_wal()  # the pupil is in the database file's pages now...
    async with database.session() as session:  # ...and, changed since, in the write-ahead log
        await session.execute(text("UPDATE pupils SET year_group = 9 WHERE id = :id"), {"id": pupil})
    needles = (b"Philippa", b"Quennellington", upn("855400125001").encode(), b"2011-02-13")

    def found() -> dict[str, list[bytes]]:
        files = {name: path.with_name(path.name + name) for name in ("", "-wal")}
        contents = {name: file.read_bytes() if file.exists() else b"" for name, file in files.items()}
        return {name: [needle for needle in needles if needle in content] for name, content in contents.items()}

    assert found() == {"": list(needles), "-wal": list(needles)}  # the search does find them

    await erase_by_id(database, pupil)

    assert found() == {"": [], "-wal": []}
