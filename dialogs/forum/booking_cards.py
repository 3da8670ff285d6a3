"""The cards of booking a case at the forum: the forums to pick from, the school's cases to
attach, the confirm card (what will be shared, and with whom), and what happened. Buttons carry
a verb and ids only (`book.py` declares their shapes); no pupil names: a case is its reference."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.cards import RenderedCard
from bot.texts import text
from dialogs.forum.views import Button, Section, View, render, verb
from dialogs.forum.wording import SHARING, deadline, when
from domain.forum import queries
from domain.forum.model import Meeting, Sharing, Timings
from domain.forum.service import BookingResult
from domain.roles import Role

PICK = "forum.book.pick"  # meeting, case?, wait?: the case list, or the confirm card
NEW_CASE = "forum.book.new"  # meeting, wait?: start a forum case in the referral dialog, then back
CONFIRM = "forum.book.confirm"  # meeting, case, wait, sharing, question: book (or wait)
FORUMS = "forum.book.forums"  # case?: the forums to pick from again
MAX_QUESTION_INPUT = 600


def case_label(reference: str | None, referral_id: int) -> str:
    return reference or f"forum case {referral_id}"


def forums_card(
    meetings: Sequence[Meeting], now: datetime, *, case: int | None = None, lines: Sequence[str] = ()
) -> RenderedCard:
    sections = []
    for meeting in meetings:
        is_open = meeting.open_for_booking(now)
        free = (
            text("forum_book_free", free=meeting.free_slots, slots=meeting.slots)
            if meeting.free_slots
            else text("forum_book_full_free", slots=meeting.slots)
        )
        facts = [
            (text("forum_book_fact_free"), free if is_open else text("forum_book_closed")),
            (text("forum_book_fact_deadline"), deadline(meeting.booking_deadline)),
        ]
        buttons: list[Button] = []
        if is_open and meeting.free_slots:
            buttons.append(Button(text("forum_book_pick"), verb(PICK, meeting=meeting.id, case=case), "positive"))
        elif is_open:
            buttons.append(Button(text("forum_book_wait"), verb(PICK, meeting=meeting.id, case=case, wait=True)))
        sections.append(Section(when(meeting), facts, buttons))
    intro = list(lines) or [text("forum_book_intro_case" if case else "forum_book_intro")]
    return render(View(text("forum_book_title"), intro, sections))


def cases_card(meeting: Meeting, cases: Sequence[queries.CaseToBook], *, wait: bool) -> RenderedCard:
    sections = [
        Section(
            text(
                "forum_book_case_heading",
                reference=case_label(case.reference, case.referral_id),
                year=case.year_group,
                anonymous=case.anonymous,
            ),
            [(text("forum_book_case_need"), case.need)],
            [
                Button(
                    text("forum_book_attach"), verb(PICK, meeting=meeting.id, case=case.referral_id, wait=wait or None)
                )
            ],
        )
        for case in cases
    ]
    lines = [text("forum_book_case_intro", when=when(meeting))]
    if not cases:
        lines.append(text("forum_book_no_cases"))
    buttons = [
        Button(text("forum_book_new_case"), verb(NEW_CASE, meeting=meeting.id, wait=wait or None), "positive"),
        Button(text("forum_book_other_forum"), verb(FORUMS)),
    ]
    return render(View(text("forum_book_case_title"), lines, sections, buttons=buttons))


def _attendees(meeting: Meeting) -> str:
    roles = [Role(role).label for role in meeting.attendee_roles if role in Role._value2member_map_]
    return ", ".join([*roles, *meeting.services]) or "The Partnership SENCO and Director"


def confirm_card(
    preview: queries.BookingPreview,
    *,
    wait: bool,
    note: str | None = None,
    question: str = "",
    alternative: Meeting | None = None,
) -> RenderedCard:
    meeting, case = preview.meeting, preview.case
    label = case_label(case.reference, case.referral_id)
    wait = wait or preview.full
    lines = [note] if note else []
    lines.append(text("forum_book_confirm_intro", case=label, when=when(meeting)))
    if wait:
        hours = int(Timings().offer_hold.total_seconds() // 3600)
        lines.append(text("forum_book_confirm_full", hours=hours, waiting=preview.waiting))
    shared = [text("forum_book_shared_always", need=case.need)]
    inputs: list[dict[str, object]] = []
    data = verb(CONFIRM, meeting=meeting.id, case=case.referral_id, wait=wait)
    if preview.sharing == (Sharing.ANONYMOUS,):
        why = text("forum_book_why_anonymous" if case.anonymous else "forum_book_why_no_consent")
        shared.append(text("forum_book_sharing_only_anonymous", why=why))
        data["sharing"] = Sharing.ANONYMOUS.value
    else:
        inputs.append(
            {
                "type": "Input.ChoiceSet",
                "id": "sharing",
                "label": text("forum_book_sharing_label"),
                "style": "expanded",
                "isRequired": True,
                "value": preview.sharing[0].value,
                "choices": [{"title": SHARING[s], "value": s.value} for s in preview.sharing],
            }
        )
    inputs.append(
        {
            "type": "Input.Text",
            "id": "question",
            "label": text("forum_book_question_label"),
            "placeholder": text("forum_book_question_placeholder"),
            "isMultiline": True,
            "isRequired": True,
            "maxLength": 500,
            "value": question,
        }
    )
    sections = [
        Section(text("forum_book_shared_heading"), [("", line) for line in shared]),
        Section(text("forum_book_attendees"), [("", _attendees(meeting))]),
    ]
    buttons = [
        Button(text("forum_book_confirm_wait" if wait else "forum_book_confirm"), data, "positive"),
    ]
    if alternative is not None:
        buttons.append(
            Button(
                text("forum_book_next_with_space", when=when(alternative)),
                verb(PICK, meeting=alternative.id, case=case.referral_id),
            )
        )
    buttons.append(Button(text("forum_book_other_forum"), verb(FORUMS, case=case.referral_id)))
    title = text("forum_book_confirm_wait_title" if wait else "forum_book_confirm_title")
    return render(View(title, lines, sections, inputs, buttons))


def done_card(result: BookingResult, label: str) -> RenderedCard:
    """Booked, or on the waiting list."""
    booking, meeting = result.booking, result.meeting
    assert booking is not None
    facts = [(text("forum_book_sharing_fact"), SHARING[booking.sharing])]
    if result.position is not None:
        title = text("forum_book_waiting_title")
        line = text("forum_book_waiting", case=label, position=result.position, when=when(meeting))
    else:
        title = text("forum_book_booked_title")
        line = text("forum_book_booked", case=label, when=when(meeting))
    return render(View(title, [line], [Section(when(meeting), facts)], link=meeting.teams_link or None))


def full_card(
    meeting: Meeting, alternative: Meeting | None, *, case: int | None, note: str | None = None
) -> RenderedCard:
    """A full forum: the next with space, or a place on this one's waiting list."""
    lines = [note or text("forum_book_full", when=when(meeting))]
    buttons = _next_with_space(alternative, case, lines)
    buttons += [
        Button(text("forum_book_wait"), verb(PICK, meeting=meeting.id, case=case, wait=True)),
        Button(text("forum_book_other_forum"), verb(FORUMS, case=case)),
    ]
    return render(View(text("forum_book_full_title"), lines, buttons=buttons))


def _next_with_space(alternative: Meeting | None, case: int | None, lines: list[str]) -> list[Button]:
    """A button to book `alternative`, the next forum with space; or, with none, a line saying so."""
    if alternative is None:
        lines.append(text("forum_book_no_next"))
        return []
    label = text("forum_book_next_with_space", when=when(alternative))
    return [Button(label, verb(PICK, meeting=alternative.id, case=case), "positive")]


def closed_card(meeting: Meeting, alternative: Meeting | None, *, case: int | None) -> RenderedCard:
    """Past the deadline: says so, and offers the next forum still open."""
    lines = [text("forum_book_deadline", when=when(meeting), deadline=deadline(meeting.booking_deadline))]
    buttons = _next_with_space(alternative, case, lines)
    buttons.append(Button(text("forum_book_other_forum"), verb(FORUMS, case=case)))
    return render(View(text("forum_book_deadline_title"), lines, buttons=buttons))
