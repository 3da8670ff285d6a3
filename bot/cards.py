"""Renders Adaptive Cards from the jinja2 templates under `bot/templates/<feature>/`.

Values go into the JSON with `tojson`, never hand-quoted, so user input cannot break a card.
Each rendered card carries a plain-text `fallbackText` built from its visible strings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from bot.card_text import card_strings

TEMPLATES = Path(__file__).resolve().parent / "templates"
MAX_CARD_BYTES = 80_000  # Teams accepts about 100 KB a message; stay well under
TEAMS_DATA_KEY = "msTeams"  # Teams reads this key of an Action.Submit's data (imBack posts `value`)

env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    undefined=StrictUndefined,
    autoescape=False,  # JSON, not HTML: values are escaped by `tojson` instead
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class RenderedCard:
    """A card ready to attach, and the same content as plain text (also its fallbackText)."""

    card: dict[str, Any]
    text: str


def render_card(template: str, **values: Any) -> RenderedCard:
    source = env.get_template(template).render(teams_key=TEAMS_DATA_KEY, **values)
    card: dict[str, Any] = json.loads(source)
    text = "\n".join(s for s in card_strings(card.get("body", [])) if s)
    card["fallbackText"] = text
    if len(json.dumps(card).encode()) > MAX_CARD_BYTES:
        raise ValueError(f"{template} rendered a card over {MAX_CARD_BYTES} bytes")
    return RenderedCard(card, text)
