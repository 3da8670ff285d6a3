"""The directory's field rules: school URN, pupil UPN with its DfE check letter, e-mail,
roles, and a person's or pupil's fields taken together (roles against school, provision
against year group, programme time and timetable).

Each `normalise_*` / `parse_*` returns the clean value or raises `DirectoryError`, whose
`problems` read "field: problem"; `*_problems` return the list instead. Text is checked
against its column's length (PostgreSQL refuses what does not fit) and may hold no control
character (PostgreSQL refuses a NUL byte). The admin dialog,
`domain.directory.writes` (`save_person`), CSV import and demo data all apply these rules.
Messages never quote a pupil's data.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar, cast

from sqlalchemy import String

from db.models.directory import PROGRAMME_TIMES, PROGRAMMES, PROVISIONS, SETTINGS, WEEKDAYS, Person, Pupil, School
from domain.roles import PARTNERSHIP_ROLES, ROLE_LABELS, SCHOOL_ROLES, Role


class DirectoryError(ValueError):
    """A change the directory refuses; `problems` lists every reason ("field: problem")."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


T = TypeVar("T")
V = TypeVar("V")


def collect_problems(problems: list[str], check: Callable[[V], T], value: V, fallback: T) -> T:
    """Run one field check, adding its problems to the list instead of stopping."""
    try:
        return check(value)
    except DirectoryError as error:
        problems += error.problems
        return fallback


_EMAIL = re.compile(r"[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s.\x00-\x1f\x7f]+")
# An Entra object id is a GUID. The Teams App Test Tool's made-up users have one hex digit too
# many (00000000-0000-0000-0000-0000000000020): accepted so the demo directory can name them.
_ENTRA_ID = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|0{8}-0{4}-0{4}-0{4}-0{11}[0-9]{2}"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# The most characters each text column holds (db/models/directory.py).
MAX_CHARS: dict[str, int] = {
    field: int(cast(String, table.c[field].type).length or 0)
    for table, field in (
        (Person.__table__, "display_name"),
        (School.__table__, "name"),
        (Pupil.__table__, "first_name"),
        (Pupil.__table__, "last_name"),
    )
}
_UPN = re.compile(r"[A-HJ-NP-RT-Z][0-9]{11}[0-9A-HJ-NP-RT-Z]")
_CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"  # DfE: I, O and S are never used
_ROLE_NAMES = {
    name.lower(): role for role in Role for name in (role.value, role.value.replace("_", " "), ROLE_LABELS[role])
}


def upn_check_letter(body: str) -> str:
    """The DfE check letter for the 12 characters after it: weights 2..13, modulo 23;
    a temporary UPN's final letter counts as its position in the check alphabet."""
    total = sum(
        weight * (int(char) if char.isdigit() else _CHECK_LETTERS.index(char))
        for weight, char in enumerate(body, start=2)
    )
    return _CHECK_LETTERS[total % 23]


def normalise_upn(raw: str) -> str:
    upn = raw.strip().upper()
    if not _UPN.fullmatch(upn):
        raise DirectoryError(["upn: a UPN is 13 characters: a letter, 11 digits, then a digit or letter"])
    if upn_check_letter(upn[1:]) != upn[0]:
        raise DirectoryError(["upn: the check letter does not match the rest of the UPN"])
    return upn


def normalise_urn(raw: str) -> str:
    urn = raw.strip()
    if not re.fullmatch(r"[1-9][0-9]{5}", urn):
        raise DirectoryError(["urn: a school URN is 6 digits"])
    return urn


def normalise_email(raw: str) -> str:
    email = raw.strip().lower()
    if len(email) > 320 or not _EMAIL.fullmatch(email):
        raise DirectoryError([f"email: {raw.strip()!r} is not an e-mail address"])
    return email


def normalise_aad_object_id(raw: str) -> str:
    """An Entra (Azure AD) object id: a GUID, any case, stored in lower case."""
    value = raw.strip().lower()
    if not _ENTRA_ID.fullmatch(value):
        raise DirectoryError(["aad_object_id: an Entra object id is a GUID, like 0f8fad5b-d9cb-469f-a165-70867728950e"])
    return value


