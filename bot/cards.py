"""Renders Adaptive Cards from jinja2 templates: the Q&A's under `bot/templates/qa/`, each
feature's under `dialogs/<feature>/templates/`, both named `<feature>/<file>` (e.g.
`people/form.json.j2`).

Values go into the JSON with `tojson`, never hand-quoted, so user input cannot break a card.
Buttons that ask something are plain `Action.Submit`s whose data carries the verb and the
question (`{"action": "ask", "question": …}`), so any instance can handle a press after a
restart. (An `msteams` imBack would echo the question into the chat in Teams, but Agents
Playground drops such presses, so we do not rely on it.) Buttons that act on a record carry a
registered verb and ids only (`{"verb": "referral.decide", "id": 42}`): see `bot/card_actions.py`.
Each rendered card carries a plain-text `fallbackText` built from its visible strings.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, PrefixLoader, StrictUndefined

from bot.card_text import card_strings
from domain.conversations import MAX_MESSAGE_BYTES

TEMPLATES = Path(__file__).resolve().parent / "templates"
FEATURE_TEMPLATES = {
    folder.parent.name: folder for folder in sorted((TEMPLATES.parent.parent / "dialogs").glob("*/templates"))
}

env = Environment(
    loader=PrefixLoader(
        {
            **{name.name: FileSystemLoader(name) for name in TEMPLATES.iterdir() if name.is_dir()},
            **{name: FileSystemLoader(folder) for name, folder in FEATURE_TEMPLATES.items()},
        }
    ),
    undefined=StrictUndefined,
    autoescape=False,  # JSON, not HTML: values are escaped by `tojson` instead
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,  # templates ship with the code: no file check on every render
)


@dataclass(frozen=True)
class RenderedCard:
    """A card ready to attach, and the same content as plain text (also its fallbackText)."""

    card: dict[str, Any]
    text: str


def body_text(card: dict[str, Any]) -> str:
    """The default plain-text version of a card: the visible strings of its body."""
    return "\n".join(s for s in card_strings(card.get("body", [])) if s)


def _size_bound(source: str, text: str) -> int:
    """At least the size of `json.dumps` of the card parsed from `source` with `text` added:
    each character of either comes out as at most 12 bytes (a character outside the BMP as
    two `\\uXXXX` escapes), plus the new key. Only a card whose bound passes the limit is
    serialised to be measured exactly."""
    return 12 * (len(source) + len(text)) + len(', "fallbackText": ""')


def render_card(template: str, summary: Callable[[dict[str, Any]], str] = body_text, **values: Any) -> RenderedCard:
    """Render `template` with `values`; `summary` turns the card into its plain-text version."""
    source = env.get_template(template).render(**values)
    card: dict[str, Any] = json.loads(source)
    text = summary(card)
    card["fallbackText"] = text
    if _size_bound(source, text) > MAX_MESSAGE_BYTES and len(json.dumps(card).encode()) > MAX_MESSAGE_BYTES:
        raise ValueError(f"{template} rendered a card over {MAX_MESSAGE_BYTES} bytes")
    return RenderedCard(card, text)
