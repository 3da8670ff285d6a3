"""The register's pure rules: marks that make sense, where a pupil is expected, the suggested
code for the school's register (domain.md §2.3, §2.5) and the absence flags (§2.4)."""

from __future__ import annotations

from datetime import date, time

import pytest

from domain.attendance.model import (
    AbsenceReason,
    Figure,
    Flag,
    GivenBy,
    Mark,
    MarkError,
    MarkKind,
    Setting,
    absence_flags,
    expected_setting,
    figure,
    suggested_code,
)

MONDAY = date(2026, 11, 2)


def test_a_mark_must_make_sense() -> None:
    with pytest.raises(MarkError, match="needs a time"):
        Mark(1, MarkKind.LATE)
    with pytest.raises(MarkError, match="only an absence has a reason"):
        Mark(1, MarkKind.PRESENT, reason=AbsenceReason.ILLNESS)
    with pytest.raises(MarkError, match="goes with a reason"):
        Mark(1, MarkKind.ABSENT, given_by=GivenBy.PARENT_PHONE)
    assert Mark(1, MarkKind.ABSENT).unexplained
    assert not Mark(1, MarkKind.ABSENT, reason=AbsenceReason.ILLNESS, given_by=GivenBy.PARENT_PHONE).unexplained


def test_where_a_pupil_is_expected_comes_from_the_weekly_pattern() -> None:
    pattern = {"mon": "centre", "tue": "ap", "wed": "school"}
    assert expected_setting(pattern, MONDAY) is Setting.CENTRE
    assert expected_setting(pattern, date(2026, 11, 3)) is Setting.AP
    assert expected_setting(pattern, date(2026, 11, 4)) is Setting.SCHOOL
    assert expected_setting(pattern, date(2026, 11, 5)) is None  # left out of the pattern
    assert expected_setting(pattern, date(2026, 11, 7)) is None  # Saturday


def test_suggested_code_for_the_schools_register() -> None:
    present, late = Mark(1, MarkKind.PRESENT), Mark(1, MarkKind.LATE, at=time(9, 20))
    assert suggested_code(present, Setting.CENTRE) == "B"
    assert suggested_code(late, Setting.AP, provider_registered=True) == "D"
    assert suggested_code(Mark(1, MarkKind.ABSENT), Setting.CENTRE) == "N"  # never B when absent
    assert suggested_code(Mark(1, MarkKind.ABSENT, reason=AbsenceReason.ILLNESS), Setting.AP) == "I"
    assert suggested_code(Mark(1, MarkKind.ABSENT, reason=AbsenceReason.MEDICAL), Setting.AP) == "M"
    assert suggested_code(present, Setting.SCHOOL) is None  # the school's own day
    assert suggested_code(None, None, part_time=True) == "C2"  # a part-time timetable's day off
    assert suggested_code(None, None) is None


@pytest.mark.parametrize(
    ("attended", "flags"),
    [
        (100, []),
        (93, []),
        (92, [Flag.AT_RISK]),
        (91, [Flag.AT_RISK]),
        (90, [Flag.PERSISTENT]),
        (51, [Flag.PERSISTENT]),
        (50, [Flag.SEVERE]),
        (0, [Flag.SEVERE]),
    ],
)
def test_persistent_and_severe_absence(attended: int, flags: list[Flag]) -> None:
    assert absence_flags(Figure(100, attended)) == flags


def test_figures_count_possible_sessions_only() -> None:
    marks = [
        (MONDAY, Mark(1, MarkKind.PRESENT)),
        (MONDAY, Mark(1, MarkKind.ABSENT)),
        (date(2026, 11, 3), Mark(1, MarkKind.NOT_EXPECTED)),
        (date(2026, 11, 3), Mark(1, MarkKind.LEFT_EARLY, at=time(13, 40))),
    ]
    assert figure(marks, MONDAY, date(2026, 11, 3)) == Figure(3, 2)
    assert figure(marks, date(2026, 11, 3), date(2026, 11, 3)).percent == 100.0
    assert Figure().percent is None and absence_flags(Figure()) == []
