"""The notices the forum queues (ids and facts only; the renderers load the records they name):

- `forum.slot_offered`: to the school first on a waiting list, a slot is free until `offered_until`;
- `forum.reminder`: the day before, to each booking school (the time shown in UK local time);
- `forum.agenda`: a few days before, to the Partnership SENCO and Director;
- `forum.core_group_slot`: to a school presenting at the Core Group, its place on the agenda;
- `forum.advice`: to the school, what the forum advised on its case;
- `forum.meeting_changed`: to the schools with a case on a meeting that moved or was cancelled;
- `forum.core_group_moved`: to the referrer of each referral listed for a Core Group that moved.
"""

from __future__ import annotations

from datetime import datetime

from domain.forum.model import Booking, Meeting
from domain.notices import JsonValue, Notice

SLOT_OFFERED = "forum.slot_offered"
REMINDER = "forum.reminder"
AGENDA = "forum.agenda"
CORE_GROUP_SLOT = "forum.core_group_slot"
ADVICE = "forum.advice"
MEETING_CHANGED = "forum.meeting_changed"
CORE_GROUP_MOVED = "forum.core_group_moved"
KINDS = (SLOT_OFFERED, REMINDER, AGENDA, CORE_GROUP_SLOT, ADVICE, MEETING_CHANGED, CORE_GROUP_MOVED)


def _booking(booking: Booking) -> dict[str, JsonValue]:
    return {"booking_id": booking.id, "meeting_id": booking.meeting_id, "referral_id": booking.referral_id}


def slot_offered(booking: Booking, offered_until: datetime) -> Notice:
    payload = {**_booking(booking), "offered_until": offered_until.isoformat()}
    return Notice(SLOT_OFFERED, payload, f"forum-offer:{booking.id}", alert=True)


def reminder(booking: Booking, meeting: Meeting) -> Notice:
    payload = {**_booking(booking), "starts_at": meeting.starts_at.isoformat()}
    return Notice(REMINDER, payload, f"forum-reminder:{booking.id}:{meeting.starts_at:%Y%m%d%H%M}")


def agenda(meeting: Meeting) -> Notice:
    """Keyed by the start time too, so a meeting moved after its agenda went out gets a new one."""
    payload: dict[str, JsonValue] = {
        "meeting_id": meeting.id,
        "kind": meeting.kind.value,
        "starts_at": meeting.starts_at.isoformat(),
    }
    return Notice(AGENDA, payload, f"forum-agenda:{meeting.id}:{meeting.starts_at:%Y%m%d%H%M}")


def core_group_slot(meeting: Meeting, referral_id: int, position: int) -> Notice:
    payload: dict[str, JsonValue] = {
        "meeting_id": meeting.id,
        "referral_id": referral_id,
        "position": position,
        "starts_at": meeting.starts_at.isoformat(),
    }
    key = f"core-group-slot:{meeting.id}:{referral_id}:{meeting.starts_at:%Y%m%d%H%M}"
    return Notice(CORE_GROUP_SLOT, payload, key)


def advice(booking: Booking, handed_over: bool) -> Notice:
    return Notice(ADVICE, {**_booking(booking), "handed_over": handed_over}, f"forum-advice:{booking.id}")


def meeting_changed(booking: Booking, meeting: Meeting, change: str) -> Notice:
    payload = {**_booking(booking), "change": change, "starts_at": meeting.starts_at.isoformat()}
    key = f"forum-meeting:{meeting.id}:{booking.id}:{change}:{meeting.starts_at:%Y%m%d%H%M}"
    return Notice(MEETING_CHANGED, payload, key)


def core_group_moved(meeting: Meeting, referral_id: int) -> Notice:
    payload: dict[str, JsonValue] = {
        "meeting_id": meeting.id,
        "referral_id": referral_id,
        "starts_at": meeting.starts_at.isoformat(),
    }
    return Notice(
        CORE_GROUP_MOVED, payload, f"core-group-moved:{meeting.id}:{referral_id}:{meeting.starts_at:%Y%m%d%H%M}"
    )
