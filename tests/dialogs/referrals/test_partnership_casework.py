"""The Partnership's side of a referral over HTTP, on SQLite and PostgreSQL: from the new
referral's card to the Coordinator's follow-up, with every notification it sends; the 27th KS4
place; a stale button; a forged submit; a teacher refused."""

from __future__ import annotations

from datetime import timedelta

from domain.audit import read_audit
from domain.referrals import casework as domain_casework
from domain.referrals.model import Outcome
from tests.dialogs.referrals.partnership_world import Casework, buttons, cards, casework, texts
from tests.domain.referrals.conftest import PROGRAMME
from tests.domain.referrals.helpers import submitted

__all__ = ["casework"]  # the fixture


def _press_data(card: dict[str, object], verb: str) -> dict[str, object]:
    [data] = [b for b in buttons(card) if b.get("verb") == verb]
    return {k: v for k, v in data.items() if k != "title"}


async def test_received_to_decided_and_followed_up_with_every_notification(casework: Casework) -> None:
    cw, world = casework, casework.world
    referral_id = await submitted(world)
    await cw.deliver()
    assert "R-2026-0001 has gone to the Partnership" in texts(cw.received("senco"))
    [new] = cards(cw.received("psenco")[-1:])
    assert "New referral R-2026-0001 from Charnwood Vale Academy, Year 9" in new["fallbackText"]
    assert "Jack Smith" in new["fallbackText"]  # the Partnership SENCO may see the pupil
    assert {b["verb"] for b in buttons(new)} == {"referrals.receive", "referrals.open"}

    queue_reply = await cw.chat("psenco").ask("referral queue")
    [queue] = cards(queue_reply)
    assert "R-2026-0001 · Charnwood Vale Academy · Year 9 · Submitted" in queue["fallbackText"]
    assert "Jack Smith" not in queue["fallbackText"]  # names are behind "Open"
    headings = [e["text"] for e in queue["body"] if e["type"] == "TextBlock" and e.get("weight") == "Bolder"]
    assert headings[1:] == ["Submitted"]  # after the title, one heading per state

    opened = await cw.press("psenco", {"verb": "referrals.open", "id": referral_id})
    assert "Reason for referral" in texts(opened) and "Anxiety, low mood" in texts(opened)

    queue_message = cw.client.connector.sent[-len(queue_reply) :][0].id
    reply = await cw.press("psenco", _press_data(queue, "referrals.receive"), reply_to_id=queue_message)
    assert "Marked R-2026-0001 as received" in texts(reply)
    assert cw.client.connector.updates()[-1].id == queue_message  # the pressed card replaced in place
    await cw.deliver()
    assert "R-2026-0001 is now: received." in texts(cw.received("senco"))

    question = {"verb": "referrals.ask", "id": referral_id, "question": "Please send the attendance print-out."}
    assert "Sent your question" in texts(await cw.press("psenco", question))
    await cw.deliver()
    [asked] = cards(cw.received("senco")[-1:])
    assert "The Partnership asks about R-2026-0001" in asked["fallbackText"]
    assert "Please send the attendance print-out." in asked["fallbackText"]
    assert _press_data(asked, "referrals.answer") == {"verb": "referrals.answer", "id": referral_id}

    answer = {"verb": "referrals.answer", "id": referral_id, "answer": "Sent by e-mail today."}
    assert "your answer on R-2026-0001 has gone" in texts(await cw.press("senco", answer))
    await cw.deliver()
    assert "Sent by e-mail today." in texts(cw.received("psenco"))

    listing = {"verb": "referrals.list", "id": referral_id, "on": "2026-01-20"}
    assert "Listed R-2026-0001 for the Core Group on 20 January 2026" in texts(await cw.press("psenco", listing))
    await cw.deliver()
    assert "discussed at the Core Group on 20 January 2026" in texts(cw.received("senco"))

    world.clock.advance(timedelta(days=15))
    decision = {"verb": "referrals.decide", "id": referral_id, "outcome": "in_school_support"}
    assert "Recorded the decision on R-2026-0001: in-school support" in texts(await cw.press("director", decision))
    await cw.deliver()
    assert "The Core Group has decided on R-2026-0001: in-school support" in texts(cw.received("senco"))
    [task] = cards(cw.received("coordinator")[-1:])
    assert "Please contact the parents about R-2026-0001" in task["fallbackText"]

    [coordinator_queue] = cards(await cw.chat("coordinator").ask("referral queue"))
    assert "Contact the parents about R-2026-0001" in coordinator_queue["fallbackText"]
    done = await cw.press("coordinator", _press_data(coordinator_queue, "referrals.task_done"))
    assert "the referral is closed" in texts(done)
    await cw.deliver()
    assert "R-2026-0001 is now: closed." in texts(cw.received("senco"))
    assert "Contact the parents" not in texts(await cw.chat("coordinator").ask("referral queue"))

    people = {person.id: who for who, person in world.people.items()}
    sent = [(kind, people[person], payload.get("to_status")) for kind, person, payload in await cw.outbox()]
    assert sent == [
        ("referrals.submitted", "senco", None),
        ("referrals.new", "psenco", None),
        ("referrals.status_changed", "senco", "received"),
        ("referrals.status_changed", "senco", "information_requested"),
        ("referrals.status_changed", "psenco", "information_given"),
        ("referrals.status_changed", "senco", "listed_for_core_group"),
        ("referrals.status_changed", "senco", "decided"),
        ("referrals.decided", "senco", None),
        ("referrals.task", "coordinator", None),
        ("referrals.status_changed", "senco", "closed"),
    ]


