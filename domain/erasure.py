"""Erasing a pupil's personal data, and finding pupils past the retention period.

These are the mechanics; the erasure a person asks for is
`domain.directory.service.erase_pupil`, which asks the policy, calls `erase` and writes the
audit entry in one transaction, then checkpoints SQLite's write-ahead log (see below).

Erasure overwrites the pupil row in place: names, date of birth and UPN become empty
and `erased_at` is set. The row and its id stay as a tombstone, so records
that point at the pupil (referrals, registers, audit entries) stay consistent and
countable, but no longer say who it was. The year group, school, provision, timetable
pattern and leaving date stay: on their own they identify nobody and keep the
Partnership's figures whole.

"Where the law allows": a pupil with a `retention_hold` (e.g. child-protection records
that must be kept, or an IICSA instruction not to destroy; domain.md §3.5) is refused.
Features that must keep records set the hold; clearing it is a deliberate act.

What erasure reaches, in the same transaction as the tombstone:

- The outbox. A notice names the pupils its payload is about (`Notice.pupil_ids`, stored in
  `notification_pupils`); every notification naming the pupil loses its payload, and those
  not sent yet are cancelled (reason `erased`), so nothing about the pupil is sent after the
  erasure. Cards are never stored (they are rendered when sent), so nothing else in the
  outbox can hold the pupil's details.
- Safeguarding concerns about the pupil: what was seen or said, the actions taken, the place
  and the notes' text are blanked (`domain.safeguarding.erasure`); the chronology keeps ids only.
- Referrals (`domain.referrals.store.forget_pupil`): the form's values (special category data
  included), question and answer texts and exception reasons of the pupil's referrals are
  emptied; status, dates and outcome stay. Drafts that named the pupil by UPN before they were
  on the roll are deleted.
- Forum cases (`domain.forum.store.forget_pupil`): the school's question and the advice given
  on the pupil's forum bookings are emptied; dates, statuses and next steps stay.
- The audit log is not edited, and needs not be. It is append-only for everyone, the app
  included (database triggers, migration 0002), and an erasure path through those triggers
  would be a way to rewrite history for whoever holds the app's credentials. Instead an entry
  never holds personal data in the first place: `domain.audit.record_audit` accepts ids and
  lower-case code words only, refuses anything shaped like a UPN, a date or a name (capitals,
  spaces, long runs of digits), and tests/domain/test_audit_writes.py checks every
  `record_audit` call in the code for personal fields. After an erasure the log points at the
  tombstone by id and says nothing of who it was.
- The database files. SQLite connections run with `PRAGMA secure_delete=ON` (db/engine.py),
  so the overwritten values are zeroed in the pages, and the service checkpoints the
  write-ahead log and truncates it after the erasure (`Database.checkpoint_wal`), so no older
  copy of those pages stays in the `-wal` file. PostgreSQL keeps old row versions until
  VACUUM, and in its WAL and backups: the README's "Data protection" says how to clear them.

Retention (RETENTION_DAYS in core.settings, 2190 days = 6 years by default) counts from
`left_provision_on`; `pupils_past_retention` lists the pupils the erase command should
act on. Who may erase is `domain.access`'s decision (Action.ERASE_PUPIL_DATA), asked by
the service, which writes the audit entry in the same transaction (and one for a refusal). The reason is a
code word (`ErasureReason`), never free text: the audit log is kept for good, so it must
not hold words that could name the pupil.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import DatabaseOrSession, unit_of_work
from db.models.directory import Pupil
from domain import outbox
from domain.directory.model import PupilRecord, pupil_record
from domain.forum.store import forget_pupil as forget_forum_cases
from domain.referrals.store import forget_pupil as forget_referrals
from domain.safeguarding.erasure import forget_pupil as forget_concerns


class ErasureReason(StrEnum):
    RETENTION_PERIOD_ENDED = "retention_period_ended"
    ERASURE_REQUEST = "erasure_request"  # the right to erasure, UK GDPR art. 17
    ENTERED_IN_ERROR = "entered_in_error"


class ErasureRefused(Exception):
    """The pupil may not be erased (unknown, or records must be kept)."""


@dataclass(frozen=True)
class Erased:
    pupil: PupilRecord  # the tombstone
    changed: bool  # False: the pupil was erased before, and nothing was done now


async def erase(session: AsyncSession, pupil_id: int, now: datetime) -> Erased:
    """In the caller's transaction: overwrite the pupil's personal data, leaving a tombstone,
    and cancel and empty the notices about them. The caller has asked the policy and writes the
    audit entry (`domain.directory.service.erase_pupil`). Raises `ErasureRefused` before
    changing anything when the pupil is unknown or held."""
    pupil = await session.scalar(select(Pupil).where(Pupil.id == pupil_id).with_for_update())
    if pupil is None:
        raise ErasureRefused(f"there is no pupil {pupil_id}")
    if pupil.erased_at is not None:
        return Erased(pupil_record(pupil), changed=False)
    if pupil.retention_hold:
        raise ErasureRefused(f"pupil {pupil_id}'s records must be kept: {pupil.retention_hold}")
    await forget_referrals(session, pupil.id, pupil.upn)  # before the UPN goes: drafts name it
    await forget_forum_cases(session, pupil.id)
    pupil.first_name = None
    pupil.last_name = None
    pupil.date_of_birth = None
    pupil.upn = None
    pupil.erased_at = now
    await session.flush()
    await outbox.forget_pupil(session, pupil_id, now)
    await forget_concerns(session, pupil_id, now)
    return Erased(pupil_record(pupil), changed=True)


async def pupils_past_retention(db: DatabaseOrSession, now: datetime | date, retention_days: int) -> list[PupilRecord]:
    """Pupils who left provision more than `retention_days` ago, not yet erased and not
    held; oldest leavers first."""
    today = now.date() if isinstance(now, datetime) else now
    cutoff = today - timedelta(days=retention_days)
    query = (
        select(Pupil)
        .where(
            Pupil.left_provision_on < cutoff,
            Pupil.erased_at.is_(None),
            Pupil.retention_hold.is_(None),
        )
        .order_by(Pupil.left_provision_on, Pupil.id)
    )
    async with unit_of_work(db) as session:
        return [pupil_record(row) for row in await session.scalars(query)]
