"""The command router: each feature registers its commands here in one line.

`help` lists exactly the registered commands this person may use, so it never advertises
what does not work for them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.turn import Turn
from domain.access import Action, Actor, decide

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

    def allowed_for(self, actor: Actor | None) -> bool:
        return self.action is None or decide(actor, self.action).allowed


class CommandRouter:
    def __init__(self) -> None:
        self._commands: dict[str, Command] = {}
        self._by_word: dict[str, Command] = {}

    def register(self, command: Command) -> None:
        for word in (command.name, *command.aliases):
            key = " ".join(word.lower().split())  # an alias may be a phrase: "open concerns"
            if key in self._by_word:
                raise ValueError(f"command word {word!r} is registered twice")
            self._by_word[key] = command
        self._commands[command.name] = command

    def match(self, message: str) -> tuple[Command, str] | None:
        """The command a message is (a whole word, any case), and the rest of it.

        "help" is a command; "Help! a year 10 is refusing school" is a question, so a word
        followed by more text is a command only for commands that take arguments."""
        phrase = " ".join(message.lower().strip(" /!.?,:").split())
        if " " in phrase and phrase in self._by_word:  # a whole phrase alias, e.g. "open concerns"
            return self._by_word[phrase], ""
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