def text_problems(field: str, value: str) -> list[str]:
    """A text field's problems: longer than its column (`MAX_CHARS`), or a control character."""
    problems = []
    if len(value) > MAX_CHARS[field]:
        problems.append(f"{field}: longer than {MAX_CHARS[field]} characters")
    if _CONTROL.search(value):
        problems.append(f"{field}: holds a control character")
    return problems


def parse_roles(raw: Iterable[Role | str] | str) -> frozenset[Role]:
    """Roles from Role values or labels, any case; a string may hold several, split by ";"."""
    names = raw.split(";") if isinstance(raw, str) else [str(r) for r in raw]
    roles: set[Role] = set()
    unknown: list[str] = []
    for name in filter(None, (n.strip() for n in names)):
        role = _ROLE_NAMES.get(name.lower())
        if role is None:
            unknown.append(name)
        else:
            roles.add(role)
    if unknown:
        raise DirectoryError([f"roles: unknown role {name!r}" for name in unknown])
    return frozenset(roles)


def person_problems(display_name: str, roles: frozenset[Role], school_id: int | None) -> list[str]:
    problems = text_problems("display_name", display_name) if display_name else ["display_name: a person needs a name"]
    if not roles:
        problems.append("roles: a person needs at least one role")
    elif school_id is None and roles - PARTNERSHIP_ROLES:
        wrong = ", ".join(sorted(ROLE_LABELS[r] for r in roles - PARTNERSHIP_ROLES))
        problems.append(f"roles: {wrong} is a school role: give the person's school")
    elif school_id is not None and roles - SCHOOL_ROLES:
        wrong = ", ".join(sorted(ROLE_LABELS[r] for r in roles - SCHOOL_ROLES))
        problems.append(f"roles: {wrong} is a Partnership role: leave the school empty")
    return problems


def pupil_problems(
    first_name: str,
    last_name: str,
    year_group: int,
    provision: str,
    programme_time: str | None,
    timetable: Mapping[str, str],
) -> list[str]:
    """Consistency with the offer: KS3 programmes are for Y7-9, KS4 for Y10-11; a
    programme is full or part time and has a setting for every weekday, with no school
    day when full time and at least one when part time; other pupils have no timetable."""
    names = (("first_name", first_name), ("last_name", last_name))
    problems = [problem for n, v in names if v for problem in text_problems(n, v)]
    problems += [f"{n}: missing" for n, v in names if not v]
    if not 7 <= year_group <= 11:
        problems.append("year_group: must be 7 to 11")
    if provision not in PROVISIONS:
        return problems + [f"provision: must be one of {', '.join(PROVISIONS)}"]
    if programme_time is not None and programme_time not in PROGRAMME_TIMES:
        return problems + [f"programme_time: must be one of {', '.join(PROGRAMME_TIMES)}"]
    if provision == "ks3_programme" and year_group > 9 or provision == "ks4_programme" and year_group < 10:
        problems.append(f"provision: {provision} does not fit year {year_group}")
    bad = [f"{day}={place}" for day, place in timetable.items() if day not in WEEKDAYS or place not in SETTINGS]
    if bad:
        problems.append("timetable: use mon..fri = centre, ap or school")
    elif provision in PROGRAMMES:
        days = list(timetable.values())
        if programme_time is None:
            problems.append("programme_time: a programme is full_time or part_time")
        if set(timetable) != set(WEEKDAYS):
            problems.append("timetable: a programme needs a setting for every weekday")
        elif programme_time == "full_time" and "school" in days:
            problems.append("timetable: a full-time programme has no days in school")
        elif programme_time == "part_time" and "school" not in days:
            problems.append("timetable: a part-time programme has at least one day in school")
    else:
        if programme_time is not None:
            problems.append("programme_time: only for programmes")
        if timetable:
            problems.append("timetable: only for programmes")
    return problems
