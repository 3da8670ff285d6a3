"""The Partnership's referral cards, built from `templates/partnership_*.json.j2`: a case (what
it is, where it stands, its details as the policy allows, and a form or a button for each next
step the person may take), the queue, capacity, and the cards the referral notices become.

Buttons carry a verb and ids only (`bot/card_actions.py`); free text from the form is escaped
for markdown (`bot.texts.md`) before it goes on a card.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot.cards import RenderedCard, render_card
from bot.texts import md, text
from domain.access import Action
from domain.referrals.fields import FIELDS
from domain.referrals.model import OPEN_STATES, Outcome, PlaceState, Referral, ReferralKind, ReferralStatus
from domain.referrals.queries import KeyStageCapacity, Queue
from domain.requester import Requester

S = ReferralStatus
CASE = "referrals/partnership_case.json.j2"
MAX_QUEUE_LINES = 20  # a card stays well under Teams' size limit; "and N more" says the rest
MAX_SHOWN = 300  # characters of one detail on a card; "Open" in full is the record, not the card

OPEN, RECEIVE, ASK, LIST, DECIDE, WITHDRAW, TASK_DONE, ANSWER = (
    "referrals.open",
    "referrals.receive",
    "referrals.ask",
    "referrals.list",
    "referrals.decide",
    "referrals.withdraw",
    "referrals.task_done",
    "referrals.answer",
)
ALLOW_EXCEPTION, SEND = "referrals.allow_exception", "referrals.send"
END_PLACE = "referrals.end_place"  # a programme placement ends (or the pupil comes off the waiting list)
MAX_REASON = 500  # as the domain keeps an exception's reason


@dataclass(frozen=True)
class Button:
    title: str
    verb: str
    id: int


@dataclass(frozen=True)
class Form:
    """A next step that needs input: `kind` picks the template's inputs (ask, list, decide, answer)."""

    kind: str
    title: str
    verb: str
    id: int


@dataclass(frozen=True)
class CaseView:
    """What a case card shows, already cut to what the viewer may see."""

    referral: Referral
    school: str
    pupil: str | None = None  # None: not shown (anonymous, or not for this viewer)
    details: bool = False
    lines: Sequence[str] = ()
    quotes: Sequence[str] = ()
    extra_forms: Sequence[Form] = field(default_factory=tuple)
    place: PlaceState | None = None  # a programme place held, or waited for
    core_group_days: Sequence[date] = ()  # the Core Group meetings on record, to list it for


def outcome_label(outcome: Outcome | str) -> str:
    return text("partnership_outcome", outcome=str(outcome))


def kind_label(referral: Referral) -> str:
    return text("partnership_kind", kind=referral.kind.value)


def reference(referral: Referral) -> str:
    return referral.reference or f"Draft {referral.id}"


def _shown(value: Any) -> str | None:
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        items = [str(v.get("what", "")) if isinstance(v, Mapping) else str(v) for v in value]
        return md("; ".join(i for i in items if i)[:MAX_SHOWN])
    return md(str(value).replace("_", " ")[:MAX_SHOWN])


def facts(view: CaseView) -> list[dict[str, str]]:
    referral = view.referral
    shown = [
        {"title": "School", "value": md(view.school)},
        {"title": "Status", "value": referral.status.label},
    ]
    if referral.anonymous:
        shown.append({"title": "Pupil", "value": text("partnership_anonymous")})
    elif view.pupil:
        shown.append({"title": "Pupil", "value": md(view.pupil)})
    if referral.year_group:
        shown.append({"title": "Year group", "value": str(referral.year_group)})
    if referral.submitted_at:
        shown.append({"title": "Sent", "value": referral.submitted_at.strftime("%d %b %Y")})
    if referral.core_group_on and referral.status is S.LISTED_FOR_CORE_GROUP:
        shown.append({"title": "Core Group", "value": referral.core_group_on.strftime("%d %b %Y")})
    if referral.outcome:
        shown.append({"title": "Decision", "value": outcome_label(referral.outcome)})
    return shown


def details(referral: Referral) -> list[dict[str, str]]:
    values = referral.values
    shown = []
    for spec in FIELDS:
        if spec.name in ("pupil_id", "year_group"):
            continue
        value = _shown(values.get(spec.name))
        if value is not None:
            shown.append({"title": spec.label, "value": value})
    return shown


def next_steps(
    referral: Referral, requester: Requester, place: PlaceState | None = None
) -> tuple[list[Form], list[Button]]:
    """The forms and buttons for what this person may do next with the referral."""
    target, rid = referral.target, referral.id
    may_progress = requester.decide(Action.PROGRESS_REFERRAL, target).allowed
    forms: list[Form] = []
    buttons: list[Button] = []
    if may_progress and referral.status is S.SUBMITTED:
        buttons.append(Button("Mark as received", RECEIVE, rid))
    if referral.status is S.LISTED_FOR_CORE_GROUP and requester.decide(Action.DECIDE_REFERRAL, target).allowed:
        forms.append(Form("decide", "Record the decision", DECIDE, rid))
    if may_progress and referral.status in (S.RECEIVED, S.INFORMATION_GIVEN, S.LISTED_FOR_CORE_GROUP):
        forms.append(Form("ask", "Ask the school", ASK, rid))
        forms.append(Form("list", "List for the Core Group", LIST, rid))
    if held_back(referral) and requester.decide(Action.ALLOW_REFERRAL_EXCEPTION, target).allowed:
        forms.append(Form("exception", text("partnership_allow_exception"), ALLOW_EXCEPTION, rid))
    if referral.status in OPEN_STATES and requester.decide(Action.WITHDRAW_REFERRAL, target).allowed:
        buttons.append(Button("Withdraw", WITHDRAW, rid))
    if place is not None and requester.decide(Action.DECIDE_REFERRAL, target).allowed:
        buttons.append(Button(text(f"partnership_end_{place.value}"), END_PLACE, rid))
    return forms, buttons


