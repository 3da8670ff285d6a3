"""What the referral workflow tells people, as notices (ids and facts; the feature's renderer
loads the referral when it sends the card, so no pupil name is ever stored in the outbox).
A named referral's notices carry its `pupil_id`, so erasing the pupil cancels those not sent.

- `referrals.submitted`: to the referrer, the confirmation with the reference.
- `referrals.new`: to each Partnership SENCO, a new referral to receive ("Open").
- `referrals.status_changed`: to the referrer and the school's SENCO (and, for an answer, to
  whoever asked); `question_id` names the question when one was asked or answered.
- `referrals.held_back`: to each Partnership SENCO and Director, a Referral to the Partnership
  that only "Inclusion Forum first" holds back (once per referral): they may allow an exception.
- `referrals.exception_allowed`: to the referrer, the forum-first rule was waived.
- `referrals.decided`: to the referrer and the school's SENCO, the outcome and, for a programme,
  whether a place was taken or the pupil is on the waiting list.
- `referrals.task`: to each Coordinator, a follow-up to do.
- `referrals.place_given`: to the referrer and the school's SENCO, a pupil on the waiting list
  has been given the programme place another pupil's placement freed.

Each person's copy also names them (`to_person_id`, added by `service.tell`), so a renderer can
ask the policy what that recipient may see.
"""

from __future__ import annotations

from datetime import date

from domain.notices import JsonValue, Notice
from domain.referrals.model import Outcome, PlaceState, Referral, ReferralStatus, TaskKind

SUBMITTED = "referrals.submitted"
NEW = "referrals.new"
STATUS_CHANGED = "referrals.status_changed"
EXCEPTION_ALLOWED = "referrals.exception_allowed"
HELD_BACK = "referrals.held_back"
DECIDED = "referrals.decided"
TASK = "referrals.task"
PLACE_GIVEN = "referrals.place_given"
KINDS = (SUBMITTED, NEW, STATUS_CHANGED, EXCEPTION_ALLOWED, HELD_BACK, DECIDED, TASK, PLACE_GIVEN)


def _facts(referral: Referral) -> dict[str, JsonValue]:
    facts: dict[str, JsonValue] = {
        "referral_id": referral.id,
        "reference": referral.reference,
        "kind": referral.kind.value,
    }
    if referral.pupil_id is not None:
        facts["pupil_id"] = referral.pupil_id
    return facts


def submitted(referral: Referral) -> Notice:
    return Notice(SUBMITTED, _facts(referral), key=f"{SUBMITTED}:{referral.id}")


def new_referral(referral: Referral) -> Notice:
    return Notice(NEW, _facts(referral), key=f"{NEW}:{referral.id}")


def status_changed(
    referral: Referral,
    from_status: ReferralStatus,
    change_id: int,
    *,
    core_group_on: date | None = None,
    question_id: int | None = None,
) -> Notice:
    payload = {
        **_facts(referral),
        "from_status": from_status.value,
        "to_status": referral.status.value,
        "core_group_on": core_group_on.isoformat() if core_group_on else None,
        "question_id": question_id,
    }
    return Notice(STATUS_CHANGED, payload, key=f"{STATUS_CHANGED}:{referral.id}:{change_id}")


def exception_allowed(referral: Referral, exception_id: int) -> Notice:
    return Notice(
        EXCEPTION_ALLOWED, {**_facts(referral), "rule": "forum_first"}, key=f"{EXCEPTION_ALLOWED}:{exception_id}"
    )


def held_back(referral: Referral) -> Notice:
    return Notice(HELD_BACK, {**_facts(referral), "rule": "forum_first"}, key=f"{HELD_BACK}:{referral.id}")


def decided(referral: Referral, outcome: Outcome, place: PlaceState | None) -> Notice:
    payload = {**_facts(referral), "outcome": outcome.value, "place": place.value if place else None}
    return Notice(DECIDED, payload, key=f"{DECIDED}:{referral.id}")


def task_created(referral: Referral, task_id: int, kind: TaskKind) -> Notice:
    return Notice(TASK, {**_facts(referral), "task_id": task_id, "task": kind.value}, key=f"{TASK}:{task_id}")


def place_given(referral: Referral, place_id: int, key_stage: int) -> Notice:
    return Notice(PLACE_GIVEN, {**_facts(referral), "key_stage": key_stage}, key=f"{PLACE_GIVEN}:{place_id}")
