"""Card rendering: a card over the size limit is refused, and the cheap size bound that
spares measuring most cards never undercounts."""

from __future__ import annotations

import json
import random

import pytest
from jinja2 import DictLoader

from bot import cards
from bot.cards import _size_bound, render_card
from domain.conversations import MAX_MESSAGE_BYTES

# Characters whose JSON form is longest: control characters, quotes, backslashes, and
# characters outside ASCII and outside the Basic Multilingual Plane.
AWKWARD = ["\x00", "\x1f", '"', "\\", "\n", "é", "’", "\u2028", "😀", "𝔘", "a", " "]


@pytest.mark.parametrize("seed", range(50))
def test_the_size_bound_is_never_below_the_size(seed: int) -> None:
    rng = random.Random(seed)
    strings = ["".join(rng.choice(AWKWARD) for _ in range(rng.randrange(0, 40))) for _ in range(6)]
    card = {"type": "AdaptiveCard", "body": [{"text": s, "n": rng.random() * 1e6} for s in strings]}
    source = json.dumps(card, ensure_ascii=rng.random() < 0.5, separators=(",", ":"))
    text = "".join(strings)
    exact = len(json.dumps({**json.loads(source), "fallbackText": text}).encode())
    assert _size_bound(source, text) >= exact


def test_a_card_over_the_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    loader = DictLoader(
        {"big.json.j2": '{"type": "AdaptiveCard", "body": [{"type": "TextBlock", "text": {{ t|tojson }}}]}'}
    )
    monkeypatch.setattr(cards.env, "loader", loader)
    cards.env.cache.clear()
    assert render_card("big.json.j2", t="x" * 1000).text == "x" * 1000
    assert render_card("big.json.j2", t="x" * 7000).text == "x" * 7000  # past the bound, measured: fits
    with pytest.raises(ValueError, match="over 80000 bytes"):
        render_card("big.json.j2", t="😀" * (MAX_MESSAGE_BYTES // 12))
