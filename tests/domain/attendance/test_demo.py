"""Demo registers: a real digest at once, with unexplained absences, and safe to load twice."""

from __future__ import annotations

from datetime import UTC, date, datetime

from db.engine import Database
from domain.attendance.demo import load_demo_registers
from domain.attendance.digest import build_digest
from domain.attendance.queries import schools_with_placed_pupils
from domain.demo_data import load_demo_data, load_demo_term_dates

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
