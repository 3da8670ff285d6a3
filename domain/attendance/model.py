"""The register as plain data (no I/O): sessions, marks, reasons and who gave them, actions
taken, where a pupil is expected on a day, the code suggested for the school's own register
(domain.md §2.3), and attendance figures with their flags (§2.4).

Everything here is a code word, never free text, so a mark can be stored, audited and sent in
a notice without carrying anything a person wrote about a child.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, time
from enum import StrEnum

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Session(StrEnum):
    AM = "am"
    PM = "pm"


class MarkKind(StrEnum):
    PRESENT = "present"
    LATE = "late"  # with the arrival time
    ABSENT = "absent"  # with the reason, if known, and who gave it
    LEFT_EARLY = "left_early"  # with the time they left
    NOT_EXPECTED = "not_expected"  # not due at the Centre or provider this session


ATTENDED = frozenset({MarkKind.PRESENT, MarkKind.LATE, MarkKind.LEFT_EARLY})
NEEDS_TIME = frozenset({MarkKind.LATE, MarkKind.LEFT_EARLY})


class Setting(StrEnum):
    """Where a pupil's timetable puts them on a weekday."""

    CENTRE = "centre"  # the LNCIP Centre
    AP = "ap"  # an alternative provider
    SCHOOL = "school"  # their home school, which keeps its own register


PARTNERSHIP_SETTINGS = frozenset({Setting.CENTRE, Setting.AP})


class AbsenceReason(StrEnum):
    """A known reason for an absence, and the national code it suggests (§2.2)."""

    ILLNESS = "illness"
    MEDICAL = "medical"  # medical or dental appointment
    RELIGIOUS = "religious"
    EXCLUDED = "excluded"  # suspended or excluded, no AP arranged
    TRANSPORT = "transport"  # transport normally provided not available
    HOLIDAY = "holiday"  # holiday not granted
    OTHER = "other"  # other or unknown circumstances

    @property
    def code(self) -> str:
        return REASON_CODES[self]


REASON_CODES: dict[AbsenceReason, str] = {
    AbsenceReason.ILLNESS: "I",
    AbsenceReason.MEDICAL: "M",
    AbsenceReason.RELIGIOUS: "R",
    AbsenceReason.EXCLUDED: "E",
    AbsenceReason.TRANSPORT: "Y1",
    AbsenceReason.HOLIDAY: "G",
    AbsenceReason.OTHER: "O",
}
REASON_NOT_ESTABLISHED = "N"  # unauthorised until the school learns why; must be resolved


class GivenBy(StrEnum):
    """Who gave the reason for an absence."""

    PARENT_PHONE = "parent_phone"
    PARENT_MESSAGE = "parent_message"
    PARENT_IN_PERSON = "parent_in_person"
    PUPIL = "pupil"
    SOCIAL_WORKER = "social_worker"
    SCHOOL = "school"
    PROVIDER = "provider"


class ActionTaken(StrEnum):
    """What the Partnership or provider has already done (§2.7 point 4)."""

    PARENT_PHONED = "parent_phoned"
    PARENT_MESSAGED = "parent_messaged"
    HOME_VISIT = "home_visit"
    SCHOOL_INFORMED = "school_informed"
    SOCIAL_WORKER_INFORMED = "social_worker_informed"
    YOUTH_JUSTICE_INFORMED = "youth_justice_informed"


class MarkError(ValueError):
    """A mark that does not make sense as given (a late mark with no time...)."""


@dataclass(frozen=True)
class Mark:
    """One pupil's mark for one session."""

    pupil_id: int
    kind: MarkKind
    at: time | None = None  # arrival (late) or leaving (left early)
    reason: AbsenceReason | None = None
    given_by: GivenBy | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", MarkKind(self.kind))
        if self.reason is not None:
            object.__setattr__(self, "reason", AbsenceReason(self.reason))
        if self.given_by is not None:
            object.__setattr__(self, "given_by", GivenBy(self.given_by))
        for problem in mark_problems(self):
            raise MarkError(problem)

    @property
    def attended(self) -> bool:
        return self.kind in ATTENDED

    @property
    def counted(self) -> bool:
        """A possible session: everything but not expected."""
        return self.kind is not MarkKind.NOT_EXPECTED

    @property
    def unexplained(self) -> bool:
        return self.kind is MarkKind.ABSENT and self.reason is None


