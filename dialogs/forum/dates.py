"""Forum and Core Group dates from the records: "when is the next forum?", "forum dates this
term", "core group dates" (also the `forum dates` command). When no dates are on record the
question is left to the Q&A, whose answer points at the dates page the offer links."""

from __future__ import annotations

import re

from bot.cards import RenderedCard, render_card
from bot.turn import Turn, log_outcome
from core.clock import Clock
from db.engine import Database
from dialogs.forum.wording import deadline, when
from domain.forum.model import Meeting, MeetingKind
from domain.forum.queries import next_meetings

_CORE_GROUP = re.compile(r"\b(core\s*group|panel)\b")
_FORUM = re.compile(r"\b(inclusion\s+forums?|forums?|surgery|surgeries)\b")
_ABOUT_DATES = re.compile(r"\b(when|dates?|next|this\s+term|upcoming)\b")
# Questions about the forum rather than its dates are the offer's to answer ("how often", "who").
_ABOUT_THE_FORUM = re.compile(r"\b(how\s+often|often|frequen\w*|who|what|why|how\s+do|how\s+does)\b")


def kind_asked(question: str) -> MeetingKind | None:
    """The meeting kind a question asks the dates of, or None if it is not about dates."""
    asked = question.lower()
    if not _ABOUT_DATES.search(asked) or _ABOUT_THE_FORUM.search(asked):
        return None
    if _CORE_GROUP.search(asked):
        return MeetingKind.CORE_GROUP
    if _FORUM.search(asked) and "book" not in asked:
        return MeetingKind.FORUM
    return None


def meetings_card(kind: MeetingKind, meetings: list[Meeting], clock: Clock) -> RenderedCard:
    now = clock.now()
    lines = [
        {
            "when": when(m),
            "kind": m.kind.label,
            "bookable": m.kind is MeetingKind.FORUM,
            "free": f"{m.free_slots} of {m.slots}" if m.open_for_booking(now) else "Booking closed",
            "deadline": deadline(m.booking_deadline),
        }
        for m in meetings
    ]
    footer = (
        "Type `book forum` to bring a case, or `forum bookings` to see yours."
        if kind is MeetingKind.FORUM
        else "Referrals listed for a Core Group are presented by their school; the Partnership will tell you your slot."
    )
    title = "Upcoming Inclusion Forums" if kind is MeetingKind.FORUM else "Upcoming Core Group meetings"
    return render_card("forum/meetings.json.j2", title=title, meetings=lines, footer=footer)


def dates_answer(database: Database, clock: Clock):  # type: ignore[no-untyped-def]
    async def answer(turn: Turn, question: str) -> bool:
        kind = kind_asked(question)
        if kind is None:
            return False
        meetings = await next_meetings(database, kind, clock)
        if not meetings:
            return False  # nothing on record: the Q&A's answer and the dates page
        log_outcome(turn.context, answer="forum_dates", count=len(meetings))
        await turn.send_card(meetings_card(kind, meetings, clock))
        return True

    return answer
