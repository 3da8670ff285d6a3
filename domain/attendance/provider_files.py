"""A provider's register as a CSV file, from the command line or the provider's own system
(HTTP, authenticated by its API key): checked row by row, applied all or nothing, and once.

    upn,date,session,mark,time,reason,given_by
    A855410124001,2026-01-05,am,present,,,
    A855410124001,2026-01-05,pm,left_early,13:40,,
    B855410124002,05/01/2026,am,absent,,illness,parent_phone

- `session`: am or pm. `mark`: present, late, absent, left_early or not_expected.
- `time` (HH:MM): the arrival for late, the leaving for left_early; else blank.
- `reason` (absent only, blank when not known): illness, medical, religious, excluded,
  transport, holiday, other. `given_by` (with a reason): parent_phone, parent_message,
  parent_in_person, pupil, social_worker, school, provider.

A row may report only a pupil placed with that provider, for a school day not still to come.
Any problem rejects the whole file and the report names each row, column and problem (never
the pupil's details). The same file sent again (same bytes) changes nothing and says so.
Marks go through `service.apply_marks`, so corrections are audited and alerts queued as for a
register taken in Teams.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock, SystemClock
from db.engine import Database
from db.models.attendance import AttendanceImport, ProviderPlacement
from db.models.directory import Pupil
from domain.access import Action, NotAllowed, RecordKind, Target
from domain.attendance.model import AbsenceReason, GivenBy, Mark, MarkError, MarkKind, Session
from domain.attendance.service import apply_marks, london_day
from domain.audit import AuditAction, record_audit
from domain.directory.csv_files import Problem, parse_date
from domain.directory.model import PupilRecord, pupil_record
from domain.requester import Requester, authorise
from domain.school_calendar.queries import load_term_dates

COLUMNS = ("upn", "date", "session", "mark", "time", "reason", "given_by")
REQUIRED = ("upn", "date", "session", "mark")


@dataclass
class ProviderImportReport:
    problems: list[Problem] = field(default_factory=list)
    rows: int = 0
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    already_imported: bool = False

    @property
    def accepted(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        if self.problems:
            head = f"register file rejected, nothing changed ({len(self.problems)} problem(s)):"
            return [head, *(f"  {problem}" for problem in self.problems)]
        if self.already_imported:
            return ["register file already imported: nothing changed"]
        return [f"register file: {self.added} added, {self.changed} corrected, {self.unchanged} unchanged"]


class _Rejected(Exception):
    """Rolls the import's transaction back."""


def _code(raw: str) -> str:
    return re.sub(r"[\s\-]+", "_", raw.strip().lower())


def _session(raw: str) -> Session:
    if _code(raw) not in Session.__members__.values():
        raise ValueError("use am or pm")
    return Session(_code(raw))


def _mark(raw: str) -> MarkKind:
    if _code(raw) not in MarkKind.__members__.values():
        raise ValueError("must be one of " + ", ".join(MarkKind))
    return MarkKind(_code(raw))


def _reason(raw: str) -> AbsenceReason | None:
    if raw and _code(raw) not in AbsenceReason.__members__.values():
        raise ValueError("must be blank or one of " + ", ".join(AbsenceReason))
    return AbsenceReason(_code(raw)) if raw else None


def _given_by(raw: str) -> GivenBy | None:
    if raw and _code(raw) not in GivenBy.__members__.values():
        raise ValueError("must be blank or one of " + ", ".join(GivenBy))
    return GivenBy(_code(raw)) if raw else None


def _time(raw: str) -> time | None:
    if not raw:
        return None
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", raw)
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ValueError("not a time: use 13:40")
    return time(int(match.group(1)), int(match.group(2)))


_PARSERS: dict[str, Callable[[str], object]] = {
    "date": parse_date,
    "session": _session,
    "mark": _mark,
    "time": _time,
    "reason": _reason,
    "given_by": _given_by,
}


@dataclass(frozen=True)
class _Row:
    number: int
    upn: str
    day: date
    session: Session
    mark: MarkKind
    at: time | None
    reason: AbsenceReason | None
    given_by: GivenBy | None


def _headings(rows: list[list[str]], report: ProviderImportReport) -> list[str]:
    if not rows or not any(cell.strip() for cell in rows[0]):
        report.problems.append(Problem(0, "file", "the first row must hold the column headings"))
        return []
    headings = [_code(cell) for cell in rows[0]]
    for name in headings:
        if name and name not in COLUMNS:
            report.problems.append(Problem(1, name, "unknown column: use " + ", ".join(COLUMNS)))
    for name in REQUIRED:
        if name not in headings:
            report.problems.append(Problem(1, name, "missing column"))
    return headings


