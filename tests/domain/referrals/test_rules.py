"""Each of the offer's submission rules, met and broken."""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.referrals.fields import check_fields
from domain.referrals.model import ReferralKind
from domain.referrals.rules import (
    complete,
    consent,
    forum_first,
    plan_do_review,
    programme_funding,
    submission_breaches,
    support_fits_key_stage,
)
from tests.domain.referrals.conftest import PROGRAMME, complete_values

TODAY = date(2026, 1, 5)
IF, RP = ReferralKind.FORUM_CASE, ReferralKind.PARTNERSHIP_REFERRAL


def values(**changes: Any) -> dict[str, Any]:
    checked = check_fields(RP, False, complete_values(**changes), known={"pupil_id": 4, "year_group": 10}, today=TODAY)
    assert checked.problems == {}
    return {"pupil_id": 4, "year_group": 10, **{k: v for k, v in checked.clean.items() if v is not None}}


def test_a_complete_referral_meets_every_rule() -> None:
    assert (
        submission_breaches(RP, False, values(), referral_date=TODAY, forum_on_record=True, exception_allowed=False)
        == []
    )
    assert (
        submission_breaches(
            RP, False, values(**PROGRAMME), referral_date=TODAY, forum_on_record=True, exception_allowed=False
        )
        == []
    )


def test_complete() -> None:
    breach = complete(RP, False, {"pupil_id": 4})
    assert breach is not None and breach.code == "incomplete" and "gender" in breach.reason
    assert "kept" in breach.way_forward


def test_consent() -> None:
    breach = consent(RP, False, {"parental_consent": False})
    assert breach is not None and breach.code == "no_consent" and "anonymously" in breach.way_forward
    assert consent(IF, True, {"parental_consent": False}) is None  # that is what anonymous means
    assert consent(IF, False, {"parental_consent": False}) is not None


def test_inclusion_forum_first() -> None:
    breach = forum_first(RP, forum_on_record=False, exception_allowed=False)
    assert breach is not None and breach.code == "forum_first"
    assert "Inclusion Forum first" in breach.reason and "forum case" in breach.way_forward
    assert forum_first(RP, forum_on_record=True, exception_allowed=False) is None
    assert forum_first(RP, forum_on_record=False, exception_allowed=True) is None
    assert forum_first(IF, forum_on_record=False, exception_allowed=False) is None


def test_plan_do_review() -> None:
    assert plan_do_review(values()) is None
    no_impact = values(
        interventions=[{"what": "Mentoring", "started_on": "2025-09-15", "ended_on": "2025-12-12", "review": "Done"}]
    )
    breach = plan_do_review(no_impact)
    assert breach is not None and breach.code == "plan_do_review" and "its review and its impact" in breach.reason
    ongoing = values(interventions=[{"what": "Mentoring", "started_on": "2025-09-15", "review": "x", "impact": "y"}])
    assert plan_do_review(ongoing) is not None


def test_support_by_key_stage() -> None:
    assert support_fits_key_stage(values(requested_support="ks4_out_of_school")) is None
    breach = support_fits_key_stage(values(requested_support="ks3_out_of_school"))
    assert breach is not None and breach.code == "key_stage" and "KS4" in breach.reason
    assert support_fits_key_stage({"year_group": 8, "requested_support": "ks3_out_of_school"}) is None
    assert support_fits_key_stage({"year_group": 8, "requested_support": "ks4_out_of_school"}) is not None


def test_programme_management_needs_a_purchase_order() -> None:
    assert programme_funding(values(), TODAY) is None  # in-school support is free
    missing = {**values(**PROGRAMME), "po_number": None}
    breach = programme_funding(missing, TODAY)
    assert breach is not None and breach.code == "no_purchase_order" and "purchase order number first" in breach.reason


def test_the_purchase_order_runs_to_31_august() -> None:
    short = programme_funding(values(**{**PROGRAMME, "po_end": "2026-07-20"}), TODAY)
    assert short is not None and short.code == "purchase_order_period" and "31 August 2026" in short.reason
    late = programme_funding(values(**{**PROGRAMME, "po_start": "2026-01-06"}), TODAY)
    assert late is not None and late.code == "purchase_order_period"


def test_the_funding_lines_match_the_pupil() -> None:
    no_pp = programme_funding(values(**{**PROGRAMME, "funding_lines": ["awpu"]}), TODAY)
    assert no_pp is not None and no_pp.code == "funding_lines" and "AWPU, PP" in no_pp.reason
    ehcp = values(**{**PROGRAMME, "sen_status": "ehcp", "funding_lines": ["awpu", "pp", "ehcp"]})
    assert programme_funding(ehcp, TODAY) is None
    # An EHCP line stays wrong if the SEN status changes after it was given.
    changed = {**ehcp, "sen_status": "sen_support"}
    breach = programme_funding(changed, TODAY)
    assert breach is not None and breach.code == "funding_lines"


def test_breaches_come_most_basic_first() -> None:
    codes = [
        b.code
        for b in submission_breaches(
            RP,
            False,
            {"pupil_id": 4, "year_group": 10},
            referral_date=TODAY,
            forum_on_record=False,
            exception_allowed=False,
        )
    ]
    assert codes[:3] == ["incomplete", "forum_first", "plan_do_review"]
