"""Reading a small CSV file of the Partnership's (term dates, meeting dates) as a table.

`read_table` decodes the file (UTF-8, with or without Excel's byte-order mark), reads its
heading row against the columns the file may and must have, and returns each non-blank data row
as (spreadsheet row number, heading -> cell). Every problem goes into the caller's list as a
`Problem` (row, field, message), and any problem means no rows. The directory's import reads its
larger files more strictly in `domain.directory.csv_files`, with the same `Problem` and `heading`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    row: int  # as the spreadsheet numbers it: 1 is the heading row, 0 the whole file
    field: str
    message: str

    def __str__(self) -> str:
        return f"{'file' if self.row == 0 else f'row {self.row}'}, {self.field}: {self.message}"


def heading(raw: str) -> str:
    """A column heading or a code word as matched: lower case, spaces and hyphens as `_`."""
    return re.sub(r"[\s\-]+", "_", raw.strip().lower())


def read_table(
    data: bytes | str, columns: Sequence[str], required: Sequence[str], problems: list[Problem]
) -> list[tuple[int, dict[str, str]]]:
    """The data rows as (spreadsheet row number, heading -> cell), blank rows skipped."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            problems.append(Problem(0, "file", "not UTF-8: in Excel use Save As, 'CSV UTF-8'"))
            return []
    try:
        rows = list(csv.reader(io.StringIO(data.removeprefix("\ufeff"), newline="")))
    except csv.Error as error:
        problems.append(Problem(0, "file", f"not a readable CSV file ({error})"))
        return []
    if not rows or not any(cell.strip() for cell in rows[0]):
        problems.append(Problem(0, "file", "the first row must hold the column headings"))
        return []
    headings = [heading(cell) for cell in rows[0]]
    before = len(problems)
    for index, name in enumerate(headings):
        if name and name not in columns:
            problems.append(Problem(1, rows[0][index].strip()[:40], f"unknown column: use {', '.join(columns)}"))
        elif name and headings.index(name) != index:
            problems.append(Problem(1, name, "column appears twice"))
    problems.extend(Problem(1, name, "missing column") for name in required if name not in headings)
    if len(problems) > before:
        return []
    return [
        (number, {name: cell.strip() for name, cell in zip(headings, cells, strict=False) if name})
        for number, cells in enumerate(rows[1:], start=2)
        if any(cell.strip() for cell in cells)
    ]
