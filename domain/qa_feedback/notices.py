"""What the feedback tells people: a question sent to the Partnership's staff, and their answer
back to the asker. Ids only: the card is drawn from the record when it is sent."""

from __future__ import annotations

from domain.notices import Notice

ASKED = "qa.asked"
ANSWERED = "qa.answered"


def asked(feedback_id: int) -> Notice:
    return Notice(ASKED, {"feedback_id": feedback_id}, key=f"{ASKED}:{feedback_id}")


def answered(feedback_id: int) -> Notice:
    return Notice(ANSWERED, {"feedback_id": feedback_id}, key=f"{ANSWERED}:{feedback_id}")
