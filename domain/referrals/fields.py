"""The referral form as data (after Rasa's FormValidationAction): one table of fields, each with
its group (one card per group), label, the kinds it is mandatory for, whether it is special
category data (domain.md §1.4, "S"), whether it identifies the pupil, and its type. Each field is
checked by one small validator found by name (`domain.referrals.validators`). No I/O here.

`check_fields` validates what was given, keeping the good values and naming each problem;
`missing_fields` lists what a kind still needs. An anonymous forum case (no parental consent)
keeps nothing identifying: `check_fields` refuses the name, date of birth, UPN, the pupil's
directory id and the consent giver for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.referrals.model import PROGRAMME_SUPPORT, ReferralKind, Support
from domain.referrals.validators import Context, FieldType, FormField, Group, Problem, Values, empty, validate

IF, RP = ReferralKind.FORUM_CASE, ReferralKind.PARTNERSHIP_REFERRAL
BOTH = frozenset({IF, RP})
RP_ONLY = frozenset({RP})


def _programme(values: Values) -> bool:
    return values.get("requested_support") in PROGRAMME_SUPPORT


def _has_sen(values: Values) -> bool:
    return values.get("sen_status") not in (None, "none")


def _consented(values: Values) -> bool:
    return values.get("parental_consent") is True


def _has_ehcp(values: Values) -> bool:
    return values.get("sen_status") == "ehcp"


def _part_time_now(values: Values) -> bool:
    return values.get("part_time_timetable") is True


def _low_attendance(values: Values) -> bool:
    return isinstance(values.get("attendance_percent"), int | float) and values["attendance_percent"] < 50


P, A, N, IV, G, C = (
    Group.PUPIL,
    Group.ATTENDANCE_EXCLUSIONS,
    Group.NEEDS,
    Group.INTERVENTIONS,
    Group.PROGRAMME,
    Group.CONSENT,
)
T = FieldType
YES_NO_UNKNOWN = ("yes", "no", "unknown")
# Order matters: a field is checked after those it depends on (year group before date of birth,
# SEN status and pupil premium before the funding lines).
FIELDS: tuple[FormField, ...] = (
    FormField("pupil_id", P, "Pupil", T.PUPIL, identifying=True),
    FormField("first_name", P, "First name", T.NAME, BOTH, identifying=True),
    FormField("last_name", P, "Last name", T.NAME, BOTH, identifying=True),
    FormField("known_as", P, "Known as", T.NAME, identifying=True),
    FormField("year_group", P, "Year group", T.YEAR_GROUP, BOTH),
    FormField("date_of_birth", P, "Date of birth", T.PAST_DATE, BOTH, identifying=True),
    # Optional for a named forum case in domain.md §1.4; asked here so a named pupil always has a
    # directory record (which needs a UPN) that erasure reaches.
    FormField("upn", P, "UPN", T.UPN, BOTH, identifying=True),
    FormField("gender", P, "Gender", T.CHOICE, RP_ONLY, choices=("female", "male", "other", "prefer_not_to_say")),
    FormField("pupil_premium", P, "Pupil premium", T.YES_NO, RP_ONLY),
    FormField("looked_after", P, "Looked after", T.YES_NO, BOTH, special=True),
    FormField(
        "sen_status", P, "SEN status", T.CHOICE, BOTH, choices=("none", "sen_support", "ehcna_requested", "ehcp")
    ),
    FormField(
        "primary_need",
        P,
        "Primary area of need",
        T.CHOICE,
        BOTH,
        special=True,
        choices=("communication_interaction", "cognition_learning", "semh", "sensory_physical"),
        when=_has_sen,
    ),
    FormField(
        "ehcp_details",
        P,
        "EHCP: date issued, last annual review, LA caseworker",
        T.LONG_TEXT,
        RP_ONLY,
        special=True,
        when=_has_ehcp,
    ),
    FormField("attendance_percent", A, "Attendance this year", T.PERCENT, BOTH),
    FormField("attendance_last_year_percent", A, "Attendance last year", T.PERCENT, RP_ONLY),
    FormField("date_last_attended", A, "Date last attended", T.PAST_DATE, BOTH, when=_low_attendance),
    FormField("part_time_timetable", A, "Part-time timetable", T.YES_NO, BOTH),
    # Time-limited by law (domain.md §2.5), so its dates and hours are asked when there is one.
    FormField(
        "part_time_details",
        A,
        "Part-time timetable: start date, hours a week, review date",
        T.TEXT,
        BOTH,
        when=_part_time_now,
    ),
    FormField("suspensions_count", A, "Suspensions this year", T.COUNT, BOTH),
    FormField("suspension_days", A, "Days of suspension this year", T.DAYS, BOTH),
    FormField("permanent_exclusion_before", A, "Permanently excluded before", T.YES_NO, BOTH),
    FormField("reason", N, "Reason for referral", T.LONG_TEXT, BOTH),
    FormField("behaviour", N, "Behaviour in school", T.LONG_TEXT, BOTH),
    FormField("semh_needs", N, "SEMH needs", T.LONG_TEXT, BOTH, special=True),
    FormField("out_of_school_factors", N, "Factors outside school", T.LONG_TEXT, special=True),
    FormField("medical_needs", N, "Medical needs", T.LONG_TEXT, special=True),
    FormField("strengths", N, "Strengths and interests", T.LONG_TEXT),
    FormField("child_protection_plan", N, "Child protection plan", T.YES_NO_UNKNOWN, BOTH, special=True),
    FormField("child_in_need", N, "Child in need plan", T.YES_NO_UNKNOWN, BOTH, special=True),
    FormField("early_help", N, "Early help assessment open", T.YES_NO_UNKNOWN, BOTH, special=True),
    FormField("agencies", N, "Agencies involved", T.LONG_TEXT, BOTH),
    FormField(
        "known_risks",
        N,
        "Known risks (to self or others, exploitation, absconding, weapons)",
        T.LONG_TEXT,
        RP_ONLY,
        special=True,
    ),
    FormField("interventions", IV, "Interventions", T.INTERVENTIONS, BOTH),
    FormField("requested_support", G, "Support asked for", T.CHOICE, RP_ONLY, choices=tuple(Support)),
    FormField(
        "programme_time", G, "Part or full time", T.CHOICE, RP_ONLY, choices=("part_time", "full_time"), when=_programme
    ),
    FormField("po_number", G, "Purchase order number", T.PO_NUMBER, RP_ONLY, when=_programme),
    FormField("po_start", G, "Purchase order start", T.ANY_DATE, RP_ONLY, when=_programme),
    FormField("po_end", G, "Purchase order end", T.ANY_DATE, RP_ONLY, when=_programme),
    FormField("funding_lines", G, "Funding lines", T.FUNDING_LINES, RP_ONLY, when=_programme),
    FormField(
        "parent_carer",
        C,
        "Parent or carer with parental responsibility: name, relationship, phone",
        T.TEXT,
        BOTH,
        identifying=True,
    ),
    FormField("parental_consent", C, "Parental consent", T.YES_NO, BOTH),
    FormField("consent_given_by", C, "Consent given by", T.TEXT, BOTH, identifying=True, when=_consented),
    FormField("consent_date", C, "Date of consent", T.PAST_DATE, BOTH, when=_consented),
    FormField("parent_views", C, "Parent or carer's views", T.LONG_TEXT, RP_ONLY),
    FormField("pupil_voice", C, "Pupil's views", T.LONG_TEXT, RP_ONLY),
    FormField("senior_leader_agreement", C, "Senior leader who agreed to this referral", T.TEXT, RP_ONLY),
)

# What a Referral to the Partnership asks that a forum case never does (e.g. to turn complete
# referral values into a forum case's).
PARTNERSHIP_REFERRAL_ONLY: tuple[str, ...] = tuple(f.name for f in FIELDS if f.required == RP_ONLY)
BY_NAME: dict[str, FormField] = {f.name: f for f in FIELDS}
IDENTIFYING = frozenset(f.name for f in FIELDS if f.identifying)
SPECIAL = frozenset(f.name for f in FIELDS if f.special)
# Fields the directory already holds for a pupil on the school's roll: not asked again.
FROM_DIRECTORY = frozenset({"first_name", "last_name", "date_of_birth", "upn", "year_group"})
ANONYMOUS_REFUSAL = "This case is anonymous, so I don't keep the pupil's name, date of birth or UPN."


@dataclass(frozen=True)
class FieldCheck:
    clean: dict[str, Any]  # None means: clear this field
    problems: dict[str, str]


def check_fields(
    kind: ReferralKind, anonymous: bool, raw: Mapping[str, Any], *, known: Values, today: date
) -> FieldCheck:
    """Validate each given field (in table order); the good ones are kept, the bad ones named."""
    clean: dict[str, Any] = {}
    problems: dict[str, str] = {}
    unknown = [name for name in raw if name not in BY_NAME]
    for name in unknown:
        problems[name] = "I don't know that part of the form."
    for form_field in (f for f in FIELDS if f.name in raw):
        value = raw[form_field.name]
        if anonymous and form_field.identifying and not empty(value):
            problems[form_field.name] = ANONYMOUS_REFUSAL
            continue
        if empty(value):
            if form_field.needed(kind, {**known, **clean}) and not (anonymous and form_field.identifying):
                problems[form_field.name] = f"{form_field.label} is needed."
            else:
                clean[form_field.name] = None
            continue
        result = validate(form_field, value, Context(today, {**known, **clean}))
        if isinstance(result, Problem):
            problems[form_field.name] = result.text
        else:
            clean[form_field.name] = result
    return FieldCheck(clean, problems)


def missing_fields(kind: ReferralKind, anonymous: bool, values: Values) -> list[FormField]:
    """Mandatory fields with no value yet. A pupil chosen from the roll brings their identity."""
    skip = (IDENTIFYING if anonymous else frozenset()) | (FROM_DIRECTORY if values.get("pupil_id") else frozenset())
    return [f for f in FIELDS if f.name not in skip and f.needed(kind, values) and empty(values.get(f.name))]


def check(name: str, value: Any, context: Context) -> Any:
    """The clean value of the named field, or a `Problem`."""
    return validate(BY_NAME[name], value, context)
