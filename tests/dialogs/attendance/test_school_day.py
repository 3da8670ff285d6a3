"""A whole school day through the app, over HTTP, on SQLite and PostgreSQL and the manual
clock: the register taken on its card (and corrected), the unmarked flag, an immediate alert,
the digest sent by its job through the notifier to the stand-in connector, "Chased" replacing
the card in place, and a DSL asking for today's attendance (their school only)."""

from __future__ import annotations

from typing import Any

from app import NOTIFIER, SCHEDULER
from core.clock import ManualClock
from db.engine import Database
from domain.attendance import notices
from tests.dialogs.attendance.conftest import (
    DSL_AAD,
    DSL_B_AAD,
    STAFF_AAD,
    Running,
    card_text,
    cards_of,
)
from tests.domain.attendance.conftest import World, move_to, queued, utc
from tests.fixtures.outbox import deliver_all


def save_data(card: dict[str, Any]) -> dict[str, Any]:
    [save] = [a for a in card["actions"] if a["title"] == "Save"]
    return dict(save["data"])


def row_of(data: dict[str, Any], pupil_id: int) -> int:
    return next(int(k[1:]) for k, v in data.items() if k.startswith("p") and v == pupil_id)


def chased_buttons(card: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for item in card["body"]:
        for inner in item.get("items", []):
            if inner.get("type") == "ActionSet":
                found += [a["data"] for a in inner["actions"] if a["title"] == "Chased"]
    return found


async def send_due(running: Running) -> None:
    """Send what is due, waiting for what the app's own sender loop claimed meanwhile."""
    await deliver_all(running.app[NOTIFIER], running.connector)


async def test_a_school_day_through_the_app(
    running: Running, database: Database, clock: ManualClock, world: World
) -> None:
    move_to(clock, utc(2026, 11, 2, 9, 15))  # Monday, GMT
    staff, dsl = running.chat(STAFF_AAD, "29:staff"), running.chat(DSL_AAD, "29:dsl")
    await dsl.ask("help")  # the DSL's chat is known, so notices can reach it

    replies = await staff.ask("take the register")
    [register] = [c for r in replies for c in r.get("attachments", [])]
    card = register["content"]
    assert "Register: Monday 2 November 2026, morning (AM)" in card_text(card)
    data = save_data(card)
    assert sorted(v for k, v in data.items() if k.startswith("p")) == sorted(
        [world.at_centre, world.at_ap, world.protected, world.other_school]
    )
    message_id = running.sent_to(staff)[-1].id

    centre, ap, protected = (row_of(data, p) for p in (world.at_centre, world.at_ap, world.protected))
    marks = {f"m{centre}": "present", f"m{ap}": "late", f"t{ap}": "09:20", f"m{protected}": "absent"}
    marks[f"a{protected}"] = "parent_phoned"
    before = len(running.connector.sent)
    assert await staff.submit({**data, **marks}, reply_to_id=message_id) in (200, 201)
    after = running.connector.sent[before:]
    [replaced] = [s for s in after if s.is_update]
    assert replaced.id == message_id
    assert "Register saved: 3 marked, 0 corrected" in card_text(replaced.cards[0])
    assert "1 alert(s) sent" in card_text(replaced.cards[0])

    # Sending again corrects it: the late pupil was in fact present.
    data = save_data(replaced.cards[0])
    marks[f"m{ap}"], marks[f"t{ap}"] = "present", ""
    await staff.submit({**data, **marks}, reply_to_id=message_id)
    assert "1 corrected" in card_text(running.connector.updates()[-1].cards[0])
    marks[f"m{ap}"], marks[f"t{ap}"] = "late", "09:20"
    await staff.submit({**data, **marks}, reply_to_id=message_id)

    # The immediate alert reaches the DSL without waiting for the digest.
    await send_due(running)
    [alert] = [c for c in cards_of(running.sent_to(dsl)) if "absent, no reason given" in card_text(c)]
    assert "Cam Taylor" in card_text(alert) and "child protection plan" in card_text(alert)

    # 09:40: the pupil still unmarked is flagged to the person who took the register.
    move_to(clock, utc(2026, 11, 2, 9, 40))
    await running.app[SCHEDULER].run_due()
    await send_due(running)
    [flag] = [c for c in cards_of(running.sent_to(staff)) if card_text(c).startswith("Not marked yet:")]
    assert "Bo Taylor" in card_text(flag) and "Sam Taylor" not in card_text(flag)

    # 10:00: the digest job queues one digest per school; the notifier sends them.
    move_to(clock, utc(2026, 11, 2, 10, 0))
    await running.app[SCHEDULER].run_due()
    digests = await queued(database, notices.DIGEST)
    assert sorted(d.person_id for d in digests if d.payload["school_id"] == world.school_a) == sorted(
        [world.dsl_a.id, world.lead_a.id]
    )
    await send_due(running)
    [digest] = [s for s in running.sent_to(dsl) if s.cards and "Attendance at Charnwood" in card_text(s.cards[0])]
    shown = card_text(digest.cards[0])
    assert "Late at 09:20" in shown and "suggested code B" in shown and "suggested code D" in shown
    assert "Absent: no reason yet · suggested code N" in shown and "Actions taken: Parent phoned" in shown
    assert "please chase today" in shown and "this week" in shown
    assert "Bo Taylor" not in shown  # another school's pupil
    assert "child protection" not in shown  # no welfare detail in a digest
    [button] = chased_buttons(digest.cards[0])
    assert button == {"verb": "attendance.chased", "pupil": world.protected, "date": "2026-11-02"}

    # "Chased" records who took it on and replaces the card in place, without the button.
    move_to(clock, utc(2026, 11, 2, 10, 12))
    before = len(running.connector.sent)
    await dsl.submit(button, reply_to_id=digest.id)
    [update] = [s for s in running.connector.sent[before:] if s.is_update]
    assert update.id == digest.id
    assert "Chased by Dee Ess at 10:12" in card_text(update.cards[0])
    assert chased_buttons(update.cards[0]) == []

    # The DSL asks at any time: the same card as it stands, their school only.
    replies = await dsl.ask("today's attendance")
    [asked] = [a["content"] for r in replies for a in r.get("attachments", [])]
    assert "Chased by Dee Ess" in card_text(asked) and "Bo Taylor" not in card_text(asked)
    replies = await dsl.ask("attendance for cam")
    [one] = [a["content"] for r in replies for a in r.get("attachments", [])]
    assert "Cam Taylor" in card_text(one) and "Sam Taylor" not in card_text(one)
    replies = await dsl.ask("attendance this week")
    [week] = [a["content"] for r in replies for a in r.get("attachments", [])]
    assert "this week" in card_text(week) and "Mon 2 Nov" in card_text(week)

    # Another school's DSL cannot chase school A's absence.
    other = running.chat(DSL_B_AAD, "29:dsl-b")
    replies = await other.ask("today's attendance")
    assert "Cam Taylor" not in str(replies) and "Bo Taylor" in str(replies)
