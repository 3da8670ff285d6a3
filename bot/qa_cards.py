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

_NOT_IN_SUMMARY = frozenset({"title", "source", "feedback"})
REFERRAL_ENTRIES = ("referral-",)  # the knowledge base's entries about referring
BOT_NAME = "LNCIP assistant"  # the name staff @mention (the Teams manifest's short name)
# A link button says which page it opens. The offer's pages, by the end of their address.
PAGE_NAMES = {
    "inclusion-forums": "Inclusion Forum dates",
    "making-a-referral": "Referral Form",
    "meeting-dates": "Core Group dates",
    "links-to-ap-lists-and-reports": "AP lists and reports",
    "schools-advice": "Advice for schools (Ofsted)",
    "schools": "What the SEIPS are for",
    "about_us": "Partnership contact details",
    "lncip-cit.co.uk": "LNCIP website",
    "www.lncip-cit.co.uk": "LNCIP website",
    "www.leicsseips.org": "SEIPS website",
}


def page_name(url: str) -> str:
    """'Referral Form' for https://www.leicsseips.org/making-a-referral; the site's name otherwise."""
    tail = url.rstrip("/").rsplit("/", 1)[-1]
    return PAGE_NAMES.get(tail) or PAGE_NAMES.get(url.split("//", 1)[-1].split("/", 1)[0]) or "Open the web page"


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


def without_message_back(rendered: RenderedReply) -> RenderedReply:
    """The card with plain Action.Submit question buttons (no `msteams` messageBack in their data).

    For local mode only: Microsoft 365 Agents Playground's card renderer (0.2.x) throws "Cannot add
    property msTeams, object is not extensible" when a pressed button's data holds `msteams`, so
    the press never reaches the bot. Teams itself shows the question in the chat (`displayText`).
    The kept card is not changed: a copy of its actions is made."""
    actions = rendered.card.get("actions", [])
    if not any("msteams" in (a.get("data") or {}) for a in actions):
        return rendered
    plain = [
        {**a, "data": {k: v for k, v in a["data"].items() if k != "msteams"}} if "data" in a else a for a in actions
    ]
    return RenderedCard({**rendered.card, "actions": plain}, rendered.text)


def render_help(
    examples: Sequence[str],
    commands: Sequence[tuple[str, str]],
    *,
    personal: bool,
    bot_name: str = BOT_NAME,
    known: bool = True,
    feedback: bool = False,
) -> RenderedReply:
    """`help`: what each command does, how to reach the bot in a group chat or channel, and what
    it cannot do; `commands` are only those that work for this person in this chat."""
    return _render(
        "qa/help.json.j2",
        examples=list(examples),
        commands=list(commands),
        personal=personal,
        bot_name=bot_name,
        known=known,
        feedback=feedback,
    )


def _render(template: str, **values: Any) -> RenderedReply:
    return render_card(template, summary=_summary, contact=CONTACT_PAGE, site=LNCIP_SITE, page_name=page_name, **values)


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
