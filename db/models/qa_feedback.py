"""The Q&A's feedback: questions the bot could not answer, answers rated, and questions sent on to
the Partnership's staff with their answer. No pupil data: a question that names a pupil or a
person is kept without its words (`question` is NULL), only that it happened."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, UtcDateTime

OUTCOMES = ("not_answered", "helpful", "unhelpful", "asked")


class QaFeedback(Base):
    """One thing a person did with a Q&A reply: the bot could not answer (`not_answered`), they
    rated it (`helpful`, `unhelpful`) or sent the question to the Partnership (`asked`)."""

    __tablename__ = "qa_feedback"
    __table_args__ = (
        CheckConstraint("outcome IN (" + ", ".join(f"'{o}'" for o in OUTCOMES) + ")", name="outcome"),
        Index("ix_qa_feedback_normalised", "normalised"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    question: Mapped[str | None] = mapped_column(String(500), nullable=True)  # NULL: it named someone
    normalised: Mapped[str | None] = mapped_column(String(500), nullable=True)  # for "most frequent first"
    reply_kind: Mapped[str] = mapped_column(String(16))  # answer, suggest, decline
    entry_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    bot_said: Mapped[str | None] = mapped_column(String(300), nullable=True)  # the reply's title, in short
    outcome: Mapped[str] = mapped_column(String(16))
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)  # the Partnership's answer (asked)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
