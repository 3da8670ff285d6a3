"""How each kind of referral field is checked: the field types, `FormField`, and one small
validator per type, plus those a single field needs for itself (date of birth against year group,
the purchase order's end against its start). `domain.referrals.fields` holds the table that uses them.

A validator takes the raw value (a card's text, a number, a list), the field, and a `Context`
(today, and the other fields' clean values) and returns the clean value, plain JSON as stored
(dates as ISO text), or a `Problem` with a short reason in plain words that never quotes what was
typed. No I/O here.
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
from domain.referrals.model import ReferralKind, academic_year_end

MAX_TEXT = 2_000
MAX_SHORT_TEXT = 200
MAX_INTERVENTIONS = 10
MAX_COUNT = 100
MAX_SUSPENSION_DAYS = 45  # the legal cap on suspensions in one school year
NEITHER: frozenset[ReferralKind] = frozenset()


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


@dataclass(frozen=True)
class Problem:
    text: str


@dataclass(frozen=True)
class Context:
    """What a validator may need besides the value: today, and the other fields' clean values."""

    today: date
    values: Values = field(default_factory=dict)


Validator = Callable[[Any, FormField, Context], Any]


def empty(value: Any) -> bool:
    return value is None or (
        isinstance(value, str | list | tuple | dict) and not (value.strip() if isinstance(value, str) else value)
    )


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
        return Problem(
            f"{form_field.label} is too long: please keep it under {limit:,} characters (it has {len(cleaned):,})."
        )
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
    number = (
        int(digits.group(1)) if digits else value if isinstance(value, int) and not isinstance(value, bool) else None
    )
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
    "what": FormField("what", Group.INTERVENTIONS, "What was tried", FieldType.TEXT),
    "started_on": FormField("started_on", Group.INTERVENTIONS, "The start date", FieldType.PAST_DATE),
    "ended_on": FormField("ended_on", Group.INTERVENTIONS, "The end date", FieldType.PAST_DATE),
    "review": FormField("review", Group.INTERVENTIONS, "The review", FieldType.LONG_TEXT),
    "impact": FormField("impact", Group.INTERVENTIONS, "The impact", FieldType.LONG_TEXT),
}


def _intervention(item: Mapping[str, Any], context: Context) -> dict[str, Any] | Problem:
    if empty(item.get("what")) or empty(item.get("started_on")):
        return Problem("say what was tried and when it started.")
    one: dict[str, Any] = {}
    for part, form_field in _PARTS.items():
        if empty(item.get(part)):
            one[part] = None
            continue
        result = BY_TYPE[form_field.type](item[part], form_field, context)
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
            return Problem(
                f"That date of birth doesn't fit year {year}: pupils in year {year} are born between {usual}."
            )
    elif not 10 <= (context.today - born).days // 365 <= 17:
        return Problem("That date of birth doesn't fit a secondary pupil: please check it.")
    return checked


def po_end(value: Any, form_field: FormField, context: Context) -> str | Problem:
    checked = any_date(value, form_field, context)
    start = context.values.get("po_start")
    if isinstance(checked, str) and isinstance(start, str) and checked < start:
        return Problem("The purchase order ends before it starts.")
    return checked


BY_TYPE: dict[FieldType, Validator] = {
    FieldType.PUPIL: pupil_id,
    FieldType.NAME: name,
    FieldType.TEXT: short_text,
    FieldType.LONG_TEXT: text,
    FieldType.PAST_DATE: past_date,
    FieldType.ANY_DATE: any_date,
    FieldType.YEAR_GROUP: year_group,
    FieldType.UPN: upn,
    FieldType.PERCENT: percent,
    FieldType.COUNT: count,
    FieldType.DAYS: days,
    FieldType.YES_NO: yes_no,
    FieldType.YES_NO_UNKNOWN: yes_no_unknown,
    FieldType.CHOICE: choice,
    FieldType.PO_NUMBER: po_number,
    FieldType.FUNDING_LINES: funding_lines,
    FieldType.INTERVENTIONS: interventions,
}
FOR_FIELD: dict[str, Validator] = {"date_of_birth": date_of_birth, "po_end": po_end}


def validate(form_field: FormField, value: Any, context: Context) -> Any:
    """The clean value of one field, or a `Problem`: the field's own validator, else its type's."""
    return FOR_FIELD.get(form_field.name, BY_TYPE[form_field.type])(value, form_field, context)
