"""CSV import and export of the directory: schools, people and pupils.

A file is all or nothing. Every row and field is checked first and every problem goes
into the report as (row, field, problem): unknown or missing columns, missing values,
bad URN / UPN / e-mail / date / year group / role names, unknown school URNs, the same
key twice in the file, and the directory's own rules. One problem and the whole file is
rejected, nothing changed (it all runs in one transaction, rolled back on any problem).
An accepted file adds or changes rows by natural key (URN, e-mail, UPN) and the report
counts added / changed / unchanged. Rows not in the file are left alone.

Format: Excel-style CSV, UTF-8 with or without a byte-order mark, one heading row.
Headings are matched without regard to case, spaces or hyphens. Dates as 31/12/2012 or
2012-12-31; yes/no as yes, no, y, n, true, false, 1, 0; roles as Role values or labels
separated by ";"; timetable as "mon=centre;tue=ap;wed=ap;thu=school;fri=school".
An optional column left out of the file keeps what is stored; present and blank, it
clears the value (except `member` and `active`: blank keeps what is stored, and a new
school or person is a member / active). Export writes the same columns, so export -> import changes nothing.
Problems in pupil files never quote the pupil's data.

A file PostgreSQL could not store is refused row by row like any other: a row with fewer
cells than headings, a quote never closed, text longer than its column, a control character
(a NUL byte above all), an Entra object id that is not a GUID.

Spreadsheets run a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return as a
formula, so export writes such a cell with a single quote before it (OWASP's rule for CSV
injection), and import takes exactly that quote off again (`neutralise` / `restore`): a name
like `=HYPERLINK("x")` or `-Smith` goes out inert and comes back as it was.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import Database, DatabaseOrSession, unit_of_work
from db.models.directory import PROGRAMME_TIMES, PROVISIONS, SETTINGS, WEEKDAYS, Person, Pupil, School
from domain.csv_tables import Problem, heading
from domain.directory.model import KEEP, Outcome, PersonChange, PersonRecord
from domain.directory.rules import (
    MAX_CHARS,
    DirectoryError,
    normalise_aad_object_id,
    normalise_email,
    normalise_upn,
    normalise_urn,
    parse_roles,
    pupil_problems,
    text_problems,
)
from domain.roles import Role

Kind = Literal["schools", "people", "pupils"]
# Saves one person in the import's transaction; the service passes its own, which audits.
PersonSaver = Callable[[AsyncSession, PersonChange], Awaitable[tuple[PersonRecord, Outcome]]]
KINDS: tuple[Kind, ...] = ("schools", "people", "pupils")


@dataclass(frozen=True)
class _Spec:
    columns: tuple[str, ...]
    required: tuple[str, ...]  # columns that must be present and filled in
    key: str
    personal: bool = False  # pupil data: never quote a value in a problem


SPECS: dict[Kind, _Spec] = {
    "schools": _Spec(("urn", "name", "member"), ("urn", "name"), "urn"),
    "people": _Spec(
        ("email", "display_name", "school_urn", "roles", "aad_object_id", "active"),
        ("email", "display_name", "roles"),
        "email",
    ),
    "pupils": _Spec(
        (
            "upn",
            "first_name",
            "last_name",
            "date_of_birth",
            "year_group",
            "school_urn",
            "provision",
            "programme_time",
            "timetable",
            "left_provision_on",
        ),
        ("upn", "first_name", "last_name", "date_of_birth", "year_group", "school_urn"),
        "upn",
        personal=True,
    ),
}
# Must be present as a column even though a cell may be blank (blank = the Partnership).
_REQUIRED_COLUMNS: dict[Kind, tuple[str, ...]] = {"people": ("school_urn",)}


@dataclass
class ImportReport:
    kind: Kind
    problems: list[Problem] = field(default_factory=list)
    added: int = 0
    changed: int = 0
    unchanged: int = 0

    @property
    def accepted(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        if self.problems:
            head = f"{self.kind}: file rejected, nothing changed ({len(self.problems)} problem(s)):"
            return [head, *(f"  {problem}" for problem in self.problems)]
        return [f"{self.kind}: {self.added} added, {self.changed} changed, {self.unchanged} unchanged"]


class _Rejected(Exception):
    """Raised inside the import transaction to roll it back."""


# --- reading ---------------------------------------------------------------------------


# A cell a spreadsheet would run as a formula: one starting with these, after any quotes
# export put before it (so that a value that itself starts with quotes comes back exactly).
_FORMULA = re.compile(r"'*[=+\-@\t\r]")


def neutralise(cell: str) -> str:
    """The cell as export writes it: a single quote before one a spreadsheet would run."""
    return "'" + cell if _FORMULA.match(cell) else cell


def restore(cell: str) -> str:
    """The cell as it was before `neutralise` (a cell `neutralise` leaves alone is unchanged)."""
    return cell[1:] if cell.startswith("'") and _FORMULA.match(cell, 1) else cell


def _rows(data: str, report: ImportReport) -> list[list[str]]:
    """The file's rows; a quote never closed (or a stray one after a closing quote) is a
    problem named by the row it starts in and the column it is in."""
    reader = csv.reader(io.StringIO(data, newline=""), strict=True)
    rows: list[list[str]] = []
    try:
        rows.extend(reader)
    except csv.Error as error:
        number = len(rows) + 1  # the spreadsheet's number of the row the reader stopped in
        loose = list(csv.reader(io.StringIO(data, newline="")))
        cells = loose[len(rows)] if len(rows) < len(loose) else []
        headings = [heading(cell) for cell in rows[0]] if rows else []
        column = len(cells) - 1
        name = headings[column] if 0 <= column < len(headings) and headings[column] else f"column {column + 1}"
        if "unexpected end of data" in str(error):
            message = "a quote opens in this cell and is never closed"
        else:
            message = f"not readable as CSV ({error})"
        report.problems.append(Problem(number, name, message))
        return []
    return rows


def _records(data: bytes | str, report: ImportReport) -> list[tuple[int, dict[str, str]]]:
    """The data rows as (spreadsheet row number, heading -> cell), blank rows skipped."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            report.problems.append(Problem(0, "file", "not UTF-8: in Excel use Save As, 'CSV UTF-8'"))
            return []
    data = data.removeprefix("\ufeff")
    rows = _rows(data, report)
    if report.problems:
        return []
    if not rows or not any(cell.strip() for cell in rows[0]):
        report.problems.append(Problem(0, "file", "the first row must hold the column headings"))
        return []
    spec = SPECS[report.kind]
    headings = [heading(cell) for cell in rows[0]]
    for index, name in enumerate(headings):
        if name and name not in spec.columns:
            report.problems.append(Problem(1, rows[0][index].strip(), "unknown column"))
        elif name and headings.index(name) != index:
            report.problems.append(Problem(1, name, "column appears twice"))
    for name in (*spec.required, *_REQUIRED_COLUMNS.get(report.kind, ())):
        if name not in headings:
            report.problems.append(Problem(1, name, "missing column"))
    records = []
    for number, cells in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(headings) and any(cell.strip() for cell in cells[len(headings) :]):
            report.problems.append(Problem(number, "file", "more cells than column headings"))
        if len(cells) < len(headings):
            # Not blank: a missing cell must not clear what is stored (a blank cell does).
            missing = next((name for name in headings[len(cells) :] if name), None)
            if missing is not None:
                report.problems.append(
                    Problem(number, missing, f"missing: the row has {len(cells)} cells, the headings {len(headings)}")
                )
                continue
        values = {name: restore(cell.strip()) for name, cell in zip(headings, cells, strict=False) if name}
        for index, name in enumerate(headings):
            if not name and index < len(cells) and cells[index].strip():
                report.problems.append(Problem(number, f"column {index + 1}", "a value under no heading"))
        records.append((number, values))
    return records


