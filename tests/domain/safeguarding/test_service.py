"""Who may do what with a concern, and what each action leaves on record: a forged
acknowledgement is refused and audited; a view is audited and in the chronology; notes; the
Partnership's open concerns, oldest first; a raise queues its alert and its next rung in one
transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.clock import ManualClock
from db.models.proactive import Notification
from db.models.safeguarding import SafeguardingConcern
from domain.access import NotAllowed
from domain.audit import read_audit
from domain.notices import Notice
from domain.safeguarding import notices, service
from domain.safeguarding.model import EntryKind, Status, rung_key
from domain.scheduler import store
from tests.domain.safeguarding.conftest import LADDERS, World


async def raise_one(world: World, **changes: object) -> int:
    reporter = await world.requester("reporter")
    return (await service.raise_concern(world.database, reporter, world.report(**changes), world.clock, LADDERS)).id


@pytest.mark.parametrize("forger", ["other_dsl", "senco", "reporter", "director"])
async def test_a_forged_acknowledgement_is_refused_and_audited(world: World, clock: ManualClock, forger: str) -> None:
    concern_id = await raise_one(world)
    with pytest.raises(NotAllowed):
        await service.acknowledge(world.database, await world.requester(forger), concern_id, clock, LADDERS)
    async with world.database.session() as session:
        refused = await read_audit(session, record_type="safeguarding_concern", record_id=str(concern_id))
        concern = await session.get(SafeguardingConcern, concern_id)
    assert [(e.action, e.actor_id, e.detail["kind"]) for e in refused if e.action == "refused"] == [
        ("refused", world.people[forger], "acknowledge_safeguarding_alert")
    ]
    assert concern is not None and concern.status == Status.RAISED
    state = await store.run_state(world.database, rung_key(concern_id, 2))
    assert state is not None and state.status == store.RunStatus.PENDING  # the ladder goes on


async def test_raising_records_alerts_and_schedules_in_one_transaction(world: World, clock: ManualClock) -> None:
    concern_id = await raise_one(world, immediate_danger=True, called_999=True)
    (alert,) = await world.notices("safeguarding.alert")
    assert alert[1:] == (
        "dsl",
        f"to-person:{world.people['dsl']}|concern:{concern_id}:{world.people['dsl']}:1",
        "pending",
    )
    state = await store.run_state(world.database, rung_key(concern_id, 2))
    assert state is not None and state.due_at == clock.now() + timedelta(minutes=10)
    async with world.database.session() as session:
        row = await session.get(Notification, 1)
        assert (
            row is not None
            and row.alert
            and row.payload
            == {
                "concern_id": concern_id,
                "school_id": world.school,
                "pupil_id": world.pupil,
                "rung": 1,
            }
        )


async def test_a_failed_raise_leaves_nothing(world: World, clock: ManualClock, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*args: object, **kwargs: object) -> bool:
        raise RuntimeError("the scheduler's table is gone")

    monkeypatch.setattr("domain.safeguarding.ladder.schedule_once", broken)
    with pytest.raises(RuntimeError):
        await raise_one(world)
    async with world.database.session() as session:
        assert await session.scalar(select(func.count()).select_from(SafeguardingConcern)) == 0
        assert await session.scalar(select(func.count()).select_from(Notification)) == 0


async def test_a_view_is_audited_and_in_the_chronology(world: World, clock: ManualClock) -> None:
    concern_id = await raise_one(world)
    seen = await service.view(world.database, await world.requester("dsl"), concern_id, clock)
    assert seen.concern.account and "belt" in seen.concern.account
    again = await service.view(world.database, await world.requester("dsl"), concern_id, clock)
    assert [e.kind for e in again.chronology].count(EntryKind.VIEWED) == 2
    async with world.database.session() as session:
        audit = await read_audit(session, record_type="safeguarding_concern", record_id=str(concern_id))
    assert [e.action for e in audit].count("viewed") == 2
    with pytest.raises(NotAllowed):  # the SENCO is not told of concerns (domain.md §3.6)
        await service.view(world.database, await world.requester("senco"), concern_id, clock)


async def test_notes_are_added_never_edited(world: World, clock: ManualClock) -> None:
    concern_id = await raise_one(world)
    note = await service.add_note(world.database, await world.requester("dsl"), concern_id, "Rang mum at 10:15.", clock)
    seen = await service.view(world.database, await world.requester("reporter"), concern_id, clock)
    assert [n.text for n in seen.notes] == ["Rang mum at 10:15."]
    assert any(e.kind is EntryKind.NOTE and e.note_id == note.id for e in seen.chronology)
    with pytest.raises(NotAllowed):
        await service.add_note(world.database, await world.requester("other_dsl"), concern_id, "x", clock)


async def test_open_concerns_oldest_first_for_the_partnership_only(world: World, clock: ManualClock) -> None:
    first = await raise_one(world)
    clock.advance(timedelta(minutes=1))
    second = await raise_one(world)
    clock.advance(timedelta(minutes=1))
    third = await raise_one(world)
    await service.acknowledge(world.database, await world.requester("dsl"), second, clock, LADDERS)
    listed = await service.open_concerns(world.database, await world.requester("director"))
    assert [c.id for c in listed] == [first, third]
    for refused in ("dsl", "reporter"):
        with pytest.raises(NotAllowed):
            await service.open_concerns(world.database, await world.requester(refused))


async def test_the_reporter_sees_sent_delivered_and_acknowledged(world: World, clock: ManualClock) -> None:
    concern_id = await raise_one(world)
    reporter = await world.requester("reporter")
    before = await service.status(world.database, reporter, concern_id, clock)
    assert [(a.name, a.delivery) for a in before.alerts] == [("Dsl Person", "pending")]
    clock.advance(timedelta(minutes=2))
    await service.acknowledge(world.database, await world.requester("dsl"), concern_id, clock, LADDERS)
    after = await service.status(world.database, reporter, concern_id, clock)
    assert (after.status, after.acknowledged_by_name, after.acknowledged_at) == (
        Status.ACKNOWLEDGED,
        "Dsl Person",
        clock.now(),
    )


def test_the_preview_and_payloads_hold_no_detail() -> None:
    assert notices.PREVIEW == "Urgent safeguarding concern: please open"
    from domain.safeguarding.model import Concern, Subject

    concern = Concern(
        3, Subject.PUPIL, 1, 2, 4, ManualClock().now(), Status.RAISED, 1, True, True, True,
        "secret words", "secret actions", "secret place", None, None, None,
    )  # fmt: skip
    made: list[Notice] = [
        notices.alert(concern, 1, 9),
        notices.acknowledged(concern, 9, 1, 8, ManualClock().now()),
        notices.escalated(concern, 3, [9], None, "unreachable"),
        notices.acknowledged_to_reporter(concern, 8, ManualClock().now()),
    ]
    assert all("secret" not in n.encoded and n.pupil_ids == (2,) for n in made)
    assert made[0].alert and made[0].key == "concern:3:9:1"


async def climb_to(world: World, rung: int) -> None:
    scheduler = world.scheduler()
    for _ in range(rung - 1):
        world.clock.advance(timedelta(minutes=10))
        await scheduler.run_due()


async def test_a_person_alerted_at_two_rungs_has_both_cards_updated(world: World, clock: ManualClock) -> None:
    from db.models.directory import PersonRole
    from domain.roles import Role

    async with world.database.session() as session:  # the DSL is also the headteacher
        session.add(PersonRole(person_id=world.people["dsl"], role=Role.HEADTEACHER.value))
    concern_id = await raise_one(world)
    await climb_to(world, 3)
    assert ("dsl", 1) in await world.alerted() and ("dsl", 3) in await world.alerted()
    await service.acknowledge(world.database, await world.requester("dsl"), concern_id, clock, LADDERS)
    updates = await world.notices("safeguarding.acknowledged")
    mine = sorted(key.split("|")[1] for _, to, key, _ in updates if to == "dsl")
    assert mine == [f"concern:{concern_id}:{world.people['dsl']}:acknowledged:{n}" for n in (1, 3)]


async def test_each_card_update_is_in_the_chronology_and_is_not_an_alert(world: World, clock: ManualClock) -> None:
    from domain.safeguarding import queries
    from domain.safeguarding.jobs import follow_deliveries

    concern_id = await raise_one(world)
    await climb_to(world, 2)
    await service.acknowledge(world.database, await world.requester("deputy"), concern_id, clock, LADDERS)
    seen = await service.view(world.database, await world.requester("dsl"), concern_id, clock)
    names = {v: k for k, v in world.people.items()}
    updated = [(names[e.person_id or 0], e.rung) for e in seen.chronology if e.reason == "acknowledged"]
    assert updated == [("dsl", 1), ("deputy", 2), ("reporter", None)]
    assert all(e.notification_id for e in seen.chronology if e.reason == "acknowledged")
    async with world.database.session() as session:
        assert [(names[e.person_id or 0], e.rung) for e in queries.alerts(seen.concern, seen.chronology)] == [
            ("dsl", 1),
            ("deputy", 2),
        ]
        assert await queries.reached(session, seen.concern) == {world.people["dsl"], world.people["deputy"]}
    status = await service.status(world.database, await world.requester("reporter"), concern_id, clock)
    assert [a.name for a in status.alerts] == ["Dsl Person", "Deputy Person"]
    assert await follow_deliveries(world.database, clock, LADDERS) == 0
