"""Adaptive Cards for the Q&A feature: a `Reply` from the knowledge base becomes a card plus plain text.

The words staff read live in the jinja2 templates under `bot/templates/qa/`; every value is put
into the JSON with `tojson`, so quotes, newlines and markup in questions can't break a card.
Plain Python: no Bot Framework import, so the lead's handler decides how the card is sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from knowledge import Reply
from knowledge.entries import CONTACT_PAGE, LNCIP_SITE

TEMPLATES = Path(__file__).resolve().parent / "templates"
# Teams reads this key of an Action.Submit's data: imBack posts `value` as the user's message.
TEAMS_DATA_KEY = "msTeams"
MAX_CARD_BYTES = 80_000  # Teams accepts about 100 KB per message; stay well under

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    undefined=StrictUndefined,
    autoescape=False,  # JSON, not HTML: values are escaped by `tojson` instead
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=False,
)


@dataclass(frozen=True)
class RenderedReply:
    """A card ready to attach, and the same content as plain text (also the card's fallbackText)."""

    card: dict[str, Any]
    text: str


def render_reply(reply: Reply) -> RenderedReply:
    """The card for an answer, a "Did you mean…" or an honest decline."""
    return _render(f"qa/{reply.kind}.json.j2", reply=reply)


def render_welcome(examples: Sequence[str], commands: Sequence[tuple[str, str]] | None = None) -> RenderedReply:
    """Welcome / help: what the assistant can do, example questions as buttons, optional commands."""
    return _render("qa/welcome.json.j2", examples=list(examples), commands=list(commands or ()))


def visible_text(card: dict[str, Any]) -> list[str]:
    """Every string a user can see or follow on the card, in order (body first, then actions)."""
    return list(_visible(card.get("body", []))) + list(_visible(card.get("actions", [])))


def _render(template: str, **values: Any) -> RenderedReply:
    source = _env.get_template(template).render(
        contact=CONTACT_PAGE, site=LNCIP_SITE, teams_key=TEAMS_DATA_KEY, **values
    )
    card: dict[str, Any] = json.loads(source)
    text = "\n".join(_visible(card.get("body", [])))
    urls = [a["url"] for a in card.get("actions", []) if a.get("type") == "Action.OpenUrl" and a["url"] not in text]
    if urls:
        text += "\n" + "\n".join(urls)
    card["fallbackText"] = text
    return RenderedReply(card=card, text=text)


def _visible(elements: Any) -> Iterator[str]:
    for element in elements if isinstance(elements, list) else [elements]:
        if not isinstance(element, dict):
            continue
        kind = element.get("type")
        if kind == "TextBlock":
            yield element["text"]
        elif kind == "RichTextBlock":
            yield "".join(inline.get("text", "") for inline in element.get("inlines", []))
        elif kind == "FactSet":
            for fact in element.get("facts", []):
                yield f"{fact['title']}: {fact['value']}"
        elif kind and kind.startswith("Action."):
            yield element.get("title", "")
            if kind == "Action.OpenUrl":
                yield element["url"]
        for child in ("items", "columns", "body"):
            yield from _visible(element.get(child, []))
