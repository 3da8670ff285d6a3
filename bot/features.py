"""A feature's registration: everything it adds to the bot, handed over in one value.

Each feature folder under `dialogs/` has a `feature(...)` function returning a `Feature`;
`app.py` lists the features, one line each: the bot registers their commands, dialogs and
card actions (`help` lists the same commands), the notifier their notice renderers, and the
scheduler their jobs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from botbuilder.dialogs import Dialog

from bot.card_actions import CardAction
from bot.cards import RenderedCard
from bot.commands import Command
from bot.notices import NoticeRenderer
from bot.turn import Turn
from core.clock import Clock
from core.settings import Settings
from db.engine import Database
from domain.scheduler import Job
from knowledge import Reply

# Called with each Q&A reply before it is sent; returns the card to send (e.g. with rating buttons
# added). It must not change the card it is given: answers' cards are kept and sent again.
ReplyHook = Callable[[Turn, Reply, RenderedCard], Awaitable[RenderedCard]]

# A question in words that a feature answers from its own records ("when is the next forum?"),
# tried before the Q&A; True when it answered, False to leave the question to the Q&A.
Answer = Callable[[Turn, str], Awaitable[bool]]


@dataclass(frozen=True)
class Feature:
    name: str
    commands: tuple[Command, ...] = ()
    dialogs: tuple[Dialog, ...] = ()
    card_actions: tuple[CardAction, ...] = ()
    notice_renderers: Mapping[str, NoticeRenderer] = field(default_factory=dict)  # notice kind -> renderer
    jobs: tuple[Job, ...] = ()
    answers: tuple[Answer, ...] = ()
    reply_hooks: tuple[ReplyHook, ...] = ()


@dataclass(frozen=True)
class FeatureServices:
    """What every feature's factory is given: `feature(services) -> Feature`."""

    database: Database
    settings: Settings
    clock: Clock


FeatureFactory = Callable[[FeatureServices], Feature]
