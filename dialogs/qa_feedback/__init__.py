"""The Q&A feedback feature: every answer can be rated, a question can be sent to the Partnership's
staff ("Ask the Partnership") whose answer comes back as a card, and Partnership staff list what the
bot could not answer or was rated unhelpful (`questions`), most frequent first.

The buttons are added to each Q&A card by a reply hook (`add_buttons`); they carry the question
and what the bot said, never a question that named someone (the knowledge base's name check).
Teams' own 👍/👎 (`message/submitAction`) arrives as the same `qa.rate` verb (bot/handler.py).
What it does to the records is `domain.qa_feedback.service`.
"""

from __future__ import annotations

from typing import Any

from bot.card_actions import ActionData, ActionOutcome, CardAction
from bot.cards import RenderedCard, render_card
from bot.commands import Command
from bot.features import Feature, FeatureServices
from bot.submit_shapes import Flag, Id, Text
from bot.texts import text
from bot.turn import Turn
from dialogs.qa_feedback.notices import answer_card, renderers
from domain.access import Action, NotAllowed
from domain.directory.queries import get_person
from domain.qa_feedback import service
from domain.qa_feedback.model import MAX_QUESTION_CHARS, MAX_SAID_CHARS, AskedQuestion, Outcome
from domain.qa_feedback.queries import needs_work
from domain.requester import Requester
from knowledge import Reply

RATE = "qa.rate"
ASK = "qa.ask_partnership"
ANSWER = "qa.answer"
_ASKED = {
    "q": Text(max_length=MAX_QUESTION_CHARS, required=False, default=""),
    "kind": Text(max_length=16, required=False, default="answer"),
    "entry": Text(max_length=100, required=False, default=""),
    "said": Text(max_length=MAX_SAID_CHARS, required=False, default=""),
}


def bot_said(reply: Reply) -> str:
    """What the bot said, in short, for the Partnership's staff and the list."""
    if reply.kind == "answer" and reply.entry is not None:
        return f"Answered: {reply.entry.title}"
    if reply.kind == "suggest":
        return "Did you mean: " + "; ".join(entry.title for entry in reply.suggestions)
    return "Declined: I couldn't find it in the offer"


def feedback_buttons(reply: Reply) -> dict[str, Any]:
    """Two small rating buttons (answers only) and "Ask the Partnership", as a body ActionSet, so
    they do not take the places of the card's own buttons."""
    data = {
        "q": "" if reply.names_someone else reply.question[:MAX_QUESTION_CHARS],
        "kind": reply.kind,
        "entry": reply.entry.id if reply.entry else "",
        "said": bot_said(reply)[:MAX_SAID_CHARS],
    }
    actions: list[dict[str, Any]] = []
    if reply.kind == "answer":
        actions += [
            {"type": "Action.Submit", "title": "👍 Helpful", "data": {"verb": RATE, "helpful": True, **data}},
            {"type": "Action.Submit", "title": "👎 Not helpful", "data": {"verb": RATE, "helpful": False, **data}},
        ]
    if not reply.names_someone:
        actions.append({"type": "Action.Submit", "title": "Ask the Partnership", "data": {"verb": ASK, **data}})
    return {"type": "ActionSet", "id": "feedback", "spacing": "Small", "actions": actions}


def _asked(data: ActionData) -> AskedQuestion:
    return AskedQuestion(
        question=data.text("q") or None,
        reply_kind=data.text("kind") or "answer",
        entry_id=data.text("entry") or None,
        bot_said=data.text("said") or None,
    )


def feature(services: FeatureServices) -> Feature:
    database, clock = services.database, services.clock

    async def add_buttons(turn: Turn, reply: Reply, rendered: RenderedCard) -> RenderedCard:
        if reply.kind == "chat":
            return rendered
        if reply.kind in ("suggest", "decline"):
            asked = AskedQuestion(None if reply.names_someone else reply.question, reply.kind, None, bot_said(reply))
            await service.note(database, Requester.in_teams(turn.person), asked, Outcome.NOT_ANSWERED, clock.now())
        card = {**rendered.card, "body": [*rendered.card.get("body", []), feedback_buttons(reply)]}
        return RenderedCard(card, rendered.text)

    async def rate(turn: Turn, data: ActionData) -> ActionOutcome:
        helpful = data.flag("helpful")
        outcome = Outcome.HELPFUL if helpful else Outcome.UNHELPFUL
        await service.note(database, Requester.in_teams(turn.person), _asked(data), outcome, clock.now())
        return ActionOutcome(say=text("qa_feedback_thanks" if helpful else "qa_feedback_thanks_unhelpful"))

    async def ask(turn: Turn, data: ActionData) -> ActionOutcome:
        if turn.person is None:
            return ActionOutcome(say=text("qa_feedback_unknown_asker"))
        asked = _asked(data)
        if asked.question is None:
            return ActionOutcome(say=text("qa_feedback_withheld"))
        await service.ask_partnership(database, Requester.in_teams(turn.person), asked, clock.now())
        return ActionOutcome(say=text("qa_feedback_sent"))

    async def answer(turn: Turn, data: ActionData) -> ActionOutcome:
        try:
            record = await service.answer_question(
                database, Requester.in_teams(turn.person), data.id, data.text("answer") or "", clock.now()
            )
        except NotAllowed as refusal:
            return ActionOutcome(say=refusal.decision.reason)
        except LookupError:
            return ActionOutcome(say=text("qa_feedback_gone"))
        except service.AlreadyAnswered as already:
            record = already.record
        by = await get_person(database, record.answered_by) if record.answered_by is not None else None
        name = by.display_name if by else "the Partnership"
        return ActionOutcome(card=answer_card(record.question, record.answer or "", name, for_asker=False))

    async def questions(turn: Turn) -> None:
        lines = await needs_work(database)
        if not lines:
            await turn.say(text("qa_feedback_none"))
            return
        shown = [
            {
                "times": line.times,
                "question": line.question,
                "why": ", ".join(
                    part
                    for part, count in (
                        ("not answered", line.not_answered),
                        ("unhelpful", line.unhelpful),
                        ("waiting for you", line.waiting),
                    )
                    if count
                ),
            }
            for line in lines
        ]
        await turn.send_card(render_card("qa_feedback/needs_work.json.j2", lines=shown))

    return Feature(
        "qa_feedback",
        commands=(
            Command(
                "questions",
                "Questions I couldn't answer or that were rated unhelpful, most frequent first",
                questions,
                aliases=("unanswered",),
                action=Action.ANSWER_STAFF_QUESTION,
            ),
        ),
        card_actions=(
            CardAction(RATE, {"helpful": Flag(), **_ASKED}, rate),
            CardAction(ASK, dict(_ASKED), ask),
            CardAction(ANSWER, {"id": Id(), "answer": Text(max_length=2000)}, answer),
        ),
        notice_renderers=renderers(database),
        reply_hooks=(add_buttons,),
    )
