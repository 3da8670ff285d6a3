"""Each field's validator with good and bad values, and the form table's rules."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from domain.referrals.fields import (
    ANONYMOUS_REFUSAL,
    BY_NAME,
    FIELDS,
    IDENTIFYING,
    SPECIAL,
    check,
    check_fields,
    missing_fields,
)
from domain.referrals.model import ReferralKind
from domain.referrals.validators import FOR_FIELD, Context, Group, Problem
from tests.domain.referrals.conftest import JACK_UPN

TODAY = date(2026, 1, 5)
IF, RP = ReferralKind.FORUM_CASE, ReferralKind.PARTNERSHIP_REFERRAL


def clean(name: str, value: Any, **known: Any) -> Any:
    return check(name, value, Context(TODAY, known))


def problem(name: str, value: Any, **known: Any) -> str:
    result = clean(name, value, **known)
    assert isinstance(result, Problem), result
    return result.text


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("upn", JACK_UPN.lower() + " ", JACK_UPN),
        ("year_group", "Year 9", 9),
        ("year_group", "y10", 10),
        ("year_group", 11, 11),
        ("attendance_percent", "62%", 62.0),
        ("attendance_percent", 0, 0.0),
        ("attendance_percent", "100", 100.0),
        ("suspensions_count", "3", 3),
        ("suspension_days", "4.5", 4.5),
        ("first_name", "  Mary-Jane  O'Neil ", "Mary-Jane O'Neil"),
        ("first_name", "Zoë", "Zoë"),
        ("date_of_birth", "01/02/2012", "2012-02-01"),
        ("consent_date", "2026-01-05", "2026-01-05"),
        ("po_end", "31/08/2026", "2026-08-31"),
        ("pupil_premium", "Yes", True),
        ("looked_after", False, False),
        ("child_in_need", "not known", "unknown"),
        ("sen_status", "SEN support", "sen_support"),
        ("po_number", " po-2026/0042 ", "PO-2026/0042"),
        ("funding_lines", "PP, awpu", ["awpu", "pp"]),
        ("reason", "  Needs help 🙂 \x07 ", "Needs help 🙂"),
        ("pupil_id", 42, 42),
    ],
)
def test_good_values_come_back_clean(name: str, raw: Any, expected: Any) -> None:
    assert clean(name, raw, year_group=9) == expected


@pytest.mark.parametrize(
    ("name", "raw", "says"),
    [
        ("upn", JACK_UPN[1:] + JACK_UPN[0], "13 characters"),
        ("upn", ("B" if JACK_UPN[0] != "B" else "C") + JACK_UPN[1:], "check letter"),
        ("upn", "😀", "13 characters"),
        ("attendance_percent", "140%", "Attendance this year is a percentage from 0 to 100."),
        ("attendance_percent", -1, "percentage from 0 to 100"),
        ("attendance_percent", "😀", "percentage from 0 to 100"),
        ("attendance_percent", True, "percentage from 0 to 100"),
        ("suspensions_count", 2.5, "whole number"),
        ("suspensions_count", 500, "whole number from 0 to 100"),
        ("suspension_days", 46, "at most 45"),
        ("suspension_days", 1.3, "whole or half days"),
        ("year_group", 6, "7 to 11"),
        ("year_group", "Year 12", "7 to 11"),
        ("first_name", "😀", "letters, spaces, hyphens and apostrophes"),
        ("first_name", "R2D2", "letters"),
        ("date_of_birth", "2027-01-01", "can't be in the future"),
        ("consent_date", "06/01/2026", "can't be in the future"),
        ("date_of_birth", "yesterday", "is a date, like"),
        ("date_of_birth", "2005-01-01", "doesn't fit year 9"),
        ("reason", "x" * 5_000, "under 2,000 characters (it has 5,000)"),
        ("reason", "   ", "is needed"),
        ("reason", 12, "written text"),
        ("consent_given_by", "y" * 300, "under 200 characters"),
        ("pupil_premium", "maybe", "yes or no"),
        ("sen_status", "lots", "choose one of the options"),
        ("po_number", "PO", "4 to 20"),
        ("po_number", "ABCDEFG", "like PO-12345"),
        ("funding_lines", "awpu, gold", "AWPU, PP and EHCP"),
        ("funding_lines", [], "AWPU, PP and EHCP"),
        ("pupil_id", "42", "choose the pupil"),
        ("interventions", [], "at least one intervention"),
        ("interventions", "mentoring", "at least one intervention"),
    ],
)
def test_bad_values_get_a_plain_reason(name: str, raw: Any, says: str) -> None:
    assert says in problem(name, raw, year_group=9)


def test_a_date_of_birth_fits_its_year_group() -> None:
    assert clean("date_of_birth", "2011-09-01", year_group=9) == "2011-09-01"
    assert clean("date_of_birth", "2010-09-01", year_group=9) == "2010-09-01"  # a year either side is plausible
    assert "born between 1 September 2011 and 31 August 2012" in problem("date_of_birth", "2009-06-01", year_group=9)
    assert "secondary pupil" in problem("date_of_birth", "2020-01-01")  # year group not known yet


def test_funding_lines_match_the_pupils_status() -> None:
    assert "no EHCP" in problem("funding_lines", ["awpu", "ehcp"], sen_status="sen_support")
    assert clean("funding_lines", ["awpu", "ehcp"], sen_status="ehcp") == ["awpu", "ehcp"]
    assert "pupil premium" in problem("funding_lines", ["awpu", "pp"], pupil_premium=False)


def test_the_purchase_order_ends_after_it_starts() -> None:
    assert "ends before it starts" in problem("po_end", "2026-01-01", po_start="2026-02-01")
    assert clean("po_end", "2030-08-31", po_start="2026-02-01") == "2030-08-31"  # an end date is in the future


def test_interventions_each_with_dates_review_and_impact() -> None:
    good = {
        "what": "Mentoring",
        "started_on": "15/09/2025",
        "ended_on": "2025-12-12",
        "review": "Done",
        "impact": "Some",
    }
    assert clean("interventions", [good]) == [
        {"what": "Mentoring", "started_on": "2025-09-15", "ended_on": "2025-12-12", "review": "Done", "impact": "Some"}
    ]
    ongoing = {"what": "Mentoring", "started_on": "2025-09-15"}
    assert clean("interventions", [ongoing])[0]["ended_on"] is None
    assert "Intervention 2: the end date is before the start date." == problem(
        "interventions", [good, {**good, "ended_on": "2025-09-01"}]
    )
    assert "Intervention 1: the start date can't be in the future." == problem(
        "interventions", [{**good, "started_on": "2026-02-01", "ended_on": None}]
    )
    assert "say what was tried" in problem("interventions", [{"review": "x"}])
    assert "can't read it" in problem("interventions", [{**good, "secret": 1}])
    assert "10 interventions" in problem("interventions", [good] * 11)


def test_check_fields_keeps_the_good_and_names_the_bad() -> None:
    checked = check_fields(
        RP,
        False,
        {"attendance_percent": "140%", "suspensions_count": 3, "reason": "x" * 5000, "nonsense": 1, "strengths": ""},
        known={},
        today=TODAY,
    )
    assert checked.clean == {"suspensions_count": 3, "strengths": None}
    assert set(checked.problems) == {"attendance_percent", "reason", "nonsense"}


def test_an_empty_required_field_is_asked_for_again() -> None:
    checked = check_fields(RP, False, {"reason": "   "}, known={}, today=TODAY)
    assert checked.problems == {"reason": "Reason for referral is needed."}


def test_an_anonymous_case_refuses_everything_identifying() -> None:
    raw = {"first_name": "Jack", "last_name": "Smith", "date_of_birth": "2012-02-01", "upn": JACK_UPN, "pupil_id": 4}
    checked = check_fields(IF, True, {**raw, "year_group": 9}, known={}, today=TODAY)
    assert checked.clean == {"year_group": 9}
    assert checked.problems == dict.fromkeys(raw, ANONYMOUS_REFUSAL)


def test_what_each_kind_needs() -> None:
    anonymous = {f.name for f in missing_fields(IF, True, {})}
    assert not anonymous & IDENTIFYING and {"year_group", "reason", "interventions", "parental_consent"} <= anonymous
    named = {f.name for f in missing_fields(RP, False, {})}
    assert {"first_name", "date_of_birth", "upn", "requested_support", "pupil_voice"} <= named
    assert "po_number" not in named
    assert "po_number" in {f.name for f in missing_fields(RP, False, {"requested_support": "ks4_out_of_school"})}
    from_roll = {f.name for f in missing_fields(RP, False, {"pupil_id": 4})}
    assert not {"first_name", "last_name", "date_of_birth", "upn", "year_group"} & from_roll
    assert "primary_need" in {f.name for f in missing_fields(IF, False, {"sen_status": "ehcp"})}
    assert "date_last_attended" in {f.name for f in missing_fields(IF, False, {"attendance_percent": 40.0})}


def test_the_fields_domain_md_marks_mandatory_are_asked_for_each_kind() -> None:
    """§1.4: B7 parent or carer (named cases), C5 known risks and A8 a senior leader's agreement
    (Referral to the Partnership), B14 EHCP details (with an EHCP), E4 a part-time timetable's
    dates and hours (when there is one)."""
    named_rp = {f.name for f in missing_fields(RP, False, {})}
    assert {"parent_carer", "known_risks", "senior_leader_agreement"} <= named_rp
    named_if = {f.name for f in missing_fields(IF, False, {})}
    assert "parent_carer" in named_if and not {"known_risks", "senior_leader_agreement"} & named_if
    assert "parent_carer" not in {f.name for f in missing_fields(IF, True, {})}  # anonymous: no one named
    assert "ehcp_details" not in named_rp
    assert "ehcp_details" in {f.name for f in missing_fields(RP, False, {"sen_status": "ehcp"})}
    assert "part_time_details" not in named_rp | named_if
    for kind in (IF, RP):
        assert "part_time_details" in {f.name for f in missing_fields(kind, False, {"part_time_timetable": True})}
    assert {"known_risks", "ehcp_details"} <= SPECIAL and "parent_carer" in IDENTIFYING


def test_the_table_is_whole() -> None:
    assert len(BY_NAME) == len(FIELDS)
    assert {f.group for f in FIELDS} == set(Group)
    assert {"looked_after", "semh_needs", "child_protection_plan", "primary_need", "medical_needs"} <= SPECIAL
    assert set(FOR_FIELD) <= set(BY_NAME)
    assert all(f.label and f.label[0].isupper() for f in FIELDS)
