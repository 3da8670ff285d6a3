"""The facts in the sentence that starts a referral: "refer Jack Smith in year 9, attendance 62%,
3 suspensions this year" gives a name to look for on the roll, the year group, this year's
attendance and the number of suspensions; "forum" or "partnership" picks the kind. The values
are raw: the domain's validators check them like anything typed on a card. Plain Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from domain.referrals.model import ReferralKind

_YEAR = re.compile(r"\b(?:in\s+)?(?:year|yr|y)\s*(7|8|9|10|11)\b", re.IGNORECASE)
_ATTENDANCE = re.compile(
    r"\battendance\s*(?:of|is|at|=|:)?\s*(\d{1,3}(?:\.\d{1,2})?)\s*%|(\d{1,3}(?:\.\d{1,2})?)\s*%\s*attendance",
    re.IGNORECASE,
)
_SUSPENSIONS = re.compile(
    r"\b(\d{1,3})\s+(?:fixed[- ]term\s+)?(?:suspensions?|exclusions?)\b|\bsuspended\s+(\d{1,3})\s+times\b",
    re.IGNORECASE,
)
_LEAD = re.compile(
    r"^(?:i\s+(?:want|would\s+like|need)\s+to\s+)?(?:make\s+a\s+referral|refer(?:ral)?)\b"
    r"(?:\s+(?:for|of|about))?\s*",
    re.IGNORECASE,
)
_NOT_A_NAME = frozenset(
    {"a", "an", "the", "pupil", "student", "child", "someone", "boy", "girl", "to", "forum", "case"}
)
_NAME_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_KIND_WORDS = (("forum", ReferralKind.FORUM_CASE), ("partnership", ReferralKind.PARTNERSHIP_REFERRAL))


@dataclass(frozen=True)
class Opening:
    name: str | None = None  # a name to look for on the school's roll
    kind: ReferralKind | None = None
    values: dict[str, Any] = field(default_factory=dict)  # raw field values


def read_opening(sentence: str) -> Opening:
    """What the first sentence says; anything it does not say is left out."""
    text = sentence.strip()[:500]
    values: dict[str, Any] = {}
    if year := _YEAR.search(text):
        values["year_group"] = year.group(1)
    if attendance := _ATTENDANCE.search(text):
        values["attendance_percent"] = attendance.group(1) or attendance.group(2)
    if suspensions := _SUSPENSIONS.search(text):
        values["suspensions_count"] = suspensions.group(1) or suspensions.group(2)
    kind = next((k for word, k in _KIND_WORDS if word in text.lower()), None)
    return Opening(_name(text), kind, values)


def _name(text: str) -> str | None:
    """The words after "refer" and before the first fact or comma, if they look like a name."""
    rest = _LEAD.sub("", text, count=1)
    rest = re.split(r",|;|\bto the\b|\bin year\b|\byear\b|\bwith\b|\bwho\b|\bin\b", rest, maxsplit=1)[0]
    words = [w for w in rest.split() if w.lower() not in _NOT_A_NAME]
    if not 1 <= len(words) <= 4 or not all(_NAME_WORD.fullmatch(w) for w in words):
        return None
    return " ".join(words)
