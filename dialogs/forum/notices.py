"""The forum's notice renderers: each loads the records its notice names as they are when it is
sent (a booking cancelled since, or a meeting gone, sends nothing) and shows times in UK local
time. Pupil names never appear in these cards: the school knows its case by its reference."""

from __future__ import annotations

from typing import Any

from bot.cards import RenderedCard, render_card
from bot.notices import NoticeRenderer
from bot.texts import text
from db.engine import Database
from dialogs.forum.agenda import OPEN_AGENDA
from dialogs.forum.bookings import ACCEPT
from dialogs.forum.wording import NEXT_STEP, uk_time, when
from domain.forum import notices, queries
from domain.forum.model import Booking, BookingStatus, Meeting, MeetingKind, MeetingStatus
from domain.notices import Notice


async def _load(database: Database, notice: Notice) -> tuple[Booking | None, Meeting | None]:
    return await queries.booking_and_meeting(
        database, notice.payload.get("booking_id"), notice.payload.get("meeting_id")
    )


def _card(title: str, lines: list[str], facts: list[tuple[str, str]], **extra: Any) -> RenderedCard:
    return render_card(
        "forum/notice.json.j2",
        title=title,
        lines=lines,
        facts=facts,
        link=extra.get("link"),
        actions=extra.get("actions", []),
    )


def renderers(database: Database) -> dict[str, NoticeRenderer]:
    async def reminder(notice: Notice) -> RenderedCard | None:
        booking, meeting = await _load(database, notice)
        if booking is None or meeting is None:
            return None
        if booking.status is BookingStatus.OFFERED:  # not on the agenda until the school accepts
            facts = [("When", when(meeting)), ("Accept by", uk_time(booking.offered_until or meeting.starts_at))]
            return _card(
                text("forum_reminder_offered_title"),
                [text("forum_reminder_offered")],
                facts,
                actions=[{"title": "Accept the slot", "verb": ACCEPT, "id": booking.id}],
            )
        if booking.status is not BookingStatus.BOOKED:
            return None
        lines = ["Your case is on tomorrow's Inclusion Forum agenda."]
        return _card("Inclusion Forum tomorrow", lines, [("When", when(meeting))], link=meeting.teams_link or None)

    async def slot_offered(notice: Notice) -> RenderedCard | None:
        booking, meeting = await _load(database, notice)
        if booking is None or meeting is None or booking.status is not BookingStatus.OFFERED:
            return None
        until = booking.offered_until or meeting.starts_at
        lines = [f"A slot has come free at the forum on {when(meeting)}, and it's held for your case."]
        facts = [("Accept by", uk_time(until))]
        return _card(
            "A forum slot is free",
            lines,
            facts,
            actions=[{"title": "Accept the slot", "verb": ACCEPT, "id": booking.id}],
        )

    async def advice(notice: Notice) -> RenderedCard | None:
        booking, meeting = await _load(database, notice)
        if booking is None or meeting is None:
            return None
        row = await queries.advice_given(database, booking.id)
        if row is None or row.advice is None:
            return None  # erased since
        facts = [("Forum", when(meeting)), ("Next step", NEXT_STEP[row.next_step])]
        if row.services:
            facts.append(("Services linked in", ", ".join(row.services)))
        lines = [row.advice]
        if notice.payload.get("handed_over"):
            lines.append("This discussion is now on record for a Referral to the Partnership.")
        return _card("Advice from the Inclusion Forum", lines, facts)

    async def meeting_changed(notice: Notice) -> RenderedCard | None:
        booking, meeting = await _load(database, notice)
        if booking is None or meeting is None:
            return None
        if notice.payload.get("change") == "cancelled":
            lines = ["The forum your case was booked on has been cancelled. Type `forum dates` to book another."]
            return _card("Forum cancelled", lines, [("Was", when(meeting))])
        return _card("Forum moved", ["The forum your case is booked on has moved."], [("Now", when(meeting))])

    async def agenda(notice: Notice) -> RenderedCard | None:
        _, meeting = await _load(database, notice)
        if meeting is None:
            return None
        if meeting.status is MeetingStatus.CANCELLED:
            return None
        core_group = meeting.kind is MeetingKind.CORE_GROUP
        lines = [text("forum_agenda_ready", kind=meeting.kind.label, when=when(meeting))]
        counted = text("forum_agenda_ready_referrals" if core_group else "forum_agenda_ready_cases")
        return _card(
            text("forum_agenda_ready_title", kind=meeting.kind.label),
            lines,
            [(counted, str(await queries.cases_on(database, meeting)))],
            actions=[{"title": text("forum_agenda_open"), "verb": OPEN_AGENDA, "id": meeting.id}],
        )

    async def core_group_slot(notice: Notice) -> RenderedCard | None:
        _, meeting = await _load(database, notice)
        position = notice.payload.get("position")
        if meeting is None or not isinstance(position, int):
            return None
        lines = ["Your referral will be presented at the Core Group. Please be ready to present the case."]
        facts = [("When", when(meeting)), ("Your place on the agenda", str(position))]
        return _card("Your Core Group slot", lines, facts, link=meeting.teams_link or None)

    async def core_group_moved(notice: Notice) -> RenderedCard | None:
        _, meeting = await _load(database, notice)
        if meeting is None or meeting.status is MeetingStatus.CANCELLED:
            return None
        referral = await queries.listed_referral(database, notice.payload.get("referral_id"), meeting)
        if referral is None:  # withdrawn, decided or listed elsewhere since
            return None
        facts = [("Referral", referral.reference or ""), ("Now", when(meeting))]
        lines = [text("forum_core_group_moved")]
        return _card(text("forum_core_group_moved_title"), lines, facts, link=meeting.teams_link or None)

    return {
        notices.CORE_GROUP_MOVED: core_group_moved,
        notices.REMINDER: reminder,
        notices.SLOT_OFFERED: slot_offered,
        notices.ADVICE: advice,
        notices.MEETING_CHANGED: meeting_changed,
        notices.AGENDA: agenda,
        notices.CORE_GROUP_SLOT: core_group_slot,
    }
