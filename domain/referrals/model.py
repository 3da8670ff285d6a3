"""The referral as the domain sees it: its kind, its status and the one transitions table, the
support a school may ask for, the Core Group's outcomes, key stages and places. No I/O.

A referral's life (the offer: "The Partnership SENCO will receive the referral and discuss it
with the Director. You will be asked to present the case at a Core Group Meeting. The decision
... will be followed up by the Coordinator"):

```
draft ──submit──▶ submitted ──▶ received ──▶ information_requested ◀──▶ information_given
                                    │                  ▲                       │
                                    └──────────────────┼───────────────────────┘
                                                       ▼
                                            listed_for_core_group (a date; may be re-listed)
                                                       │
                                                       ▼
                                                    decided ──▶ closed
withdrawn: from any open state (submitted .. listed_for_core_group)
```

A draft is not withdrawn but discarded (deleted): it was never sent to anyone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from domain.access import RecordKind, Target


class ReferralKind(StrEnum):
    FORUM_CASE = "forum_case"  # a case for the Inclusion Forum; may be anonymous
    PARTNERSHIP_REFERRAL = "partnership_referral"  # a Referral to the Partnership; always named


class ReferralStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RECEIVED = "received"
    INFORMATION_REQUESTED = "information_requested"
    INFORMATION_GIVEN = "information_given"
    LISTED_FOR_CORE_GROUP = "listed_for_core_group"
    DECIDED = "decided"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


S = ReferralStatus
# The open states in the order a referral goes through them (the queue's order).
QUEUE_ORDER: tuple[ReferralStatus, ...] = (
    S.SUBMITTED,
    S.RECEIVED,
    S.INFORMATION_REQUESTED,
    S.INFORMATION_GIVEN,
    S.LISTED_FOR_CORE_GROUP,
)
OPEN_STATES = frozenset(QUEUE_ORDER)

# The one lifecycle: where each status may go next. Withdrawn is added for every open state below.
_FORWARD: dict[ReferralStatus, frozenset[ReferralStatus]] = {
    S.DRAFT: frozenset({S.SUBMITTED}),
    S.SUBMITTED: frozenset({S.RECEIVED}),
    S.RECEIVED: frozenset({S.INFORMATION_REQUESTED, S.LISTED_FOR_CORE_GROUP}),
    S.INFORMATION_REQUESTED: frozenset({S.INFORMATION_GIVEN}),
    S.INFORMATION_GIVEN: frozenset({S.INFORMATION_REQUESTED, S.LISTED_FOR_CORE_GROUP}),
    # Re-listing moves the case to another Core Group date.
    S.LISTED_FOR_CORE_GROUP: frozenset({S.INFORMATION_REQUESTED, S.LISTED_FOR_CORE_GROUP, S.DECIDED}),
    S.DECIDED: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
    S.WITHDRAWN: frozenset(),
}
TRANSITIONS: dict[ReferralStatus, frozenset[ReferralStatus]] = {
    status: nexts | ({S.WITHDRAWN} if status in OPEN_STATES else frozenset()) for status, nexts in _FORWARD.items()
}


class Support(StrEnum):
    """What a Referral to the Partnership asks for (domain.md §1.4, A1)."""

    IN_SCHOOL_SUPPORT = "in_school_support"
    ENGAGEMENT_OFFICER = "engagement_officer"
    KS3_OUT_OF_SCHOOL = "ks3_out_of_school"
    KS4_OUT_OF_SCHOOL = "ks4_out_of_school"
    MANAGED_MOVE = "managed_move"
    FRESH_START = "fresh_start"


PROGRAMME_SUPPORT = frozenset({Support.KS3_OUT_OF_SCHOOL, Support.KS4_OUT_OF_SCHOOL})


class Outcome(StrEnum):
    """The Core Group's decision, as the offer names the outcomes."""

    BACK_TO_FORUM = "back_to_forum"
    SCHOOL_CONTINUES_WITH_ADVICE = "school_continues_with_advice"
    IN_SCHOOL_SUPPORT = "in_school_support"
    PART_TIME_PROGRAMME = "part_time_programme"
    FULL_TIME_PROGRAMME = "full_time_programme"
    MANAGED_MOVE = "managed_move"
    FRESH_START = "fresh_start"

    @property
    def takes_a_place(self) -> bool:
        return self in (Outcome.PART_TIME_PROGRAMME, Outcome.FULL_TIME_PROGRAMME)


