"""The referral form as data (after Rasa's FormValidationAction): one table of fields, each with
its group (one card per group), label, the kinds it is mandatory for, whether it is special
category data (domain.md §1.4, "S"), whether it identifies the pupil, and its type; and one small
validator per field, found by name (`VALIDATORS`), built from its type unless a field needs its
own (date of birth against year group, suspension days, funding lines against the pupil's status).

A validator returns the clean value, plain JSON as stored (dates as ISO text), or a `Problem`
with a short reason in plain words that never quotes what was typed. No I/O here.

An anonymous forum case (no parental consent) keeps nothing identifying: `check_fields` refuses
the name, date of birth, UPN, the pupil's directory id and the consent giver for it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from domain.directory.rules import DirectoryError, normalise_upn
from domain.referrals.model import PROGRAMME_SUPPORT, ReferralKind, Support, academic_year_end

IF, RP = ReferralKind.FORUM_CASE, ReferralKind.PARTNERSHIP_REFERRAL
BOTH = frozenset({IF, RP})
RP_ONLY = frozenset({RP})
NEITHER: frozenset[ReferralKind] = frozenset()
MAX_TEXT = 2_000
MAX_SHORT_TEXT = 200
MAX_INTERVENTIONS = 10
MAX_COUNT = 100
MAX_SUSPENSION_DAYS = 45  # the legal cap on suspensions in one school year


class Group(StrEnum):
    PUPIL = "pupil"
    ATTENDANCE_EXCLUSIONS = "attendance_exclusions"
    NEEDS = "needs"
    INTERVENTIONS = "interventions"
    PROGRAMME = "programme"
    CONSENT = "consent"


class FieldType(StrEnum):
    PUPIL = "pupil"  # a pupil's id in the directory (the service checks the school)
    NAME = "name"
    TEXT = "text"
    LONG_TEXT = "long_text"
    PAST_DATE = "past_date"
    ANY_DATE = "any_date"
    YEAR_GROUP = "year_group"
    UPN = "upn"
    PERCENT = "percent"
    COUNT = "count"
    DAYS = "days"
    YES_NO = "yes_no"
    YES_NO_UNKNOWN = "yes_no_unknown"
    CHOICE = "choice"
    PO_NUMBER = "po_number"
    FUNDING_LINES = "funding_lines"
    INTERVENTIONS = "interventions"


Values = Mapping[str, Any]


@dataclass(frozen=True)
class FormField:
    name: str
    group: Group
    label: str
    type: FieldType
    required: frozenset[ReferralKind] = NEITHER
    special: bool = False  # special category: shown on a need-to-know basis, erased with the pupil
    identifying: bool = False  # never kept for an anonymous case
    choices: tuple[str, ...] = ()
    when: Callable[[Values], bool] | None = field(default=None, compare=False)  # needed only when this holds

    def needed(self, kind: ReferralKind, values: Values) -> bool:
        return kind in self.required and (self.when is None or self.when(values))


def _programme(values: Values) -> bool:
    return values.get("requested_support") in PROGRAMME_SUPPORT


def _has_sen(values: Values) -> bool:
    return values.get("sen_status") not in (None, "none")


def _consented(values: Values) -> bool:
    return values.get("parental_consent") is True


def _low_attendance(values: Values) -> bool:
    return isinstance(values.get("attendance_percent"), int | float) and values["attendance_percent"] < 50


P, A, N, I, G, C = Group.PUPIL, Group.ATTENDANCE_EXCLUSIONS, Group.NEEDS, Group.INTERVENTIONS, Group.PROGRAMME, Group.CONSENT
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
    FormField("upn", P, "UPN", T.UPN, RP_ONLY, identifying=True),
    FormField("gender", P, "Gender", T.CHOICE, RP_ONLY, choices=("female", "male", "other", "prefer_not_to_say")),
    FormField("pupil_premium", P, "Pupil premium", T.YES_NO, RP_ONLY),
    FormField("looked_after", P, "Looked after", T.YES_NO, BOTH, special=True),
    FormField("sen_status", P, "SEN status", T.CHOICE, BOTH, choices=("none", "sen_support", "ehcna_requested", "ehcp")),
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
    FormField("attendance_percent", A, "Attendance this year", T.PERCENT, BOTH),
    FormField("attendance_last_year_percent", A, "Attendance last year", T.PERCENT, RP_ONLY),
    FormField("date_last_attended", A, "Date last attended", T.PAST_DATE, BOTH, when=_low_attendance),
    FormField("part_time_timetable", A, "Part-time timetable", T.YES_NO, BOTH),
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
    FormField("interventions", I, "Interventions", T.INTERVENTIONS, BOTH),
    FormField("requested_support", G, "Support asked for", T.CHOICE, RP_ONLY, choices=tuple(Support)),
    FormField("programme_time", G, "Part or full time", T.CHOICE, RP_ONLY, choices=("part_time", "full_time"), when=_programme),
    FormField("po_number", G, "Purchase order number", T.PO_NUMBER, RP_ONLY, when=_programme),
    FormField("po_start", G, "Purchase order start", T.ANY_DATE, RP_ONLY, when=_programme),
    FormField("po_end", G, "Purchase order end", T.ANY_DATE, RP_ONLY, when=_programme),
    FormField("funding_lines", G, "Funding lines", T.FUNDING_LINES, RP_ONLY, when=_programme),
    FormField("parental_consent", C, "Parental consent", T.YES_NO, BOTH),
    FormField("consent_given_by", C, "Consent given by", T.TEXT, BOTH, identifying=True, when=_consented),
    FormField("consent_date", C, "Date of consent", T.PAST_DATE, BOTH, when=_consented),
    FormField("parent_views", C, "Parent or carer's views", T.LONG_TEXT, RP_ONLY),
    FormField("pupil_voice", C, "Pupil's views", T.LONG_TEXT, RP_ONLY),
)
BY_NAME: dict[str, FormField] = {f.name: f for f in FIELDS}
IDENTIFYING = frozenset(f.name for f in FIELDS if f.identifying)
SPECIAL = frozenset(f.name for f in FIELDS if f.special)
# Fields the directory already holds for a pupil on the school's roll: not asked again.
FROM_DIRECTORY = frozenset({"first_name", "last_name", "date_of_birth", "upn", "year_group"})
ANONYMOUS_REFUSAL = "This case is anonymous, so I don't keep the pupil's name, date of birth or UPN."


@dataclass(frozen=True)
class Problem:
    text: str


@dataclass(frozen=True)
class Context:
    """What a validator may need besides the value: today, and the other fields' clean values."""

    today: date
    values: Values = field(default_factory=dict)