# --- field parsers (raise ValueError or DirectoryError with a short message) -------------


def parse_date(raw: str) -> date:
    if match := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", raw):
        day, month, year = (int(part) for part in match.groups())
    elif match := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", raw):
        year, month, day = (int(part) for part in match.groups())
    else:
        raise ValueError("not a date: use 31/12/2012 or 2012-12-31")
    try:
        value = date(year, month, day)
    except ValueError:
        raise ValueError("not a real date") from None
    if not 1980 <= value.year <= 2099:
        raise ValueError("the year is out of range")
    return value


def parse_yes_no(raw: str) -> bool:
    answer = {"yes": True, "y": True, "true": True, "1": True, "no": False, "n": False, "false": False, "0": False}
    if raw.lower() not in answer:
        raise ValueError("use yes or no")
    return answer[raw.lower()]


def parse_year_group(raw: str) -> int:
    match = re.fullmatch(r"(?:y(?:ear)?\s*)?(\d{1,2})", raw.lower())
    if not match or not 7 <= int(match.group(1)) <= 11:
        raise ValueError("must be a year group from 7 to 11")
    return int(match.group(1))


def _code(raw: str, choices: tuple[str, ...]) -> str:
    value = heading(raw)
    if value not in choices:
        raise ValueError(f"must be one of {', '.join(choices)}")
    return value


def parse_timetable(raw: str) -> dict[str, str]:
    pattern: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in raw.split(";"))):
        day, _, place = part.replace(":", "=").partition("=")
        day, place = day.strip().lower()[:3], place.strip().lower()
        if day not in WEEKDAYS or place not in SETTINGS or day in pattern:
            raise ValueError("use mon=centre;tue=ap;... with each weekday once, and centre, ap or school")
        pattern[day] = place
    return {day: pattern[day] for day in WEEKDAYS if day in pattern}