async def _listed(world: object, pupil: str, **changes: object) -> int:
    from tests.domain.referrals.conftest import World

    assert isinstance(world, World)
    referral_id = await submitted(world, pupil, **changes)
    await domain_casework.receive(world.db, world.as_("psenco"), referral_id, clock=world.clock)
    on = world.clock.now().date() + timedelta(days=7)
    await domain_casework.list_for_core_group(world.db, world.as_("psenco"), referral_id, on, clock=world.clock)
    return referral_id


async def test_the_27th_ks4_place_goes_to_the_waiting_list(casework: Casework) -> None:
    from db.models.referrals import ProgrammePlace
    from domain.referrals import store
    from domain.referrals.model import Referral, ReferralKind, ReferralStatus

    cw, world = casework, casework.world
    now = world.clock.now()
    async with world.db.session() as session:  # 25 KS4 places taken by earlier decisions
        for _ in range(25):
            base = Referral(0, ReferralKind.PARTNERSHIP_REFERRAL, ReferralStatus.DECIDED, world.school_a, 1, now, now)
            earlier = await store.add(session, base)
            session.add(ProgrammePlace(referral_id=earlier.id, key_stage=4, state="placed", since=now))
    twenty_sixth = await _listed(world, "Oliver Brown", **PROGRAMME)
    twenty_seventh = await _listed(world, "Jacqueline Smyth", **PROGRAMME)
    outcome = Outcome.FULL_TIME_PROGRAMME.value
    placed = await cw.press("director", {"verb": "referrals.decide", "id": twenty_sixth, "outcome": outcome})
    assert "A KS4 place is taken" in texts(placed)
    waiting = await cw.press("director", {"verb": "referrals.decide", "id": twenty_seventh, "outcome": outcome})
    assert "The places at KS4 are full, so the pupil is on the waiting list" in texts(waiting)
    await cw.deliver()
    assert "The KS4 places are full, so the pupil is on the waiting list" in texts(cw.received("senco"))
    shown = texts(await cw.chat("director").ask("capacity"))
    assert "KS4: 26 of 26 places used, 0 free, 1 on the waiting list" in shown
    assert "KS3: 0 of 9 places used, 9 free, 0 on the waiting list" in shown

    # The 26th's placement ends: the card has the button; the place goes to the 27th, whose school is told.
    opened = await cw.press("director", {"verb": "referrals.open", "id": twenty_sixth})
    [case] = cards(opened)
    assert {b["title"] for b in buttons(case) if b["verb"] == "referrals.end_place"} == {"End the placement"}
    assert "referrals.end_place" not in {
        b["verb"] for b in buttons(cards(await cw.press("senco", {"verb": "referrals.open", "id": twenty_sixth}))[0])
    }
    ended = texts(await cw.press("director", {"verb": "referrals.end_place", "id": twenty_sixth}))
    assert "has ended: its programme place is free" in ended and "first on the waiting list" in ended
    await cw.deliver()
    assert "a KS4 programme place is now free for" in texts(cw.received("senco"))
    assert "KS4: 26 of 26 places used, 0 free, 0 on the waiting list" in texts(
        await cw.chat("director").ask("capacity")
    )
    again = texts(await cw.press("director", {"verb": "referrals.end_place", "id": twenty_sixth}))
    assert "holds no programme place now" in again  # a second press changes nothing
    refused = texts(await cw.press("senco", {"verb": "referrals.end_place", "id": twenty_seventh}))
    assert "Only" in refused


