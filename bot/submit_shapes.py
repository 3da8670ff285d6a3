"""The declared shape of a card's submit: which fields, of what type, how long, and what absence means.

A card's data can be forged (anyone can post any JSON to the bot), so nothing in a submit is used
until it has been checked against its shape. `check(shape, value)` returns the declared fields
only, each converted and within its limits, or a `ShapeProblem` naming the first field that is
wrong. Fields a shape does not declare are dropped, never passed on: an extra `person_id` in a
submit has no effect on anything.

Plain Python, no Bot Framework: a dialog's form can declare its shape here too.

    SHAPE = {"id": Id(), "note": Text(max_length=500, required=False, default="")}
    checked = check(SHAPE, {"id": 42, "note": "seen"})   # {"id": 42, "note": "seen"}
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

Value = int | str | bool | tuple[str, ...] | None

MAX_ID = 2**63 - 1  # a BIGINT primary key
MAX_INTEGER_ID = 2**31 - 1  # an INTEGER primary key (e.g. a school's)
_CANONICAL_ID = re.compile(r"[1-9][0-9]{0,18}")  # "42", never "042", "+42", " 42" or "4_2"
_TRUE, _FALSE = frozenset({"true"}), frozenset({"false"})  # Input.Toggle sends its value as text
_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(frozen=True)
class ShapeProblem:
    """Why a submit does not fit its shape: `field` (a declared name, safe to log) and `reason`
    (one of `missing`, `wrong_type`, `too_long`, `bad_format`, `out_of_range`)."""

    field: str
    reason: str


@dataclass(frozen=True)
class Field:
    """One declared field. Absent (or null) and not `required`: the field is `default`."""

    required: bool = True
    default: Value = None

    def convert(self, raw: object) -> Value:
        """The value to use; raises `BadValue` with a `ShapeProblem.reason` if it will not do."""
        raise NotImplementedError


class BadValue(ValueError):
    """A value that does not fit its field; `reason` as in `ShapeProblem`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Id(Field):
    """A record id: a positive integer (a JSON number, or its plain decimal text, as inputs send it)
    up to `maximum`; or one of `words` (e.g. "partnership" in a choice of schools), kept as text."""

    maximum: int = MAX_ID
    words: frozenset[str] = frozenset()

    def convert(self, raw: object) -> Value:
        if isinstance(raw, bool):  # bool is an int in Python, never an id
            raise BadValue("wrong_type")
        if isinstance(raw, str) and raw in self.words:
            return raw
        if isinstance(raw, str):
            if len(raw) > 19:
                raise BadValue("too_long")
            if not _CANONICAL_ID.fullmatch(raw):
                raise BadValue("bad_format")
            raw = int(raw)
        if not isinstance(raw, int):
            raise BadValue("wrong_type")
        if not 1 <= raw <= self.maximum:
            raise BadValue("out_of_range")
        return raw


@dataclass(frozen=True)
class Text(Field):
    """Text up to `max_length` characters, stripped; optionally a `pattern` or one of `choices`.
    Blank text counts as absent."""

    max_length: int = 200
    pattern: str | None = None
    choices: frozenset[str] | None = None

    def convert(self, raw: object) -> Value:
        if not isinstance(raw, str):
            raise BadValue("wrong_type")
        if len(raw) > self.max_length:
            raise BadValue("too_long")
        value = raw.strip()
        if not value:
            if self.required:
                raise BadValue("missing")
            return self.default
        if self.choices is not None and value not in self.choices:
            raise BadValue("bad_format")
        if self.pattern is not None and not re.fullmatch(self.pattern, value):
            raise BadValue("bad_format")
        return value


@dataclass(frozen=True)
class Choices(Field):
    """Several of `choices`, as a multi-select Input.ChoiceSet sends them: "a,b" (no repeats, at
    most `max_items`); comes back as a sorted tuple. Blank text counts as absent."""

    choices: frozenset[str] = frozenset()
    max_items: int = 20

    def convert(self, raw: object) -> Value:
        if not isinstance(raw, str):
            raise BadValue("wrong_type")
        if len(raw) > self.max_items * (max(map(len, self.choices), default=0) + 2):
            raise BadValue("too_long")
        items = [item.strip() for item in raw.split(",")]
        if items == [""]:
            if self.required:
                raise BadValue("missing")
            return self.default
        if len(items) > self.max_items or len(set(items)) != len(items):
            raise BadValue("bad_format")
        if any(item not in self.choices for item in items):
            raise BadValue("bad_format")
        return tuple(sorted(items))


@dataclass(frozen=True)
class Guid(Field):
    """A GUID (e.g. a Microsoft Entra object id), any case, braces-free; comes back in lower case.
    Absent (or null) is `default`; blank text is "" (an input the person emptied)."""

    required: bool = False

    def convert(self, raw: object) -> Value:
        if not isinstance(raw, str):
            raise BadValue("wrong_type")
        if len(raw) > 64:
            raise BadValue("too_long")
        value = raw.strip().lower()
        if not value:
            if self.required:
                raise BadValue("missing")
            return ""
        if not _GUID.fullmatch(value):
            raise BadValue("bad_format")
        return value


@dataclass(frozen=True)
class Flag(Field):
    """Yes or no: a JSON boolean, or "true"/"false" as an Input.Toggle sends it. Absent (and
    blank text) means no, unless declared `required`: a toggle always sends its value, so a
    form with one can declare that its absence is a fault, not a "no"."""

    required: bool = False
    default: Value = False

    def convert(self, raw: object) -> Value:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and len(raw) <= 5:
            if raw.lower() in _TRUE | _FALSE:
                return raw.lower() in _TRUE
            if not raw:
                if self.required:
                    raise BadValue("missing")
                return False
        raise BadValue("wrong_type")


Shape = Mapping[str, Field]


def check(shape: Shape, value: Mapping[str, Any]) -> dict[str, Value] | ShapeProblem:
    """The declared fields of `value`, checked and converted; anything undeclared is left out."""
    checked: dict[str, Value] = {}
    for name, spec in shape.items():
        raw = value.get(name)
        if raw is None:
            if spec.required:
                return ShapeProblem(name, "missing")
            checked[name] = spec.default
            continue
        try:
            checked[name] = spec.convert(raw)
        except BadValue as problem:
            return ShapeProblem(name, problem.reason)
    return checked
