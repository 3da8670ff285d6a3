"""Reaching any meeting's agenda in Teams, over HTTP on both databases: the agenda notice the
Partnership SENCO and Director get a few days before carries an "Open the agenda" button (with
the right count: a Core Group's referrals listed for it), as does each meeting on the `meetings`
card; a press reloads the agenda and asks the policy again, so a school's forged press is refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.forum import service
from domain.forum.jobs import send_agendas
from domain.forum.model import MeetingKind, Sharing, Timings
from domain.referrals import casework as referral_casework
from tests.dialogs.forum.test_core_group_dates import received_referral
from tests.dialogs.referrals.partnership_world import Casework, buttons, cards, texts
from tests.domain.forum.conftest import a_forum, forum_case


def facts(card: dict[str, Any]) -> dict[str, str]:
    return {f["title"]: f["value"] for item in card["body"] if item["type"] == "FactSet" for f in item["facts"]}


def button(card: dict[str, Any], title: str) -> dict[str, Any]:
    [found] = [{k: v for k, v in b.items() if k != "title"} for b in buttons(card) if b["title"] == title]
    return found


async def test_the_agenda_notice_and_the_meetings_card_open_each_meetings_agenda(casework: Casework) -> None:
    world = casework.world
    world.clock._now = datetime.now(UTC).replace(microsecond=0)  # the referral rules check real days
    today = world.clock.now().date()
    forum = await a_forum(world, today + timedelta(days=2), slots=3, deadline=today)  # type: ignore[arg-type]
    booked = await service.book_case(
        world.db,
        world.as_("senco"),
        forum.id,
        await forum_case(world, "Oliver Brown"),  # type: ignore[arg-type]
        sharing=Sharing.NAMED,
        question="What next for Oliver?",
        clock=world.clock,
    )
    assert booked.booking is not None
    core = await a_forum(world, today + timedelta(days=3), kind=MeetingKind.CORE_GROUP)  # type: ignore[arg-type]
    lead = world.as_("psenco")
    referral_id = await received_referral(casework, today)
    await referral_casework.list_for_core_group(world.db, lead, referral_id, core.day, clock=world.clock)

    assert await send_agendas(world.db, world.clock.now(), world.clock.now(), Timings()) == 2
    await casework.deliver()
    ready = {card["body"][0]["text"]: card for card in cards(casework.received("psenco"))}
    forum_notice, core_notice = ready["Inclusion Forum agenda ready"], ready["Core Group agenda ready"]
    assert facts(forum_notice) == {"Cases booked": "1"}
    assert facts(core_notice) == {"Referrals listed": "1"}  # not the Core Group's slots taken (always 0)
    assert button(core_notice, "Open the agenda") == {"verb": "forum.agenda.open", "id": core.id}
    assert button(forum_notice, "Open the agenda") == {"verb": "forum.agenda.open", "id": forum.id}

    typed = json.dumps(cards(await casework.chat("psenco").ask("agenda")))
    assert "Inclusion Forum agenda" in typed and "Oliver Brown" in typed  # `agenda` opens the forum
    opened = json.dumps(cards(await casework.press("psenco", button(core_notice, "Open the agenda"))))
    assert "Core Group agenda" in opened and "Jack Smith" in opened and "Open the referral" in opened

    refused = await casework.press("senco", button(core_notice, "Open the agenda"))  # a school forging it
    assert not cards(refused) and "You can only act" in texts(refused) and "Jack" not in json.dumps(refused)

    listing = cards(await casework.chat("director").ask("meetings"))
    opens = [b for card in listing for b in buttons(card) if b["title"] == "Open the agenda"]
    assert [b["id"] for b in opens] == [forum.id, core.id]
    from_list = json.dumps(cards(await casework.press("director", {k: v for k, v in opens[1].items() if k != "title"})))
    assert "Core Group agenda" in from_list and "Jack Smith" in from_list
