"""The text a person can see or follow in a message: its text plus every card's visible strings.

Used by the evaluation and the tests, following `../shared/eval/README.md`'s scoring rule:
TextBlock and RichTextBlock text, FactSet titles and values, action titles and OpenUrl URLs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"  # an attachment's content type


def card_strings(node: Any) -> Iterator[str]:
    if isinstance(node, list):
        for item in node:
            yield from card_strings(item)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    if kind == "TextBlock" or kind == "TextRun":
        yield str(node.get("text", ""))
    elif kind == "FactSet":
        for fact in node.get("facts", []):
            yield str(fact.get("title", ""))
            yield str(fact.get("value", ""))
    elif isinstance(kind, str) and kind.startswith("Action."):
        yield str(node.get("title", ""))
        if kind == "Action.OpenUrl":
            yield str(node.get("url", ""))
    for key in ("body", "items", "columns", "inlines", "actions", "card", "selectAction"):
        if key in node:
            yield from card_strings(node[key])


def visible_text(activities: list[dict[str, Any]]) -> str:
    """Everything the user sees in these sent activities, joined with newlines."""
    parts: list[str] = []
    for activity in activities:
        if activity.get("text"):
            parts.append(str(activity["text"]))
        for attachment in activity.get("attachments") or []:
            if attachment.get("contentType") == ADAPTIVE_CARD:
                parts.extend(s for s in card_strings(attachment.get("content")) if s)
    return "\n".join(parts)
