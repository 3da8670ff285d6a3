"""Loading term dates: `import_term_dates` checks a CSV file row by row and, if every row is
good, replaces the stored calendar with it in one transaction, audited; otherwise it changes
nothing and the report says which row, which field and why.

The file (Excel-style CSV, UTF-8 with or without a byte-order mark, one heading row):

    kind,start,end,name
    term,01/09/2026,18/12/2026,Autumn term
    inset,01/09/2026,,INSET day
    holiday,26/10/2026,30/10/2026,October half term
    bank_holiday,25/12/2026,,Christmas Day

- `kind`: `term` (a term, first day to last), `holiday` (a holiday inside a term, such as
  half term), `bank_holiday`, or `inset` (a staff training day).
- `start`, `end`: dates as 31/12/2026 or 2026-12-31; both days are included; `end` may be
  left blank for a single day. `name` is optional, for people reading the file.
- Terms may not overlap each other. Holidays, bank holidays and INSET days may fall
  anywhere (a bank holiday in the summer holiday is harmless).

The file is the whole calendar: an accepted file replaces every stored date, so include
the current year's dates when loading next year's. Days outside the loaded terms count as
school days on weekdays (see `model.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import delete

from core.clock import Clock, SystemClock
from db.engine import Database
from db.models.school_calendar import TermDatesRow
from domain.access import Action, NotAllowed, RecordKind, Target
from domain.audit import AuditAction, record_audit
from domain.csv_tables import Problem, heading, read_table
from domain.directory.csv_files import parse_date
from domain.requester import Requester, authorise
from domain.school_calendar.model import DayKind, TermDatesEntry

COLUMNS = ("kind", "start", "end", "name")
REQUIRED = ("kind", "start")
MAX_NAME = 100
RECORD_TYPE = "term_dates"
RECORD_ID = "calendar"


@dataclass
class TermDatesReport:
    problems: list[Problem] = field(default_factory=list)
    entries: list[TermDatesEntry] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        if self.problems:
            head = f"term dates: file rejected, nothing changed ({len(self.problems)} problem(s)):"
            return [head, *(f"  {problem}" for problem in self.problems)]
        terms = sum(1 for entry in self.entries if entry.kind is DayKind.TERM)
        closed = len(self.entries) - terms
        return [
            f"term dates: {terms} term(s) and {closed} holiday(s) or closure day(s) loaded, replacing what was stored"
        ]


def read_term_dates(data: bytes | str) -> TermDatesReport:
    """Check a file without storing it: the report holds its entries or its problems."""
    report = TermDatesReport()
    rows = read_table(data, COLUMNS, REQUIRED, report.problems)
    for number, cells in rows:
        entry = _entry(number, cells, report)
        if entry is not None:
            report.entries.append(entry)
    if not rows and not report.problems:
        report.problems.append(Problem(0, "file", "no dates in the file"))
    _check_terms_apart(report, [number for number, _ in rows])
    return report


async def import_term_dates(
    database: Database,
    requester: Requester,
    data: bytes | str,
    *,
    clock: Clock | None = None,
) -> TermDatesReport:
    """Replace the calendar with the file's dates, all or nothing, audited. The requester
    must be allowed `MANAGE_TERM_DATES` (the command line's operator is); a refusal is audited
    and raised as `NotAllowed`."""
    now = (clock or SystemClock()).now()
    async with database.session() as session:
        decision = await authorise(
            session,
            requester,
            Action.MANAGE_TERM_DATES,
            Target(RecordKind.SCHOOL_CALENDAR),
            record_type=RECORD_TYPE,
            record_id=RECORD_ID,
        )
    if not decision.allowed:
        raise NotAllowed(decision)
    report = read_term_dates(data)
    if not report.accepted:
        return report
    async with database.session() as session:
        await session.execute(delete(TermDatesRow))
        session.add_all(
            TermDatesRow(kind=e.kind, start_on=e.start, end_on=e.end, name=e.name, imported_at=now)
            for e in report.entries
        )
        # The file's name is not kept: the audit log holds code words only, and a name is free text.
        await record_audit(
            session,
            actor_id=requester.person_id,
            action=AuditAction.IMPORTED,
            record_type=RECORD_TYPE,
            record_id=RECORD_ID,
            detail={"count": len(report.entries), "format": "csv", **requester.audit_detail},
        )
    return report


# ---- reading ------------------------------------------------------------------------------


def _entry(number: int, cells: dict[str, str], report: TermDatesReport) -> TermDatesEntry | None:
    before = len(report.problems)
    kind: DayKind | None = None
    raw_kind = heading(cells.get("kind", ""))
    if not raw_kind:
        report.problems.append(Problem(number, "kind", "missing"))
    elif raw_kind not in DayKind.__members__.values():
        report.problems.append(Problem(number, "kind", f"must be one of {', '.join(DayKind)}"))
    else:
        kind = DayKind(raw_kind)
    start = _date(number, "start", cells.get("start", ""), report, required=True)
    end = _date(number, "end", cells.get("end", ""), report, required=False) or start
    if start is not None and end is not None and end < start:
        report.problems.append(Problem(number, "end", "is before the start"))
    name = " ".join(cells.get("name", "").split())
    if len(name) > MAX_NAME:
        report.problems.append(Problem(number, "name", f"longer than {MAX_NAME} characters"))
    if len(report.problems) > before or kind is None or start is None or end is None:
        return None
    return TermDatesEntry(kind, start, end, name)


def _date(number: int, column: str, raw: str, report: TermDatesReport, *, required: bool) -> date | None:
    if not raw:
        if required:
            report.problems.append(Problem(number, column, "missing"))
        return None
    try:
        return parse_date(raw)
    except ValueError as error:
        report.problems.append(Problem(number, column, str(error)))
        return None


def _check_terms_apart(report: TermDatesReport, numbers: list[int]) -> None:
    """Terms may not overlap: each clash is reported on the later row."""
    if report.problems:
        return
    terms = [(number, e) for number, e in zip(numbers, report.entries, strict=True) if e.kind is DayKind.TERM]
    for position, (number, term) in enumerate(terms):
        for earlier_number, earlier in terms[:position]:
            if term.overlaps(earlier):
                report.problems.append(Problem(number, "start", f"this term overlaps the term in row {earlier_number}"))
                break
