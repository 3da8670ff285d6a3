"""The safeguarding cards: "call 999 now", the urgent alert (and its acknowledged form), a
concern's record (opened with `concern <id>` or "Open": the detail, and the chronology in plain
words), the reporter's status card and the open concerns list. Times are shown in UK time.

The alert's plain text (its notification preview, `fallbackText` and the activity's summary)
is only ever `PREVIEW`: the detail is on the card, for the person it was sent to."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.cards import RenderedCard, render_card
from domain.safeguarding.model import Advice, Concern, Entry, EntryKind, Subject
from domain.safeguarding.notices import PREVIEW
from domain.safeguarding.queries import UPDATED, alerts
from domain.safeguarding.status import ConcernStatus
from domain.safeguarding.summaries import AlertDetail, RecordDetail

ACKNOWLEDGE = "safeguarding.acknowledge"
NOTE = "safeguarding.note"
OPEN = "safeguarding.open"  # "Open" on the open concerns card
RECORD_NOTE = "safeguarding.record.note"  # "Add note" on a concern's record: the record refreshed in place
UK = ZoneInfo("Europe/London")
DELIVERY = {
    "pending": "sent",
    "sending": "sent",
    "retrying": "sent, trying again",
    "sent": "delivered",
    "undeliverable": "could not be reached in Teams",
    "failed": "could not be reached in Teams",
    "cancelled": "not sent",
}
ADVICE = {
    Advice.PHONE_SCHOOL.value: "No one at the school has acknowledged it yet: please phone the school now.",
    Advice.CONTACT_LADO.value: "No one has acknowledged it yet: please phone the headteacher or the Partnership "
    "Director now, and the LADO if you cannot reach them.",
}
SOCIAL_CARE = " Where the child is at risk, contact children's social care directly."


def when(at: datetime | None) -> str:
    return at.astimezone(UK).strftime("%H:%M on %d %b") if at else ""


def call_999_card() -> RenderedCard:
    return render_card("safeguarding/call_999.json.j2")


def _about(detail: AlertDetail) -> str:
    concern = detail.concern
    if concern.subject is Subject.PUPIL:
        year = f", year {detail.year_group}" if detail.year_group else ""
        return f"{detail.pupil or 'a pupil'}{year}"
    return "the headteacher" if concern.subject is Subject.HEADTEACHER else "an adult at the school"


def alert_card(detail: AlertDetail, rung: int) -> RenderedCard:
    """The alert as its recipient sees it; once acknowledged, saying by whom, with "Add note" only."""
    return render_card(
        "safeguarding/alert.json.j2",
        lambda _card: PREVIEW,
        **_shown(detail),
        rung=rung,
        acknowledged=detail.acknowledged_by is not None,
        acknowledge_verb=ACKNOWLEDGE,
        note_verb=NOTE,
    )


def _shown(detail: AlertDetail) -> dict[str, Any]:
    """What the alert and the record both show of a concern."""
    concern = detail.concern
    return {
        "concern_id": concern.id,
        "about": _about(detail),
        "school": detail.school,
        "reporter": detail.reporter,
        "raised_at": when(concern.raised_at),
        "immediate_danger": concern.immediate_danger,
        "called_999": concern.called_999,
        "account": concern.account or "",
        "actions": concern.actions_taken or "",
        "acknowledged_by": detail.acknowledged_by or "",
        "acknowledged_at": when(detail.acknowledged_at),
    }


def record_card(record: RecordDetail) -> RenderedCard:
    """A concern's record for someone the policy lets view it: the detail, the acknowledgement,
    the chronology as time-stamped lines, and "Add note"."""
    return render_card(
        "safeguarding/record.json.j2",
        **_shown(record.detail),
        step=record.detail.concern.rung,
        lines=chronology_lines(record),
        note_verb=RECORD_NOTE,
    )


def chronology_lines(record: RecordDetail) -> list[dict[str, object]]:
    """Each chronology entry as the record card's template words it: when (UK time), what
    (`kind`, and for a notice whether it was an alert, a card's update or the reporter's
    status), who, the step, the reason, and a note's text."""
    view = record.view
    concern = view.concern
    sent_alerts = {e.notification_id for e in alerts(concern, view.chronology)}
    notes = {n.id: n.text for n in view.notes}

    def notice(entry: Entry) -> str:
        if entry.notification_id in sent_alerts:
            return "alert"
        return "reporter" if entry.person_id == concern.reporter_id else "update"

    return [
        {
            "at": when(e.at),
            "kind": e.kind.value,
            "notice": notice(e) if e.kind in (EntryKind.NOTIFIED, EntryKind.DELIVERED, EntryKind.UNDELIVERABLE) else "",
            "name": record.names.get(e.person_id, "someone") if e.person_id is not None else "",
            "step": e.rung or 0,
            "reason": e.reason or "",
            "note": (notes.get(e.note_id) or "") if e.note_id is not None else "",
            "updated": e.reason == UPDATED,
        }
        for e in view.chronology
    ]


def status_card(status: ConcernStatus, advice: str | None = None, social_care: bool = False) -> RenderedCard:
    alerts = [
        {"name": f"{a.name} (step {a.rung})", "state": DELIVERY.get(a.delivery, a.delivery)} for a in status.alerts
    ]
    escalations = [
        f"Escalated to step {e.rung} at {when(e.at)}"
        + (": no one could be reached in Teams" if e.reason in ("unreachable", "no_one_to_alert") else "")
        for e in status.escalations
    ]
    said = ADVICE.get(advice or "") if status.acknowledged_by is None else None
    return render_card(
        "safeguarding/status.json.j2",
        concern_id=status.concern_id,
        raised_at=when(status.raised_at),
        acknowledged_by=status.acknowledged_by_name,
        acknowledged_at=when(status.acknowledged_at),
        advice=(said + (SOCIAL_CARE if social_care else "")) if said else None,
        alerts=alerts,
        escalations=escalations,
    )


def open_concerns_card(concerns: list[Concern], schools: dict[int, str], now: datetime) -> RenderedCard:
    lines = [
        {
            "id": c.id,
            "line": f"{schools.get(c.school_id, 'a school')}, raised {when(c.raised_at)} "
            f"({int((now - c.raised_at).total_seconds() // 60)} min ago), step {c.rung}",
        }
        for c in concerns
    ]
    return render_card("safeguarding/open_concerns.json.j2", concerns=lines, open_verb=OPEN)
