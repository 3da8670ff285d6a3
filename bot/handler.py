"""The activity handler: routes each Teams activity to a command, a dialog or the Q&A."""

from __future__ import annotations

import logging
from typing import Any

from botbuilder.core import ActivityHandler, TurnContext
from botbuilder.schema import ChannelAccount

from bot.activities import card_activity, conversation_type, mentions_bot, message_text, tenant_id
from bot.commands import Command, CommandRouter
from bot.qa_cards import render_reply, render_welcome
from bot.texts import text
from core.logs import log_event, new_correlation_id
from core.settings import Settings
from knowledge import KnowledgeBase

log = logging.getLogger("lncip.turn")


class LncipBot(ActivityHandler):
    def __init__(self, settings: Settings, knowledge: KnowledgeBase, commands: CommandRouter | None = None) -> None:
        self.settings = settings
        self.knowledge = knowledge
        self.commands = commands or CommandRouter()
        self.commands.register(Command("help", "What I can do", self._help, aliases=("hi", "hello", "start", "menu")))

    async def on_turn(self, turn_context: TurnContext) -> None:
        new_correlation_id()
        activity = turn_context.activity
        fields: dict[str, Any] = {
            "activity_type": activity.type,
            "conversation_type": conversation_type(activity),
            "channel_id": activity.channel_id,
        }
        if not self.settings.tenant_allowed(tenant_id(activity)):
            # Another organisation's tenant: no service, and nothing about the request kept.
            log_event(log, "tenant_refused", logging.WARNING, **fields)
            return
        log_event(log, "turn", **fields)
        await super().on_turn(turn_context)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        if conversation_type(activity) != "personal" and not mentions_bot(activity):
            return  # in group chats and channels the bot speaks only when @mentioned
        question = message_text(activity)
        if not question:
            await turn_context.send_activity(text("empty_message"))
            return
        routed = self.commands.match(question)
        if routed:
            command, rest = routed
            await command.run(turn_context, rest)
            return
        await self._answer(turn_context, question)

    async def on_members_added_activity(self, members_added: list[ChannelAccount], turn_context: TurnContext) -> None:
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        bot_added = any(member.id == bot_id for member in members_added)
        user_added_to_personal_chat = conversation_type(turn_context.activity) == "personal" and any(
            member.id != bot_id for member in members_added
        )
        if bot_added or user_added_to_personal_chat:
            await self._help(turn_context, "")

    async def _help(self, turn_context: TurnContext, _rest: str) -> None:
        rendered = render_welcome(self.knowledge.welcome_examples(), commands=self.commands.listed)
        await turn_context.send_activity(card_activity(rendered.card, rendered.text))

    async def _answer(self, turn_context: TurnContext, question: str) -> None:
        reply = self.knowledge.reply(question)
        log_event(log, "answered", kind=reply.kind, entry_id=reply.entry.id if reply.entry else None)
        rendered = render_reply(reply)
        await turn_context.send_activity(card_activity(rendered.card, rendered.text))