def format_timetable(pattern: Mapping[str, str] | None) -> str:
    return ";".join(f"{day}={pattern[day]}" for day in WEEKDAYS if pattern and day in pattern)


def _plain_text(raw: str) -> str:
    return " ".join(raw.split())


_PARSERS: dict[str, Callable[[str], Any]] = {
    "urn": normalise_urn,
    "school_urn": normalise_urn,
    "member": parse_yes_no,
    "active": parse_yes_no,
    "email": normalise_email,
    "roles": parse_roles,
    "upn": normalise_upn,
    "date_of_birth": parse_date,
    "left_provision_on": parse_date,
    "year_group": parse_year_group,
    "provision": lambda raw: _code(raw, PROVISIONS),
    "programme_time": lambda raw: _code(raw, PROGRAMME_TIMES),
    "timetable": parse_timetable,
    "aad_object_id": normalise_aad_object_id,
}


def _parse(kind: Kind, number: int, cells: dict[str, str], report: ImportReport) -> dict[str, Any]:
    """Blank optional cells become None; absent columns are left out of the result."""
    spec = SPECS[kind]
    parsed: dict[str, Any] = {}
    for name, raw in cells.items():
        # Text PostgreSQL would refuse (longer than its column, a NUL byte); the other fields'
        # parsers take only what they know.
        refused = text_problems(name, _plain_text(raw)) if name in MAX_CHARS else []
        if refused:
            report.problems += [_problem(number, text) for text in refused]
            continue
        if not raw:
            if name in spec.required:
                report.problems.append(Problem(number, name, "missing"))
            parsed[name] = None
            continue
        try:
            parsed[name] = _PARSERS.get(name, _plain_text)(raw)
        except (ValueError, DirectoryError) as error:
            if isinstance(error, DirectoryError):  # "field: problem" -> "problem"
                text = "; ".join(problem.split(": ", 1)[-1] for problem in error.problems)
            else:
                text = str(error)
            report.problems.append(Problem(number, name, text))
    return parsed


# --- import ----------------------------------------------------------------------------


async def import_csv(
    database: Database,
    kind: Kind,
    data: bytes | str,
    *,
    save_person: PersonSaver,
    on_accepted: Callable[[AsyncSession, ImportReport], Awaitable[None]],
) -> ImportReport:
    """Check the whole file, then apply all of it or none of it. People are saved with
    `save_person` (the service's, which audits each change); `on_accepted` runs last in the
    same transaction, once every row has passed (the service audits the import there)."""
    report = ImportReport(kind)
    spec = SPECS[kind]
    records = _records(data, report)
    rows: list[tuple[int, dict[str, Any]]] = []
    first_seen: dict[tuple[str, Any], int] = {}
    for number, cells in records:
        parsed = _parse(kind, number, cells, report)
        for unique in (spec.key, "aad_object_id"):
            value = parsed.get(unique)
            if value is None:
                continue
            if (unique, value) in first_seen:
                report.problems.append(Problem(number, unique, f"the same as row {first_seen[unique, value]}"))
            first_seen.setdefault((unique, value), number)
        rows.append((number, parsed))
    if report.problems:
        return report
    try:
        async with database.session() as session:
            schools = {urn: id_ for urn, id_ in (await session.execute(select(School.dfe_urn, School.id))).all()}
            apply = {**_APPLY, "people": _person_applier(save_person)}
            for number, parsed in rows:
                if "school_urn" in parsed and parsed["school_urn"] is not None and parsed["school_urn"] not in schools:
                    report.problems.append(Problem(number, "school_urn", "no school has this URN"))
                    continue
                try:
                    outcome = await apply[kind](session, parsed, schools)
                except DirectoryError as error:
                    report.problems += [_problem(number, text) for text in error.problems]
                    continue
                setattr(report, outcome, getattr(report, outcome) + 1)
            if report.problems:
                raise _Rejected
            await on_accepted(session, report)
    except _Rejected:
        report.added = report.changed = report.unchanged = 0
    except IntegrityError:
        report.added = report.changed = report.unchanged = 0
        report.problems.append(Problem(0, "file", "the rows clash with each other or with the directory"))
    return report


def _problem(number: int, text: str) -> Problem:
    name, _, message = text.partition(": ")
    return Problem(number, name, message) if message else Problem(number, "row", text)


async def _apply_school(session: AsyncSession, row: dict[str, Any], _schools: dict[str, int]) -> Outcome:
    values: dict[str, Any] = {"name": row["name"]}
    if row.get("member") is not None:  # blank or absent: as stored (a new school: a member)
        values["is_member"] = row["member"]
    return await _save(session, School, School.dfe_urn, row["urn"], values, {"is_member": True})


