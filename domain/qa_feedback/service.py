"""Each thing a person can do with a Q&A reply, as one transaction: rate it, note that the bot
could not answer it, send it to the Partnership's staff, and (Partnership staff) answer it.

Every Partnership staff member with a chat hears of a question sent on; the first answer goes back
to the asker. No pupil data is kept: a question that named someone arrives here as `None`.
"""

from __future__ import annotations

from datetime import datetime

from db.engine import Database
from db.models.qa_feedback import QaFeedback
from domain.access import Action, NotAllowed
from domain.audit import AuditAction, record_audit
from domain.directory.queries import list_people
from domain.notifier import queue_notice
from domain.qa_feedback import notices
from domain.qa_feedback.model import (
    MAX_ANSWER_CHARS,
    MAX_QUESTION_CHARS,
    MAX_SAID_CHARS,
    AskedQuestion,
    FeedbackRecord,
    Outcome,
    normalise,
)
from domain.qa_feedback.queries import record_from_row
from domain.requester import Requester, authorise


class AlreadyAnswered(Exception):
    """Another member of staff answered first."""

    def __init__(self, record: FeedbackRecord) -> None:
        super().__init__("already answered")
        self.record = record


def _row(requester: Requester, asked: AskedQuestion, outcome: Outcome, now: datetime) -> QaFeedback:
    question = asked.question[:MAX_QUESTION_CHARS] if asked.question else None
    return QaFeedback(
        at=now,
        person_id=requester.person_id,
        question=question,
        normalised=normalise(question) if question else None,
        reply_kind=asked.reply_kind[:16],
        entry_id=asked.entry_id[:100] if asked.entry_id else None,
        bot_said=asked.bot_said[:MAX_SAID_CHARS] if asked.bot_said else None,
        outcome=outcome.value,
    )


async def note(database: Database, requester: Requester, asked: AskedQuestion, outcome: Outcome, now: datetime) -> int:
    """Keep a rating (`HELPFUL`, `UNHELPFUL`) or a question the bot could not answer; returns its id.
    Anyone may: asking about the offer is open to all."""
    if outcome is Outcome.ASKED:
        raise ValueError("a question sent to the Partnership goes through ask_partnership")
    async with database.session() as session:
        decision = await authorise(
            session, requester, Action.ASK_OFFER_QUESTION, None, record_type="qa_feedback", record_id="new"
        )
        if not decision.allowed:
            raise NotAllowed(decision)
        row = _row(requester, asked, outcome, now)
        session.add(row)
        await session.flush()
        return row.id


async def ask_partnership(database: Database, requester: Requester, asked: AskedQuestion, now: datetime) -> int:
    """Send the question, who asked and what the bot said to every Partnership staff member; returns
    the record's id. The asker must be in the directory, so the answer can find them."""
    async with database.session() as session:
        decision = await authorise(
            session, requester, Action.ASK_OFFER_QUESTION, None, record_type="qa_feedback", record_id="new"
        )
        if not decision.allowed or requester.person_id is None:
            raise NotAllowed(decision)
        row = _row(requester, asked, Outcome.ASKED, now)
        session.add(row)
        await session.flush()
        await record_audit(
            session,
            actor_id=requester.person_id,
            action=AuditAction.SENT.value,
            record_type="qa_feedback",
            record_id=str(row.id),
            detail={"kind": "asked_partnership"},
        )
        for person in await list_people(session, partnership=True):
            if person.id != requester.person_id:
                await queue_notice(session, notices.asked(row.id), to_person=person.id, now=now)
        return row.id


async def answer_question(
    database: Database, requester: Requester, feedback_id: int, answer: str, now: datetime
) -> FeedbackRecord:
    """A Partnership staff member answers a question sent to them; the asker gets the answer as a
    card. Raises `NotAllowed`, `LookupError` (no such question) or `AlreadyAnswered`."""
    async with database.session() as session:
        decision = await authorise(
            session,
            requester,
            Action.ANSWER_STAFF_QUESTION,
            None,
            record_type="qa_feedback",
            record_id=str(feedback_id),
        )
        if not decision.allowed:
            raise NotAllowed(decision)
        row = await session.get(QaFeedback, feedback_id, with_for_update=True)
        if row is None or row.outcome != Outcome.ASKED.value:
            raise LookupError(feedback_id)
        if row.answered_at is not None:
            raise AlreadyAnswered(record_from_row(row))
        row.answer = answer.strip()[:MAX_ANSWER_CHARS]
        row.answered_by = requester.person_id
        row.answered_at = now
        await record_audit(
            session,
            actor_id=requester.person_id,
            action=AuditAction.CHANGED.value,
            record_type="qa_feedback",
            record_id=str(row.id),
            detail={"kind": "answered"},
        )
        if row.person_id is not None:
            await queue_notice(session, notices.answered(row.id), to_person=row.person_id, now=now)
        await session.flush()
        return record_from_row(row)
