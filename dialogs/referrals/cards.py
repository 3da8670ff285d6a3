"""The referral conversation's cards, all from one template (`templates/refer_card.json.j2`):
a question with buttons, a group of details to fill in, the answered version of either (no
inputs, no buttons), the summary, the rules' refusal, the confirmation and the lists.

Every button of a step carries `{"verb": "referrals.step", "draft": <id>, "n": <the step's
number>}` and its answer, so a press of an old card is recognised and changes nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.cards import RenderedCard, render_card
from bot.texts import text
from domain.referrals.model import ReferralKind
from domain.referrals.rules import RuleBreach
from domain.referrals.validators import MAX_INTERVENTIONS, MAX_TEXT, FieldType, FormField, Group

STEP_VERB = "referrals.step"
BOOK_FORUM_VERB = "forum.book.held"  # the forum feature's (dialogs/forum/book.py): a forum slot for this pupil
INTERVENTION_PARTS = ("what", "started_on", "ended_on", "review", "impact")


def intervention_input(index: int, part: str) -> str:
    """The input id of an intervention's part on the card: `iv_what` for the first, `iv2_what`..."""
    return f"iv_{part}" if index == 0 else f"iv{index + 1}_{part}"


def intervention_inputs(items: Sequence[Any], *, another: bool) -> list[dict[str, Any]]:
    """One block of inputs per intervention recorded (F1 repeats), and an empty one for another."""
    blocks = [item if isinstance(item, Mapping) else {} for item in items] or [{}]
    if another and any(blocks[-1].values()) and len(blocks) < MAX_INTERVENTIONS:
        blocks.append({})
    inputs: list[dict[str, Any]] = []
    for index, item in enumerate(blocks):
        for part in INTERVENTION_PARTS:
            kind = "date" if part.endswith("_on") else "long" if part in ("review", "impact") else "text"
            label = text(f"referrals_iv_{part}")
            if index:
                label = text("referrals_iv_numbered", n=index + 1, label=label)
            inputs.append(
                {
                    "name": intervention_input(index, part),
                    "label": label,
                    "value": shown(item.get(part)),
                    "hint": "",
                    "kind": kind,
                }
            )
    return inputs


YES_NO = ("yes", "no")
YES_NO_UNKNOWN = ("yes", "no", "unknown")


@dataclass(frozen=True)
class View:
    title: str
    lines: list[str] = field(default_factory=list)
    sections: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    inputs: list[dict[str, Any]] = field(default_factory=list)
    buttons: list[dict[str, Any]] = field(default_factory=list)


def render(view: View) -> RenderedCard:
    return render_card("referrals/refer_card.json.j2", view=view)


def step_data(draft: int | None, n: int, answer: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"verb": STEP_VERB, "n": n}
    if draft is not None:
        data["draft"] = draft
    if answer is not None:
        data["answer"] = answer
    return data


def button(title: str, data: Mapping[str, Any], *, inputs: bool = False, style: str | None = None) -> dict[str, Any]:
    return {"title": title, "data": dict(data), "inputs": inputs, "style": style}


def choice_label(value: str) -> str:
    return text(f"referrals_choice_{value}")


def choices_of(form_field: FormField) -> tuple[str, ...]:
    if form_field.type is FieldType.YES_NO:
        return YES_NO
    if form_field.type is FieldType.YES_NO_UNKNOWN:
        return YES_NO_UNKNOWN
    if form_field.type is FieldType.FUNDING_LINES:
        return ("awpu", "pp", "ehcp")
    return form_field.choices


def title_of(kind: ReferralKind | str, anonymous: bool) -> str:
    return _title(str(kind), anonymous)


@functools.cache  # asked several times a step, of a handful of values
def _title(kind: str, anonymous: bool) -> str:
    return text("referrals_title", kind=kind, anonymous=anonymous)


def question(
    title: str, asked: str, answers: Sequence[tuple[str, str]], draft: int | None, n: int, problems: Sequence[str] = ()
) -> RenderedCard:
    """One short question; `answers` are (value, label) pairs, one button each."""
    buttons = [button(label, step_data(draft, n, value)) for value, label in answers]
    return render(View(title, [asked], problems=list(problems), buttons=buttons))


def field_question(title: str, form_field: FormField, draft: int, n: int, problems: Sequence[str] = ()) -> RenderedCard:
    key = f"referrals_ask_{form_field.name}"
    try:
        asked = text(key)
    except KeyError:
        asked = text("referrals_ask_field", label=form_field.label)
    return question(title, asked, [(c, choice_label(c)) for c in choices_of(form_field)], draft, n, problems)


