"""A safeguarding concern and its ladder, as plain data (no I/O).

The ladder (domain.md §3.3, "Recommended bot escalation ladder"); each rung waits for an
acknowledgement for its `wait`, then the next rung is reached:

    a concern about a pupil
      rung 1  the school's DSL(s) ───────── no acknowledgement in 10 min ──┐
      rung 2  every deputy DSL ──────────── no acknowledgement in 10 min ──┤
      rung 3  the headteacher and the Partnership Director;               <┘
              the reporter is told to phone the school and, where the child
              is at risk, to contact children's social care directly

    a concern about an adult in the school (never that adult's line)
      rung 1  the headteacher ───── 10 min ──> rung 2  the Partnership Director; reporter told
    a concern about the headteacher
      rung 1  the Partnership Director ── 10 min ──> rung 2  the reporter is told

A rung whose recipients cannot be reached in Teams (or that has none) counts as not
acknowledged at once: the next rung is reached straight away, and the chronology says why.

Status: raised -> acknowledged -> closed (TRANSITIONS). The chronology is append-only: every
notification, delivery, view, acknowledgement, note and escalation is one entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

DEFAULT_WAIT = timedelta(minutes=10)  # domain.md suggests 10 to 15 minutes in school hours


class Subject(StrEnum):
    """Who the concern is about."""

    PUPIL = "pupil"
    ADULT = "adult"  # an adult in the school: an allegation goes to the headteacher
    HEADTEACHER = "headteacher"  # ... and to the Partnership Director when it is the head


class Status(StrEnum):
    RAISED = "raised"
    ACKNOWLEDGED = "acknowledged"
    CLOSED = "closed"


TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.RAISED: frozenset({Status.ACKNOWLEDGED}),
    Status.ACKNOWLEDGED: frozenset({Status.CLOSED}),
    Status.CLOSED: frozenset(),
}


class IllegalTransition(ValueError):
    """A status change the lifecycle does not allow."""


def check_transition(current: Status, wanted: Status) -> Status:
    if wanted not in TRANSITIONS[current]:
        raise IllegalTransition(f"a concern cannot go from {current} to {wanted}")
    return wanted


class EntryKind(StrEnum):
    """The kinds of chronology entry."""

    RAISED = "raised"
    NOTIFIED = "notified"
    DELIVERED = "delivered"
    UNDELIVERABLE = "undeliverable"
    VIEWED = "viewed"
    ACKNOWLEDGED = "acknowledged"
    NOTE = "note"
    ESCALATED = "escalated"


class Reason(StrEnum):
    """Why the ladder moved on (a code word in the chronology and the audit log)."""

    NOT_ACKNOWLEDGED = "not_acknowledged"  # the rung's wait ran out
    UNREACHABLE = "unreachable"  # no recipient of the rung could be reached in Teams
    NO_ONE_TO_ALERT = "no_one_to_alert"  # the directory names nobody for the rung


class Post(StrEnum):
    """Whom a rung alerts, by their post."""

    DSL = "dsl"  # the school's DSL(s)
    DEPUTY_DSL = "deputy_dsl"  # every deputy DSL who is not also a DSL
    HEADTEACHER = "headteacher"
    DIRECTOR = "director"  # the Partnership Director


class Advice(StrEnum):
    """What the reporter is told when a rung is reached."""

    PHONE_SCHOOL = "phone_school"  # phone the school; social care directly if the child is at risk
    CONTACT_LADO = "contact_lado"  # an allegation: phone the headteacher or the Director; the LADO


@dataclass(frozen=True)
class Rung:
    number: int
    posts: frozenset[Post]
    wait: timedelta = DEFAULT_WAIT  # before the next rung, if there is one
    advice: Advice | None = None


@dataclass(frozen=True)
class Ladder:
    rungs: tuple[Rung, ...]

    def __post_init__(self) -> None:
        if [r.number for r in self.rungs] != list(range(1, len(self.rungs) + 1)):
            raise ValueError("a ladder's rungs are numbered 1, 2, 3 ...")

    def rung(self, number: int) -> Rung:
        return self.rungs[number - 1]

    def next_after(self, number: int) -> Rung | None:
        return self.rungs[number] if number < len(self.rungs) else None

    @property
    def last(self) -> int:
        return len(self.rungs)


@dataclass(frozen=True)
class Ladders:
    """One ladder per subject."""

    pupil: Ladder
    adult: Ladder
    headteacher: Ladder

    def for_subject(self, subject: Subject) -> Ladder:
        return {Subject.PUPIL: self.pupil, Subject.ADULT: self.adult, Subject.HEADTEACHER: self.headteacher}[subject]


def ladders(wait: timedelta = DEFAULT_WAIT, *, deputy_wait: timedelta | None = None) -> Ladders:
    """The ladders of domain.md §3.3 with the given waits (`deputy_wait`: rung 2's, default `wait`)."""
    if wait <= timedelta(0):
        raise ValueError("a rung waits for some time before the next")
    return Ladders(
        pupil=Ladder(
            (
                Rung(1, frozenset({Post.DSL}), wait),
                Rung(2, frozenset({Post.DEPUTY_DSL}), deputy_wait or wait),
                Rung(3, frozenset({Post.HEADTEACHER, Post.DIRECTOR}), advice=Advice.PHONE_SCHOOL),
            )
        ),
        adult=Ladder(
            (
                Rung(1, frozenset({Post.HEADTEACHER}), wait),
                Rung(2, frozenset({Post.DIRECTOR}), advice=Advice.CONTACT_LADO),
            )
        ),
        headteacher=Ladder(
            (
                Rung(1, frozenset({Post.DIRECTOR}), wait),
                Rung(2, frozenset(), advice=Advice.CONTACT_LADO),
            )
        ),
    )


LADDERS = ladders()


@dataclass(frozen=True)
class ConcernReport:
    """What the reporter tells: who it is about, what was seen or said (the child's own words
    where given), what was done already, and the immediate-danger answers."""

    subject: Subject
    account: str  # what was seen or said; special-category data
    pupil_id: int | None = None  # required for a concern about a pupil
    school_id: int | None = None  # required for a concern about an adult; else the pupil's school
    actions_taken: str = ""
    immediate_danger: bool = False
    called_999: bool = False
    child_at_risk: bool = False  # the reporter judges the child at risk of harm
    happened_at: datetime | None = None
    location: str = ""

    def problems(self) -> list[str]:
        found: list[str] = []
        if not self.account.strip():
            found.append("Say what was seen or said.")
        if self.subject is Subject.PUPIL and self.pupil_id is None:
            found.append("Say which pupil this is about.")
        if self.subject is not Subject.PUPIL and self.school_id is None:
            found.append("Say which school the adult works at.")
        return found

    @property
    def at_risk(self) -> bool:
        return self.child_at_risk or self.immediate_danger


@dataclass(frozen=True)
class Concern:
    """A stored concern. `account`, `actions_taken` and `location` are None once the pupil is erased."""

    id: int
    subject: Subject
    school_id: int
    pupil_id: int | None
    reporter_id: int
    raised_at: datetime
    status: Status
    rung: int  # the highest rung reached
    immediate_danger: bool
    called_999: bool
    child_at_risk: bool
    account: str | None
    actions_taken: str | None
    location: str | None
    happened_at: datetime | None
    acknowledged_by: int | None
    acknowledged_at: datetime | None

    @property
    def at_risk(self) -> bool:
        return self.child_at_risk or self.immediate_danger


@dataclass(frozen=True)
class Entry:
    """One chronology entry: `person_id` is who acted, or whom a notice went to."""

    id: int
    concern_id: int
    at: datetime
    kind: EntryKind
    person_id: int | None
    rung: int | None
    notification_id: int | None
    note_id: int | None
    reason: str | None


@dataclass(frozen=True)
class Note:
    id: int
    concern_id: int
    author_id: int
    at: datetime
    text: str | None  # None once the pupil is erased


def rung_key(concern_id: int, rung: int) -> str:
    """The scheduler's key for reaching `rung` (stored once)."""
    return f"concern:{concern_id}:rung:{rung}"


def alert_key(concern_id: int, person_id: int, rung: int) -> str:
    """The outbox key of a rung's alert to one person (stored once per recipient)."""
    return f"concern:{concern_id}:{person_id}:{rung}"