# The offer: "How many places does the Partnership aim to offer?" KS3: 9, KS4: 26.
PLACES: dict[int, int] = {3: 9, 4: 26}


class PlaceState(StrEnum):
    PLACED = "placed"
    WAITING = "waiting"


class TaskKind(StrEnum):
    CONTACT_PARENTS = "contact_parents"  # the Coordinator follows up the decision


def key_stage(year_group: int) -> int:
    """Years 7 to 9 are KS3, 10 and 11 KS4 (the offer's two out-of-school programmes)."""
    if not 7 <= year_group <= 11:
        raise ValueError("year group is 7 to 11")
    return 3 if year_group <= 9 else 4


def academic_year_end(on: date) -> date:
    """31 August that ends the academic year `on` falls in."""
    return date(on.year + 1 if on.month >= 9 else on.year, 8, 31)


class IllegalTransition(Exception):
    """A status change the lifecycle does not allow."""

    def __init__(self, from_status: ReferralStatus, to_status: ReferralStatus) -> None:
        super().__init__(f"a referral cannot go from {from_status.value} to {to_status.value}")
        self.from_status = from_status
        self.to_status = to_status
        # Shown to a person: plain words, no ids.
        self.reason = f"This referral is {from_status.label.lower()}, so it can't be {_VERBS[to_status]} now."


_VERBS: dict[ReferralStatus, str] = {
    S.DRAFT: "made a draft again",
    S.SUBMITTED: "submitted",
    S.RECEIVED: "marked as received",
    S.INFORMATION_REQUESTED: "sent a question",
    S.INFORMATION_GIVEN: "answered",
    S.LISTED_FOR_CORE_GROUP: "listed for the Core Group",
    S.DECIDED: "decided",
    S.CLOSED: "closed",
    S.WITHDRAWN: "withdrawn",
}


@dataclass(frozen=True)
class Referral:
    """One referral. `details` and `special_details` are the form's clean values (special
    category data apart, so a view can leave it out and erasure empties both)."""

    id: int
    kind: ReferralKind
    status: ReferralStatus
    school_id: int
    referrer_id: int
    created_at: datetime
    updated_at: datetime
    anonymous: bool = False
    pupil_id: int | None = None
    year_group: int | None = None
    reference: str | None = None
    submitted_at: datetime | None = None
    core_group_on: date | None = None
    outcome: Outcome | None = None
    forum_exception: bool = False
    details: Mapping[str, Any] = field(default_factory=dict)
    special_details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATES

    @property
    def key_stage(self) -> int | None:
        return key_stage(self.year_group) if self.year_group is not None else None

    @property
    def values(self) -> dict[str, Any]:
        """Every field's clean value, special category included."""
        return {**self.details, **self.special_details}

    @property
    def target(self) -> Target:
        """This referral as `domain.access` sees it."""
        return Target(RecordKind.REFERRAL, school_id=self.school_id, owner_person_id=self.referrer_id)


def can_move(from_status: ReferralStatus, to_status: ReferralStatus) -> bool:
    return to_status in TRANSITIONS[from_status]


def move(referral: Referral, to: ReferralStatus, *, at: datetime) -> Referral:
    """The referral in its new status; raises `IllegalTransition` when the table says no."""
    if not can_move(referral.status, to):
        raise IllegalTransition(referral.status, to)
    return replace(referral, status=to, updated_at=at)
