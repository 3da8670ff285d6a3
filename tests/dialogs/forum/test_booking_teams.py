"""Booking a case at the forum in Teams, over HTTP through the real app, on SQLite and PostgreSQL:
pick a forum, attach a case, confirm what is shared; a full forum (the next with space, or the
waiting list); the deadline; two schools pressing "Book it" on the last slot at once; starting a
new forum case in the referral dialog and coming back; "Book a forum slot" on a Referral to the
Partnership held back for want of a forum discussion; moving and cancelling a booking; and the
Partnership adding (naming the services attending), moving and cancelling meetings (the
schools told); the reminder the day
before asking a school whose freed slot is still held to accept it."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from bot.features import FeatureServices
from bot.texts import text
from core.settings import Settings
from db.models.forum import ForumBooking, ForumMeeting
from db.models.referrals import Referral as ReferralRow
from dialogs.forum import feature
from domain.forum.jobs import send_reminders
from domain.forum.model import Meeting, uk_instant
from domain.notices import Notice
from tests.dialogs.referrals.conftest import Chat, seen
from tests.dialogs.referrals.partnership_world import Casework, buttons, cards, texts
from tests.domain.forum.conftest import a_forum, forum_case

SUMMARY = text("referrals_summary_title")


def today_clock(casework: Casework) -> date:
    """The app's manual clock set to now: the referral dialog checks dates against the real day."""
    casework.world.clock._now = datetime.now(UTC).replace(microsecond=0)
    return casework.world.clock.now().date()


def press_data(activities: list[dict[str, Any]], title: str) -> dict[str, Any]:
    """The data of the button titled `title` on the newest card among `activities` that has one
    (the app's own notices may reach the chat in the same moment)."""
    return starting_with(activities, title, exact=True)


def starting_with(activities: list[dict[str, Any]], prefix: str, *, exact: bool = False) -> dict[str, Any]:
    for card in reversed(cards(activities)):
        found = [b for b in buttons(card) if b["title"] == prefix or (not exact and str(b["title"]).startswith(prefix))]
        if found:
            return {k: v for k, v in found[0].items() if k != "title"}
    raise AssertionError(f"no button {prefix!r} in {[b['title'] for c in cards(activities) for b in buttons(c)]}")


def card_having(chat: Chat, title: str) -> tuple[str, dict[str, Any]]:
    """The newest card with a button titled `title` (the app's own notices may arrive meanwhile)."""
    posted = [s for s in chat.sent if not s.is_update and s.cards]
    return next(
        (s.id, chat.card(s.id)) for s in reversed(posted) if any(b["title"] == title for b in buttons(chat.card(s.id)))
    )


async def press(chat: Chat, title: str, inputs: dict[str, Any] | None = None) -> str:
    """Press `title` on the newest card that has it (sections' buttons too); what came back."""
    message_id, content = card_having(chat, title)
    found = next(b for b in buttons(content) if b["title"] == title)
    data = {k: v for k, v in found.items() if k != "title"} | (inputs or {})
    before = len(chat.sent)
    assert await chat.conversation.submit(data, reply_to_id=message_id) in (200, 201)
    return seen(chat.sent[before:])


async def bookings(casework: Casework) -> list[tuple[int, int, str]]:
    async with casework.world.db.session() as session:
        rows = await session.scalars(select(ForumBooking).order_by(ForumBooking.id))
        return [(row.meeting_id, row.referral_id, row.status) for row in rows]


async def forum(casework: Casework, days: int, slots: int = 2) -> Meeting:
    return await a_forum(casework.world, casework.world.clock.now().date() + timedelta(days=days), slots=slots)  # type: ignore[arg-type]


async def test_a_senco_books_a_case_on_three_cards(casework: Casework) -> None:
    today_clock(casework)
    world = casework.world
    first = await forum(casework, 14)
    case = await forum_case(world)  # type: ignore[arg-type]
    shown = await casework.chat("senco").ask("book a case at the forum")
    assert "Book a case at the Inclusion Forum" in texts(shown) and "2 of 2" in texts(shown)
    picked = await casework.press("senco", press_data(shown, text("forum_book_pick")))
    assert "Which case?" in texts(picked)
    confirm = await casework.press("senco", press_data(picked, text("forum_book_attach")))
    shown_text = texts(confirm)
    assert "What will be shared, and with whom" in shown_text
    assert "LCC Educational Psychologist" in shown_text and "Partnership SENCO" in shown_text
    card = cards(confirm)[-1]
    choices = [c["value"] for e in card["body"] if e.get("id") == "sharing" for c in e["choices"]]
    assert choices == ["named", "partnership_only", "anonymous"]  # the parents consented
    book = press_data(confirm, text("forum_book_confirm"))
    done = await casework.press("senco", book | {"sharing": "partnership_only", "question": "How can we help?"})
    assert "Booked" in texts(done) and "I'll remind you" in texts(done)
    assert await bookings(casework) == [(first.id, case, "booked")]
    assert "Cancel booking" in str(await casework.chat("senco").ask("my forum bookings"))


