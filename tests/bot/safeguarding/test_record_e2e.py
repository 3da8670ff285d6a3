"""A concern opened in Teams, over HTTP through the real app, on the manual clock, on SQLite and
PostgreSQL: `concern <id>` and "Open" on the open concerns list show the record (who, school,
reporter, UK time, what was seen or said, actions, acknowledgement, the chronology in plain
words) to whoever may view it, audited and written in the chronology; "Add note" on it adds the
note and refreshes the card in place; anyone else gets the policy's reason, and a reporter the
policy does not let view it gets the status card. Also: the reporter hears "delivered"; an
acknowledged alert keeps "Add note"; a person alerted at two rungs has both cards updated."""

from __future__ import annotations

import json
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from db.models.directory import PersonRole
from db.models.safeguarding import SafeguardingEntry
from domain.audit import read_audit
from domain.roles import Role
from tests.bot.safeguarding.conftest import World
from tests.bot.safeguarding.test_ladder_e2e import acknowledge, card_text, concern_row
from tests.fixtures.connector import Sent

UK = ZoneInfo("Europe/London")


def card_of(activity: dict[str, Any]) -> dict[str, Any]:
    content: dict[str, Any] = activity["attachments"][0]["content"]
    return content


def lines_of(card: dict[str, Any]) -> list[str]:
    return [b["text"] for b in card["body"] if b.get("type") == "TextBlock" and b.get("isSubtle")]


async def entries(world: World, concern_id: int, kind: str) -> list[SafeguardingEntry]:
    async with world.database.session() as session:
        query = select(SafeguardingEntry).where(SafeguardingEntry.concern_id == concern_id)
        return [e for e in (await session.scalars(query.order_by(SafeguardingEntry.id))).all() if e.kind == kind]


async def raised(world: World, *names: str, reporter: str = "reporter") -> int:
    await world.hello(*names)
    await world.report(reporter)
    await world.tick()
    return (await concern_row(world)).id


async def test_the_dsl_opens_a_concern_and_sees_its_record_and_chronology(world: World) -> None:
    concern_id = await raised(world, "dsl")
    row = await concern_row(world)
    replies = await world.chat("dsl").ask(f"concern {concern_id}")
    card = card_of(replies[-1])
    text = json.dumps(card)
    assert card["body"][0]["text"] == f"Safeguarding concern {concern_id}"
    assert "Not acknowledged yet" in text
    facts = {f["title"]: f["value"] for f in card["body"][2]["facts"]}
    raised_at = row.raised_at.astimezone(UK).strftime("%H:%M on %d %b")
    assert facts == {
        "About": "Jordan Smith, year 10",
        "School": "Charnwood Vale Academy",
        "Raised by": f"Reporter Person at {raised_at}",
    }
    assert "belt last night" in text and "Took her to the office" in text
    lines = [line.split(": ", 1)[1] for line in lines_of(card)]
    lines = [line for line in lines if not line.startswith("update delivered to")]  # the reporter's, if sent yet
    assert lines == [
        "raised by Reporter Person",
        "alert sent to Dsl Person (step 1)",
        "delivered to Dsl Person",
        "Reporter Person (reporter) told: the alert was delivered",
        "viewed by Dsl Person",
    ]
    assert lines_of(card)[0].startswith(raised_at)
    assert [a["title"] for a in card["actions"]] == ["Add note"]
    assert [e.person_id for e in await entries(world, concern_id, "viewed")] == [world.people["dsl"]]
    async with world.database.session() as session:
        audit = await read_audit(session, record_type="safeguarding_concern", record_id=str(concern_id))
    assert [(e.action, e.actor_id) for e in audit if e.action == "viewed"] == [("viewed", world.people["dsl"])]


async def test_add_note_on_the_record_adds_it_and_refreshes_the_card_in_place(world: World) -> None:
    concern_id = await raised(world, "dsl")
    chat = world.chat("dsl")
    await chat.ask(f"concern {concern_id}")
    record = world.to("dsl")[-1]
    await chat.submit({"verb": "safeguarding.record.note", "id": concern_id, "note": "Rang mum at 4pm."}, record.id)
    updated = world.to("dsl")[-1]
    assert updated.is_update and updated.id == record.id
    assert any(line.endswith("note by Dsl Person: Rang mum at 4pm.") for line in lines_of(updated.cards[0]))
    assert len(await entries(world, concern_id, "note")) == 1
    before = len(world.to("teacher"))
    await world.chat("teacher").submit({"verb": "safeguarding.record.note", "id": concern_id, "note": "x"})
    assert "Only your school's DSL" in world.to("teacher")[before:][-1].text  # the policy, asked again
    assert len(await entries(world, concern_id, "note")) == 1


