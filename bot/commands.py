"""The command router: each feature registers its commands here in one line.

`help` lists exactly the registered commands this person may use, so it never advertises
what does not work for them.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.turn import Turn
from domain.access import Action, Actor, Decision, RecordKind, Target, decide

CommandRun = Callable[[Turn], Awaitable[None]]


@dataclass(frozen=True)
class Command:
    name: str
    description: str
    run: CommandRun
    aliases: tuple[str, ...] = ()
    action: Action | None = None  # the policy action a person needs; None: anyone
    personal_only: bool = False  # multi-step work happens in a private chat, not a channel
    takes_args: bool = False  # "people a@b.org"; otherwise only the bare word is the command
    starts_dialog: bool = False  # gets the turn's dialog context (`Turn.dialogs`); others get None
    in_menu: bool = False  # listed in the Teams app's command menu (the manifest), for everyone to see
    # With `takes_args`: which arguments make the message this command ("attendance this week");
    # other words after the command word leave the message to the Q&A ("attendance codes?").
    accepts: Callable[[str], bool] | None = None
    # The record `action` is about, for the person asking, when the policy needs one to decide
    # (taking the register: placed pupils; a school's attendance: the asker's own school).
    target: Callable[[Actor | None], Target | None] | None = None

    def decide(self, actor: Actor | None) -> Decision | None:
        """The policy's answer for this person; None for a command open to anyone."""
        if self.action is None:
            return None
        return decide(actor, self.action, self.target(actor) if self.target is not None else None)

    def allowed_for(self, actor: Actor | None) -> bool:
        decision = self.decide(actor)
        return decision is None or decision.allowed


class CommandRouter:
    def __init__(self) -> None:
        self._commands: dict[str, Command] = {}
        self._by_word: dict[str, Command] = {}
        self._phrases: list[str] = []  # names and aliases of several words, longest first

    def register(self, command: Command) -> None:
        for word in (command.name, *command.aliases):
            key = _phrase(word)
            if key in self._by_word:
                raise ValueError(f"command word {word!r} is registered twice")
            self._by_word[key] = command
            if " " in key:
                self._phrases = sorted([*self._phrases, key], key=len, reverse=True)
        self._commands[command.name] = command

    def match(self, message: str) -> tuple[Command, str] | None:
        """The command a message is (a whole word or phrase, any case), and the rest of it.

        "help" is a command; "Help! a year 10 is refusing school" is a question, so a word
        followed by more text is a command only for commands that take arguments. A name or
        alias of several words ("take the register", "my drafts") is matched at the start,
        longest first."""
        cased = _tidy(message)
        spaced = cased.lower()
        for phrase in self._phrases:
            if spaced == phrase or spaced.startswith(phrase + " "):
                rest = cased[len(phrase) :].strip()
                if not rest or _takes(self._by_word[phrase], rest):
                    return self._by_word[phrase], rest
        word, _, rest = cased.partition(" ")
        command = self._by_word.get(word.lower())
        if command is None or (rest and not _takes(command, rest)):
            return None
        return command, rest

    def listed_for(self, actor: Actor | None, personal: bool = True) -> list[tuple[str, str]]:
        """What `help` shows: commands this person may use, here (private-chat-only ones
        are left out of a channel's or group chat's list)."""
        return [
            (c.name, c.description)
            for c in self._commands.values()
            if c.allowed_for(actor) and (personal or not c.personal_only)
        ]


def own_record(kind: RecordKind) -> Callable[[Actor | None], Target | None]:
    """A command's target: a record of `kind` at the person's own school, made by them
    (`refer`: a new referral)."""

    def target(actor: Actor | None) -> Target | None:
        return Target(kind, school_id=actor.school_id, owner_person_id=actor.person_id) if actor else None

    return target


def _tidy(words: str) -> str:
    """Single spaces, a straight apostrophe (Teams may send a curly one), no punctuation around."""
    return re.sub(r"\s+", " ", words.replace("\u2019", "'")).strip().strip("/!.?,:").strip()


def _phrase(words: str) -> str:
    """A command word or phrase as matched: tidied, lower case."""
    return _tidy(words).lower()


def _takes(command: Command, rest: str) -> bool:
    """Whether the words after the command make the message this command."""
    return command.takes_args and (command.accepts is None or command.accepts(rest))
