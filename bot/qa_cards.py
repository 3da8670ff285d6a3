"""Adaptive Cards for the Q&A feature: a `Reply` from the knowledge base becomes a card plus plain text.

The words staff read live in the jinja2 templates under `bot/templates/qa/`; every value is put
into the JSON with `tojson`, so quotes, newlines and markup in questions can't break a card.
Plain Python: no Bot Framework import; bot/handler.py decides how the card is sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from typing import Any

from bot.card_text import card_strings
from bot.cards import RenderedCard, render_card
from knowledge import Reply
from knowledge.base import REPLY_MEMO_SIZE
from knowledge.entries import CONTACT_PAGE, LNCIP_SITE

_NOT_IN_SUMMARY = frozenset({"title", "source"})
REFERRAL_ENTRIES = ("referral-",)  # the knowledge base's entries about referring

RenderedReply = RenderedCard


def render_reply(reply: Reply) -> RenderedReply:
    """The card for an answer, a "Did you mean…" or an honest decline. No card shows the question's
    wording or the confidence, so replies differing only in those get the same card: a question
    asked in new words but answered as before costs no rendering. A card is never changed once
    made (the SDK sends a copy)."""
    return _card_for(replace(reply, question="", confidence=0.0))


@lru_cache(maxsize=REPLY_MEMO_SIZE)
def _card_for(reply: Reply) -> RenderedReply:
    return _render(f"qa/{reply.kind}.json.j2", reply=reply)


def offers_referral(reply: Reply) -> bool:
    """An answer about referring: its card may offer to start one (to those the policy lets refer)."""
    return reply.kind == "answer" and reply.entry is not None and reply.entry.id.startswith(REFERRAL_ENTRIES)


def with_ask_button(rendered: RenderedReply, title: str, question: str) -> RenderedReply:
    """A copy of the card with one more button that asks `question` as if it were typed."""
    button = {"type": "Action.Submit", "title": title, "data": {"action": "ask", "question": question}}
    card = {**rendered.card, "actions": [*rendered.card.get("actions", []), button]}
    return RenderedCard(card, rendered.text)


def render_welcome(examples: Sequence[str], commands: Sequence[tuple[str, str]] | None = None) -> RenderedReply:
    """Welcome / help: what the assistant can do, example questions as buttons, optional commands."""
    return _render("qa/welcome.json.j2", examples=list(examples), commands=list(commands or ()))


def _render(template: str, **values: Any) -> RenderedReply:
    return render_card(template, summary=_summary, contact=CONTACT_PAGE, site=LNCIP_SITE, **values)


def _summary(card: dict[str, Any]) -> str:
    """The card as short plain text: the answer itself (no title or source line), the questions
    to choose from when there is no answer, and any page not already quoted."""
    body = [b for b in card.get("body", []) if b.get("id") not in _NOT_IN_SUMMARY]
    lines = [line for line in card_strings(body) if line]
    actions = card.get("actions", [])
    if not any(b.get("id") == "answer" for b in card.get("body", [])):
        lines += [f"- {a['title']}" for a in actions if a.get("type") == "Action.Submit"]
    text = "\n".join(lines)
    urls = [a["url"] for a in actions if a.get("type") == "Action.OpenUrl" and a["url"] not in text]
    return "\n".join([text, *urls])
