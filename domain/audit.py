"""The audit log: record and read who viewed, created, changed, acknowledged, exported or
erased what, and when (domain.md §3.5: "an audit trail of who viewed which concern").

- `record_audit` adds an entry to the caller's session, so it commits or rolls back
  with the change it describes: an entry never claims something that did not happen,
  and nothing happens without its entry. Its time is the database's (migration 0006),
  not the caller's: no clock, manual or not, can date an entry.
- `read_audit` returns entries as plain `AuditEntry` values, oldest first.
- There is no update or delete here, and the database refuses both (migration 0002), and
  an insert over an existing entry (0006).

What an entry may hold: ids and outcomes, never pupil names, dates of birth, UPNs or
message text. The log is kept longer than the records it mentions and is never edited,
so anything personal written here could not be erased with the pupil. The check is kept
deliberately simple:

- `action` is one of `AuditAction`; `record_type` is a lower-case word (a policy
  Target kind such as "referral"); `record_id` is our own id, never a UPN.
- `detail` keys come from `DETAIL_KEYS`, or end in `_id` / `_ids`.
- `detail` values are numbers, booleans, None, short lower-case code words
  ("accepted", "in_school_support"), or flat lists of those. No spaces and no capitals
  means no names, no sentences and no UPNs; a code word must start with a letter, so
  no dates either, and holds no run of six or more digits, so no UPN written in lower
  case and no date written without separators. A file digest ("sha256:<hex>") is the
  one value allowed digit runs: it says which file, not what the file held.
- `record_id` never has the shape of a UPN (a letter, 11 digits, a digit or letter).

Because of this, erasing a pupil leaves the log as it is (`domain.erasure` says why), and
tests/domain/test_audit_writes.py checks that no `record_audit` call in the code passes a
personal field (a name, an e-mail, a date of birth, a UPN) into an entry.

A new key belongs in `DETAIL_KEYS` only if it can never carry personal data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models.audit import AuditLogRow


class AuditAction(StrEnum):
    """The verbs of the log. A fixed list keeps the log searchable."""

    VIEWED = "viewed"
    CREATED = "created"
    CHANGED = "changed"
    DECIDED = "decided"
    BOOKED = "booked"
    ACKNOWLEDGED = "acknowledged"
    ESCALATED = "escalated"
    SENT = "sent"
    IMPORTED = "imported"
    EXPORTED = "exported"
    ERASED = "erased"
    REFUSED = "refused"  # the policy said no: attempts matter as much as access


DETAIL_KEYS = frozenset(
    {
        "outcome",
        "status",
        "from_status",
        "to_status",
        "decision",
        "reason",  # a code word such as "not_allowed", never the text shown to the user
        "role",
        "roles",
        "fields",  # names of the fields that changed, never their values
        "count",
        "channel",
        "source",
        "format",
        "kind",
        "step",
        "level",
        "attempt",
        "allowed",
        "os_user",  # the operating-system account behind a command-line change (a code word)
        "file_digest",  # "sha256:<hex>" of an imported file: which file, not what it held
    }
)
_ACTIONS = frozenset(action.value for action in AuditAction)
MAX_LIST_ITEMS = 50
_CODE_WORD = re.compile(r"[a-z][a-z0-9_.:-]{0,63}")
_RECORD_TYPE = re.compile(r"[a-z][a-z_]{0,63}")
_RECORD_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
_DIGIT_RUN = re.compile(r"[0-9]{6}")
_UPN_SHAPE = re.compile(r"[A-Za-z][0-9]{11}[0-9A-Za-z]")
# A file's digest: hex, so it may hold digit runs, but it says which file, not what it held.
_DIGEST = re.compile(r"sha256:[0-9a-f]{16,64}")


class AuditDetailError(ValueError):
    """An audit entry would hold something other than ids and outcomes."""


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor_id: int | None
    action: str
    record_type: str
    record_id: str
    detail: dict[str, Any]


async def record_audit(
    session: AsyncSession,
    *,
    actor_id: int | None,
    action: str,
    record_type: str,
    record_id: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """Add an entry to the caller's unit of work; it commits or rolls back with it.

    The database dates it: `at` is its now (UTC) when the entry is written, so a caller cannot
    back-date or post-date an entry. `actor_id` is None for the system itself (a scheduled
    job) or an unknown person.
    """
    if action not in _ACTIONS:
        raise AuditDetailError(f"unknown audit action {action!r}: add it to AuditAction")
    if not _RECORD_TYPE.fullmatch(record_type):
        raise AuditDetailError(f"record_type must be a lower-case word, not {record_type!r}")
    if not _RECORD_ID.fullmatch(record_id) or _UPN_SHAPE.fullmatch(record_id):
        raise AuditDetailError("record_id must be our own short id")
    checked = _checked_detail(detail or {})
    session.add(
        AuditLogRow(
            actor_id=actor_id,
            action=str(action),
            record_type=record_type,
            record_id=record_id,
            detail=checked,
        )
    )


async def read_audit(
    session: AsyncSession,
    *,
    record_type: str | None = None,
    record_id: str | None = None,
    actor_id: int | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    """The newest `limit` entries matching every filter given, oldest first.

    Call `domain.access.require(actor, Action.VIEW_AUDIT_LOG)` before showing them.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    query = select(AuditLogRow)
    if record_type is not None:
        query = query.where(AuditLogRow.record_type == record_type)
    if record_id is not None:
        query = query.where(AuditLogRow.record_id == record_id)
    if actor_id is not None:
        query = query.where(AuditLogRow.actor_id == actor_id)
    query = query.order_by(AuditLogRow.at.desc(), AuditLogRow.id.desc()).limit(limit)
    rows = (await session.scalars(query)).all()
    return [_entry(row) for row in reversed(rows)]


def _entry(row: AuditLogRow) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        at=row.at,
        actor_id=row.actor_id,
        action=row.action,
        record_type=row.record_type,
        record_id=row.record_id,
        detail=dict(row.detail),
    )


def _checked_detail(detail: Mapping[str, Any]) -> dict[str, Any]:
    checked: dict[str, Any] = {}
    for key, value in detail.items():
        is_id = key.endswith(("_id", "_ids")) and _CODE_WORD.fullmatch(key) is not None
        if key not in DETAIL_KEYS and not is_id:
            raise AuditDetailError(
                f"audit detail key {key!r} is not allowed: ids and outcomes only (see DETAIL_KEYS in domain/audit.py)"
            )
        if isinstance(value, list | tuple):
            if len(value) > MAX_LIST_ITEMS:
                raise AuditDetailError(f"audit detail {key!r} lists too many items")
            checked[key] = [_checked_value(key, item) for item in value]
        else:
            checked[key] = _checked_value(key, value)
    return checked


def _checked_value(key: str, value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str) and (
        _DIGEST.fullmatch(value) or (_CODE_WORD.fullmatch(value) and not _DIGIT_RUN.search(value))
    ):
        return value
    # The value itself is not echoed: it may be the very personal data we refuse.
    raise AuditDetailError(f"audit detail {key!r} must be a number, yes/no or a lower-case code word")
