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
from bot.commands import Command
from bot.notices import NoticeRenderer
from bot.turn import Turn
from core.clock import Clock
from core.settings import Settings
from db.engine import Database
from domain.scheduler import Job

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


@dataclass(frozen=True)
class FeatureServices:
    """What every feature's factory is given: `feature(services) -> Feature`."""

    database: Database
    settings: Settings
    clock: Clock


FeatureFactory = Callable[[FeatureServices], Feature]
