"""Importing term dates: a good file replaces the calendar, audited; a bad one changes nothing
and says which row, field and why; only the Partnership admin or Director may load them."""

from __future__ import annotations

import pytest

from core.clock import ManualClock
from db.engine import Database
from domain.access import NotAllowed
from domain.audit import read_audit
from domain.directory.model import PersonRecord
from domain.requester import Requester
from domain.roles import Role
from domain.school_calendar.queries import CalendarCache, load_term_dates
from domain.school_calendar.service import import_term_dates

GOOD = """\ufeffKind,Start,End,Name
term,01/09/2026,18/12/2026,Autumn term
inset,2026-09-01,,INSET day
holiday,26/10/2026,30/10/2026,October half term
bank_holiday,25/12/2026,,Christmas Day
term,04/01/2027,25/03/2027,Spring term
"""
ADMIN = Requester.in_teams(
    PersonRecord(7, "Admin", "a@lncip.example.org", None, None, frozenset({Role.PARTNERSHIP_ADMIN}))
)
SENCO = Requester.in_teams(PersonRecord(8, "Senco", "s@cva.example.org", None, 3, frozenset({Role.SENCO})))
OPERATOR = Requester.at_command_line()


async def test_a_good_file_is_loaded_and_audited(database: Database, clock: ManualClock) -> None:
    report = await import_term_dates(database, ADMIN, GOOD.encode(), clock=clock)
    assert report.accepted, report.lines()
    assert report.lines() == [
        "term dates: 2 term(s) and 3 holiday(s) or closure day(s) loaded, replacing what was stored"
    ]
    dates = await load_term_dates(database)
    assert [t.name for t in dates.terms] == ["Autumn term", "Spring term"]
    assert len(dates.closures) == 3
    async with database.session() as session:
        [entry] = await read_audit(session, record_type="term_dates")
    assert (entry.actor_id, entry.action, entry.detail) == (
        7,
        "imported",
        {"count": 5, "source": "teams", "format": "csv"},
    )


async def test_a_new_file_replaces_the_calendar_and_the_cache_sees_it(database: Database, clock: ManualClock) -> None:
    cache = CalendarCache(database)
    assert not (await cache.get()).loaded
    await import_term_dates(database, OPERATOR, GOOD, clock=clock)
    assert len((await cache.get()).terms) == 2
    await import_term_dates(database, OPERATOR, "kind,start,end\nterm,2027-04-12,2027-07-21\n", clock=clock)
    dates = await cache.get()
    assert [(t.start.isoformat(), t.end.isoformat()) for t in dates.terms] == [("2027-04-12", "2027-07-21")]
    assert dates.closures == ()
    async with database.session() as session:
        entries = await read_audit(session, record_type="term_dates")
    assert [(e.actor_id, e.detail["source"]) for e in entries] == [(None, "command_line")] * 2


@pytest.mark.parametrize(
    ("line", "field", "reason"),
    [
        ("term,31/02/2027,25/03/2027,Spring", "start", "not a real date"),
        ("term,next monday,25/03/2027,Spring", "start", "not a date: use 31/12/2012 or 2012-12-31"),
        ("term,25/03/2027,04/01/2027,Spring", "end", "is before the start"),
        ("snow_day,04/01/2027,,Snow", "kind", "must be one of term, holiday, bank_holiday, inset"),
        ("term,,25/03/2027,Spring", "start", "missing"),
        ("term,01/12/2026,25/03/2027,Spring", "start", "this term overlaps the term in row 2"),
    ],
)
async def test_a_bad_row_rejects_the_whole_file(
    database: Database, clock: ManualClock, line: str, field: str, reason: str
) -> None:
    await import_term_dates(database, OPERATOR, GOOD, clock=clock)
    bad = "kind,start,end,name\nterm,01/09/2026,18/12/2026,Autumn\n" + line + "\n"
    report = await import_term_dates(database, ADMIN, bad, clock=clock)
    assert not report.accepted
    assert [(p.row, p.field, p.message) for p in report.problems] == [(3, field, reason)]
    assert report.lines()[1] == f"  row 3, {field}: {reason}"
    assert len((await load_term_dates(database)).terms) == 2  # as before: nothing written
    async with database.session() as session:
        assert len(await read_audit(session, record_type="term_dates")) == 1


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ("", "file, file: the first row must hold the column headings"),
        ("kind,start,end,name\n", "file, file: no dates in the file"),
        ("kind,begins\nterm,01/09/2026\n", "row 1, begins: unknown column: use kind, start, end, name"),
        (b"kind,start\nterm,\xff\n", "file, file: not UTF-8: in Excel use Save As, 'CSV UTF-8'"),
    ],
)
async def test_a_bad_file_is_rejected(database: Database, data: str | bytes, problem: str) -> None:
    report = await import_term_dates(database, OPERATOR, data)
    assert str(report.problems[0]) == problem


async def test_only_the_partnership_may_load_term_dates(database: Database, clock: ManualClock) -> None:
    with pytest.raises(NotAllowed):
        await import_term_dates(database, SENCO, GOOD, clock=clock)
    assert not (await load_term_dates(database)).loaded
    async with database.session() as session:
        [entry] = await read_audit(session, record_type="term_dates")
    assert (entry.actor_id, entry.action) == (8, "refused")