def shown(value: Any) -> str:
    """A clean value as a card shows it (in an input or a fact)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)[:MAX_TEXT]


def _input(form_field: FormField, value: str) -> dict[str, Any]:
    base = {"name": form_field.name, "label": form_field.label, "value": value, "hint": "", "multi": False}
    if form_field.type in (FieldType.PAST_DATE, FieldType.ANY_DATE):
        return base | {"kind": "date"}
    if form_field.type is FieldType.LONG_TEXT:
        return base | {"kind": "long"}
    choices = choices_of(form_field)
    if choices:
        multi = form_field.type is FieldType.FUNDING_LINES
        return base | {
            "kind": "choice",
            "multi": multi,
            "choices": [{"title": choice_label(c), "value": c} for c in choices],
        }
    hints = {
        FieldType.PERCENT: "e.g. 62",
        FieldType.UPN: "13 characters, e.g. A123456789012",
        FieldType.DAYS: "e.g. 4.5",
    }
    return base | {"kind": "text", "hint": hints.get(form_field.type, "")}


def group_card(
    title: str,
    group: Group,
    fields: Sequence[FormField],
    values: Mapping[str, Any],
    draft: int,
    n: int,
    *,
    editing: bool,
    problems: Sequence[str] = (),
) -> RenderedCard:
    """The group's details to fill in, with what is already known (or was just typed) in them."""
    inputs: list[dict[str, Any]] = []
    for form_field in fields:
        if form_field.type is FieldType.INTERVENTIONS:
            # Editing, an empty block under those recorded adds another; leaving it empty adds none.
            inputs += intervention_inputs(list(values.get("interventions") or []), another=editing)
            continue
        inputs.append(_input(form_field, shown(values.get(form_field.name))))
    lines = [
        text(f"referrals_group_{group.value}"),
        text("referrals_edit_intro" if editing else "referrals_card_intro"),
    ]
    buttons = [
        button(text("referrals_save" if editing else "referrals_next"), step_data(draft, n, "next"), inputs=True),
        button(text("referrals_back"), step_data(draft, n, "back")),
    ]
    return render(View(title, lines, problems=list(problems), inputs=inputs, buttons=buttons))


def facts_of(fields: Sequence[FormField], values: Mapping[str, Any]) -> list[dict[str, str]]:
    facts: list[dict[str, str]] = []
    for form_field in fields:
        value = values.get(form_field.name)
        if value is None:
            continue
        if form_field.type is FieldType.INTERVENTIONS and isinstance(value, list):
            for item in value:
                started, ended = item.get("started_on") or "", item.get("ended_on") or ""
                facts.append({"title": "Intervention", "value": f"{item.get('what')} ({started} to {ended})"})
            continue
        if choices_of(form_field) and isinstance(value, str | bool | list):
            items = value if isinstance(value, list) else [shown(value)]
            facts.append({"title": form_field.label, "value": ", ".join(choice_label(v) for v in items)})
            continue
        facts.append({"title": form_field.label, "value": shown(value)})
    return facts


def answered(title: str, asked: str, facts: Sequence[dict[str, str]]) -> RenderedCard:
    """What a card becomes once answered: the question and the answer, nothing to press."""
    return render(View(title, [asked], sections=[{"title": text("referrals_answered"), "facts": list(facts)}]))


def moved_on(title: str) -> RenderedCard:
    """A card left behind unanswered (the step was asked again below): nothing to press."""
    return render(View(title, [text("referrals_moved_on")]))


def summary(
    title: str, groups: Sequence[tuple[Group, list[dict[str, str]]]], draft: int, n: int, *, header: str | None = None
) -> RenderedCard:
    sections = [
        {
            "title": text(f"referrals_group_{group.value}"),
            "facts": facts,
            "button": button(text("referrals_change"), step_data(draft, n, f"edit:{group.value}")),
        }
        for group, facts in groups
    ]
    buttons = [
        button(text("referrals_submit"), step_data(draft, n, "submit"), style="positive"),
        button(text("referrals_later"), step_data(draft, n, "later")),
    ]
    lines = [title, text("referrals_summary_intro")] + ([header] if header else [])
    return render(View(text("referrals_summary_title"), lines, sections=sections, buttons=buttons))


def refused(
    title: str, breaches: Sequence[RuleBreach], draft: int, n: int, *, anonymous_possible: bool
) -> RenderedCard:
    lines = [text("referrals_refused_intro")]
    for breach in breaches:
        lines += [f"**{breach.reason}**", text("referrals_way_forward", way=breach.way_forward)]
    buttons: list[dict[str, Any]] = []
    codes = {b.code for b in breaches}
    if "forum_first" in codes:
        buttons.append(button(text("referrals_book_forum"), {"verb": BOOK_FORUM_VERB, "id": draft}, style="positive"))
        buttons.append(button(text("referrals_forum_instead"), step_data(draft, n, "forum_instead")))
    if "no_consent" in codes and anonymous_possible:
        buttons.append(button(text("referrals_anonymous_instead"), step_data(draft, n, "anonymous_instead")))
    buttons += [
        button(text("referrals_change"), step_data(draft, n, "summary")),
        button(text("referrals_later"), step_data(draft, n, "later")),
    ]
    return render(View(text("referrals_refused_title"), [title, *lines], buttons=buttons))


def sent(title: str, reference: str, what: str) -> RenderedCard:
    return render(
        View(
            text("referrals_sent_title", reference=reference),
            [title, text("referrals_sent", what=what, reference=reference)],
        )
    )


def stale() -> RenderedCard:
    return render(View(text("referrals_stale_card"), [text("referrals_stale")]))


def listing(title: str, lines: Sequence[tuple[str, str, dict[str, Any] | None]], empty: str) -> RenderedCard:
    """A list of referrals or drafts: (heading, detail, a button's data or None) each."""
    if not lines:
        return render(View(title, [empty]))
    sections = [
        {
            "title": heading,
            "facts": [{"title": "", "value": detail}],
            "button": button(text("referrals_carry_on"), data) if data else None,
        }
        for heading, detail, data in lines
    ]
    return render(View(title, sections=sections))


def day(on: date) -> str:
    return f"{on:%-d %B %Y}"