async def test_the_director_opens_a_concern_from_the_open_concerns_list(world: World) -> None:
    concern_id = await raised(world, "dsl", "director")
    listed = (await world.chat("director").ask("open concerns"))[-1]
    row = card_of(listed)["body"][1]
    [button] = row["columns"][1]["items"][0]["actions"]
    assert (button["title"], button["data"]) == ("Open", {"verb": "safeguarding.open", "id": concern_id})
    listing = world.to("director")[-1]
    await world.chat("director").submit(button["data"], listing.id)
    opened = world.to("director")[-1]
    assert not opened.is_update  # the list stays; the record is a new message
    assert opened.cards[0]["body"][0]["text"] == f"Safeguarding concern {concern_id}"
    assert "viewed by Director Person" in " ".join(lines_of(opened.cards[0]))


async def test_someone_the_policy_does_not_let_view_it_is_told_why(world: World) -> None:
    concern_id = await raised(world, "dsl", "teacher", "coordinator")
    refused = await world.chat("teacher").ask(f"concern {concern_id}")
    assert "Only your school's DSL" in refused[-1]["text"] and not refused[-1].get("attachments")
    missing = await world.chat("dsl").ask("concern 999999")
    assert missing[-1]["text"] == "I can't find that concern."
    which = await world.chat("dsl").ask("concern")
    assert "concern 12" in which[-1]["text"]
    assert await entries(world, concern_id, "viewed") == []


async def test_a_reporter_who_may_not_see_the_detail_gets_the_status_card(world: World) -> None:
    concern_id = await raised(world, "dsl", "admin", reporter="admin")
    replies = await world.chat("admin").ask(f"concern {concern_id}")
    text = card_text_of(replies[-1])
    assert "Your safeguarding concern" in text and "delivered" in text
    assert "belt" not in text and "Jordan" not in text
    assert await entries(world, concern_id, "viewed") == []
    # Partnership staff may see the concerns they raised: the record.
    other = await raised(world, "dsl")
    mine = await world.chat("reporter").ask(f"concern {other}")
    assert "belt last night" in card_text_of(mine[-1])


def card_text_of(activity: dict[str, Any]) -> str:
    return json.dumps(card_of(activity))


async def test_the_reporter_hears_when_the_alert_is_delivered(world: World) -> None:
    await world.hello("dsl")
    await world.report()
    at_raise = [s for s in world.to("reporter") if s.cards and "Your safeguarding concern" in card_text(s)]
    assert [f["value"] for f in at_raise[-1].cards[0]["body"][2]["facts"]] == ["sent"]
    await world.tick()

    def told() -> list[Sent]:
        return [s for s in world.to("reporter") if s.cards and "Your safeguarding concern" in card_text(s)]

    await world.until(lambda: len(told()) > len(at_raise))
    assert len(told()) == len(at_raise) + 1
    assert [f["value"] for f in told()[-1].cards[0]["body"][2]["facts"]] == ["delivered"]
    await world.tick(1)
    await world.deliver()
    assert len(told()) == len(at_raise) + 1  # told once for the step


async def test_an_acknowledged_alert_keeps_add_note(world: World) -> None:
    concern_id = await raised(world, "dsl")
    [alert] = world.alerts_to("dsl")
    await acknowledge(world, "dsl", concern_id, alert.id)
    await world.tick()
    card = world.updates_to("dsl")[-1].cards[0]
    assert [a["title"] for a in card["actions"]] == ["Add note"]
    assert any(b.get("id") == "note" for b in card["body"])
    before = len(world.to("dsl"))
    await world.chat("dsl").submit({"verb": "safeguarding.note", "id": concern_id, "note": "Social care called."})
    assert "Your note has been added" in world.to("dsl")[before:][-1].text
    assert len(await entries(world, concern_id, "note")) == 1


async def test_a_dsl_who_is_also_the_head_has_both_alert_cards_updated(world: World) -> None:
    async with world.database.session() as session:
        session.add(PersonRole(person_id=world.people["dsl"], role=Role.HEADTEACHER.value))
    concern_id = await raised(world, "dsl", "deputy", "director")
    await world.tick(10)
    await world.tick(10)
    first, last = world.alerts_to("dsl")
    assert (await concern_row(world)).rung == 3
    await acknowledge(world, "dsl", concern_id, last.id)
    await world.tick()
    assert {s.id for s in world.updates_to("dsl")} == {first.id, last.id}
    assert all("Acknowledged by Dsl Person" in card_text(s) for s in world.updates_to("dsl"))
