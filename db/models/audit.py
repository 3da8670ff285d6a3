"""Table: the append-only audit log of who viewed, created, changed or erased what, and when.

Rows are only ever inserted. Migration 0002 adds database triggers that refuse UPDATE
and DELETE (and TRUNCATE on PostgreSQL), and 0006 one that refuses an insert over an
existing id (SQLite's `INSERT OR REPLACE`), so not even a stray raw SQL statement can
rewrite history. `at` is the database's time, never the caller's (0006: a server default,
and a trigger that sets it on PostgreSQL and refuses any other on SQLite). Write and read
it through `domain.audit`, never directly.

`actor_id` has no foreign key to `people` on purpose: the log must outlive the people
and records it mentions, and a cascade or a blocked delete of a person would either
break the append-only rule or stop the directory from being kept.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, FetchedValue, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UtcDateTime


class AuditLogRow(Base):
    __tablename__ = "audit_log"
    # "Who touched this referral?" is the common question, so index the record.
    __table_args__ = (Index("ix_audit_log_record", "record_type", "record_id"),)
    # `at` comes back with the insert (RETURNING), never from a lazy load after it.
    __mapper_args__ = {"eager_defaults": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    # Set by the database (migration 0006 writes the default for each backend).
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True, server_default=FetchedValue())
    actor_id: Mapped[int | None] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(32))
    record_type: Mapped[str] = mapped_column(String(64))
    record_id: Mapped[str] = mapped_column(String(64))
    # Ids and outcomes only, checked by domain.audit; never names, dates of birth,
    # UPNs or message text, so erasing a pupil never needs to touch this table.
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
