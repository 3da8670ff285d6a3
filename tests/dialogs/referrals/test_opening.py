"""The first sentence's facts, and the steps worked out from a draft (no I/O)."""

from __future__ import annotations

from dialogs.referrals.form import SUMMARY, Draft, group_asked, next_step
from dialogs.referrals.opening import read_opening
from domain.referrals.model import ReferralKind
from domain.referrals.validators import Group


def test_the_first_sentence_fills_name_year_attendance_and_suspensions() -> None:
    opening = read_opening("refer Jack Smith in year 9, attendance 62%, 3 suspensions this year")
    assert opening.name == "Jack Smith" and opening.kind is None
    assert opening.values == {"year_group": "9", "attendance_percent": "62", "suspensions_count": "3"}
    assert read_opening("a year 9").name is None and read_opening("a year 9").values == {"year_group": "9"}
    assert read_opening("refer a forum case").kind is ReferralKind.FORUM_CASE


def test_steps_ask_only_what_is_missing() -> None:
    named = Draft(ReferralKind.PARTNERSHIP_REFERRAL, False, {})
    assert next_step(named) == "pupil"
    from_roll = Draft(ReferralKind.PARTNERSHIP_REFERRAL, False, {"pupil_id": 1, "year_group": 9})
    assert next_step(from_roll) == "ask:gender"  # name, date of birth and UPN come from the roll
    anonymous = Draft(ReferralKind.FORUM_CASE, True, {})
    assert next_step(anonymous) == "card:pupil"
    assert next_step(Draft(ReferralKind.FORUM_CASE, True, {"year_group": 9})) == "ask:looked_after"
    assert SUMMARY == "summary"


def test_change_names_a_group() -> None:
    assert group_asked("change the attendance") is Group.ATTENDANCE_EXCLUSIONS
    assert group_asked("edit needs") is Group.NEEDS
    assert group_asked("what does AWPU mean?") is None
