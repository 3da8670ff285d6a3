"""What the register tells people, as notices (ids and facts; the cards are drawn when sent):

- `attendance.digest`: a school's daily digest, one per school per day to each DSL and
  attendance lead; the renderer builds the digest for that school and day as it then stands.
- `attendance.digest_undeliverable`: to the Partnership admin(s) when a school has no DSL the
  bot can reach in Teams, so no school is skipped in silence.
- `attendance.left_placement`: a pupil left the Centre or a provider during the day.
- `attendance.unmarked`: pupils still not marked for a session at the set time, to whoever
  takes the register (the renderer lists them as they then stand).
- `attendance.unexplained_absence`: a pupil with a child protection plan, a child in need plan
  or who is looked after is absent without explanation. The payload does not say which: the
  renderer shows it to those the policy allows (`Action.VIEW_WELFARE_FLAGS`).
"""

from __future__ import annotations

from datetime import date, time

from domain.attendance.model import Session, Setting
from domain.notices import Notice

DIGEST = "attendance.digest"
DIGEST_UNDELIVERABLE = "attendance.digest_undeliverable"
LEFT_PLACEMENT = "attendance.left_placement"
UNEXPLAINED_ABSENCE = "attendance.unexplained_absence"
UNMARKED = "attendance.unmarked"

KINDS = (DIGEST, DIGEST_UNDELIVERABLE, LEFT_PLACEMENT, UNEXPLAINED_ABSENCE, UNMARKED)


def digest_key(school_id: int, day: date) -> str:
    return f"attendance-digest:{school_id}:{day.isoformat()}"


def digest(school_id: int, day: date) -> Notice:
    return Notice(DIGEST, {"school_id": school_id, "date": day.isoformat()}, key=digest_key(school_id, day))


def digest_undeliverable(school_id: int, day: date, reason: str) -> Notice:
    """`reason`: "no_dsl" (none in the directory) or "no_dsl_in_teams" (none the bot can reach)."""
    return Notice(
        DIGEST_UNDELIVERABLE,
        {"school_id": school_id, "date": day.isoformat(), "reason": reason},
        key=f"attendance-digest-undeliverable:{school_id}:{day.isoformat()}",
    )


def left_placement(pupil_id: int, school_id: int, day: date, which: Session, setting: Setting, at: time) -> Notice:
    return Notice(
        LEFT_PLACEMENT,
        {
            "pupil_id": pupil_id,
            "school_id": school_id,
            "date": day.isoformat(),
            "session": which.value,
            "setting": setting.value,
            "at": at.strftime("%H:%M"),
        },
        key=f"attendance-left:{pupil_id}:{day.isoformat()}:{which.value}",
        alert=True,
    )


def unexplained_absence(pupil_id: int, school_id: int, day: date, which: Session) -> Notice:
    return Notice(
        UNEXPLAINED_ABSENCE,
        {"pupil_id": pupil_id, "school_id": school_id, "date": day.isoformat(), "session": which.value},
        key=f"attendance-unexplained:{pupil_id}:{day.isoformat()}:{which.value}",
        alert=True,
    )


def unmarked(day: date, which: Session, count: int) -> Notice:
    return Notice(
        UNMARKED,
        {"date": day.isoformat(), "session": which.value, "count": count},
        key=f"attendance-unmarked:{day.isoformat()}:{which.value}",
    )
