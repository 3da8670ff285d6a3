"""Listing a referral for the Core Group in Teams, over HTTP on both databases: with Core Group
meetings on record, the case card offers their dates (a choice, not any date) and a date with no
Core Group meeting is refused; and when the Partnership moves that Core Group, the referrals
listed for it move with it and their referrers are told."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from domain.forum import queries
from domain.forum.model import MeetingKind
from domain.referrals import casework as referral_casework
from domain.referrals import service as referrals
from domain.referrals import store as referral_store
from tests.dialogs.referrals.partnership_world import Casework, cards, texts
from tests.domain.forum.conftest import a_forum, case_values
from tests.domain.referrals.helpers import ready_draft


def inputs(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if str(node.get("type", "")).startswith("Input.") and "id" in node:
                found[node["id"]] = node
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return found


def long_day(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


async def received_referral(casework: Casework, today: date) -> int:
    world = casework.world
    lead = world.as_("psenco")
    jack = world.pupils["Jack Smith"]
    await referral_casework.record_forum_discussion(world.db, lead, jack, today - timedelta(days=60), clock=world.clock)
    consented = (today - timedelta(days=20)).isoformat()
    interventions = case_values()["interventions"]
    referral_id = await ready_draft(world, consent_date=consented, interventions=interventions)  # type: ignore[arg-type]
    await referrals.submit(world.db, world.as_("senco"), referral_id, clock=world.clock)
    await referral_casework.receive(world.db, lead, referral_id, clock=world.clock)
    return referral_id


async def test_a_referral_is_listed_for_a_core_group_on_record_and_follows_it_when_moved(casework: Casework) -> None:
    world = casework.world
    world.clock._now = datetime.now(UTC).replace(microsecond=0)  # the referral rules check real days
    today = world.clock.now().date()
    first = await a_forum(world, today + timedelta(days=10), kind=MeetingKind.CORE_GROUP)  # type: ignore[arg-type]
    second = await a_forum(world, today + timedelta(days=24), kind=MeetingKind.CORE_GROUP)  # type: ignore[arg-type]
    referral_id = await received_referral(casework, today)

    [card] = cards(await casework.press("psenco", {"verb": "referrals.open", "id": referral_id}))
    on = inputs(card)["on"]
    assert on["type"] == "Input.ChoiceSet"
    assert on["choices"] == [
        {"title": long_day(first.day), "value": first.day.isoformat()},
        {"title": long_day(second.day), "value": second.day.isoformat()},
    ]
    listing = {"verb": "referrals.list", "id": referral_id}
    no_meeting = (today + timedelta(days=11)).isoformat()
    refused = texts(await casework.press("psenco", listing | {"on": no_meeting}))
    assert "no Core Group meeting on that date" in refused
    listed = texts(await casework.press("psenco", listing | {"on": first.day.isoformat()}))
    assert f"for the Core Group on {first.day:%d %B %Y}" in listed

    new_day = today + timedelta(days=17)
    move = {"verb": "forum.meeting.move", "id": first.id, "date": new_day.isoformat(), "start": "14:00", "end": "16:00"}
    assert "Moved to" in texts(await casework.press("psenco", move))
    async with world.db.session() as session:
        referral = await referral_store.load(session, referral_id)
    assert referral is not None and referral.core_group_on == new_day
    agenda = await queries.agenda(world.db, world.as_("director"), first.id)
    assert [case.referral_id for case in agenda.cases] == [referral_id]
    while await casework.notifier.run_due():  # everything queued so far, whatever the batch
        pass
    told = texts(casework.received("senco"))
    assert "The Core Group your referral is listed for has moved" in told and long_day(new_day) in told
    assert "R-" in told.split("Core Group moved")[-1]  # which referral: its reference
