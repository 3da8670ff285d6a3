"""A pupil's welfare status through the app, over HTTP, on SQLite and PostgreSQL: the DSL finds
the pupil by a mistyped name, sets a flag on the card (saved, audited, the card replaced in
place), and then an unexplained absence for that pupil is alerted to the DSL at once; whoever
the policy does not allow is refused (and audited), a forged Save changes nothing, and someone
who may only see the status gets it without toggles or Save."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.clock import ManualClock
from db.engine import Database
from db.models.audit import AuditLogRow
from db.models.directory import Pupil
from dialogs.attendance.welfare import accepts
from domain.directory.writes import save_person
from domain.roles import Role
from tests.dialogs.attendance.conftest import DSL_AAD, DSL_B_AAD, STAFF_AAD, Running, card_text, cards_of
from tests.dialogs.attendance.test_school_day import row_of, save_data, send_due
from tests.domain.attendance.conftest import World, move_to, utc

TEACHER_AAD = "00000000-0000-0000-0000-00000000a005"
HEAD_AAD = "00000000-0000-0000-0000-00000000a006"
SAVE = "attendance.welfare.save"


def attached(replies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [a["content"] for r in replies for a in r.get("attachments", [])]


def said(replies: list[dict[str, Any]]) -> str:
    return " ".join(str(r.get("text") or "") for r in replies)


def toggles(card: dict[str, Any]) -> dict[str, str]:
    return {item["id"]: item["value"] for item in card["body"] if item.get("type") == "Input.Toggle"}


def pupils_offered(cards: list[dict[str, Any]]) -> list[int]:
    return [a["data"]["pupil"] for card in cards for a in card.get("actions", [])]


def flags_of(row: Pupil) -> tuple[bool, bool, bool]:
    return row.child_protection_plan, row.child_in_need_plan, row.looked_after


async def stored(database: Database, pupil_id: int) -> tuple[bool, bool, bool]:
    async with database.session() as session:
        row = await session.get(Pupil, pupil_id)
        assert row is not None
        return flags_of(row)


async def audit(database: Database, pupil_id: int | str) -> list[AuditLogRow]:
    async with database.session() as session:
        query = select(AuditLogRow).where(AuditLogRow.record_type == "pupil", AuditLogRow.record_id == str(pupil_id))
        return list(await session.scalars(query.order_by(AuditLogRow.id)))


async def in_teams(database: Database, aad: str, email: str, name: str, role: Role, school_id: int) -> None:
    async with database.session() as session:
        await save_person(session, email=email, display_name=name, roles=[role], school_id=school_id, aad_object_id=aad)


async def test_the_dsl_sets_a_flag_and_an_unexplained_absence_is_then_alerted_at_once(
    running: Running, database: Database, clock: ManualClock, world: World
) -> None:
    move_to(clock, utc(2026, 11, 2, 9, 10))  # Monday, GMT
    dsl, staff = running.chat(DSL_AAD, "29:dsl"), running.chat(STAFF_AAD, "29:staff")
    await dsl.ask("help")  # the DSL's chat is known, so the alert can reach it

    [card] = attached(await dsl.ask("welfare ali tayler"))  # a typo still finds Ali Taylor
    assert card_text(card).startswith("Welfare status: Ali Taylor, Year 10")
    assert "Recorded now: none of these" in card_text(card)
    assert toggles(card) == {"child_protection_plan": "false", "child_in_need_plan": "false", "looked_after": "false"}
    [button] = card["actions"]
    assert button["title"] == "Save" and button["data"] == {"verb": SAVE, "pupil": world.at_ap}
    message_id = running.sent_to(dsl)[-1].id

    before = len(running.connector.sent)
    pressed = {**button["data"], **toggles(card), "child_in_need_plan": "true"}
    assert await dsl.submit(pressed, reply_to_id=message_id) in (200, 201)
    [replaced] = [s for s in running.connector.sent[before:] if s.is_update]
    assert replaced.id == message_id
    assert "Saved." in card_text(replaced.cards[0]) and "Recorded now: Child in need plan" in card_text(
        replaced.cards[0]
    )
    assert toggles(replaced.cards[0])["child_in_need_plan"] == "true"
    assert await stored(database, world.at_ap) == (False, True, False)
    [changed] = [e for e in await audit(database, world.at_ap) if e.action == "changed"]
    assert changed.actor_id == world.dsl_a.id and changed.detail["fields"] == ["child_in_need_plan"]
    assert "true" not in str(changed.detail).lower()  # the fields changed, never their values

    # Saving the same again changes nothing and audits no change.
    await dsl.submit(pressed, reply_to_id=message_id)
    assert len([e for e in await audit(database, world.at_ap) if e.action == "changed"]) == 1

    # The register: Ali is absent with no reason, so the DSL is alerted without waiting.
    [register] = attached(await staff.ask("take the register"))
    data = save_data(register)
    await staff.submit({**data, f"m{row_of(data, world.at_ap)}": "absent"}, reply_to_id=running.sent_to(staff)[-1].id)
    assert "1 alert(s) sent" in card_text(running.connector.updates()[-1].cards[0])
    await send_due(running)
    [alert] = [c for c in cards_of(running.sent_to(dsl)) if "absent, no reason given" in card_text(c)]
    assert "Ali Taylor" in card_text(alert) and "child in need plan" in card_text(alert)


async def test_several_pupils_of_that_name_give_a_choice(running: Running, database: Database, world: World) -> None:
    dsl = running.chat(DSL_AAD, "29:dsl")
    [choice] = attached(await dsl.ask("welfare sam"))
    assert "More than one pupil matches" in card_text(choice)
    buttons = [a["data"] for a in choice["actions"]]
    assert sorted(b["pupil"] for b in buttons) == sorted([world.at_centre, world.not_placed])
    before = len(running.connector.sent)
    await dsl.submit(buttons[0], reply_to_id=running.sent_to(dsl)[-1].id)
    [shown] = [s for s in running.connector.sent[before:] if s.is_update]
    assert card_text(shown.cards[0]).startswith("Welfare status: Sam Taylor")
    assert set(toggles(shown.cards[0])) == {"child_protection_plan", "child_in_need_plan", "looked_after"}

    # Another school's pupil is never offered: only this school's Taylors come close.
    offered = attached(await dsl.ask("welfare bo taylor"))
    assert "Bo Taylor" not in str(offered) and world.other_school not in pupils_offered(offered)
    assert "can't find a pupil" in said(await dsl.ask("welfare jo smith"))


async def test_a_teacher_an_attendance_lead_and_another_schools_dsl_are_refused(
    running: Running, database: Database, world: World
) -> None:
    await in_teams(database, TEACHER_AAD, world.teacher_a.email, "Tee Cher", Role.TEACHER, world.school_a)
    teacher = running.chat(TEACHER_AAD, "29:teacher")
    reply = said(await teacher.ask("welfare cam taylor"))
    assert "Only your school's DSL, a deputy DSL or the headteacher can see a pupil's welfare status." in reply
    assert "Cam" not in reply
    async with database.session() as session:
        refused = await session.scalar(
            select(AuditLogRow).where(AuditLogRow.actor_id == world.teacher_a.id, AuditLogRow.action == "refused")
        )
    assert refused is not None and refused.detail["kind"] == "view_welfare_flags"

    lead = running.chat("00000000-0000-0000-0000-00000000a003", "29:lead")
    assert "Only your school's DSL" in said(await lead.ask("welfare cam taylor"))

    other = running.chat(DSL_B_AAD, "29:dsl-b")
    replies = await other.ask("welfare cam taylor")
    assert "Cam Taylor" not in str(replies) and world.protected not in pupils_offered(attached(replies))


async def test_a_forged_save_for_another_schools_pupil_is_refused_and_changes_nothing(
    running: Running, database: Database, world: World
) -> None:
    other = running.chat(DSL_B_AAD, "29:dsl-b")
    await other.ask("help")
    forged = {"verb": SAVE, "pupil": world.protected, "child_protection_plan": "false"}
    forged |= {"child_in_need_plan": "false", "looked_after": "false"}
    before = len(running.connector.sent)
    await other.submit(forged)
    sent = running.connector.sent[before:]
    assert "That belongs to another school" in " ".join(s.text for s in sent)
    assert all(not s.cards for s in sent)
    assert await stored(database, world.protected) == (True, False, False)
    entries = await audit(database, world.protected)
    assert [(e.action, e.actor_id) for e in entries if e.actor_id == world.dsl_b.id] == [("refused", world.dsl_b.id)]

    # Opening another school's pupil by a forged button is refused the same way.
    await other.submit({"verb": "attendance.welfare.open", "pupil": world.protected})
    assert "That belongs to another school" in running.connector.sent[-1].text

    # A Save missing a toggle is not a "no": it is refused before anything is asked.
    dsl = running.chat(DSL_AAD, "29:dsl")
    await dsl.submit({"verb": SAVE, "pupil": world.protected, "child_in_need_plan": "false", "looked_after": "false"})
    assert await stored(database, world.protected) == (True, False, False)


async def test_a_headteacher_sees_the_status_without_toggles_and_cannot_save(
    running: Running, database: Database, world: World
) -> None:
    await in_teams(database, HEAD_AAD, "head@a.example.org", "Hedda Teacher", Role.HEADTEACHER, world.school_a)
    head = running.chat(HEAD_AAD, "29:head")
    [card] = attached(await head.ask("welfare Cam Taylor"))
    assert toggles(card) == {} and "actions" not in card
    assert "Child protection plan\nYes" in card_text(card) and "Looked after\nNo" in card_text(card)
    forged = {"verb": SAVE, "pupil": world.protected, "child_protection_plan": "false"}
    await head.submit(forged | {"child_in_need_plan": "false", "looked_after": "false"})
    assert "Only your school's DSL or a deputy DSL can change" in running.connector.sent[-1].text
    assert await stored(database, world.protected) == (True, False, False)


def test_a_name_after_welfare_is_the_command_a_question_is_left_to_the_q_and_a() -> None:
    assert accepts("") and accepts("Cam Taylor") and accepts("o'neil-smith")
    assert not accepts("concerns") and not accepts("what is a cin plan") and not accepts("cam taylor?")
