"""The ids Teams gave the referral dialog's step cards that went out held (after the turn's state
was stored), until the dialog's next turn in that conversation takes its card's id into its own
state. Keeping them here, not writing the state a second time, saves every step a write.

A restart, or another instance taking the next turn, finds nothing: that card then keeps its
buttons on screen (a later press on it is a stale press, which the dialog already refuses), and
the dialog carries on.
"""

from __future__ import annotations

from collections import OrderedDict

KEEP = 10_000  # the newest ids kept: far more than the dialogs under way at once

_sent: OrderedDict[str, str] = OrderedDict()


def keep(token: str, card_id: str) -> None:
    """Keep the id Teams gave the card sent under `token` (the oldest go past `KEEP`)."""
    _sent[token] = card_id
    while len(_sent) > KEEP:
        _sent.popitem(last=False)


def take(token: object) -> str | None:
    """The id kept for `token`, forgotten once taken; None when none is kept."""
    return _sent.pop(token, None) if isinstance(token, str) else None