async def test_a_stale_button_says_what_already_happened_and_shows_the_referral_now(casework: Casework) -> None:
    cw, world = casework, casework.world
    await submitted(world)
    await cw.deliver()
    [new] = cards(cw.received("psenco")[-1:])
    notice_message = cw.client.connector.sent[-1].id
    assert "Marked R-2026-0001 as received" in texts(await cw.press("director", _press_data(new, "referrals.receive")))
    again = await cw.press("psenco", _press_data(new, "referrals.receive"), reply_to_id=notice_message)
    assert "This referral is received, so it can't be marked as received now." in texts(again)
    [now] = [u.activity for u in cw.client.connector.updates() if u.id == notice_message]
    assert "Status" in texts([now]) and "Received" in texts([now])
    assert "referrals.receive" not in {b["verb"] for b in buttons(cards([now])[0])}
    statuses = [p.get("to_status") for k, _, p in await cw.outbox() if k == "referrals.status_changed"]
    assert statuses == ["received"]  # once


async def test_a_forged_submit_for_another_school_or_person_is_refused_and_audited(casework: Casework) -> None:
    cw, world = casework, casework.world
    referral_id = await submitted(world)
    await domain_casework.receive(world.db, world.as_("psenco"), referral_id, clock=world.clock)
    await domain_casework.request_information(world.db, world.as_("psenco"), referral_id, "Why?", world.clock)
    forged = {
        "verb": "referrals.answer",
        "id": referral_id,
        "answer": "Nothing to add.",
        "person_id": world.people["senco"].id,  # claims to be school A's SENCO: ignored
        "aad_object_id": world.people["senco"].aad_object_id,
    }
    reply = texts(await cw.press("senco_b", forged))
    assert "That belongs to another school. You can only act for your own school." in reply
    opened = texts(await cw.press("senco_b", {"verb": "referrals.open", "id": referral_id}))
    assert "That belongs to another school." in opened and "Jack Smith" not in opened
    decided = texts(await cw.press("senco", {"verb": "referrals.decide", "id": referral_id, "outcome": "fresh_start"}))
    assert "Only the Partnership SENCO or Director can record a Core Group decision." in decided
    async with world.db.session() as session:
        refused = await read_audit(session, record_type="referral", record_id=str(referral_id))
    refusals = [(e.actor_id, e.detail["kind"]) for e in refused if e.action == "refused"]
    senco_b, senco = world.people["senco_b"].id, world.people["senco"].id
    assert refusals == [
        (senco_b, "answer_referral_question"),
        (senco_b, "view_referral"),
        (senco, "decide_referral"),
    ]
    statuses = [p.get("to_status") for k, _, p in await cw.outbox() if k == "referrals.status_changed"]
    assert "information_given" not in statuses


async def test_a_teacher_is_refused_the_queue_and_the_places(casework: Casework) -> None:
    cw = casework
    queue = texts(await cw.chat("teacher").ask("referral queue"))
    assert "Only the Partnership SENCO, Director or Coordinator can work on the referral queue." in queue
    places = texts(await cw.chat("teacher").ask("capacity"))
    assert "Only your school's SENCO, DSL or headteacher, or the Partnership team, can see referrals." in places
    teachers_help = texts(await cw.chat("teacher").ask("help"))
    coordinators_help = texts(await cw.chat("coordinator").ask("help"))
    assert "referral queue" not in teachers_help and "capacity" not in teachers_help
    assert "referral queue" in coordinators_help and "capacity" in coordinators_help