Validator = Callable[[Any, FormField, Context], Any]


@dataclass(frozen=True)
class FieldCheck:
    clean: dict[str, Any]  # None means: clear this field
    problems: dict[str, str]


def check_fields(kind: ReferralKind, anonymous: bool, raw: Mapping[str, Any], *, known: Values, today: date) -> FieldCheck:
    """Validate each given field (in table order); the good ones are kept, the bad ones named."""
    clean: dict[str, Any] = {}
    problems: dict[str, str] = {}
    unknown = [name for name in raw if name not in BY_NAME]
    for name in unknown:
        problems[name] = "I don't know that part of the form."
    for form_field in (f for f in FIELDS if f.name in raw):
        value = raw[form_field.name]
        if anonymous and form_field.identifying and not _empty(value):
            problems[form_field.name] = ANONYMOUS_REFUSAL
            continue
        if _empty(value):
            if form_field.needed(kind, {**known, **clean}):
                problems[form_field.name] = f"{form_field.label} is needed."
            else:
                clean[form_field.name] = None
            continue
        result = validate(form_field.name, value, Context(today, {**known, **clean}))
        if isinstance(result, Problem):
            problems[form_field.name] = result.text
        else:
            clean[form_field.name] = result
    return FieldCheck(clean, problems)


def missing_fields(kind: ReferralKind, anonymous: bool, values: Values) -> list[FormField]:
    """Mandatory fields with no value yet. A pupil chosen from the roll brings their identity."""
    skip = (IDENTIFYING if anonymous else frozenset()) | (FROM_DIRECTORY if values.get("pupil_id") else frozenset())
    return [f for f in FIELDS if f.name not in skip and f.needed(kind, values) and _empty(values.get(f.name))]


def validate(name: str, value: Any, context: Context) -> Any:
    """The clean value of one field, or a `Problem`."""
    form_field = BY_NAME[name]
    return VALIDATORS.get(name, _BY_TYPE[form_field.type])(value, form_field, context)


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | tuple | dict) and not (value.strip() if isinstance(value, str) else value))


# --- validators by type ---------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_NAME = re.compile(r"[^\W\d_]+(?:[ '’-][^\W\d_]+)*")
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d %B %Y", "%d %b %Y")
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}


def text(value: Any, form_field: FormField, _: Context, limit: int = MAX_TEXT) -> str | Problem:
    if not isinstance(value, str):
        return Problem(f"{form_field.label} is written text.")
    cleaned = unicodedata.normalize("NFC", _CONTROL.sub("", value)).strip()
    if not cleaned:
        return Problem(f"{form_field.label} is needed.")
    if len(cleaned) > limit:
        return Problem(f"{form_field.label} is too long: please keep it under {limit:,} characters (it has {len(cleaned):,}).")
    return cleaned


def short_text(value: Any, form_field: FormField, context: Context) -> str | Problem:
    return text(value, form_field, context, MAX_SHORT_TEXT)