def read_rows(data: str, report: ProviderImportReport) -> list[_Row]:
    """The file's rows, each field checked; problems go into `report`."""
    try:
        rows = list(csv.reader(io.StringIO(data.removeprefix("\ufeff"), newline="")))
    except csv.Error as error:
        report.problems.append(Problem(0, "file", f"not a readable CSV file ({error})"))
        return []
    headings = _headings(rows, report)
    if report.problems:
        return []
    found: list[_Row] = []
    for number, cells in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        values = {name: cell.strip() for name, cell in zip(headings, cells, strict=False) if name}
        before = len(report.problems)
        parsed: dict[str, object] = {}
        for column, parse in _PARSERS.items():
            raw = values.get(column, "")
            if not raw and column in REQUIRED:
                report.problems.append(Problem(number, column, "missing"))
                continue
            try:
                parsed[column] = parse(raw)
            except ValueError as error:
                report.problems.append(Problem(number, column, str(error)))
        upn = values.get("upn", "").upper()
        if not upn:
            report.problems.append(Problem(number, "upn", "missing"))
        if len(report.problems) == before:
            found.append(_Row(number, upn, *(parsed[column] for column in _PARSERS)))  # type: ignore[arg-type]
    report.rows = len(found)
    return found


async def import_provider_csv(
    database: Database,
    requester: Requester,
    provider_id: int,
    data: bytes | str,
    *,
    source: str = "provider_csv",
    clock: Clock = SystemClock(),
) -> ProviderImportReport:
    """Apply a provider's file all or nothing, once. `source`: "provider_csv" (the command line,
    an operator or the Coordinator) or "provider_api" (the provider's system, its key checked by
    the caller with `providers.verify_key`, asking as `Requester.system()`)."""
    now = clock.now()
    raw = data.encode() if isinstance(data, str) else data
    batch_id = "sha256:" + hashlib.sha256(raw).hexdigest()[:32]
    async with database.session() as session:
        decision = await authorise(
            session,
            requester,
            Action.IMPORT_ATTENDANCE,
            Target(RecordKind.PROVIDER),
            record_type="provider",
            record_id=str(provider_id),
        )
    if not decision.allowed:
        raise NotAllowed(decision)
    report = ProviderImportReport()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.problems.append(Problem(0, "file", "not UTF-8: in Excel use Save As, 'CSV UTF-8'"))
        return report
    rows = read_rows(text, report)
    if any(problem.row <= 1 for problem in report.problems):
        return report  # the file itself is wrong: its rows mean nothing yet
    try:
        async with database.session() as session:
            if not report.problems and await _already(session, provider_id, batch_id):
                report.already_imported = True
                return report
            await _apply(session, requester, provider_id, rows, report, source=source, now=now)
            if report.problems:
                report.problems.sort(key=lambda problem: problem.row)
                raise _Rejected
            session.add(AttendanceImport(provider_id=provider_id, batch_id=batch_id, rows=len(rows), imported_at=now))
            await record_audit(
                session,
                actor_id=requester.person_id,
                action=AuditAction.IMPORTED,
                record_type="provider",
                record_id=str(provider_id),
                detail={"count": len(rows), "file_digest": batch_id, "channel": source, **requester.audit_detail},
            )
    except _Rejected:
        report.added = report.changed = report.unchanged = 0
    except IntegrityError:  # the same file, imported at this moment by another instance
        report.problems.clear()
        report.already_imported = True
        report.added = report.changed = report.unchanged = 0
    return report


async def _already(session: AsyncSession, provider_id: int, batch_id: str) -> bool:
    found = await session.scalar(
        select(AttendanceImport.id).where(
            AttendanceImport.provider_id == provider_id, AttendanceImport.batch_id == batch_id
        )
    )
    return found is not None


async def _apply(
    session: AsyncSession,
    requester: Requester,
    provider_id: int,
    rows: list[_Row],
    report: ProviderImportReport,
    *,
    source: str,
    now: datetime,
) -> None:
    """Check each row against the records, then apply the marks session by session."""
    placed = {
        row.upn: pupil_record(row)
        for row in await session.scalars(
            select(Pupil)
            .join(ProviderPlacement, ProviderPlacement.pupil_id == Pupil.id)
            .where(ProviderPlacement.provider_id == provider_id, Pupil.erased_at.is_(None))
        )
    }
    calendar = await load_term_dates(session)
    today = london_day(now)
    batches: dict[tuple[date, Session], list[Mark]] = defaultdict(list)
    pupils: dict[int, PupilRecord] = {}
    seen: set[tuple[str, date, Session]] = set()
    for row in rows:
        pupil = placed.get(row.upn)
        problems = []
        if pupil is None:
            problems.append(("upn", "not a pupil placed with this provider"))
        if not calendar.is_school_day(row.day):
            problems.append(("date", "not a school day"))
        elif row.day > today:
            problems.append(("date", "a day still to come"))
        if (row.upn, row.day, row.session) in seen:
            problems.append(("session", "this pupil's session appears twice in the file"))
        seen.add((row.upn, row.day, row.session))
        try:
            mark = Mark(pupil.id if pupil else 0, row.mark, row.at, row.reason, row.given_by)
        except MarkError as error:
            problems.append(("mark", str(error)))
        report.problems.extend(Problem(row.number, column, message) for column, message in problems)
        if not problems and pupil is not None:
            pupils[pupil.id] = pupil
            batches[row.day, row.session].append(mark)
    if report.problems:
        return
    for (day, which), marks in sorted(batches.items()):
        result = await apply_marks(
            session, requester, day, which, marks, pupils, {}, source=source, now=now, provider_id=provider_id
        )
        report.added += result.added
        report.changed += result.changed
        report.unchanged += result.unchanged
