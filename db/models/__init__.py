"""Every table module, imported here so `Base.metadata` (and Alembic) sees all tables."""

from db.models import audit, directory, proactive, safeguarding, scheduler, school_calendar, state  # noqa: F401
