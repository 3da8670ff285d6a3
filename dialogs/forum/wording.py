"""How the forum's facts read to a person: UK local times, statuses, next steps. No I/O."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.forum.model import BookingStatus, Meeting, NextStep, Sharing
from domain.scheduler.schedules import LONDON

STATUS = {
    BookingStatus.WAITING: "On the waiting list",
    BookingStatus.OFFERED: "A slot is held for you",
    BookingStatus.BOOKED: "Booked",
    BookingStatus.CANCELLED: "Cancelled",
    BookingStatus.LAPSED: "Offer passed on",
    BookingStatus.DISCUSSED: "Discussed",
}
NEXT_STEP = {
    NextStep.REFERRAL_TO_PARTNERSHIP: "Go ahead with a Referral to the Partnership",
    NextStep.REVIEW_AT_NEXT_FORUM: "Review at the next forum",
    NextStep.NO_FURTHER_ACTION: "No further action",
}
SHARING = {
    Sharing.NAMED: "Named to everyone at the forum (parents consented)",
    Sharing.PARTNERSHIP_ONLY: "Named to the Partnership SENCO and Director; anonymous to visiting services",
    Sharing.ANONYMOUS: "Anonymous to everyone",
}


def uk_time(instant: datetime) -> str:
    """E.g. "Monday 28 October 2024, 09:30" in UK local time (GMT or BST as the day has it)."""
    local = instant.astimezone(LONDON)
    return f"{local:%A} {local.day} {local:%B %Y}, {local:%H:%M}"


def deadline(instant: datetime) -> str:
    """A booking deadline: "the end of Monday 14 December 2026" for a midnight one, as most are."""
    local = instant.astimezone(LONDON)
    if (local.hour, local.minute) == (0, 0):
        day = (local - timedelta(minutes=1)).date()
        return f"the end of {day:%A} {day.day} {day:%B %Y}"
    return uk_time(instant)


def when(meeting: Meeting) -> str:
    return f"{uk_time(meeting.starts_at)} to {meeting.local_end:%H:%M}"
