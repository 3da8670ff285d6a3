"""A weekend or a holiday through the app, over HTTP, on SQLite and PostgreSQL and the manual
clock: `register` shows the last school day's register (saying so) and saving it works;
`register <date> [am|pm]` opens a past school day's and refuses a day to come or a closed
day; "today's attendance" shows the last school day's digest as it stands (saying so), and
"Chased" on it replaces the card in place."""

from __future__ import annotations

from datetime import date
from typing import Any

from core.clock import ManualClock
from db.engine import Database
from db.models.school_calendar import TermDatesRow
from tests.dialogs.attendance.conftest import DSL_AAD, STAFF_AAD, Running, card_text
from tests.dialogs.attendance.test_school_day import chased_buttons, row_of, save_data
from tests.domain.attendance.conftest import World, move_to, utc


def texts(replies: list[dict[str, Any]]) -> str:
    return " ".join(str(r.get("text") or "") for r in replies)


def cards(replies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [a["content"] for r in replies for a in r.get("attachments", [])]


async def test_on_a_saturday_the_register_and_the_digest_are_fridays(
    running: Running, clock: ManualClock, world: World
) -> None:
    move_to(clock, utc(2026, 11, 7, 10, 0))  # Saturday 7 November 2026
    staff, dsl = running.chat(STAFF_AAD, "29:staff"), running.chat(DSL_AAD, "29:dsl")

    replies = await staff.ask("register")
    assert "isn't a school day today, so this is the register for Friday 6 November 2026" in texts(replies)
    [card] = cards(replies)
    assert "Register: Friday 6 November 2026, morning (AM)" in card_text(card)
    assert "Charnwood Vale Academy · Expected at: the LNCIP Centre" in card_text(card)
    data = save_data(card)
    centre, ap, protected = (row_of(data, p) for p in (world.at_centre, world.at_ap, world.protected))
    marks = {
        f"m{ap}": "late",
        f"t{ap}": "09:20",
        f"m{centre}": "absent",
        f"r{centre}": "illness",
        f"g{centre}": "parent_phone",
        f"m{protected}": "absent",
    }
    message_id = running.sent_to(staff)[-1].id
    await staff.submit({**data, **marks}, reply_to_id=message_id)
    [saved] = running.connector.updates()
    assert saved.id == message_id and "Register saved: 3 marked" in card_text(saved.cards[0])

    replies = await dsl.ask("today's attendance")
    said = texts(replies)
    assert "isn't a school day today, so this is Friday 6 November 2026, the last school day" in said
    [digest] = cards(replies)
    shown = card_text(digest)
    assert "Attendance at Charnwood Vale Academy: Friday 6 November 2026" in shown
    assert "Late at 09:20" in shown and "Absent: Illness (given by parent, by phone)" in shown
    assert "Bo Taylor" not in shown  # another school's pupil
    [button] = chased_buttons(digest)
    assert button == {"verb": "attendance.chased", "pupil": world.protected, "date": "2026-11-06"}

    move_to(clock, utc(2026, 11, 7, 10, 5))
    digest_id = running.sent_to(dsl)[-1].id
    await dsl.submit(button, reply_to_id=digest_id)
    update = running.connector.updates()[-1]
    assert update.id == digest_id
    assert "Chased by Dee Ess at 10:05" in card_text(update.cards[0]) and chased_buttons(update.cards[0]) == []


async def test_a_past_school_days_register_by_its_date(running: Running, clock: ManualClock) -> None:
    move_to(clock, utc(2026, 11, 7, 10, 0))  # Saturday
    staff = running.chat(STAFF_AAD, "29:staff")
    [card] = cards(await staff.ask("register 2026-11-03 pm"))
    assert "Register: Tuesday 3 November 2026, afternoon (PM)" in card_text(card)
    [card] = cards(await staff.ask("register 4/11/2026"))
    assert "Register: Wednesday 4 November 2026, morning (AM)" in card_text(card)
    replies = await staff.ask("register 2026-11-09")
    assert "Monday 9 November 2026 is still to come" in texts(replies) and not cards(replies)
    move_to(clock, utc(2026, 11, 9, 9, 0))  # Monday: today's register, by its date too
    [card] = cards(await staff.ask("register am 2026-11-09"))
    assert "Register: Monday 9 November 2026, morning (AM)" in card_text(card)
    replies = await staff.ask("register 2026-11-08")
    assert "Sunday 8 November 2026 isn't a school day" in texts(replies) and not cards(replies)


async def test_in_the_christmas_holiday_today_is_the_last_day_of_term(
    running: Running, database: Database, clock: ManualClock
) -> None:
    async with database.session() as session:  # the spring term is known, so the days between are a holiday
        session.add(
            TermDatesRow(
                kind="term", start_on=date(2027, 1, 4), end_on=date(2027, 3, 26), name="", imported_at=clock.now()
            )
        )
    move_to(clock, utc(2026, 12, 22, 14, 0))  # Tuesday, after the autumn term ended on Friday 18 December
    dsl, staff = running.chat(DSL_AAD, "29:dsl"), running.chat(STAFF_AAD, "29:staff")
    replies = await dsl.ask("today's attendance")
    assert "so this is Friday 18 December 2026, the last school day" in texts(replies)
    [digest] = cards(replies)
    assert "Attendance at Charnwood Vale Academy: Friday 18 December 2026" in card_text(digest)
    replies = await staff.ask("register pm")
    assert "the register for Friday 18 December 2026" in texts(replies)
    [card] = cards(replies)
    assert "Register: Friday 18 December 2026, afternoon (PM)" in card_text(card)