async def test_a_teacher_may_not_book_and_a_forged_press_changes_nothing(casework: Casework) -> None:
    today_clock(casework)
    first = await forum(casework, 14)
    case = await forum_case(casework.world)  # type: ignore[arg-type]
    refused = texts(await casework.chat("teacher").ask("book the forum"))
    assert "Only your school's SENCO or a head of year" in refused
    forged = {"verb": "forum.book.confirm", "meeting": first.id, "case": case, "sharing": "named", "question": "Q"}
    said = texts(await casework.press("senco_b", forged))  # another school's case
    assert "another school" in said
    assert await bookings(casework) == []


async def test_a_full_forum_offers_the_next_with_space_or_its_waiting_list(casework: Casework) -> None:
    today_clock(casework)
    world = casework.world
    full = await forum(casework, 14, slots=1)
    later = await forum(casework, 42)
    other = await forum_case(world, "Jack Smithson", "senco_b")  # type: ignore[arg-type]
    senco_b = world.as_("senco_b")
    from domain.forum import service
    from domain.forum.model import Sharing

    await service.book_case(world.db, senco_b, full.id, other, sharing=Sharing.NAMED, question="Q", clock=world.clock)
    case = await forum_case(world)  # type: ignore[arg-type]
    shown = await casework.chat("senco").ask("book forum")
    assert "Full (1 cases)" in texts(shown)
    offered = await casework.press("senco", press_data(shown, text("forum_book_wait")))
    assert "Which case?" in texts(offered)  # the waiting list of the full one, on a press
    shown = await casework.chat("senco").ask("book forum")
    # A press of a forum that filled up since the card was sent: the next with space, or wait.
    stale = {"verb": "forum.book.pick", "meeting": full.id}
    gone = await casework.press("senco", stale)
    assert "That forum is full" in texts(gone)
    next_one = await casework.press("senco", starting_with(gone, "Book the next with space"))
    assert "Which case?" in texts(next_one) and str(later.local_start.day) in texts(next_one)
    wait = await casework.press("senco", press_data(gone, text("forum_book_wait")))
    confirm = await casework.press("senco", press_data(wait, text("forum_book_attach")))
    assert "This forum is full" in texts(confirm)
    data = press_data(confirm, text("forum_book_confirm_wait"))
    done = await casework.press("senco", data | {"sharing": "named", "question": "Any ideas?"})
    assert "number 1 on the waiting list" in texts(done)
    assert (full.id, case, "waiting") in await bookings(casework)


async def test_past_the_deadline_the_bot_says_so_and_offers_the_next_forum(casework: Casework) -> None:
    today_clock(casework)
    world = casework.world
    soon = await forum(casework, 10)
    later = await forum(casework, 40)
    shown = await casework.chat("senco").ask("book the forum")
    world.clock.advance(timedelta(days=8))  # past the first forum's deadline (3 days before)
    closed = await casework.press("senco", {"verb": "forum.book.pick", "meeting": soon.id})
    said = texts(closed)
    assert "Booking has closed" in said and "closed at the end of" in said
    assert starting_with(closed, "Book the next with space")["meeting"] == later.id
    assert shown  # the first card offered both