def held_back(referral: Referral) -> bool:
    """A Referral to the Partnership not sent yet and not let past "forum first": one the
    Partnership may allow without a forum discussion (the domain says whether one is on record)."""
    return (
        referral.kind is ReferralKind.PARTNERSHIP_REFERRAL
        and referral.status is S.DRAFT
        and not referral.forum_exception
    )


def case_card(view: CaseView, requester: Requester) -> RenderedCard:
    referral = view.referral
    forms, buttons = next_steps(referral, requester, view.place)
    return render_card(
        CASE,
        title=text("partnership_case_title", reference=reference(referral), kind=kind_label(referral)),
        lines=list(view.lines),
        quotes=[md(q) for q in view.quotes],
        facts=facts(view),
        details=details(referral) if view.details else [],
        forms=[*view.extra_forms, *forms],
        buttons=buttons,
        outcomes=[{"title": outcome_label(o), "value": o.value} for o in Outcome],
        core_group_days=[{"title": f"{d:%A} {d.day} {d:%B %Y}", "value": d.isoformat()} for d in view.core_group_days],
    )


def notice_card(
    title: str,
    view: CaseView | None,
    *,
    lines: Sequence[str] = (),
    forms: Sequence[Form] = (),
    buttons: Sequence[Button] = (),
) -> RenderedCard:
    """A notice: what happened (`title`, `lines`, quoted text), the case's facts, and an answer
    form or buttons; never the referral's details (those are behind "Open"). Without a `view`
    (the recipient may no longer see the referral) only the title and `lines`."""
    return render_card(
        CASE,
        title=title,
        lines=[*lines, *(view.lines if view else ())],
        quotes=[md(q) for q in view.quotes] if view else [],
        facts=facts(view) if view else [],
        details=[],
        forms=list(forms),
        buttons=[*buttons, Button("Open", OPEN, view.referral.id)] if view else [],
        outcomes=[],
        core_group_days=[],
    )


def age(since: datetime, now: datetime) -> str:
    return text("partnership_age", days=max(0, (now - since).days))


def queue_card(queue: Queue, schools: Mapping[int, str], now: datetime, requester: Requester) -> RenderedCard:
    lines = []
    previous: S | None = None
    for line in queue.referrals[:MAX_QUEUE_LINES]:
        heading, previous = (line.status.label if line.status is not previous else None), line.status
        buttons = [{"title": "Open", "verb": OPEN, "id": line.id}]
        if line.status is S.SUBMITTED:
            buttons.insert(0, {"title": "Mark as received", "verb": RECEIVE, "id": line.id})
        label = text(
            "partnership_queue_line",
            reference=line.reference or f"Draft {line.id}",
            school=schools.get(line.school_id, "a school"),
            year_group=line.year_group,
            status=line.status.label,
            age=age(line.status_since, now),
        )
        lines.append({"heading": heading, "text": label, "buttons": buttons})
    may_follow_up = requester.decide(Action.FOLLOW_UP_REFERRAL).allowed
    tasks = []
    for task in queue.tasks[:MAX_QUEUE_LINES]:
        buttons = [{"title": "Open", "verb": OPEN, "id": task.referral_id}]
        if may_follow_up:
            buttons.insert(0, {"title": "Done", "verb": TASK_DONE, "id": task.id})
        school = schools.get(task.school_id or 0, "a school")
        ref = task.reference or f"referral {task.referral_id}"
        label = text("partnership_task_line", reference=ref, school=school, age=age(task.created_at, now))
        tasks.append({"text": label, "buttons": buttons})
    hidden = max(0, len(queue.referrals) - MAX_QUEUE_LINES)
    return render_card(
        "referrals/partnership_queue.json.j2",
        title=text("partnership_queue_title"),
        empty=None if queue.referrals or queue.tasks else text("partnership_queue_empty"),
        lines=lines,
        more=text("partnership_queue_more", count=hidden) if hidden else None,
        tasks=tasks,
        tasks_title=text("partnership_tasks_title"),
    )


def capacity_card(stages: Sequence[KeyStageCapacity]) -> RenderedCard:
    return render_card(
        "referrals/partnership_capacity.json.j2",
        title=text("partnership_capacity_title"),
        lines=[
            text(
                "partnership_capacity_line",
                key_stage=s.key_stage,
                used=s.used,
                places=s.places,
                free=s.free,
                waiting=s.waiting,
            )
            for s in stages
        ],
    )
