"""The command router: each feature registers its commands here in one line.

`help` lists exactly the registered commands this person may use, so it never advertises
what does not work for them.
"""

from __future__ import annotations

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
    # The action is asked about a record of this kind at the person's own school, made by them
    # (`refer`: a new referral); None: about no record in particular.
    own_record: RecordKind | None = None

    def decision(self, actor: Actor | None) -> Decision | None:
        """The policy's answer for this person, or None if the command needs no permission."""
        if self.action is None:
            return None
        target = None
        if self.own_record is not None and actor is not None:
            target = Target(self.own_record, school_id=actor.school_id, owner_person_id=actor.person_id)
        return decide(actor, self.action, target)

    def allowed_for(self, actor: Actor | None) -> bool:
        decision = self.decision(actor)
        return decision is None or decision.allowed


class CommandRouter:
    def __init__(self) -> None:
        self._commands: dict[str, Command] = {}
        self._by_word: dict[str, Command] = {}

    def register(self, command: Command) -> None:
        for word in (command.name, *command.aliases):
            key = word.lower()
            if key in self._by_word:
                raise ValueError(f"command word {word!r} is registered twice")
            self._by_word[key] = command
        self._commands[command.name] = command

    def match(self, message: str) -> tuple[Command, str] | None:
        """The command a message is (a whole word or phrase, any case), and the rest of it.

        "help" is a command; "Help! a year 10 is refusing school" is a question, so a word
        followed by more text is a command only for commands that take arguments. A name or
        alias of several words ("my drafts", "i want to refer") is matched at the start, longest first."""
        spaced = " ".join(message.split())
        lowered = spaced.lower()
        for phrase in sorted((w for w in self._by_word if " " in w), key=len, reverse=True):
            if lowered.rstrip("/!.?,:") == phrase or lowered.startswith(phrase + " "):
                rest = spaced[len(phrase) :].strip()
                rest = "" if not rest.strip("/!.?,:") else rest
                if rest and not self._by_word[phrase].takes_args:
                    continue
                return self._by_word[phrase], rest
        word, _, rest = message.strip().partition(" ")
        command = self._by_word.get(word.lower().strip("/!.?,:"))
        if command is None or (rest.strip() and not command.takes_args):
            return None
        return command, rest.strip()

    def listed_for(self, actor: Actor | None, personal: bool = True) -> list[tuple[str, str]]:
        """What `help` shows: commands this person may use, here (private-chat-only ones
        are left out of a channel's or group chat's list)."""
        return [
            (c.name, c.description)
            for c in self._commands.values()
            if c.allowed_for(actor) and (personal or not c.personal_only)
        ]
