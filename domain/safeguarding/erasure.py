"""What erasing a pupil blanks in their safeguarding concerns.

A concern's special-category text (what was seen or said, the actions taken, the place) is in
its own row, and each note's text in the note's row, so `forget_pupil` can blank exactly those
(and set `erased_at`) in the erasure's transaction; the triggers of migration 0008 allow a text
to be blanked and nothing else. The chronology holds ids and code words only, so it stays whole:
the record still shows that a concern was raised, alerted, acknowledged, and by whom.

Child-protection files are normally kept to DOB + 25 years (domain.md §3.5): a pupil whose file
must be kept should carry a `retention_hold`, which makes `domain.erasure` refuse.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models.safeguarding import SafeguardingConcern, SafeguardingNote


async def forget_pupil(session: AsyncSession, pupil_id: int, now: datetime) -> int:
    """Blank the text of every concern about the pupil and of its notes; returns how many concerns."""
    about = select(SafeguardingConcern.id).where(SafeguardingConcern.pupil_id == pupil_id)
    await session.execute(
        update(SafeguardingNote)
        .where(SafeguardingNote.concern_id.in_(about), SafeguardingNote.erased_at.is_(None))
        .values(text=None, erased_at=now)
        .execution_options(synchronize_session=False)
    )
    blanked = await session.execute(
        update(SafeguardingConcern)
        .where(SafeguardingConcern.pupil_id == pupil_id, SafeguardingConcern.erased_at.is_(None))
        .values(account=None, actions_taken=None, location=None, erased_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(blanked.rowcount)  # type: ignore[attr-defined]
