"""The Inclusion Forum and the Core Group as the domain sees them: meetings (their kinds and UK
local times), bookings (the status enum and the one transitions table), how a case is shared,
the advice's next step, the agenda's readers, and the feature's timings. No I/O.

A booking's life (domain.md §1.6: "requested -> on agenda -> discussed -> closed"):

```
            ┌──────────── free slot ───────────┐
 book ──────┤                                  ▼
            └─ full ─▶ waiting ──slot freed─▶ offered ──accept──▶ booked ──advice──▶ discussed
                          │                    │ time passes          │ (move: booked again)
                          ▼                    ▼                      ▼
                      cancelled              lapsed               cancelled
```

Cancelling a booked or offered case frees its slot, which is offered to the first school on
the meeting's waiting list, who has `Timings.offer_hold` to accept before it passes on.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from domain.access import RecordKind, Target
from domain.scheduler.schedules import LONDON, london_instant


class MeetingKind(StrEnum):
    FORUM = "forum"  # the Inclusion Forum: schools bring cases for advice
    CORE_GROUP = "core_group"  # the panel deciding Referrals to the Partnership

    @property
    def label(self) -> str:
        return "Inclusion Forum" if self is MeetingKind.FORUM else "Core Group"


class MeetingStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class BookingStatus(StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"
    BOOKED = "booked"
    CANCELLED = "cancelled"
    LAPSED = "lapsed"
    DISCUSSED = "discussed"


B = BookingStatus
TRANSITIONS: dict[BookingStatus, frozenset[BookingStatus]] = {
    B.WAITING: frozenset({B.OFFERED, B.CANCELLED}),
    B.OFFERED: frozenset({B.BOOKED, B.LAPSED, B.CANCELLED}),
    B.BOOKED: frozenset({B.BOOKED, B.CANCELLED, B.DISCUSSED}),  # booked -> booked: moved
    B.CANCELLED: frozenset(),
    B.LAPSED: frozenset(),
    B.DISCUSSED: frozenset(),
}
HOLDS_A_SLOT = frozenset({B.OFFERED, B.BOOKED, B.DISCUSSED})
ACTIVE = frozenset({B.WAITING, B.OFFERED, B.BOOKED})


class Sharing(StrEnum):
    """Who may know who the pupil is (domain.md §1.1: named cases need the parents' consent to
    be discussed in a multi-agency forum; anonymous cases are allowed)."""

    NAMED = "named"  # consent covers every attendee, external services included
    PARTNERSHIP_ONLY = "partnership_only"  # named to the Partnership SENCO and Director only
    ANONYMOUS = "anonymous"


class Reader(StrEnum):
    """Who an agenda is for: identity depends on the case's sharing and on the reader."""

    PARTNERSHIP = "partnership"  # the Partnership SENCO and Director
    EXTERNAL = "external"  # EP, NHS Care Navigator, LCC teams; also the shared screen


class NextStep(StrEnum):
    REFERRAL_TO_PARTNERSHIP = "referral_to_partnership"
    REVIEW_AT_NEXT_FORUM = "review_at_next_forum"
    NO_FURTHER_ACTION = "no_further_action"


@dataclass(frozen=True)
class Timings:
    """The feature's timings; `Timings()` is the Partnership's default."""

    agenda_days_before: int = 3  # the agenda card goes to the Partnership this many days before
    agenda_at: time = time(8, 0)  # London time the agenda job runs
    reminder_at: time = time(9, 0)  # London time, the day before the meeting
    offer_hold: timedelta = timedelta(hours=48)  # a freed slot waits this long for its school
    deadline_days_before: int = 7  # the default booking deadline for a meeting made without one


DEFAULT_ATTENDEE_ROLES = ("partnership_senco", "partnership_director")
DEFAULT_SERVICES = (
    "LCC Educational Psychologist",
    "NHS Care Navigator",
    "LCC Inclusion Team",
)


class IllegalTransition(Exception):
    def __init__(self, from_status: BookingStatus, to_status: BookingStatus) -> None:
        super().__init__(f"a forum booking cannot go from {from_status.value} to {to_status.value}")
        self.reason = f"This booking is {from_status.value}, so it can't be changed that way now."


@dataclass(frozen=True)
class Meeting:
    id: int
    kind: MeetingKind
    status: MeetingStatus
    starts_at: datetime  # aware UTC
    ends_at: datetime
    booking_deadline: datetime
    teams_link: str
    slots: int
    slots_taken: int
    attendee_roles: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    agenda_sent_at: datetime | None = None

    @property
    def free_slots(self) -> int:
        return max(0, self.slots - self.slots_taken)

    @property
    def local_start(self) -> datetime:
        return self.starts_at.astimezone(LONDON)

    @property
    def local_end(self) -> datetime:
        return self.ends_at.astimezone(LONDON)

    @property
    def day(self) -> date:
        """The meeting's date in the UK."""
        return self.local_start.date()

    def open_for_booking(self, now: datetime) -> bool:
        return self.status is MeetingStatus.SCHEDULED and self.kind is MeetingKind.FORUM and now < self.booking_deadline


@dataclass(frozen=True)
class Booking:
    id: int
    meeting_id: int
    referral_id: int
    school_id: int
    booked_by: int
    status: BookingStatus
    sharing: Sharing
    created_at: datetime
    updated_at: datetime
    question: str | None = None
    offered_until: datetime | None = None

    @property
    def target(self) -> Target:
        return Target(RecordKind.FORUM_BOOKING, school_id=self.school_id, owner_person_id=self.booked_by)


@dataclass(frozen=True)
class AgendaCase:
    """One case as a reader may see it. `pupil_name` is None when anonymised for this reader."""

    booking_id: int
    referral_id: int
    school: str
    year_group: int | None
    need: str
    question: str
    sharing: Sharing
    pupil_name: str | None = None
    reference: str | None = None
    advice_recorded: bool = False  # the forum's advice on it is on record (the booking is discussed)


@dataclass(frozen=True)
class Agenda:
    meeting: Meeting
    reader: Reader
    cases: list[AgendaCase] = field(default_factory=list)


def can_move(from_status: BookingStatus, to_status: BookingStatus) -> bool:
    return to_status in TRANSITIONS[from_status]


def move(booking: Booking, to: BookingStatus, *, at: datetime) -> Booking:
    if not can_move(booking.status, to):
        raise IllegalTransition(booking.status, to)
    return replace(booking, status=to, updated_at=at)


def shows_name(sharing: Sharing, reader: Reader) -> bool:
    """Whether this reader may see who the pupil is."""
    if sharing is Sharing.ANONYMOUS:
        return False
    return reader is Reader.PARTNERSHIP or sharing is Sharing.NAMED


def uk_instant(day: date, at: time) -> datetime:
    """A UK wall-clock time on `day` as an aware UTC instant (GMT or BST as that day has it)."""
    return london_instant(day, at).astimezone(UTC)
