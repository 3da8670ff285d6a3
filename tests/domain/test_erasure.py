"""Erasure leaves an audited tombstone; retention lists who is due."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

import domain.erasure
from core.clock import ManualClock
from db.engine import Database
from db.models.directory import Pupil
from domain.audit import read_audit
from domain.directory.queries import get_pupil, get_pupil_by_upn, pupils_for_school
from domain.erasure import ErasureReason, ErasureRefused, erase_pupil, pupils_past_retention
from tests.fixtures.directory_rows import add_pupil, add_school, upn

CLOCK = ManualClock(datetime(2026, 3, 2, 9, 30, tzinfo=UTC))


async def test_erasure_leaves_an_audited_tombstone(database: Database) -> None:
    school = await add_school(database)
    pupil_id = await add_pupil(database, school, "855400125001", provision="none", left_provision_on=date(2019, 7, 20))
    erased = await erase_pupil(database, pupil_id, 7, ErasureReason.RETENTION_PERIOD_ENDED, clock=CLOCK)
    assert erased.erased and erased.id == pupil_id and erased.school_id == school and erased.year_group == 8
    assert (erased.first_name, erased.last_name, erased.date_of_birth, erased.upn) == (None, None, None, None)
    assert await get_pupil(database, pupil_id) == erased
    assert await get_pupil_by_upn(database, upn("855400125001")) is None
    assert await pupils_for_school(database, school) == []
    async with database.session() as session:
        (entry,) = await read_audit(session, record_type="pupil", record_id=str(pupil_id))
    assert (entry.actor_id, entry.action, entry.detail) == (7, "erased", {"reason": "retention_period_ended"})
    assert entry.at == CLOCK.now()
    # A second erasure is a no-op, not a second entry.
    await erase_pupil(database, pupil_id, 7, "erasure_request", clock=CLOCK)
    async with database.session() as session:
        assert len(await read_audit(session, record_type="pupil")) == 1


async def test_a_held_pupil_is_not_erased(database: Database) -> None:
    school = await add_school(database)
    pupil_id = await add_pupil(database, school, "855400125001", retention_hold="Child protection file kept")
    with pytest.raises(ErasureRefused, match="must be kept"):
        await erase_pupil(database, pupil_id, 7, "retention_period_ended")
    pupil = await get_pupil(database, pupil_id)
    assert pupil is not None and not pupil.erased and pupil.first_name == "Sam"
    with pytest.raises(ErasureRefused, match="no pupil"):
        await erase_pupil(database, 4242, 7, "retention_period_ended")
    async with database.session() as session:
        assert await read_audit(session) == []


async def test_the_reason_is_a_code_word_never_free_text(database: Database) -> None:
    school = await add_school(database)
    pupil_id = await add_pupil(database, school, "855400125001")
    with pytest.raises(ValueError):
        await erase_pupil(database, pupil_id, 7, "Sam Taylor's parents asked")
    assert not (await get_pupil(database, pupil_id)).erased  # type: ignore[union-attr]


async def test_no_audit_entry_no_erasure(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    school = await add_school(database)
    pupil_id = await add_pupil(database, school, "855400125001")

    async def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("audit unavailable")

    monkeypatch.setattr(domain.erasure, "record_audit", broken)
    with pytest.raises(RuntimeError):
        await erase_pupil(database, pupil_id, 7, "erasure_request")
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
    await erase_pupil(database, gone, None, "retention_period_ended")
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
