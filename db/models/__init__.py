"""Every table module, imported here so `Base.metadata` (and Alembic) sees all tables."""

from db.models import (  # noqa: F401
    attendance,
    audit,
    directory,
    forum,
    proactive,
    qa_feedback,
    referrals,
    safeguarding,
    scheduler,
    school_calendar,
    state,
)
