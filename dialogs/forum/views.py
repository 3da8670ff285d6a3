"""The small card builder the forum's booking and meetings cards share: a title, lines,
sections (heading, facts, buttons), inputs and buttons, rendered by `templates/view.json.j2`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.cards import RenderedCard, render_card


@dataclass(frozen=True)
class Button:
    title: str
    data: dict[str, Any]  # a registered verb and ids only
    style: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"title": self.title, "data": self.data, "style": self.style}


@dataclass(frozen=True)
class Section:
    heading: str
    facts: Sequence[tuple[str, str]] = ()
    buttons: Sequence[Button] = ()


@dataclass(frozen=True)
class View:
    title: str
    lines: Sequence[str] = ()
    sections: Sequence[Section] = ()
    inputs: Sequence[dict[str, Any]] = ()
    buttons: Sequence[Button] = ()
    link: str | None = None


def render(view: View) -> RenderedCard:
    return render_card(
        "forum/view.json.j2",
        title=view.title,
        lines=list(view.lines),
        sections=[
            {"heading": s.heading, "facts": list(s.facts), "buttons": [b.as_dict() for b in s.buttons]}
            for s in view.sections
        ],
        inputs=list(view.inputs),
        buttons=[b.as_dict() for b in view.buttons],
        link=view.link,
    )


def verb(name: str, **ids: Any) -> dict[str, Any]:
    """A button's data: the verb and its ids (None ids left out)."""
    return {"verb": name, **{key: value for key, value in ids.items() if value is not None}}