async def test_two_schools_book_the_last_slot_at_once_exactly_one_gets_it(casework: Casework) -> None:
    today_clock(casework)
    world = casework.world
    last = await forum(casework, 14, slots=1)
    ours = await forum_case(world)  # type: ignore[arg-type]
    theirs = await forum_case(world, "Jack Smithson", "senco_b")  # type: ignore[arg-type]
    presses = [
        ("senco", {"verb": "forum.book.confirm", "meeting": last.id, "case": ours, "sharing": "named"}),
        ("senco_b", {"verb": "forum.book.confirm", "meeting": last.id, "case": theirs, "sharing": "named"}),
    ]
    replies = await asyncio.gather(*(casework.press(who, data | {"question": "Help?"}) for who, data in presses))
    outcomes = sorted(await bookings(casework))
    assert [status for _, _, status in outcomes] == ["booked"]
    async with world.db.session() as session:
        meeting = await session.get(ForumMeeting, last.id)
        assert meeting is not None and meeting.slots_taken == 1
    loser = 0 if "Booked" not in texts(replies[0]) else 1
    assert "Booked" in texts(replies[1 - loser])
    assert "the last slot" in texts(replies[loser]) and "Join the waiting list" in texts(replies[loser])
    who = presses[loser][0]
    wait = press_data(replies[loser], text("forum_book_confirm_wait"))
    done = await casework.press(who, wait | {"sharing": "named", "question": "Help?"})
    assert "number 1 on the waiting list" in texts(done)


async def test_a_new_forum_case_is_started_in_the_referral_dialog_and_booked_after(casework: Casework) -> None:
    today_clock(casework)
    first = await forum(casework, 14)
    chat = Chat(casework.chat("senco"))
    await chat.say("book a case at the forum")
    assert "no sent forum case" in await press(chat, text("forum_book_pick"))
    started = await press(chat, text("forum_book_new_case"))
    assert "bring you back" in started and "agreed to the pupil being named" in started
    await chat.press(text("referrals_anonymous"))
    await chat.answer_until(SUMMARY)
    back = seen(await chat.press(text("referrals_submit")))
    assert "Sent" in back and "Check and book" in back and "anonymous to everyone" in back.lower()
    data = press_data([s.activity for s in chat.sent], text("forum_book_confirm"))
    assert data["meeting"] == first.id and data["sharing"] == "anonymous"
    done = await press(chat, text("forum_book_confirm"), {"question": "Next steps?"})
    assert "Booked" in done
    async with casework.world.db.session() as session:
        (booking,) = list(await session.scalars(select(ForumBooking)))
    assert booking.meeting_id == first.id and booking.sharing == "anonymous" and booking.question == "Next steps?"


async def test_book_a_forum_slot_on_a_held_back_referral(casework: Casework) -> None:
    today_clock(casework)
    await forum(casework, 14)
    chat = Chat(casework.chat("senco"))
    await chat.say("refer Oliver Brown")
    await chat.press(text("referrals_kind_partnership_referral"))
    await chat.press("Oliver Brown (year 10)")
    await chat.answer_until(SUMMARY, {"requested_support": "in_school_support"})
    refused = seen(await chat.press(text("referrals_submit")))
    assert "Book a forum slot" in refused
    moved_on = seen(await chat.press(text("referrals_book_forum")))
    assert "kept as a draft" in moved_on and "forum case for the same pupil" in moved_on
    await chat.answer_until(SUMMARY)
    back = seen(await chat.press(text("referrals_submit")))
    assert "Book a case at the Inclusion Forum" in back and "Pick a forum for your case" in back
    async with casework.world.db.session() as session:
        kinds = [(r.kind, r.status) for r in await session.scalars(select(ReferralRow).order_by(ReferralRow.id))]
    assert kinds == [("partnership_referral", "draft"), ("forum_case", "submitted")]
    confirm = await press(chat, text("forum_book_pick"))
    assert "Check and book" in confirm
    assert "Named to everyone at the forum" in str(card_having(chat, text("forum_book_confirm"))[1])  # a choice


async def test_a_school_moves_and_cancels_its_booking(casework: Casework) -> None:
    today_clock(casework)
    world = casework.world
    first = await forum(casework, 14)
    second = await forum(casework, 42)
    from domain.forum import service
    from domain.forum.model import Sharing

    case = await forum_case(world)  # type: ignore[arg-type]
    senco = world.as_("senco")
    await service.book_case(world.db, senco, first.id, case, sharing=Sharing.NAMED, question="Q", clock=world.clock)
    mine = await casework.chat("senco").ask("my forum bookings")
    choose = await casework.press("senco", press_data(mine, "Move to another forum"))
    assert "Move to which forum?" in texts(choose)
    moved = await casework.press("senco", press_data(choose, text("forum_move_to")))
    assert "Moved" in texts(moved)
    assert await bookings(casework) == [(second.id, case, "booked")]
    mine = await casework.chat("senco").ask("forum bookings")
    cancelled = await casework.press("senco", press_data(mine, "Cancel booking"))
    assert "Cancelled" in texts(cancelled)
    assert await bookings(casework) == [(second.id, case, "cancelled")]
    async with world.db.session() as session:
        meeting = await session.get(ForumMeeting, second.id)
        assert meeting is not None and meeting.slots_taken == 0


