"""A Referral to the Partnership held back by "Inclusion Forum first", over HTTP on SQLite and
PostgreSQL: the Partnership SENCO and Director are told, one of them allows it without a forum
discussion with a reason (a reason is required), the referrer is told and sends it. Anyone else's
press, a crafted one included, is refused with the policy's reason and audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db.models.referrals import ReferralException
from domain.referrals import service
from domain.referrals.service import SubmissionRefused
from tests.dialogs.referrals.partnership_world import Casework, buttons, cards, casework, texts
from tests.domain.referrals.helpers import audited, queued, ready_draft

__all__ = ["casework"]  # the fixture
ALLOW = "referrals.allow_exception"


async def held_back(cw: Casework) -> int:
    """The school's SENCO tries to send a ready Referral to the Partnership for a pupil never
    discussed at the Forum (twice: the Partnership is told once)."""
    world = cw.world
    referral_id = await ready_draft(world)
    for _ in range(2):
        with pytest.raises(SubmissionRefused):
            await service.submit(world.db, world.as_("senco"), referral_id, clock=world.clock)
    await cw.deliver()
    return referral_id


async def exceptions(cw: Casework) -> list[ReferralException]:
    async with cw.world.db.session() as session:
        return list(await session.scalars(select(ReferralException)))


async def test_the_partnership_allows_a_held_back_referral_and_the_school_sends_it(casework: Casework) -> None:
    cw = casework
    referral_id = await held_back(cw)
    told = [(kind, person) for kind, person, _ in await queued(cw.world) if kind == "referrals.held_back"]
    assert told == [("referrals.held_back", cw.world.people[p].id) for p in ("psenco", "director")]
    assert cw.received("coordinator")[1:] == []  # only those who may allow it (after "me")
    held_card = [s for s in cw.client.connector.sent if s.conversation_id == cw.chat("psenco").id][-1]
    [card] = cards([held_card.activity])
    assert f"Draft {referral_id} from Charnwood Vale Academy, Year 9 is held back" in card["fallbackText"]
    assert [b["title"] for b in buttons(card) if b["verb"] == ALLOW] == ["Allow without a forum discussion"]
    reason_input = [e for e in card["body"][-1]["items"] if e.get("id") == "reason"]
    assert reason_input and reason_input[0]["isRequired"] is True

    # No reason: asked for one, nothing changed.
    said = texts(await cw.press("psenco", {"verb": ALLOW, "id": referral_id, "reason": "  "}))
    assert "Please give a short reason" in said and await exceptions(cw) == []

    allow = {"verb": ALLOW, "id": referral_id, "reason": "At risk of permanent exclusion this week."}
    reply = await cw.press("psenco", allow, reply_to_id=held_card.id)
    assert f"Allowed: Draft {referral_id} can go ahead without a forum discussion" in texts(reply)
    [update] = [s for s in cw.client.connector.updates() if s.id == held_card.id]
    assert ALLOW not in {b["verb"] for b in buttons(cards([update.activity])[0])}  # nothing left to press
    [row] = await exceptions(cw)
    assert (row.rule, row.allowed_by) == ("forum_first", cw.world.people["psenco"].id)
    waived = [e for e in await audited(cw.world, "changed") if e.detail.get("decision") == "forum_first_waived"]
    assert [(e.record_id, e.actor_id) for e in waived] == [(str(referral_id), cw.world.people["psenco"].id)]

    # Pressed again (by the Director, from their copy): nothing more is recorded.
    await cw.press("director", allow)
    assert len(await exceptions(cw)) == 1

    await cw.deliver()
    [told_school] = cards(cw.received("senco")[-1:])
    assert "can go ahead without an Inclusion Forum discussion first" in told_school["fallbackText"]
    send = [b for b in buttons(told_school) if b["verb"] == "referrals.send"]
    assert [b["title"] for b in send] == ["Send it now"]
    sent = await cw.press("senco", {"verb": "referrals.send", "id": referral_id})
    assert "Sent: R-2026-0001" in texts(sent)
    await cw.deliver()
    assert "New referral R-2026-0001 from Charnwood Vale Academy" in texts(cw.received("psenco"))


async def test_anyone_else_is_refused_and_audited_a_crafted_press_too(casework: Casework) -> None:
    cw = casework
    referral_id = await held_back(cw)
    allow = {"verb": ALLOW, "id": referral_id, "reason": "Because I say so."}
    for who in ("senco", "coordinator", "teacher", "senco_b"):
        said = texts(await cw.press(who, allow))
        assert "Sorry, you can't do that." in said, who
    assert "Only the Partnership SENCO or Director can allow an exception" in texts(
        await cw.press("coordinator", allow)
    )
    assert await exceptions(cw) == []
    refused = [e for e in await audited(cw.world, "refused") if e.record_id == str(referral_id)]
    others = ("senco", "coordinator", "teacher", "senco_b")
    assert {e.actor_id for e in refused} >= {cw.world.people[w].id for w in others}

    # Sending before the exception is still held back; another school's SENCO may not send it.
    send = {"verb": "referrals.send", "id": referral_id}
    assert "isn't ready to send yet" in texts(await cw.press("senco", send))
    assert "Sorry, you can't do that." in texts(await cw.press("senco_b", send))
