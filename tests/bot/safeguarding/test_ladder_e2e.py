"""A safeguarding concern end to end over HTTP, on the manual clock, on SQLite and PostgreSQL:
raised in Teams, alerted to the DSL, acknowledged (the card updated in place for everyone it
reached) or escalated up the ladder to its last rung."""

from __future__ import annotations

from sqlalchemy import select

from db.models.proactive import Notification
from db.models.safeguarding import SafeguardingConcern
from tests.bot.safeguarding.conftest import ACCOUNT, World

PREVIEW = "Urgent safeguarding concern: please open"


def card_text(sent: object) -> str:
    import json

    return json.dumps(sent.cards)


async def concern_row(world: World) -> SafeguardingConcern:
    async with world.database.session() as session:
        row = await session.scalar(select(SafeguardingConcern).order_by(SafeguardingConcern.id.desc()))
        assert row is not None
        return row


async def acknowledge(world: World, name: str, concern_id: int, message_id: str | None = None) -> None:
    await world.chat(name).submit({"verb": "safeguarding.acknowledge", "id": concern_id}, reply_to_id=message_id)


async def test_the_999_card_comes_first_then_the_dsl_gets_the_urgent_card(world: World) -> None:
    await world.hello("dsl")
    chat = world.chat("reporter")
    await chat.ask("report a safeguarding concern")
    replies = await chat.ask("yes")
    assert replies[0]["attachments"][0]["content"]["body"][0]["text"] == "Call 999 now"
    for answer in ("jordan smth", ACCOUNT, "none"):
        await chat.ask(answer)
    await world.deliver()
    [alert] = world.alerts_to("dsl")
    # The preview is the notification's summary and the card's fallback: no text beside the card.
    assert alert.text == "" and alert.activity["summary"] == PREVIEW
    assert alert.cards[0]["fallbackText"] == PREVIEW
    assert alert.activity["channelData"]["notification"]["alert"] is True
    assert "belt last night" in card_text(alert) and "Jordan Smith" in card_text(alert)
    titles = [a["title"] for a in alert.cards[0]["actions"]]
    assert titles == ["Acknowledge", "Add note"]
    async with world.database.session() as session:
        stored = await session.scalar(select(Notification).where(Notification.kind == "safeguarding.alert"))
        assert stored is not None and stored.activity_id == alert.id


async def test_the_full_ladder_reaches_its_last_rung_and_tells_the_reporter(world: World) -> None:
    await world.hello("dsl", "deputy", "head", "director")
    await world.report()
    await world.tick()
    assert len(world.alerts_to("dsl")) == 1 and world.alerts_to("deputy") == []
    await world.tick(10)
    assert len(world.alerts_to("deputy")) == 1 and world.alerts_to("head") == []
    await world.tick(10)
    assert len(world.alerts_to("head")) == 1 and len(world.alerts_to("director")) == 1
    assert (await concern_row(world)).rung == 3
    told = [card_text(s) for s in world.to("reporter")]
    assert any("please phone the school now" in t and "social care" not in t for t in told)
    await world.tick(60)  # the last rung: nothing more
    assert sum(len(world.alerts_to(n)) for n in ("dsl", "deputy", "head", "director")) == 4