async def test_the_partnership_adds_moves_and_cancels_meetings_and_schools_are_told(casework: Casework) -> None:
    today = today_clock(casework)
    world = casework.world
    assert "Only the Partnership SENCO or Director" in texts(await casework.chat("senco").ask("meetings"))
    listing = await casework.chat("psenco").ask("meetings")
    assert "Forum and Core Group meetings" in texts(listing)
    form = await casework.press("psenco", press_data(listing, text("forum_meetings_new_forum")))
    day = today + timedelta(days=30)
    create = press_data(form, text("forum_meeting_create"))
    bad = await casework.press("psenco", create | {"date": day.isoformat(), "start": "11:00", "end": "10:00"})
    assert "must end after it starts" in texts(bad)
    made = await casework.press(
        "psenco",
        create
        | {
            "date": day.isoformat(),
            "start": "09:30",
            "end": "11:30",
            "link": "https://teams.microsoft.com/l/meetup-join/new",
            "slots": "6",
        },
    )
    assert "Added" in texts(made)
    async with world.db.session() as session:
        (meeting,) = list(await session.scalars(select(ForumMeeting)))
    assert meeting.slots == 6 and meeting.teams_link.endswith("/new")
    from domain.forum import service
    from domain.forum.model import Sharing

    case = await forum_case(world)  # type: ignore[arg-type]
    senco = world.as_("senco")
    await service.book_case(world.db, senco, meeting.id, case, sharing=Sharing.NAMED, question="Q", clock=world.clock)
    listing = await casework.chat("psenco").ask("meetings")
    form = await casework.press("psenco", press_data(listing, text("forum_meetings_move")))
    new_day = day + timedelta(days=7)
    moved = await casework.press(
        "psenco",
        press_data(form, text("forum_meeting_save_move"))
        | {"date": new_day.isoformat(), "start": "10:00", "end": "12:00"},
    )
    assert "Moved to" in texts(moved) and "1 school(s)" in texts(moved)
    ask = await casework.press("psenco", press_data(cards_of(moved), text("forum_meetings_cancel")))
    assert "Cancel the Inclusion Forum?" in texts(ask)
    gone = await casework.press("psenco", press_data(ask, text("forum_meeting_cancel_yes")))
    assert "Cancelled" in texts(gone)
    assert await bookings(casework) == [(meeting.id, case, "cancelled")]
    senco_id = world.people["senco"].id
    told = [
        p["change"] for kind, who, p in await casework.outbox() if kind == "forum.meeting_changed" and who == senco_id
    ]
    assert told == ["moved", "cancelled"]  # the notifier tells the school, with these cards:
    render = feature(FeatureServices(world.db, Settings(), world.clock)).notice_renderers["forum.meeting_changed"]
    shown = []
    for kind, who, payload in await casework.outbox():
        if kind == "forum.meeting_changed" and who == senco_id:
            card = await render(Notice(kind, payload, "k"))
            assert card is not None
            shown.append(card.text)
    assert "Forum moved" in shown[0] and "Forum cancelled" in shown[1]


