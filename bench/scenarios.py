"""What the virtual users say: one `Scenario` per kind of turn the benchmark measures.

A scenario with an `opening` measures a dialog step: each measured turn is preceded by the
opening message (a turn too, but not in the latency figures), each pair in a new
conversation, and the scenario counts as available only when the bot's reply to the step
matches `started` (the dialog really went on). A scenario without an opening but with
`started` (the referral queue) is tried once first the same way: a bot that does not know the
command yet answers something else, and the scenario is skipped with a note. A message may hold `{n}`: the number of the
conversation, so that, e.g., every dialog is asked about a new email address.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from bench.activities import json_text
from knowledge.base import REPLY_MEMO_SIZE

# Staff questions of every kind, from the repository's question sets: more than the bot keeps
# replies for, so that, asked in turn, every one is a question the bot has to work out anew.
QUESTION_SETS = sorted((Path(__file__).resolve().parents[1] / "tests" / "knowledge").glob("qa_*.yaml"))

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


@cache  # read once per run, however many times the scenarios are asked for
def new_questions() -> tuple[str, ...]:
    found: dict[str, None] = {}
    for path in QUESTION_SETS:
        for item in yaml.safe_load(path.read_text(encoding="utf-8")):
            question = " ".join(str(item["question"]).split())
            if question and "{" not in question:
                found[question] = None
    if len(found) <= REPLY_MEMO_SIZE:
        raise RuntimeError(f"qa-new needs more than {REPLY_MEMO_SIZE} questions; {len(found)} found")
    return tuple(found)


# The `people` dialog (dialogs/people.py): `people` asks for an email, the email gets the form.
DIALOG_OPENING = "people"
DIALOG_STEP = "bench.{n}@example.org"
# The form is an Adaptive Card with inputs (any prompt with inputs or suggested actions counts).
DIALOG_STARTED = r'"type":\s*"Input\.|"suggestedActions"'
# Only a Partnership admin may open `people`: the demo data's admin (domain/demo_data.py), whom
# the benchmark loads into the bot's database before starting it.
DIALOG_USER_AAD_ID = "00000000-0000-0000-0000-0000000000020"


# The Partnership's referral queue (dialogs/referrals/partnership.py): one command, one card,
# asked by the demo Partnership Director (a Playground user; the demo data gives referrals in
# every state). Measured only where the bot knows the command: the reply must be the queue.
QUEUE_COMMAND = "referral queue"
QUEUE_SHOWN = r"Referral queue"
QUEUE_USER_AAD_ID = "00000000-0000-0000-0000-0000000000024"

# One step of the referral dialog (dialogs/referrals/refer.py), asked by the demo SENCO of school
# 990101 (a Playground user, who may refer): `refer` asks which kind; the step answers it by typing,
# which starts a draft (a domain row, audited), marks the kind's card answered and asks for the pupil.
REFERRAL_OPENING = "refer"
REFERRAL_STEP = "a referral to the partnership"
REFERRAL_STARTED = r"Which pupil"
REFERRAL_USER_AAD_ID = "00000000-0000-0000-0000-0000000000022"

# Booking a case at the forum (dialogs/forum/book.py): the typed request and its card of forums
# with free slots and deadlines, sent by the demo SENCO Adele Vance (the demo data has this
# term's forums, made relative to the day it is loaded). Measured only where the bot knows it.
BOOK_COMMAND = "book a case at the forum"
BOOK_SHOWN = r"Book a case at the Inclusion Forum"
BOOK_USER_AAD_ID = "00000000-0000-0000-0000-0000000000022"

# Taking the register (dialogs/attendance/register.py): one command, the register cards for the
# session (the demo data's placed pupils, pre-filled from its registers), asked by the demo
# Partnership Coordinator. On a weekend or in a holiday the cards are the last school day's,
# so the turn is the same whatever the day.
REGISTER_COMMAND = "register"
REGISTER_SHOWN = r"Register: "
REGISTER_USER_AAD_ID = "00000000-0000-0000-0000-0000000000025"


@dataclass(frozen=True)
class Scenario:
    name: str
    messages: tuple[str, ...]
    opening: str | None = None
    started: re.Pattern[str] | None = None
    aad_object_id: str = ""  # who sends it (`from.aadObjectId`); empty: nobody the bot knows
    encoded: tuple[bytes, ...] = field(init=False)
    numbered: tuple[bool, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "encoded", tuple(json_text(m) for m in self.messages))
        object.__setattr__(self, "numbered", tuple("{n}" in m for m in self.messages))

    @property
    def encoded_opening(self) -> bytes | None:
        return json_text(self.opening) if self.opening is not None else None

    def message(self, n: int) -> bytes:
        i = n % len(self.messages)
        return json_text(self.messages[i].format(n=n)) if self.numbered[i] else self.encoded[i]


SCENARIOS = (
    "qa",
    "qa-new",
    "help",
    "dialog",
    "queue",
    "referral-step",
    "book",
    "register",
)  # the names `bot_scenarios` gives


def bot_scenarios(
    dialog_opening: str = DIALOG_OPENING, dialog_step: str = DIALOG_STEP, dialog_started: str = DIALOG_STARTED
) -> dict[str, Scenario]:
    """The scenarios for the LNCIP assistant, by name."""
    return {
        "qa": Scenario("qa", STAFF_QUESTIONS),
        "qa-new": Scenario("qa-new", new_questions()),
        "help": Scenario("help", ("help",)),
        "dialog": Scenario(
            "dialog",
            (dialog_step,),
            opening=dialog_opening,
            started=re.compile(dialog_started),
            aad_object_id=DIALOG_USER_AAD_ID,
        ),
        "queue": Scenario("queue", (QUEUE_COMMAND,), started=re.compile(QUEUE_SHOWN), aad_object_id=QUEUE_USER_AAD_ID),
        "referral-step": Scenario(
            "referral-step",
            (REFERRAL_STEP,),
            opening=REFERRAL_OPENING,
            started=re.compile(REFERRAL_STARTED),
            aad_object_id=REFERRAL_USER_AAD_ID,
        ),
        "book": Scenario("book", (BOOK_COMMAND,), started=re.compile(BOOK_SHOWN), aad_object_id=BOOK_USER_AAD_ID),
        "register": Scenario(
            "register", (REGISTER_COMMAND,), started=re.compile(REGISTER_SHOWN), aad_object_id=REGISTER_USER_AAD_ID
        ),
    }


# The baselines get the same activities as the Q&A scenario; they echo whatever they are sent.
ECHO = Scenario("echo", STAFF_QUESTIONS)
