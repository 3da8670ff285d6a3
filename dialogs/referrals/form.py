"""The referral conversation's steps, worked out from the draft (the domain's field table is the
form; the draft is the truth), so a dialog resumed after a restart or weeks later asks exactly
what is still missing. Plain Python: no Bot Framework, no I/O.

A step is a short string kept in the dialog state:

- `pupil`: "which pupil?" (a named case whose pupil is neither chosen from the roll nor typed in);
- `card:<group>`: one card for the group's missing details that are typed (text, numbers, dates);
- `ask:<field>`: one short question with buttons (a choice or yes/no), one at a time;
- `edit:<group>`: one card with every detail of the group, filled in (from the summary, "change …");
- `summary`: everything, with an edit button per group, Submit and Carry on later.

Groups come in the table's order (pupil, attendance and exclusions, needs, interventions,
programme, consent); within a group, the card comes before its questions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from domain.referrals.fields import FIELDS, FROM_DIRECTORY, IDENTIFYING, missing_fields
from domain.referrals.model import ReferralKind
from domain.referrals.validators import FieldType, FormField, Group, empty

Values = Mapping[str, Any]
QUESTION_TYPES = frozenset({FieldType.YES_NO, FieldType.YES_NO_UNKNOWN, FieldType.CHOICE})
GROUPS: tuple[Group, ...] = tuple(Group)
PUPIL, SUMMARY = "pupil", "summary"
# Words people use for each group, for "change the attendance", "edit needs".
GROUP_WORDS: dict[Group, tuple[str, ...]] = {
    Group.PUPIL: ("pupil", "name", "child", "upn", "date of birth", "sen", "gender", "ehcp"),
    Group.ATTENDANCE_EXCLUSIONS: ("attendance", "exclusion", "suspension", "part-time", "timetable"),
    Group.NEEDS: ("need", "reason", "behaviour", "agenc", "semh", "risk", "strength", "medical"),
    Group.INTERVENTIONS: ("intervention", "plan", "review", "impact"),
    Group.PROGRAMME: ("programme", "support", "purchase", "po", "funding"),
    Group.CONSENT: ("consent", "parent", "carer", "views", "voice", "senior leader", "headteacher"),
}
_CHANGE = re.compile(r"^(?:change|edit|correct|fix|update)\b\s*(?:the\s+|my\s+)?(?P<what>.*)$", re.IGNORECASE)


@dataclass(frozen=True)
class Draft:
    """What the steps need to know of a draft."""

    kind: ReferralKind
    anonymous: bool
    values: Values
    pupil_typed: bool = False  # "not on the list": the pupil's details are typed in


def skipped(draft: Draft) -> frozenset[str]:
    """Fields never asked for this draft: the pupil's identity when anonymous, or known from the roll."""
    if draft.anonymous:
        return IDENTIFYING
    return FROM_DIRECTORY | {"pupil_id"} if draft.values.get("pupil_id") else frozenset({"pupil_id"})


def applicable(draft: Draft, group: Group) -> list[FormField]:
    """The group's fields that apply to this draft now (needed or optional), in table order.
    Optional ones (known-as name, medical needs, ...) are never asked for, but the group's edit
    card offers them."""
    gone = skipped(draft)
    return [
        f
        for f in FIELDS
        if f.group is group
        and f.name not in gone
        and (f.needed(draft.kind, draft.values) if f.required else f.when is None or f.when(draft.values))
    ]


def missing_in(draft: Draft, group: Group) -> list[FormField]:
    gone = skipped(draft)
    return [
        f for f in missing_fields(draft.kind, draft.anonymous, draft.values) if f.group is group and f.name not in gone
    ]


def next_step(draft: Draft) -> str:
    """The first thing still missing, or the summary."""
    named = not draft.anonymous
    if named and not draft.values.get("pupil_id") and not draft.pupil_typed and empty(draft.values.get("first_name")):
        return PUPIL
    for group in GROUPS:
        missing = missing_in(draft, group)
        if any(f.type not in QUESTION_TYPES for f in missing):
            return f"card:{group.value}"
        if missing:
            return f"ask:{missing[0].name}"
    return SUMMARY


def step_fields(draft: Draft, step: str) -> list[FormField]:
    """The fields a step asks for (what its answer may set)."""
    kind, _, name = step.partition(":")
    if kind == "card":
        return [f for f in missing_in(draft, Group(name)) if f.type not in QUESTION_TYPES]
    if kind == "edit":
        return applicable(draft, Group(name))
    if kind == "ask":
        return [f for f in FIELDS if f.name == name]
    return []


def group_of(step: str) -> Group | None:
    kind, _, name = step.partition(":")
    if kind in ("card", "edit"):
        return Group(name)
    if kind == "ask":
        return next(f.group for f in FIELDS if f.name == name)
    return None


def group_asked(text: str) -> Group | None:
    """The group "change the attendance" means, or None if it is not such a request."""
    found = _CHANGE.match(text.strip())
    if found is None:
        return None
    what = found.group("what").lower()
    for group in GROUPS:
        if any(word in what for word in GROUP_WORDS[group]):
            return group
    return None


def filled_groups(draft: Draft) -> list[Group]:
    """The groups that have something to show or edit for this draft."""
    return [group for group in GROUPS if applicable(draft, group)]