def mark_problems(mark: Mark) -> list[str]:
    """What is wrong with a mark, in words for the person who sent it (no pupil data)."""
    problems: list[str] = []
    if mark.kind in NEEDS_TIME and mark.at is None:
        problems.append(f"a {mark.kind.value.replace('_', ' ')} mark needs a time")
    if mark.kind not in NEEDS_TIME and mark.at is not None:
        problems.append("only a late or left early mark has a time")
    if mark.kind is not MarkKind.ABSENT and mark.reason is not None:
        problems.append("only an absence has a reason")
    if mark.given_by is not None and mark.reason is None:
        problems.append("who gave the reason goes with a reason")
    return problems


def expected_setting(timetable: Mapping[str, str], day: date) -> Setting | None:
    """Where the pupil's weekly pattern puts them on `day`; None when nowhere (weekend, or a
    day left out of a part-time pattern)."""
    value = timetable.get(WEEKDAY_KEYS[day.weekday()], "")
    return Setting(value) if value in Setting.__members__.values() else None


def suggested_code(
    mark: Mark | None, setting: Setting | None, *, provider_registered: bool = False, part_time: bool = False
) -> str | None:
    """The code suggested for the home school's register (§2.3); the school decides.

    - at the Centre or a provider, attending: B (approved educational activity supervised by
      people the school authorised), or D where the provider is a registered school and the
      pupil is dual registered there;
    - absent from it: the absence's own code (N while the reason is not known), never B;
    - a day the pattern leaves out for a pupil on a part-time timetable: C2 (§2.5);
    - a school day, or nothing recorded: None (the school's own register decides).
    """
    if setting is None:
        return "C2" if part_time else None
    if setting is Setting.SCHOOL or mark is None or mark.kind is MarkKind.NOT_EXPECTED:
        return None
    if mark.attended:
        return "D" if provider_registered else "B"
    return mark.reason.code if mark.reason is not None else REASON_NOT_ESTABLISHED


PERSISTENT_ABSENCE = 10.0  # per cent of possible sessions missed (§2.4)
SEVERE_ABSENCE = 50.0
AT_RISK = 8.0  # the "at risk of PA" band many schools watch (attendance at or below 92%)


class Flag(StrEnum):
    UNEXPLAINED = "unexplained"  # please follow up today
    AT_RISK = "at_risk"
    PERSISTENT = "persistent_absence"
    SEVERE = "severe_absence"


@dataclass(frozen=True)
class Figure:
    """Attendance over a period, of the sessions the Partnership recorded."""

    possible: int = 0
    attended: int = 0

    @property
    def percent(self) -> float | None:
        return round(100.0 * self.attended / self.possible, 1) if self.possible else None

    @property
    def absence_percent(self) -> float | None:
        return None if self.possible == 0 else round(100.0 * (self.possible - self.attended) / self.possible, 1)


def figure(marks: Iterable[tuple[date, Mark]], start: date, end: date) -> Figure:
    """Possible and attended sessions from `start` to `end`, both included."""
    possible = attended = 0
    for day, mark in marks:
        if start <= day <= end and mark.counted:
            possible += 1
            attended += mark.attended
    return Figure(possible, attended)


def absence_flags(year: Figure) -> list[Flag]:
    """Persistent (10% or more missed) or severe (50% or more) over the year; at risk short of PA."""
    missed = year.absence_percent
    if missed is None:
        return []
    if missed >= SEVERE_ABSENCE:
        return [Flag.SEVERE]
    if missed >= PERSISTENT_ABSENCE:
        return [Flag.PERSISTENT]
    return [Flag.AT_RISK] if missed >= AT_RISK else []
