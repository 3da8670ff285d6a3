"""The notices a concern sends: kinds and payload builders (ids and facts, never detail).

- `safeguarding.alert`: the urgent card to a rung's recipient (an activity-feed alert). Its
  preview must only ever be `PREVIEW`; the renderer loads the concern and shows the detail to
  the DSL only, with "Acknowledge" and "Add note".
- `safeguarding.acknowledged`: one for each alert sent, so every card is updated in place
  ("acknowledged by ... at ..."); `updates` names the alert's key.
- `safeguarding.status`: to the reporter, when a rung's alert is first delivered (or found
  undeliverable), as the ladder moves (escalated, with any advice) and when the concern is
  acknowledged.

Keys: `concern:<id>:<recipient>:<rung>` for alerts (`model.alert_key`), and
`concern:<id>:<recipient>:acknowledged:<rung>` for their updates (one person may have had
alerts at two rungs: a DSL who is also the headteacher); the outbox stores each key once per
recipient, so a rung run twice queues nothing new.
"""

from __future__ import annotations

from datetime import datetime

from domain.notices import JsonValue, Notice
from domain.safeguarding.model import Advice, Concern, alert_key

PREVIEW = "Urgent safeguarding concern: please open"
ALERT = "safeguarding.alert"
ACKNOWLEDGED = "safeguarding.acknowledged"
STATUS = "safeguarding.status"
KINDS = (ALERT, ACKNOWLEDGED, STATUS)


def _about(concern: Concern) -> dict[str, JsonValue]:
    facts: dict[str, JsonValue] = {"concern_id": concern.id, "school_id": concern.school_id}
    if concern.pupil_id is not None:
        facts["pupil_id"] = concern.pupil_id  # so erasing the pupil reaches the notice
    return facts


def alert(concern: Concern, rung: int, person_id: int) -> Notice:
    return Notice(ALERT, {**_about(concern), "rung": rung}, alert_key(concern.id, person_id, rung), alert=True)


def acknowledged(concern: Concern, person_id: int, rung: int, by: int, at: datetime) -> Notice:
    payload: dict[str, JsonValue] = {
        **_about(concern),
        "acknowledged_by": by,
        "acknowledged_at": at.isoformat(),
        "updates": alert_key(concern.id, person_id, rung),
    }
    return Notice(ACKNOWLEDGED, payload, f"concern:{concern.id}:{person_id}:acknowledged:{rung}")


def escalated(concern: Concern, rung: int, alerted: list[int], advice: Advice | None, reason: str | None) -> Notice:
    """To the reporter: the ladder reached `rung` (who it alerted, why, and what to do now)."""
    payload: dict[str, JsonValue] = {
        **_about(concern),
        "status": "escalated",
        "rung": rung,
        "alerted_ids": alerted,
        "advice": advice.value if advice else None,
        "social_care": concern.at_risk,  # where the child is at risk: contact children's social care
        "reason": reason,
    }
    return Notice(STATUS, payload, f"concern:{concern.id}:reporter:rung:{rung}", alert=advice is not None)


def acknowledged_to_reporter(concern: Concern, by: int, at: datetime) -> Notice:
    payload: dict[str, JsonValue] = {
        **_about(concern),
        "status": "acknowledged",
        "acknowledged_by": by,
        "acknowledged_at": at.isoformat(),
    }
    return Notice(STATUS, payload, f"concern:{concern.id}:reporter:acknowledged")


def delivered_to_reporter(concern: Concern, rung: int) -> Notice:
    """To the reporter: rung `rung`'s alert has reached someone (or could not); the card shows
    where the concern stands when it is sent."""
    payload: dict[str, JsonValue] = {**_about(concern), "status": "delivered", "rung": rung}
    return Notice(STATUS, payload, f"concern:{concern.id}:reporter:delivered:{rung}")
