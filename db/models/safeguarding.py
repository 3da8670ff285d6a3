"""Tables: safeguarding concerns, their append-only chronology and their notes.

`safeguarding_concerns` holds the concern as recorded once. What was seen or said (in the
child's words), the actions already taken and the place are special-category data and live
in this row (and a note's text in its `safeguarding_notes` row), never in the chronology, the
audit log or the outbox: erasing the pupil blanks exactly these columns and sets `erased_at`
(`domain.safeguarding.erasure`). Database triggers (migration 0008) refuse deleting a concern
or a note, changing what a concern recorded (only the text may be blanked, by erasure), and
taking back an acknowledgement.

`safeguarding_chronology` is append-only like `audit_log`: triggers refuse UPDATE, DELETE,
TRUNCATE (PostgreSQL) and an INSERT OR REPLACE over an existing entry (SQLite). An entry holds
ids and code words only. People are named by id without a foreign key, as in the audit log:
the record is kept for years (DOB + 25) and must outlive directory changes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UtcDateTime

SUBJECTS = ("pupil", "adult", "headteacher")
STATUSES = ("raised", "acknowledged", "closed")
ENTRY_KINDS = ("raised", "notified", "delivered", "undeliverable", "viewed", "acknowledged", "note", "escalated")


def one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{value}'" for value in values) + ")"


class SafeguardingConcern(Base):
    __tablename__ = "safeguarding_concerns"
    __table_args__ = (
        CheckConstraint(one_of("subject", SUBJECTS), name="subject"),
        CheckConstraint(one_of("status", STATUSES), name="status"),
        CheckConstraint("subject <> 'pupil' OR pupil_id IS NOT NULL", name="pupil_named"),
        CheckConstraint("erased_at IS NOT NULL OR account IS NOT NULL", name="account_unless_erased"),
        CheckConstraint(
            "status = 'raised' OR (acknowledged_by IS NOT NULL AND acknowledged_at IS NOT NULL)",
            name="acknowledged_by_someone",
        ),
        Index("ix_safeguarding_concerns_open", "status", "raised_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject: Mapped[str] = mapped_column(String(20))
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    pupil_id: Mapped[int | None] = mapped_column(ForeignKey("pupils.id"), index=True)
    reporter_id: Mapped[int] = mapped_column(Integer, index=True)
    raised_at: Mapped[datetime] = mapped_column(UtcDateTime)
    happened_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    immediate_danger: Mapped[bool] = mapped_column(Boolean)
    called_999: Mapped[bool] = mapped_column(Boolean)
    child_at_risk: Mapped[bool] = mapped_column(Boolean)
    # Special-category: blanked (NULL) when the pupil is erased.
    account: Mapped[str | None] = mapped_column(Text)
    actions_taken: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(200))
    erased_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(20))
    rung: Mapped[int] = mapped_column(SmallInteger)  # the highest rung reached
    acknowledged_by: Mapped[int | None] = mapped_column(Integer)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SafeguardingNote(Base):
    """A note added to a concern; its text is blanked when the pupil is erased."""

    __tablename__ = "safeguarding_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    concern_id: Mapped[int] = mapped_column(ForeignKey("safeguarding_concerns.id"), index=True)
    author_id: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    text: Mapped[str | None] = mapped_column(Text)
    erased_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SafeguardingEntry(Base):
    """One time-stamped chronology entry: ids and code words, never text."""

    __tablename__ = "safeguarding_chronology"
    __table_args__ = (CheckConstraint(one_of("kind", ENTRY_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    concern_id: Mapped[int] = mapped_column(ForeignKey("safeguarding_concerns.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    kind: Mapped[str] = mapped_column(String(20))
    person_id: Mapped[int | None] = mapped_column(Integer)  # who acted, or whom a notice went to
    rung: Mapped[int | None] = mapped_column(SmallInteger)
    notification_id: Mapped[int | None] = mapped_column(Integer)
    note_id: Mapped[int | None] = mapped_column(ForeignKey("safeguarding_notes.id"))
    reason: Mapped[str | None] = mapped_column(String(40))  # a code word: why