def name(value: Any, form_field: FormField, context: Context) -> str | Problem:
    cleaned = text(value, form_field, context, 100)
    if isinstance(cleaned, Problem):
        return cleaned
    cleaned = " ".join(cleaned.split())
    if not _NAME.fullmatch(cleaned):
        return Problem(f"{form_field.label} is letters, spaces, hyphens and apostrophes only.")
    return cleaned


def parse_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(value.strip(), pattern).date()
        except ValueError:
            continue
    return None


def any_date(value: Any, form_field: FormField, _: Context) -> str | Problem:
    parsed = parse_date(value)
    if parsed is None or not 1990 <= parsed.year <= 2100:
        return Problem(f"{form_field.label} is a date, like 14/03/2025.")
    return parsed.isoformat()


def past_date(value: Any, form_field: FormField, context: Context) -> str | Problem:
    checked = any_date(value, form_field, context)
    if isinstance(checked, str) and date.fromisoformat(checked) > context.today:
        return Problem(f"{form_field.label} can't be in the future.")
    return checked


def year_group(value: Any, form_field: FormField, _: Context) -> int | Problem:
    digits = re.fullmatch(r"\s*(?:year|yr|y)?\s*(\d{1,2})\s*", value, re.IGNORECASE) if isinstance(value, str) else None
    number = int(digits.group(1)) if digits else value if isinstance(value, int) and not isinstance(value, bool) else None
    if number is None or not 7 <= number <= 11:
        return Problem("Year group is 7 to 11: the Partnership works with secondary pupils.")
    return number


def upn(value: Any, form_field: FormField, _: Context) -> str | Problem:
    if not isinstance(value, str):
        return Problem("A UPN is 13 characters: a letter, 11 digits, then a digit or letter.")
    try:
        return normalise_upn(value)
    except DirectoryError as error:
        if "check letter" in str(error):
            return Problem("That UPN's check letter doesn't match the rest: please copy it again from your MIS.")
        return Problem("A UPN is 13 characters: a letter, 11 digits, then a digit or letter.")


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and re.fullmatch(r"\s*\d{1,3}(\.\d{1,2})?\s*%?\s*", value):
        return float(value.strip().rstrip("%"))
    return None


def percent(value: Any, form_field: FormField, _: Context) -> float | Problem:
    number = _number(value)
    if number is None or not 0 <= number <= 100:
        return Problem(f"{form_field.label} is a percentage from 0 to 100.")
    return round(number, 1)


def count(value: Any, form_field: FormField, _: Context) -> int | Problem:
    number = _number(value)
    if number is None or number != int(number) or not 0 <= number <= MAX_COUNT:
        return Problem(f"{form_field.label} is a whole number from 0 to {MAX_COUNT}.")
    return int(number)


def days(value: Any, form_field: FormField, _: Context) -> float | Problem:
    number = _number(value)
    if number is None or number * 2 != int(number * 2):
        return Problem(f"{form_field.label} is a number of days, in whole or half days.")
    if not 0 <= number <= MAX_SUSPENSION_DAYS:
        return Problem(f"{form_field.label} is at most {MAX_SUSPENSION_DAYS}: the legal limit in one school year.")
    return number


def yes_no(value: Any, form_field: FormField, _: Context) -> bool | Problem:
    if isinstance(value, bool):
        return value
    word = value.strip().lower() if isinstance(value, str) else None
    if word in _YES or word in _NO:
        return word in _YES
    return Problem(f"{form_field.label}: please answer yes or no.")


def yes_no_unknown(value: Any, form_field: FormField, context: Context) -> str | Problem:
    if isinstance(value, str) and value.strip().lower() in ("unknown", "not known", "don't know"):
        return "unknown"
    answer = yes_no(value, form_field, context)
    return answer if isinstance(answer, Problem) else "yes" if answer else "no"


def choice(value: Any, form_field: FormField, _: Context) -> str | Problem:
    word = re.sub(r"[\s-]+", "_", value.strip().lower()) if isinstance(value, str) else None
    if word not in form_field.choices:
        return Problem(f"{form_field.label}: please choose one of the options.")
    return word


def po_number(value: Any, form_field: FormField, _: Context) -> str | Problem:
    cleaned = value.strip().upper() if isinstance(value, str) else ""
    if not re.fullmatch(r"[A-Z0-9][A-Z0-9/-]{3,19}", cleaned) or not re.search(r"\d", cleaned):
        return Problem("A purchase order number is 4 to 20 letters, digits, hyphens or slashes, like PO-12345.")
    return cleaned


FUNDING_LINES = ("awpu", "pp", "ehcp")


