"""Table: the append-only audit log of who viewed, created, changed or erased what, and when.

Rows are only ever inserted. Migration 0002 adds database triggers that refuse UPDATE
and DELETE (and TRUNCATE on PostgreSQL), so not even a stray raw SQL statement can
rewrite history. Write and read it through `domain.audit`, never directly.

`actor_id` has no foreign key to `people` on purpose: the log must outlive the people
and records it mentions, and a cascade or a blocked delete of a person would either
break the append-only rule or stop the directory from being kept.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UtcDateTime


class AuditLogRow(Base):
    __tablename__ = "audit_log"
    # "Who touched this referral?" is the common question, so index the record.
    __table_args__ = (Index("ix_audit_log_record", "record_type", "record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(32))
    record_type: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[str] = mapped_column(String(64))
    # Ids and outcomes only, checked by domain.audit; never names, dates of birth,
    # UPNs or message text, so erasing a pupil never needs to touch this table.
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
