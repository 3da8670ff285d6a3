"""The school calendar: term dates, half terms, bank holidays and INSET days, loaded by the
Partnership from a CSV file, and the one answer to "is this a school day?" that every
workflow and the scheduler ask.

- `model.py`: `TermDates` and its rule (pure).
- `queries.py`: the stored calendar, read and cached.
- `service.py`: `import_term_dates`, the CSV import (all or nothing, audited).
"""

from domain.school_calendar.model import DayKind, TermDates, TermDatesEntry

__all__ = ["DayKind", "TermDates", "TermDatesEntry"]
