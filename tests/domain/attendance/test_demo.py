"""Demo registers: a real digest at once, with unexplained absences, and safe to load twice;
and one looked-after pupil at the demo DSL's school."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from db.engine import Database
from db.models.audit import AuditLogRow
from db.models.directory import Pupil
from domain.attendance.demo import DEMO_WELFARE_SCHOOL, load_demo_registers
from domain.attendance.digest import build_digest
from domain.attendance.queries import marks_between, schools_with_placed_pupils
from domain.attendance.welfare import WelfareFlags, set_welfare_flags, welfare_flags
from domain.demo_data import load_demo_data, load_demo_term_dates
from domain.directory.queries import get_person_by_email, get_school_by_urn
from domain.requester import Requester

NOW = datetime(2026, 11, 18, 10, 30, tzinfo=UTC)  # a Wednesday in the demo autumn term


async def test_demo_registers_give_a_real_digest_and_load_twice_safely(database: Database) -> None:
    await load_demo_data(database, today=NOW.date())
    await load_demo_term_dates(database)
    added = await load_demo_registers(database, now=NOW)
    assert added > 100
    assert await load_demo_registers(database, now=NOW) == 0
    schools = await schools_with_placed_pupils(database, NOW.date())
    digests = [await build_digest(database, school, date(2026, 11, 18)) for school in schools]
    assert all(d.pupils for d in digests)
    lines = [p for d in digests for p in d.pupils]
    assert any(p.year.possible > 20 for p in lines)
    assert sum(p.year.possible - p.year.attended for p in lines) > 0
    assert any(p.provider is not None for p in lines)


async def test_one_placed_pupil_at_megans_school_is_looked_after_once(database: Database) -> None:
    await load_demo_data(database, today=NOW.date())
    await load_demo_term_dates(database)
    await load_demo_registers(database, now=NOW)
    school = await get_school_by_urn(database, DEMO_WELFARE_SCHOOL)
    assert school is not None and school.name == "Charnwood Vale Academy"
    async with database.session() as session:
        flagged = list(await session.scalars(select(Pupil).where(Pupil.looked_after.is_(True))))
    [pupil] = flagged
    assert pupil.school_id == school.id and not pupil.child_protection_plan and not pupil.child_in_need_plan
    marks = await marks_between(database, [pupil.id], date(2026, 10, 1), NOW.date())
    assert marks.get(pupil.id)  # a pupil with registers in the demo

    # Megan sees it; loading again repeats nothing, and a change by hand survives a reload.
    megan = Requester.in_teams(await get_person_by_email(database, "meganb@example.com"))
    assert (await welfare_flags(database, megan, pupil.id)).looked_after
    await load_demo_registers(database, now=NOW)
    await set_welfare_flags(database, megan, pupil.id, WelfareFlags(child_in_need_plan=True))
    await load_demo_registers(database, now=NOW)
    assert await welfare_flags(database, megan, pupil.id) == WelfareFlags(child_in_need_plan=True)
    async with database.session() as session:
        changes = list(
            await session.scalars(
                select(AuditLogRow).where(AuditLogRow.record_id == str(pupil.id), AuditLogRow.action == "changed")
            )
        )
    assert [c.actor_id for c in changes] == [None, megan.person_id]