def cards_of(activities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [a for a in activities if a.get("attachments")]


async def test_book_a_forum_slot_books_the_pupils_forum_case_when_there_is_one(casework: Casework) -> None:
    today_clock(casework)
    first = await forum(casework, 14)
    # Made by the head of year, so its notices go to their chat, not into the SENCO's steps below.
    case = await forum_case(casework.world, "Oliver Brown", "hoy")  # type: ignore[arg-type]
    chat = Chat(casework.chat("senco"))
    await chat.say("refer Oliver Brown")
    await chat.press(text("referrals_kind_partnership_referral"))
    await chat.press("Oliver Brown (year 10)")
    await chat.answer_until(SUMMARY, {"requested_support": "in_school_support"})
    await chat.press(text("referrals_submit"))  # held back: no forum discussion on record
    shown = seen(await chat.press(text("referrals_book_forum")))
    assert "kept as a draft" in shown and "You already have a forum case for this pupil" in shown
    confirm = await press(chat, text("forum_book_pick"))
    assert "Check and book" in confirm
    data = press_data([s.activity for s in chat.sent], text("forum_book_confirm"))
    assert (data["meeting"], data["case"]) == (first.id, case)
    assert "Your drafts" in seen(await chat.say("my drafts"))  # the referral dialog has ended: commands work


async def test_the_reminder_the_day_before_asks_a_school_with_a_freed_slot_to_accept_it(casework: Casework) -> None:
    from domain.forum import service
    from domain.forum.model import Sharing

    today = today_clock(casework)
    world = casework.world
    meeting = await a_forum(world, today + timedelta(days=5), slots=2, deadline=today + timedelta(days=4))  # type: ignore[arg-type]
    senco, senco_b = world.as_("senco"), world.as_("senco_b")
    jack = await forum_case(world)  # type: ignore[arg-type]
    oliver = await forum_case(world, "Oliver Brown")  # type: ignore[arg-type]
    other = await forum_case(world, "Jack Smithson", "senco_b")  # type: ignore[arg-type]
    booked = []
    for who, case in ((senco, jack), (senco, oliver), (senco_b, other)):
        result = await service.book_case(
            world.db, who, meeting.id, case, sharing=Sharing.NAMED, question="Q", wait_if_full=True, clock=world.clock
        )
        assert result.booking is not None
        booked.append(result.booking.id)
    world.clock._now = uk_instant(today + timedelta(days=4), time(8, 0))  # the day before
    await service.cancel_booking(world.db, senco, booked[1], clock=world.clock)  # Oliver's slot is offered on
    assert await bookings(casework) == [
        (meeting.id, jack, "booked"),
        (meeting.id, oliver, "cancelled"),
        (meeting.id, other, "offered"),
    ]
    world.clock._now = uk_instant(today + timedelta(days=4), time(9, 0))
    assert await send_reminders(world.db, world.clock.now(), world.clock.now()) == 2
    await casework.deliver()
    school_a = texts(casework.received("senco"))
    assert school_a.count("Your case is on tomorrow's Inclusion Forum agenda.") == 1
    school_b = casework.received("senco_b")
    assert "Your case is on tomorrow's" not in texts(school_b)
    reminder = next(a for a in school_b if "held for your case. Accept it" in texts([a]))
    accept = press_data([reminder], "Accept the slot")
    assert accept == {"verb": "forum.offer.accept", "id": booked[2]}
    assert "Booked" in texts(await casework.press("senco_b", accept))
    assert await bookings(casework) == [
        (meeting.id, jack, "booked"),
        (meeting.id, oliver, "cancelled"),
        (meeting.id, other, "booked"),
    ]


async def test_the_partnership_names_the_services_attending_a_new_meeting(casework: Casework) -> None:
    today = today_clock(casework)
    listing = await casework.chat("psenco").ask("meetings")
    form = await casework.press("psenco", press_data(listing, text("forum_meetings_new_core_group")))
    [card] = cards(form)
    [services] = [item for item in card["body"] if item.get("id") == "services"]
    assert services["value"] == "LCC Educational Psychologist; NHS Care Navigator; LCC Inclusion Team"
    create = press_data(form, text("forum_meeting_create")) | {
        "date": (today + timedelta(days=30)).isoformat(),
        "start": "13:30",
        "end": "15:30",
    }
    too_many = "; ".join(f"Service {n}" for n in range(13))
    assert "up to 12 services" in texts(await casework.press("psenco", create | {"services": too_many}))
    too_long = "EP; " + "x" * 101
    assert "up to 100 characters" in texts(await casework.press("psenco", create | {"services": too_long}))
    beyond = "; ".join("y" * 100 for _ in range(13))  # past what the card's shape takes at all
    assert "Added" not in texts(await casework.press("psenco", create | {"services": beyond}))
    async with casework.world.db.session() as session:
        assert list(await session.scalars(select(ForumMeeting))) == []  # nothing stored by those
    typed = " LCC Educational Psychologist ;School nurse,, Early Help;school nurse ; Early Help "
    assert "Added" in texts(await casework.press("psenco", create | {"services": typed}))
    assert "Added" in texts(await casework.press("psenco", create | {"services": "   "}))
    async with casework.world.db.session() as session:
        made = list(await session.scalars(select(ForumMeeting).order_by(ForumMeeting.id)))
    assert [m.attendees["services"] for m in made] == [
        ["LCC Educational Psychologist", "School nurse", "Early Help"],
        ["LCC Educational Psychologist", "NHS Care Navigator", "LCC Inclusion Team"],  # none named: the defaults
    ]
