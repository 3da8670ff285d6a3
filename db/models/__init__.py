"""Every table module, imported here so `Base.metadata` (and Alembic) sees all tables."""

from db.models import attendance, audit, directory, proactive, scheduler, school_calendar, state  # noqa: F401