def _person_applier(save_person: PersonSaver) -> _Applier:
    async def apply(session: AsyncSession, row: dict[str, Any], schools: dict[str, int]) -> Outcome:
        change = PersonChange(
            email=row["email"],
            display_name=row["display_name"],
            roles=row["roles"],
            school_id=schools[row["school_urn"]] if row.get("school_urn") else None,
            aad_object_id=row.get("aad_object_id", KEEP),  # absent: as stored
            active=KEEP if row.get("active") is None else row["active"],  # blank: as stored
        )
        _, outcome = await save_person(session, change)
        return outcome

    return apply


async def _apply_pupil(session: AsyncSession, row: dict[str, Any], schools: dict[str, int]) -> Outcome:
    values: dict[str, Any] = {name: row[name] for name in ("first_name", "last_name", "date_of_birth", "year_group")}
    values["school_id"] = schools[row["school_urn"]]
    optional = {"provision": "provision", "programme_time": "programme_time", "timetable": "timetable_pattern"}
    for column, attribute in {**optional, "left_provision_on": "left_provision_on"}.items():
        if column in row:
            values[attribute] = row[column]
    if values.get("provision", "") is None:
        values["provision"] = "none"
    if "timetable_pattern" in values:
        values["timetable_pattern"] = values["timetable_pattern"] or None
    defaults = {"provision": "none", "programme_time": None, "timetable_pattern": None, "left_provision_on": None}
    current = await session.scalar(select(Pupil).where(Pupil.upn == row["upn"]))
    merged = {**defaults, **({k: getattr(current, k) for k in defaults} if current else {}), **values}
    problems = pupil_problems(
        merged["first_name"],
        merged["last_name"],
        merged["year_group"],
        merged["provision"],
        merged["programme_time"],
        merged["timetable_pattern"] or {},
    )
    if problems:
        raise DirectoryError(problems)
    return await _save(session, Pupil, Pupil.upn, row["upn"], values, defaults)


_Applier = Callable[[AsyncSession, dict[str, Any], dict[str, int]], Awaitable[Outcome]]
_APPLY: dict[Kind, _Applier] = {"schools": _apply_school, "pupils": _apply_pupil}


async def _save(
    session: AsyncSession, model: type[Any], key: Any, key_value: str, values: dict[str, Any], defaults: dict[str, Any]
) -> Outcome:
    row = await session.scalar(select(model).where(key == key_value))
    if row is None:
        session.add(model(**{key.key: key_value, **defaults, **values}))
        await session.flush()
        return "added"
    if all(getattr(row, name) == value for name, value in values.items()):
        return "unchanged"
    for name, value in values.items():
        setattr(row, name, value)
    await session.flush()
    return "changed"


# --- export ----------------------------------------------------------------------------


async def export_csv(db: DatabaseOrSession, kind: Kind) -> tuple[str, int]:
    """The directory as CSV text (with a byte-order mark so Excel reads it as UTF-8), and how
    many rows it holds. Erased pupils are not exported: they have nothing left to export."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(SPECS[kind].columns)

    def writerow(cells: list[Any]) -> None:
        writer.writerow([neutralise(cell) if isinstance(cell, str) else cell for cell in cells])

    yes_no = {True: "yes", False: "no"}
    async with unit_of_work(db) as session:
        urns = {id_: urn for id_, urn in (await session.execute(select(School.id, School.dfe_urn))).all()}
        if kind == "schools":
            for school in await session.scalars(select(School).order_by(School.dfe_urn)):
                writerow([school.dfe_urn, school.name, yes_no[school.is_member]])
        elif kind == "people":
            order = {role.value: index for index, role in enumerate(Role)}
            for person in await session.scalars(select(Person).order_by(Person.email)):
                roles = ";".join(sorted((r.role for r in person.roles), key=lambda r: order.get(r, len(order))))
                urn = urns[person.school_id] if person.school_id is not None else ""
                aad = person.aad_object_id or ""
                writerow([person.email, person.display_name, urn, roles, aad, yes_no[person.active]])
        else:
            query = select(Pupil).where(Pupil.erased_at.is_(None)).order_by(Pupil.upn)
            for pupil in await session.scalars(query):
                writerow(
                    [
                        pupil.upn,
                        pupil.first_name,
                        pupil.last_name,
                        _iso(pupil.date_of_birth),
                        pupil.year_group,
                        urns[pupil.school_id],
                        pupil.provision,
                        pupil.programme_time or "",
                        format_timetable(pupil.timetable_pattern),
                        _iso(pupil.left_provision_on),
                    ]
                )
    text = out.getvalue()
    rows = sum(1 for _ in csv.reader(io.StringIO(text))) - 1  # a cell may hold a line break
    return "\ufeff" + text, rows


def _iso(value: date | None) -> str:
    return value.isoformat() if value else ""
