"""A feature's registration: everything it adds to the bot, handed over in one value.

Each feature folder under `dialogs/` has a `feature(...)` function returning a `Feature`;
`app.py` lists the features, one line each, and the bot registers their commands and dialogs
and card actions (and `help` lists the same commands).
"""

from __future__ import annotations

from dataclasses import dataclass

from botbuilder.dialogs import Dialog

from bot.card_actions import CardAction
from bot.commands import Command


@dataclass(frozen=True)
class Feature:
    name: str
    commands: tuple[Command, ...] = ()
    dialogs: tuple[Dialog, ...] = ()
    card_actions: tuple[CardAction, ...] = ()