async def test_an_acknowledgement_at_each_rung_stops_the_ladder_and_updates_every_card(world: World) -> None:
    await world.hello("dsl", "deputy", "head", "director")
    for rung, acknowledger in ((1, "dsl"), (2, "deputy"), (3, "head")):
        await world.report()
        await world.tick()
        concern = await concern_row(world)
        for _ in range(rung - 1):
            await world.tick(10)
        alerted = {1: ["dsl"], 2: ["dsl", "deputy"], 3: ["dsl", "deputy", "head", "director"]}[rung]
        mine = [s for s in world.alerts_to(acknowledger) if s.cards[0]["actions"][0]["data"]["id"] == concern.id]
        assert mine, (rung, acknowledger, [(s.conversation_id, s.text) for s in world.connector.sent][-8:])
        pressed = mine[-1]
        before = {name: len(world.updates_to(name)) for name in alerted}
        await acknowledge(world, acknowledger, concern.id, pressed.id)
        await world.tick(30)
        row = await concern_row(world)
        assert row.status == "acknowledged" and row.rung == rung
        for name in alerted:
            updates = world.updates_to(name)
            assert len(updates) >= before[name] + 1, name
            assert "Acknowledged by" in card_text(updates[-1])
            assert [a["title"] for a in updates[-1].cards[0]["actions"]] == ["Add note"]
        status = [card_text(s) for s in world.to("reporter")]
        assert any(f"Acknowledged by {acknowledger.title()} Person" in t for t in status)
        # Nothing further up the ladder after the acknowledgement.
        assert (await concern_row(world)).rung == rung


async def test_a_dsl_with_no_chat_moves_the_ladder_on_at_once_and_gets_the_alert_when_they_open_one(
    world: World,
) -> None:
    await world.hello("deputy")
    await world.report()
    await world.tick()
    row = await concern_row(world)
    assert row.rung == 2 and len(world.alerts_to("deputy")) == 1  # no waiting for the DSL
    await world.hello("dsl")  # the DSL opens a chat: the held alert goes out (gap a)
    await world.deliver()
    assert len(world.alerts_to("dsl")) == 1


async def test_a_403_mid_ladder_counts_as_not_acknowledged_at_once(world: World) -> None:
    await world.hello("dsl", "deputy", "head", "director")
    await world.report()
    await world.tick()
    world.connector.failures_in["a:chat-deputy"] = [(403, {})]  # the deputy removed the app
    await world.tick(10)
    await world.tick()

    def told() -> str:
        return " ".join(card_text(s) for s in world.to("reporter"))

    await world.until(lambda: len(world.alerts_to("head")) == 1 and "no one could be reached in Teams" in told())
    row = await concern_row(world)
    assert row.rung == 3 and len(world.alerts_to("head")) == 1
    assert "no one could be reached in Teams" in told()


async def test_a_concern_about_an_adult_goes_to_the_headteacher_not_the_dsl(world: World) -> None:
    await world.hello("dsl", "head", "director")
    await world.report_adult()
    await world.tick()
    assert len(world.alerts_to("head")) == 1 and world.alerts_to("dsl") == []
    assert "an adult at the school" in card_text(world.alerts_to("head")[0])
    await world.tick(10)
    assert len(world.alerts_to("director")) == 1 and world.alerts_to("dsl") == []


async def test_a_forged_acknowledge_from_someone_not_a_dsl_of_that_school_changes_nothing(world: World) -> None:
    await world.hello("dsl", "teacher", "coordinator")
    await world.report()
    await world.tick()
    concern = await concern_row(world)
    for forger in ("teacher", "coordinator", "reporter"):
        replies = len(world.to(forger))
        await acknowledge(world, forger, concern.id)
        said = world.to(forger)[replies:]
        assert said and "Only your school's DSL" in said[-1].text
    assert (await concern_row(world)).status == "raised"
    assert all(not s.is_update for s in world.to("dsl"))


async def test_open_concerns_lists_the_unacknowledged_oldest_first(world: World) -> None:
    await world.hello("dsl", "director")
    await world.report()
    await world.tick(5)
    await world.report()
    first = (await concern_row(world)).id - 1
    replies = await world.chat("director").ask("open concerns")
    rows = replies[-1]["attachments"][0]["content"]["body"][1:]
    assert [r["columns"][0]["items"][0]["text"] for r in rows] == [f"Concern {first}", f"Concern {first + 1}"]
    refused = await world.chat("reporter").ask("open concerns")
    assert "Only" in refused[-1]["text"] or "can't" in refused[-1]["text"].lower() or refused
