"""What the virtual users say: one `Scenario` per kind of turn the benchmark measures.

A scenario with an `opening` measures a dialog step: each measured turn is preceded by the
opening message (a turn too, but not in the latency figures), and the scenario counts as
available only when the bot's reply to the opening matches `started`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bench.activities import json_text

# Real staff questions (from ../shared/eval/qa_public.yaml and the issue), rotated per turn.
STAFF_QUESTIONS = (
    "how many KS4 places?",
    "KS3 places?",
    "is in-school support free?",
    "What does the partnership engagement officer do?",
    "How do we ask for partnership support in school? What do we need to set up?",
    "wen does da IF meet n is it on teams or wat",
    "is there a PRU in leicestershire?",
    "wots it cost us 2 send a yr10 2 u full time innit",
)

DIALOG_OPENING = "refer"
DIALOG_STEP = "cancel"
# A dialog prompt asks for input: an Adaptive Card input or suggested actions.
DIALOG_STARTED = r'"type":\s*"Input\.|"suggestedActions"'


@dataclass(frozen=True)
class Scenario:
    name: str
    messages: tuple[str, ...]
    opening: str | None = None
    started: re.Pattern[str] | None = None
    encoded: tuple[bytes, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "encoded", tuple(json_text(m) for m in self.messages))

    @property
    def encoded_opening(self) -> bytes | None:
        return json_text(self.opening) if self.opening is not None else None

    def message(self, n: int) -> bytes:
        return self.encoded[n % len(self.encoded)]


def bot_scenarios(
    dialog_opening: str = DIALOG_OPENING, dialog_step: str = DIALOG_STEP, dialog_started: str = DIALOG_STARTED
) -> dict[str, Scenario]:
    """The scenarios for the LNCIP assistant, by name."""
    return {
        "qa": Scenario("qa", STAFF_QUESTIONS),
        "help": Scenario("help", ("help",)),
        "dialog": Scenario("dialog", (dialog_step,), opening=dialog_opening, started=re.compile(dialog_started)),
    }


# The baselines get the same activities as the Q&A scenario; they echo whatever they are sent.
ECHO = Scenario("echo", STAFF_QUESTIONS)
