"""The activity handler: who is talking, then a card action, a dialog, a command or the Q&A.

A card's button press (a message whose `value` is the button's data) is answered wherever it
happens: Teams puts no @mention in it, so the group-chat and channel rule "speak only when
@mentioned" applies to typed messages only. A press whose data names a `verb` goes to the card
action router (`bot/card_actions.py`) before any dialog: card actions need no dialog state. Only
a verb the router does not know, pressed while a dialog is under way, is left to that dialog.
A press of a dialog's form (`bot/forms.py`) that was already saved, or whose dialog has ended,
is answered here ("already saved", "expired"), never by a dialog waiting on another card.

A turn's replies leave only after its state is stored (`bot/held_replies.py`): a process killed
at any point of a turn comes back at the step the person last saw, or the one before it with
nothing of the later step shown."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from botbuilder.core import ActivityHandler, InvokeResponse, TurnContext
from botbuilder.dialogs import DialogContext, DialogSet
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount

from bot import held_replies
from bot.activities import conversation_type, mentions_bot, message_text, tenant_id
from bot.card_actions import INVOKE_NAME, VERB, CardActionRouter, Refusal
from bot.cards import RenderedCard
from bot.commands import Command, CommandRouter
from bot.features import Feature
from bot.forms import FORM_KEY, FORMS_KEY, Forms, FormStatus, form_of
from bot.proactive import address_from_activity
from bot.qa_cards import (
    BOT_NAME,
    render_help,
    render_reply,
    render_welcome,
    without_message_back,
)
from bot.storage import DatabaseConversationState
from bot.texts import text
from bot.turn import ANSWER_KEY, LOG_KEY, PERSON_KEY, Turn, log_outcome, person_of
from core.clock import Clock, SystemClock
from core.logs import log_event, new_correlation_id
from core.settings import Settings
from db.engine import Database
from domain.conversations import PERSONAL, mark_removed, remember
from domain.directory.model import PersonRecord
from domain.directory.queries import get_school, resolve_person
from domain.requester import Requester, record_refusal
from knowledge import KnowledgeBase

log = logging.getLogger("lncip.turn")
_FORM_ACTION = re.compile(r"[a-z][a-z_]{0,30}\.save")  # a form's Save, named by its feature
CANCEL_WORDS = frozenset({"cancel", "stop", "quit", "exit", "never mind", "nevermind"})
# Teams' own 👍/👎 on a bot message (channelData.feedbackLoopEnabled) arrives as this invoke; it is
# handled as the Q&A feedback feature's rating verb, so there is one way to keep a rating.
FEEDBACK_INVOKE = "message/submitAction"
FEEDBACK_VERB = "qa.rate"
# Inside a dialog, typed text that asks something ("what's a PO?", "how do I refer") is a question
# to answer before the dialog asks again, not the answer the dialog is waiting for.
_ASKS = re.compile(
    r"\?\s*$|^\s*(what|whats|who|whos|how|when|where|why|which|can|could|is|are|do|does|should|will)\b", re.IGNORECASE
)
DIALOG_STATE = "DialogState"  # the conversation state property holding the dialog stack


def _removes_the_app(activity: Activity) -> bool:
    """An `installationUpdate` whose action is `remove` (or `remove-upgrade`)."""
    return activity.type == "installationUpdate" and str(activity.action or "").startswith("remove")


class LncipBot(ActivityHandler):
    def __init__(
        self,
        settings: Settings,
        knowledge: KnowledgeBase,
        database: Database | None = None,
        conversation_state: DatabaseConversationState | None = None,
        features: Sequence[Feature] = (),
        clock: Clock | None = None,
    ) -> None:
        self.settings = settings
        self.knowledge = knowledge
        self.database = database
        self.clock = clock or SystemClock()
        self.conversation_state = conversation_state
        self.dialog_set: DialogSet | None = None
        self.forms: Forms | None = None
        # A dialog may take presses of its own card verbs while it runs (`card_verbs`), and may
        # ask before it is cancelled (`confirms_cancel`): a referral's draft would be deleted; and
        # may answer a question asked in its middle itself, to re-ask its step (`answers_questions`).
        self.dialog_verbs: dict[str, str] = {}
        self.confirms_cancel: set[str] = set()
        self.answers_questions: set[str] = set()
        if conversation_state is not None:
            self.forms = Forms(conversation_state, self.clock)
            self.dialog_set = DialogSet(conversation_state.create_property(DIALOG_STATE))
            for dialog in (dialog for feature in features for dialog in feature.dialogs):
                self.dialog_set.add(dialog)
                self.dialog_verbs |= dict.fromkeys(getattr(dialog, "card_verbs", ()), dialog.id)
                if getattr(dialog, "confirms_cancel", False):
                    self.confirms_cancel.add(dialog.id)
                if getattr(dialog, "answers_questions", False):
                    self.answers_questions.add(dialog.id)
        self.commands = CommandRouter()
        self.commands.register(Command("help", "What I can do", self._help, aliases=("hi", "hello", "start", "menu")))
        self.commands.register(Command("me", "Who I think you are", self._me, aliases=("whoami",)))
        for command in (command for feature in features for command in feature.commands):
            self.commands.register(command)
        self.card_actions = CardActionRouter(action for feature in features for action in feature.card_actions)
        self.answers = [answer for feature in features for answer in feature.answers]
        self.reply_hooks = tuple(hook for feature in features for hook in feature.reply_hooks)

    async def on_turn(self, turn_context: TurnContext) -> None:
        """Runs the turn and writes its one log line when it ends: who (a person id), what came in,
        what was done (`log_outcome`), whether it failed, and how long it took."""
        started = time.perf_counter()
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
        turn_context.turn_state[LOG_KEY] = fields
        turn_context.turn_state[FORMS_KEY] = self.forms
        turn_context.turn_state[ANSWER_KEY] = self._answer_in_dialog
        held_replies.hold(turn_context)
        try:
            person = await self._identify(turn_context)
            fields["person_id"] = person.id if person else None
            await super().on_turn(turn_context)
            await self._save_state(turn_context)  # before the replies: what they show is stored
            await held_replies.release(turn_context)
        except BaseException:
            held_replies.drop(turn_context)  # the state was not stored: only the apology goes out
            fields["failed"] = True  # the adapter logs the error itself ("turn_failed")
            raise
        finally:
            log_event(log, "turn", ms=round((time.perf_counter() - started) * 1000, 1), **fields)

    async def _save_state(self, turn_context: TurnContext) -> None:
        """Write the conversation state if the turn changed it (`DatabaseConversationState` decides)."""
        if self.conversation_state is not None:
            await self.conversation_state.save_changes(turn_context)

    async def _identify(self, turn_context: TurnContext) -> PersonRecord | None:
        """Resolve the sender to a person and keep their conversation address current."""
        activity = turn_context.activity
        person = None
        if self.database is not None:
            aad = activity.from_property.aad_object_id if activity.from_property else None
            person = await resolve_person(self.database, aad) if aad else None
            if activity.type in (ActivityTypes.message, ActivityTypes.conversation_update, "installationUpdate"):
                try:
                    address = address_from_activity(activity)
                except (ValueError, TypeError, AttributeError):
                    address = None  # not addressable (e.g. no user id): nothing to remember
                if address is not None and _removes_the_app(activity):
                    # No alerts to someone who removed the app; adding it again refreshes the address.
                    await mark_removed(self.database, address, "app_removed", self.clock.now())
                elif address is not None:
                    # Every message repeats its chat's address; installs and updates always write.
                    await remember(
                        self.database,
                        address,
                        person.id if person else None,
                        self.clock.now(),
                        skip_if_unchanged=activity.type == ActivityTypes.message,
                    )
        turn_context.turn_state[PERSON_KEY] = person
        return person

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        pressed = activity.value if isinstance(activity.value, dict) else None  # a card's button
        if pressed is not None and VERB in pressed and await self._card_action(turn_context, pressed):
            return
        personal = conversation_type(activity) == PERSONAL
        if pressed is None and not personal and not mentions_bot(activity):
            return  # in group chats and channels the bot speaks only when @mentioned (presses carry no mention)
        question = message_text(activity)
        turn = Turn(turn_context, person_of(turn_context), await self._dialog_under_way(turn_context))
        if pressed is not None and await self._form_finished(turn, pressed):
            return
        if turn.dialogs is not None and turn.dialogs.active_dialog is not None:
            log_outcome(turn_context, dialog=turn.dialogs.active_dialog.id)
            if question.lower() in CANCEL_WORDS and turn.dialogs.active_dialog.id not in self.confirms_cancel:
                log_outcome(turn_context, dialog_cancelled=True)
                await turn.dialogs.cancel_all_dialogs()
                await turn.say(text("cancelled"))
            elif (
                pressed is None
                and turn.dialogs.active_dialog.id not in self.answers_questions
                and self._interrupts(question)
            ):
                # `help` or a question, asked in the middle: answer it, then ask again what the dialog asked.
                log_outcome(turn_context, dialog_interrupted=True)
                routed = self.commands.match(question)
                if routed is not None and routed[0].name == "help":
                    await self._help(turn)
                else:
                    await self._answer(turn, question)
                await turn.say(text("dialog_resumes"))
                await turn.dialogs.reprompt_dialog()
            else:
                await turn.dialogs.continue_dialog()
            return
        if pressed is not None and _is_a_form(pressed):  # its dialog has ended: nothing waits on it
            log_outcome(turn_context, form="expired")
            await turn.say(text("form_expired", command=self._command_of_form(pressed)))
            return
        if not question:
            await turn.say(text("empty_message"))
            return
        if question.lower() in CANCEL_WORDS:
            log_outcome(turn_context, command="cancel")
            await turn.say(text("nothing_to_cancel"))
            return
        routed = self.commands.match(question)
        if routed is None:
            await self._answer(turn, question)
            return
        command, turn.args = routed
        log_outcome(turn_context, command=command.name)
        decision = command.decide(turn.actor)
        if decision is not None and not decision.allowed:
            log_outcome(turn_context, refused="not_allowed")
            if self.database is not None and command.action is not None:  # the attempt is audited
                requester = Requester.in_teams(turn.person)
                record_id = "_".join(command.name.split())  # "referral queue": referral_queue
                await record_refusal(self.database, requester, command.action, "command", record_id)
            await turn.say(text("not_allowed", reason=decision.reason, known=turn.person is not None))
        elif command.personal_only and not personal:
            log_outcome(turn_context, refused="personal_only")
            await turn.say(text("personal_only"))
        else:
            if command.starts_dialog:
                turn.dialogs = turn.dialogs or await self._dialog_context(turn_context)
            await command.run(turn)

    async def _card_action(self, turn_context: TurnContext, value: dict[str, Any]) -> bool:
        """Handle a press that names a verb; False leaves it to the dialog under way (a verb the
        router does not know, while a dialog is waiting for its own card)."""
        pressed = self.card_actions.parse(value)
        own_verb = self.dialog_verbs.get(str(value.get(VERB)))
        if (isinstance(pressed, Refusal) and not pressed.known_verb) or own_verb is not None:
            dialogs = await self._dialog_under_way(turn_context)
            if dialogs is not None and dialogs.active_dialog is not None:
                if own_verb is None or dialogs.active_dialog.id == own_verb:
                    return False
        starts_dialog = not isinstance(pressed, Refusal) and pressed[0].starts_dialog
        dialogs = await self._dialog_context(turn_context) if starts_dialog else None
        await self.card_actions.submit(Turn(turn_context, person_of(turn_context), dialogs), pressed)
        return True

    async def _form_finished(self, turn: Turn, pressed: dict[str, Any]) -> bool:
        """Answer a press of a form already saved (or being saved by another turn); False if it
        was not, and is left to its dialog (or is expired)."""
        form = form_of(pressed)
        if form is None or self.forms is None:
            return False
        status = await self.forms.status(turn.context, form)
        if status is FormStatus.OPEN:
            return False
        log_outcome(turn.context, form=status.value)
        await turn.say(text("form_already_saved" if status is FormStatus.SAVED else "form_being_saved"))
        return True

    def _command_of_form(self, pressed: dict[str, Any]) -> str | None:
        """The command that starts the dialog a form's Save belongs to ("people.save": `people`)."""
        action = pressed.get("action")
        if not isinstance(action, str) or not _FORM_ACTION.fullmatch(action):
            return None
        routed = self.commands.match(action.split(".")[0])
        return routed[0].name if routed is not None and routed[0].starts_dialog else None

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse | None:
        """Action.Execute (`adaptiveCard/action`) goes to the card action router; the SDK's own
        `on_adaptive_card_invoke` is not used, so every card action has one way in. Teams' own
        feedback buttons (`message/submitAction`) become the rating verb; the typed comment that
        may come with them is never kept (it could name a pupil)."""
        if turn_context.activity.name == INVOKE_NAME:
            pressed = self.card_actions.parse_execute(turn_context.activity.value)
            return await self.card_actions.execute(Turn(turn_context, person_of(turn_context), None), pressed)
        if turn_context.activity.name == FEEDBACK_INVOKE:
            value = turn_context.activity.value if isinstance(turn_context.activity.value, dict) else {}
            reaction = (
                (value.get("actionValue") or {}).get("reaction") if value.get("actionName") == "feedback" else None
            )
            if reaction in ("like", "dislike"):
                rated = self.card_actions.parse({VERB: FEEDBACK_VERB, "helpful": reaction == "like", "kind": "answer"})
                if not isinstance(rated, Refusal):
                    log_outcome(turn_context, card_action=FEEDBACK_VERB, native_feedback=True)
                    await rated[0].handle(Turn(turn_context, person_of(turn_context), None), rated[1])
            return InvokeResponse(status=200)
        return await super().on_invoke_activity(turn_context)

    async def _dialog_under_way(self, turn_context: TurnContext) -> DialogContext | None:
        """The dialog context if the conversation's state may hold a dialog under way; a question
        asked outside any dialog (most turns) is answered without building one."""
        if self.conversation_state is None or not await self.conversation_state.holds_a_dialog(turn_context):
            return None
        return await self._dialog_context(turn_context)

    async def _dialog_context(self, turn_context: TurnContext) -> DialogContext | None:
        if self.dialog_set is None or self.conversation_state is None:
            return None
        return await self.dialog_set.create_context(turn_context)

    async def on_members_added_activity(self, members_added: list[ChannelAccount], turn_context: TurnContext) -> None:
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        bot_added = any(member.id == bot_id for member in members_added)
        user_added_to_personal_chat = conversation_type(turn_context.activity) == PERSONAL and any(
            member.id != bot_id for member in members_added
        )
        if bot_added or user_added_to_personal_chat:
            turn = Turn(turn_context, person_of(turn_context), None)
            await self._welcome(turn)

    async def _welcome(self, turn: Turn) -> None:
        personal = conversation_type(turn.context.activity) == PERSONAL
        commands = self.commands.listed_for(turn.actor, personal)
        rendered = render_welcome(self.knowledge.welcome_examples(), commands=commands)
        await turn.send_card(self._for_client(rendered))

    async def _help(self, turn: Turn) -> None:
        """Not the welcome again: what each command does (only those that work for this person in
        this chat), how to @mention the bot in a group chat or channel, and what it cannot do."""
        kind = conversation_type(turn.context.activity)
        commands = self.commands.listed_for(turn.actor, kind == PERSONAL)
        recipient = turn.context.activity.recipient
        rendered = render_help(
            self.knowledge.welcome_examples(),
            commands=commands,
            personal=kind == PERSONAL,
            bot_name=(recipient.name if recipient and recipient.name else None) or BOT_NAME,
            known=turn.person is not None,
            feedback=self.card_actions.knows(FEEDBACK_VERB),
        )
        await turn.send_card(self._for_client(rendered))

    async def _me(self, turn: Turn) -> None:
        if turn.person is None:
            await turn.say(text("unknown_person"))
            return
        school = None
        if turn.person.school_id is not None and self.database is not None:
            found = await get_school(self.database, turn.person.school_id)
            school = found.name if found else None
        roles = ", ".join(sorted(role.label for role in turn.person.roles))
        await turn.say(text("me", name=turn.person.display_name, school=school, roles=roles))

    async def _answer_in_dialog(self, turn_context: TurnContext, question: str) -> None:
        await self._answer(Turn(turn_context, person_of(turn_context), None, in_dialog=True), question)

    async def _answer(self, turn: Turn, question: str) -> None:
        for answer in self.answers:  # a feature's own records first ("when is the next forum?")
            if await answer(turn, question):
                return
        reply = self.knowledge.reply(question)
        if reply.question != question:  # the reply is kept per question: make sure it names this one
            reply = replace(reply, question=question)
        log_outcome(turn.context, answer=reply.kind, entry_id=reply.entry.id if reply.entry else None)
        rendered = render_reply(reply)
        for hook in self.reply_hooks:
            rendered = await hook(turn, reply, rendered)
        await turn.send_card(self._for_client(rendered))

    def _for_client(self, rendered: RenderedCard) -> RenderedCard:
        """Teams echoes a pressed question (messageBack); the local Playground fails on it, so local
        mode sends plain buttons (see `without_message_back`)."""
        return without_message_back(rendered) if self.settings.local_mode else rendered

    @staticmethod
    def _interrupts(message: str) -> bool:
        """Typed text inside a dialog that is `help` or a question rather than the dialog's answer."""
        if message.lower().strip("/!.?") == "help":
            return True
        return "@" not in message and bool(_ASKS.search(message)) and len(message.split()) >= 2


def _is_a_form(pressed: dict[str, Any]) -> bool:
    """A press of a dialog's form: it carries a form token, or (older cards) a `feature.save` action."""
    action = pressed.get("action")
    return FORM_KEY in pressed or (isinstance(action, str) and _FORM_ACTION.fullmatch(action) is not None)
