"""Reading the Q&A's feedback: one record, and the staff's list of what needs work."""

from __future__ import annotations

from sqlalchemy import select

from db.engine import DatabaseOrSession, unit_of_work
from db.models.qa_feedback import QaFeedback
from domain.qa_feedback.model import FeedbackRecord, NeedsWork, Outcome

WITHHELD = "(a question that named someone: its words were not kept)"


def record_from_row(row: QaFeedback) -> FeedbackRecord:
    return FeedbackRecord(
        id=row.id,
        at=row.at,
        person_id=row.person_id,
        question=row.question,
        reply_kind=row.reply_kind,
        entry_id=row.entry_id,
        bot_said=row.bot_said,
        outcome=Outcome(row.outcome),
        answer=row.answer,
        answered_by=row.answered_by,
        answered_at=row.answered_at,
    )


async def get_feedback(db: DatabaseOrSession, feedback_id: int) -> FeedbackRecord | None:
    async with unit_of_work(db) as session:
        row = await session.get(QaFeedback, feedback_id)
        return record_from_row(row) if row is not None else None


async def needs_work(db: DatabaseOrSession, limit: int = 15) -> list[NeedsWork]:
    """Questions the bot could not answer, rated unhelpful or sent on and not yet answered, most
    frequent first (then the most recent). Helpful ratings and answered questions are left out."""
    query = select(QaFeedback).where(QaFeedback.outcome != Outcome.HELPFUL.value).order_by(QaFeedback.at.desc())
    groups: dict[str, dict[str, int | str]] = {}
    async with unit_of_work(db) as session:
        for row in await session.scalars(query):
            if row.outcome == Outcome.ASKED.value and row.answered_at is not None:
                continue
            key = row.normalised or WITHHELD
            group = groups.setdefault(
                key, {"question": row.question or WITHHELD, "not_answered": 0, "unhelpful": 0, "waiting": 0}
            )
            name = {"not_answered": "not_answered", "unhelpful": "unhelpful", "asked": "waiting"}[row.outcome]
            group[name] = int(group[name]) + 1
    found = [
        NeedsWork(
            question=str(g["question"]),
            times=int(g["not_answered"]) + int(g["unhelpful"]) + int(g["waiting"]),
            not_answered=int(g["not_answered"]),
            unhelpful=int(g["unhelpful"]),
            waiting=int(g["waiting"]),
        )
        for g in groups.values()
    ]
    found.sort(key=lambda n: -n.times)  # stable: equal counts keep the most recent first
    return found[:limit]
