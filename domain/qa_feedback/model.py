"""Plain records of the Q&A's feedback; no ORM here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

MAX_QUESTION_CHARS = 500
MAX_SAID_CHARS = 300
MAX_ANSWER_CHARS = 2000


class Outcome(StrEnum):
    NOT_ANSWERED = "not_answered"  # the bot declined or could only suggest
    HELPFUL = "helpful"
    UNHELPFUL = "unhelpful"
    ASKED = "asked"  # sent to the Partnership's staff


@dataclass(frozen=True)
class AskedQuestion:
    """What a person asked and what the bot said, as the buttons carry it. `question` is None when
    it named a pupil or a person (the knowledge base's name check): its words are never kept."""

    question: str | None
    reply_kind: str  # answer, suggest, decline
    entry_id: str | None = None
    bot_said: str | None = None


@dataclass(frozen=True)
class FeedbackRecord:
    id: int
    at: datetime
    person_id: int | None
    question: str | None
    reply_kind: str
    entry_id: str | None
    bot_said: str | None
    outcome: Outcome
    answer: str | None
    answered_by: int | None
    answered_at: datetime | None


@dataclass(frozen=True)
class NeedsWork:
    """A line of the staff's list: one question (as first worded), how often it went unanswered or
    was rated unhelpful, and whether anyone is still waiting for the Partnership's answer."""

    question: str
    times: int
    not_answered: int
    unhelpful: int
    waiting: int


def normalise(question: str) -> str:
    """The same question in other cases, spacing or punctuation counts as the same question."""
    return " ".join(re.sub(r"[^\w\s]", " ", question.lower()).split())[:MAX_QUESTION_CHARS]
