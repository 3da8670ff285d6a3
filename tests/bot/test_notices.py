"""The notice renderers' registry: one renderer per kind, found by the notice's kind."""

from __future__ import annotations

import pytest

from bot.cards import RenderedCard, render_card
from bot.notices import NoticeRenderers
from domain.notices import Notice, NoticeError, UnknownNoticeKind
from domain.notifier import message_bytes

CARD = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "Forum booked"}]}
BOOKED = Notice("forum.booked", {"forum_id": 5}, "forum.booked:5")


async def forum_booked(notice: Notice) -> RenderedCard:
    return RenderedCard(CARD, f"Forum {notice.payload['forum_id']} booked")


async def test_a_notice_is_rendered_by_the_renderer_for_its_kind() -> None:
    renderers = NoticeRenderers()
    renderers.register("forum.booked", forum_booked)
    message = await renderers(BOOKED)
    assert message is not None and (message.card, message.text) == (CARD, "Forum 5 booked")
    assert renderers.kinds == {"forum.booked"}


async def test_a_kind_nobody_registered_is_unknown() -> None:
    with pytest.raises(UnknownNoticeKind):
        await NoticeRenderers()(BOOKED)


def test_a_kind_has_one_renderer_and_a_proper_name() -> None:
    renderers = NoticeRenderers()
    renderers.register("forum.booked", forum_booked)
    with pytest.raises(ValueError, match="already"):
        renderers.register("forum.booked", forum_booked)
    with pytest.raises(NoticeError):
        renderers.register("Forum Booked", forum_booked)


async def test_a_template_card_is_a_rendered_message() -> None:
    # What a feature's renderer returns: a card from its templates, with its plain text.
    async def welcome(notice: Notice) -> RenderedCard:
        return render_card("qa/welcome.json.j2", examples=notice.payload["examples"], commands=[])

    renderers = NoticeRenderers()
    renderers.register("qa.welcome", welcome)
    message = await renderers(Notice("qa.welcome", {"examples": ["What is a forum?"]}, "qa.welcome:1"))
    assert message is not None and message.card["type"] == "AdaptiveCard" and message.text
    assert 0 < message_bytes(message) < 80_000
