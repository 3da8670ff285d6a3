"""The feedback's notice renderers: a question for the Partnership's staff (with a box to answer
it), and their answer for the person who asked."""

from __future__ import annotations

from bot.cards import RenderedCard, render_card
from bot.notices import NoticeRenderer
from db.engine import Database
from domain.directory.queries import get_person, get_school
from domain.notices import Notice
from domain.qa_feedback.notices import ANSWERED, ASKED
from domain.qa_feedback.queries import WITHHELD, get_feedback


async def _name(database: Database, person_id: int | None) -> str:
    person = await get_person(database, person_id) if person_id is not None else None
    if person is None:
        return "someone no longer in the directory"
    school = await get_school(database, person.school_id) if person.school_id is not None else None
    return f"{person.display_name} ({school.name if school else 'the Partnership'})"


def renderers(database: Database) -> dict[str, NoticeRenderer]:
    async def asked(notice: Notice) -> RenderedCard | None:
        feedback_id = notice.payload.get("feedback_id")
        record = await get_feedback(database, feedback_id) if isinstance(feedback_id, int) else None
        if record is None:
            return None
        return render_card(
            "qa_feedback/asked_notice.json.j2",
            feedback_id=record.id,
            asker=await _name(database, record.person_id),
            question=record.question or WITHHELD,
            said=record.bot_said or "(nothing)",
        )

    async def answered(notice: Notice) -> RenderedCard | None:
        feedback_id = notice.payload.get("feedback_id")
        record = await get_feedback(database, feedback_id) if isinstance(feedback_id, int) else None
        if record is None or record.answer is None:
            return None
        return answer_card(record.question, record.answer, await _name(database, record.answered_by), for_asker=True)

    return {ASKED: asked, ANSWERED: answered}


def answer_card(question: str | None, answer: str, by: str, *, for_asker: bool) -> RenderedCard:
    heading = "The Partnership answered your question" if for_asker else "Answered"
    return render_card(
        "qa_feedback/answered.json.j2", heading=heading, question=question or WITHHELD, answer=answer, by=by
    )
