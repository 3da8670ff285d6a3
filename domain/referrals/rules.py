"""The offer's submission rules. Each takes plain facts and returns None when it is met, or a
`RuleBreach`: a code word (for the audit log and the dialog's buttons), the reason in plain
words and a way forward. `submission_breaches` runs them all. No I/O here.

- Complete: every field the kind needs (domain.md §1.4), and consent for a named case.
- Inclusion Forum first: a Referral to the Partnership needs a forum discussion on record for
  the pupil, unless the Partnership SENCO or Director allowed an exception.
- Plan-Do-Review: at least one intervention with its dates, review and impact.
- Support by key stage: KS3 out-of-school support for years 7 to 9, KS4 for years 10 and 11.
- Programme management: a purchase order number covering the referral date to 31 August, with
  the funding lines the pupil's status needs (AWPU always, PP with pupil premium, EHCP with an
  EHCP) and no others.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.referrals.fields import missing_fields
from domain.referrals.model import PROGRAMME_SUPPORT, ReferralKind, Support, academic_year_end, key_stage

Values = Mapping[str, Any]


@dataclass(frozen=True)
class RuleBreach:
    code: str
    reason: str
    way_forward: str


def complete(kind: ReferralKind, anonymous: bool, values: Values) -> RuleBreach | None:
    missing = missing_fields(kind, anonymous, values)
    if not missing:
        return None
    labels = ", ".join(f.label.lower() for f in missing[:6]) + (" and more" if len(missing) > 6 else "")
    return RuleBreach(
        "incomplete",
        f"A few details are still missing: {labels}.",
        "Add them and submit again; everything you have given is kept.",
    )


def consent(kind: ReferralKind, anonymous: bool, values: Values) -> RuleBreach | None:
    if anonymous or values.get("parental_consent") is not False:
        return None
    if kind is ReferralKind.PARTNERSHIP_REFERRAL:
        return RuleBreach(
            "no_consent",
            "A Referral to the Partnership needs the parents' or carers' consent.",
            "Ask the parents for consent, or bring the case to the Inclusion Forum anonymously.",
        )
    return RuleBreach(
        "no_consent",
        "A named forum case needs the parents' or carers' consent.",
        "Ask the parents for consent, or make the case anonymous.",
    )


def forum_first(kind: ReferralKind, *, forum_on_record: bool, exception_allowed: bool) -> RuleBreach | None:
    if kind is not ReferralKind.PARTNERSHIP_REFERRAL or forum_on_record or exception_allowed:
        return None
    return RuleBreach(
        "forum_first",
        "The Partnership asks schools to bring a pupil to the Inclusion Forum first, and there is no "
        "forum discussion on record for this pupil.",
        "Start a forum case instead, or ask the Partnership SENCO to allow an exception (they are told "
        "when this is all that holds it back).",
    )


def plan_do_review(values: Values) -> RuleBreach | None:
    done = [
        item
        for item in values.get("interventions") or ()
        if item.get("started_on") and item.get("ended_on") and item.get("review") and item.get("impact")
    ]
    if done:
        return None
    return RuleBreach(
        "plan_do_review",
        "The Partnership needs evidence of Plan-Do-Review: at least one intervention with its start "
        "and end dates, its review and its impact.",
        "Add the review and impact to an intervention you have tried.",
    )


def support_fits_key_stage(values: Values) -> RuleBreach | None:
    support, year = values.get("requested_support"), values.get("year_group")
    if support not in PROGRAMME_SUPPORT or not isinstance(year, int):
        return None
    stage = key_stage(year)
    if (support == Support.KS3_OUT_OF_SCHOOL) == (stage == 3):
        return None
    return RuleBreach(
        "key_stage",
        f"A year {year} pupil is in KS{stage}, so KS{7 - stage} out-of-school support can't be asked for.",
        f"Ask for KS{stage} out-of-school support, or another kind of support.",
    )


def programme_funding(values: Values, referral_date: date) -> RuleBreach | None:
    if values.get("requested_support") not in PROGRAMME_SUPPORT:
        return None
    way = "Ask your finance office for a purchase order, then add it; your draft is kept."
    if not values.get("po_number"):
        return RuleBreach(
            "no_purchase_order",
            "The Partnership can't accept a programme place without a purchase order number first.",
            way,
        )
    start, end = values.get("po_start"), values.get("po_end")
    year_end = academic_year_end(referral_date)
    if not start or not end or date.fromisoformat(start) > referral_date or date.fromisoformat(end) < year_end:
        return RuleBreach(
            "purchase_order_period",
            f"The purchase order must run from the date of referral to the end of the school year "
            f"({year_end:%-d %B %Y}).",
            "Ask your finance office to change its dates.",
        )
    lines = set(values.get("funding_lines") or ())
    needed = {"awpu"} | ({"pp"} if values.get("pupil_premium") else set())
    needed |= {"ehcp"} if values.get("sen_status") == "ehcp" else set()
    if lines != needed:
        wanted = ", ".join(line.upper() for line in ("awpu", "pp", "ehcp") if line in needed)
        return RuleBreach(
            "funding_lines",
            f"For this pupil the purchase order's funding lines should be exactly: {wanted}.",
            "Change the funding lines to match the pupil's pupil premium and EHCP status.",
        )
    return None


def submission_breaches(
    kind: ReferralKind,
    anonymous: bool,
    values: Values,
    *,
    referral_date: date,
    forum_on_record: bool,
    exception_allowed: bool,
) -> list[RuleBreach]:
    """Every rule the draft does not meet yet, most basic first."""
    found = [
        complete(kind, anonymous, values),
        consent(kind, anonymous, values),
        forum_first(kind, forum_on_record=forum_on_record, exception_allowed=exception_allowed),
        plan_do_review(values) if kind is ReferralKind.PARTNERSHIP_REFERRAL else None,
        support_fits_key_stage(values),
        programme_funding(values, referral_date),
    ]
    return [breach for breach in found if breach is not None]