def funding_lines(value: Any, form_field: FormField, context: Context) -> list[str] | Problem:
    items = value.split(",") if isinstance(value, str) else value if isinstance(value, list | tuple) else None
    lines = [str(item).strip().lower() for item in items or () if str(item).strip()]
    if not lines or any(line not in FUNDING_LINES for line in lines):
        return Problem("Funding lines are AWPU, PP and EHCP: choose those the purchase order covers.")
    if "ehcp" in lines and context.values.get("sen_status") not in (None, "ehcp"):
        return Problem("There can't be an EHCP line: the pupil has no EHCP.")
    if "pp" in lines and context.values.get("pupil_premium") is False:
        return Problem("There can't be a PP line: the pupil isn't eligible for pupil premium.")
    return [line for line in FUNDING_LINES if line in lines]


_INTERVENTION_PARTS = ("what", "started_on", "ended_on", "review", "impact")


def interventions(value: Any, form_field: FormField, context: Context) -> list[dict[str, Any]] | Problem:
    if not isinstance(value, list | tuple) or not value:
        return Problem("Please give at least one intervention: what was tried, when, its review and impact.")
    if len(value) > MAX_INTERVENTIONS:
        return Problem(f"Please give the {MAX_INTERVENTIONS} interventions that matter most.")
    cleaned: list[dict[str, Any]] = []
    for number, item in enumerate(value, start=1):
        if not isinstance(item, Mapping) or set(item) - set(_INTERVENTION_PARTS):
            return Problem(f"Intervention {number}: I can't read it. Please give it again.")
        one = _intervention(item, context)
        if isinstance(one, Problem):
            return Problem(f"Intervention {number}: {one.text}")
        cleaned.append(one)
    return cleaned


_PARTS = {
    "what": FormField("what", I, "What was tried", T.TEXT),
    "started_on": FormField("started_on", I, "The start date", T.PAST_DATE),
    "ended_on": FormField("ended_on", I, "The end date", T.PAST_DATE),
    "review": FormField("review", I, "The review", T.LONG_TEXT),
    "impact": FormField("impact", I, "The impact", T.LONG_TEXT),
}


def _intervention(item: Mapping[str, Any], context: Context) -> dict[str, Any] | Problem:
    if _empty(item.get("what")) or _empty(item.get("started_on")):
        return Problem("say what was tried and when it started.")
    one: dict[str, Any] = {}
    for part, form_field in _PARTS.items():
        if _empty(item.get(part)):
            one[part] = None
            continue
        result = _BY_TYPE[form_field.type](item[part], form_field, context)
        if isinstance(result, Problem):
            return Problem(result.text[0].lower() + result.text[1:])
        one[part] = result
    if one["ended_on"] and one["ended_on"] < one["started_on"]:
        return Problem("the end date is before the start date.")
    return one


def pupil_id(value: Any, form_field: FormField, _: Context) -> int | Problem:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return Problem("Please choose the pupil from your school's list.")
    return value


# --- validators for one field ---------------------------------------------------------------------


def date_of_birth(value: Any, form_field: FormField, context: Context) -> str | Problem:
    checked = past_date(value, form_field, context)
    if isinstance(checked, Problem):
        return checked
    born = date.fromisoformat(checked)
    year = context.values.get("year_group")
    if isinstance(year, int) and 7 <= year <= 11:
        september = academic_year_end(context.today).year - 1
        earliest, latest = date(september - year - 6, 9, 1), date(september - year - 3, 8, 31)
        if not earliest <= born <= latest:  # one year either side of the usual cohort
            usual = f"{date(september - year - 5, 9, 1):%-d %B %Y} and {date(september - year - 4, 8, 31):%-d %B %Y}"
            return Problem(f"That date of birth doesn't fit year {year}: pupils in year {year} are born between {usual}.")
    elif not 10 <= (context.today - born).days // 365 <= 17:
        return Problem("That date of birth doesn't fit a secondary pupil: please check it.")
    return checked


def po_end(value: Any, form_field: FormField, context: Context) -> str | Problem:
    checked = any_date(value, form_field, context)
    start = context.values.get("po_start")
    if isinstance(checked, str) and isinstance(start, str) and checked < start:
        return Problem("The purchase order ends before it starts.")
    return checked


_BY_TYPE: dict[FieldType, Validator] = {
    T.PUPIL: pupil_id,
    T.NAME: name,
    T.TEXT: short_text,
    T.LONG_TEXT: text,
    T.PAST_DATE: past_date,
    T.ANY_DATE: any_date,
    T.YEAR_GROUP: year_group,
    T.UPN: upn,
    T.PERCENT: percent,
    T.COUNT: count,
    T.DAYS: days,
    T.YES_NO: yes_no,
    T.YES_NO_UNKNOWN: yes_no_unknown,
    T.CHOICE: choice,
    T.PO_NUMBER: po_number,
    T.FUNDING_LINES: funding_lines,
    T.INTERVENTIONS: interventions,
}
VALIDATORS: dict[str, Validator] = {"date_of_birth": date_of_birth, "po_end": po_end}
