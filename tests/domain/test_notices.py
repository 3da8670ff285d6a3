"""Notices: what a notice may hold, queuing once per key, rendering at send time, and what
happens when a notice cannot be rendered (no renderer, record gone, renderer broken)."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from core.clock import ManualClock
from db.engine import Database
from db.models.directory import Person
from db.models.proactive import Notification, NotificationPupil
from domain.notices import MAX_PAYLOAD_BYTES, JsonValue, Notice, NoticeError, Render, UnknownNoticeKind
from domain.notifier import Notifier, RetryPolicy, queue_notice
from domain.outbox import NotificationStatus
from tests.fixtures.directory_rows import add_person, add_pupil, add_school
from tests.fixtures.fakes import FakeSleep
from tests.fixtures.logs import JsonLines
from tests.fixtures.outbox import FakeSender, Message, reachable_person

CARD = {"type": "AdaptiveCard", "version": "1.5", "body": []}


def added(person_id: int) -> Notice:
    return Notice("people.added", {"person_id": person_id}, f"people.added:person:{person_id}")


async def count_rows(database: Database) -> int:
    async with database.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Notification)) or 0)


# ---- what a notice may hold -----------------------------------------------------------------


def test_a_notice_keeps_plain_json_and_copies_it() -> None:
    facts: dict[str, JsonValue] = {"forum_id": 5, "rung": 1, "tags": ["a", "b"], "on": None, "urgent": True}
    notice = Notice("forum.booked", facts, "forum.booked:5")
    facts["rung"] = 2
    assert notice.payload == {"forum_id": 5, "rung": 1, "tags": ["a", "b"], "on": None, "urgent": True}
    assert (notice.pupil_ids, notice.alert) == ((), False)


def test_pupils_named_in_the_payload_are_pupils_of_the_notice() -> None:
    notice = Notice("concern.raised", {"pupil_id": 7, "pupil_ids": [9, 7]}, "concern.raised:1", pupil_ids=(3,))
    assert notice.pupil_ids == (3, 7, 9)


@pytest.mark.parametrize(
    ("kind", "payload", "key", "pupil_ids"),
    [
        ("People Added", {}, "k", ()),  # a kind is a dotted lower-case name
        ("people.", {}, "k", ()),
        ("people.added", {}, "", ()),  # a key is needed
        ("people.added", {}, "has spaces", ()),
        ("people.added", {}, "k" * 201, ()),
        ("people.added", {"born": date(2012, 10, 1)}, "k", ()),  # not plain JSON
        ("people.added", {"ratio": float("nan")}, "k", ()),
        ("people.added", {"card": "x" * MAX_PAYLOAD_BYTES}, "k", ()),  # too big: a card in disguise
        ("people.added", {"pupil_ids": 7}, "k", ()),  # a list, not one id
        ("people.added", {"pupil_id": "A123456789012"}, "k", ()),  # an id, not a UPN
        ("people.added", {}, "k", (0,)),
        ("people.added", {}, "k", (True,)),
    ],
)
def test_an_unfit_notice_is_refused(kind: str, payload: dict[str, Any], key: str, pupil_ids: tuple[int, ...]) -> None:
    with pytest.raises(NoticeError) as refused:
        Notice(kind, payload, key, pupil_ids)
    assert "A123456789012" not in str(refused.value)  # a refusal never echoes the data


# ---- queuing once per key ---------------------------------------------------------------------


async def test_the_same_notice_queued_twice_in_one_transaction_is_stored_once(
    database: Database, clock: ManualClock
) -> None:
    recipient = await reachable_person(database, clock)
    async with database.session() as session:
        first = await queue_notice(session, added(42), to_person=recipient, now=clock.now())
        again = await queue_notice(session, added(42), to_person=recipient, now=clock.now())
        # The transaction goes on and commits more work after the refused duplicate.
        session.add(Person(display_name="Later Work", email="later@school.example"))
    assert first == again
    assert await count_rows(database) == 1
    async with database.session() as session:
        assert await session.scalar(select(Person.id).where(Person.email == "later@school.example")) is not None


async def test_the_same_notice_queued_later_returns_the_row_already_there(
    database: Database, clock: ManualClock, sleep: FakeSleep
) -> None:
    recipient = await reachable_person(database, clock)
    first = await queue_notice(database, added(42), to_person=recipient, now=clock.now())
    sender = FakeSender(clock)

    async def render(notice: Notice) -> Message:
        return Message(CARD, "added")

    await Notifier(database, sender, clock, sleep, render=render).run_due(10)
    clock.advance(timedelta(days=1))
    async with database.session() as session:
        again = await queue_notice(session, added(42), to_person=recipient, now=clock.now())
        other = await queue_notice(session, added(43), to_person=recipient, now=clock.now())
    assert again == first and other != first
    assert await count_rows(database) == 2
    assert len(sender.posted) == 1  # sent once, and not queued again


async def test_one_notice_goes_once_to_each_recipient(database: Database, clock: ManualClock) -> None:
    one = await reachable_person(database, clock, 1)
    two = await reachable_person(database, clock, 2)
    ids = {await queue_notice(database, added(42), to_person=person, now=clock.now()) for person in (one, two, one)}
    assert len(ids) == 2
    assert await count_rows(database) == 2


async def test_two_transactions_queuing_the_same_notice_at_once_store_it_once(
    database: Database, clock: ManualClock
) -> None:
    recipient = await reachable_person(database, clock)
    ids = await asyncio.gather(
        *(queue_notice(database, added(42), to_person=recipient, now=clock.now()) for _ in range(4))
    )
    assert len(set(ids)) == 1
    assert await count_rows(database) == 1


async def test_a_notice_is_queued_to_a_person_or_an_address(database: Database, clock: ManualClock) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        await queue_notice(database, added(1), now=clock.now())
    with pytest.raises(ValueError, match="exactly one"):
        await queue_notice(database, added(1), to_person=1, to_address=1, now=clock.now())


async def test_the_pupils_a_notice_is_about_are_linked(database: Database, clock: ManualClock) -> None:
    school = await add_school(database)
    pupils = [await add_pupil(database, school, f"8554001250{n:02d}") for n in (1, 2)]
    recipient = await reachable_person(database, clock)
    notice = Notice("concern.raised", {"concern_id": 3, "pupil_id": pupils[0]}, "concern.raised:3", (pupils[1],))
    notification_id = await queue_notice(database, notice, to_person=recipient, now=clock.now())
    async with database.session() as session:
        linked = (
            await session.scalars(
                select(NotificationPupil.pupil_id).where(NotificationPupil.notification_id == notification_id)
            )
        ).all()
        stored = await session.get(Notification, notification_id)
    assert sorted(linked) == sorted(pupils)
    assert stored is not None and stored.payload == {"concern_id": 3, "pupil_id": pupils[0]}
    assert stored.kind == "concern.raised"


# ---- rendering at send time -------------------------------------------------------------------


def renders_people(database: Database) -> Render:
    """A renderer as a feature would write one: it reads the person the notice names, now."""

    async def render(notice: Notice) -> Message | None:
        async with database.session() as session:
            person = await session.get(Person, notice.payload["person_id"])
            if person is None:
                return None
            return Message(CARD, f"{person.display_name} was added")

    return render


async def test_the_card_is_rendered_when_sent_from_the_record_as_it_is_then(
    database: Database, clock: ManualClock, sleep: FakeSleep
) -> None:
    recipient = await reachable_person(database, clock)
    subject = await add_person(database, "new@school.example")
    await queue_notice(database, added(subject), to_person=recipient, now=clock.now())
    async with database.session() as session:
        person = await session.get(Person, subject)
        assert person is not None
        person.display_name = "Robin Renamed"
    sender = FakeSender(clock)
    notifier = Notifier(database, sender, clock, sleep, render=renders_people(database))
    assert await notifier.run_due(10) == 1
    assert [p.text for p in sender.posted] == ["Robin Renamed was added"]


async def test_a_notice_whose_record_is_gone_is_cancelled_not_sent(
    database: Database, clock: ManualClock, sleep: FakeSleep
) -> None:
    recipient = await reachable_person(database, clock)
    subject = await add_person(database, "gone@school.example")
    notification_id = await queue_notice(database, added(subject), to_person=recipient, now=clock.now())
    async with database.session() as session:
        await session.execute(delete(Person).where(Person.id == subject))
    sender = FakeSender(clock)
    notifier = Notifier(database, sender, clock, sleep, render=renders_people(database))
    assert await notifier.run_due(10) == 1
    delivery = await notifier.delivery(notification_id)
    assert (delivery.status, delivery.attempts, delivery.last_error) == (
        NotificationStatus.CANCELLED,
        0,
        "record_gone",
    )
    assert sender.posted == []
    clock.advance(timedelta(hours=1))
    assert await notifier.run_due(10) == 0


async def test_a_kind_nobody_renders_fails_once_and_is_not_retried(
    database: Database, clock: ManualClock, sleep: FakeSleep
) -> None:
    recipient = await reachable_person(database, clock)
    notification_id = await queue_notice(database, added(1), to_person=recipient, now=clock.now())

    async def render(notice: Notice) -> Message:
        raise UnknownNoticeKind(notice.kind)

    sender = FakeSender(clock)
    notifier = Notifier(database, sender, clock, sleep, render=render)
    assert await notifier.run_due(10) == 1
    delivery = await notifier.delivery(notification_id)
    assert (delivery.status, delivery.last_error) == (NotificationStatus.FAILED, "no_renderer")
    clock.advance(timedelta(days=1))
    assert await notifier.run_due(10) == 0
    assert sender.posted == []


async def test_a_broken_renderer_is_retried_a_few_times_then_fails(
    database: Database, clock: ManualClock, sleep: FakeSleep, logged: JsonLines
) -> None:
    recipient = await reachable_person(database, clock)
    notification_id = await queue_notice(database, added(1), to_person=recipient, now=clock.now())

    async def render(notice: Notice) -> Message:
        raise RuntimeError("Sam Taylor's record could not be read")

    sender = FakeSender(clock)
    notifier = Notifier(database, sender, clock, sleep, render=render, policy=RetryPolicy(max_attempts=3))
    for _ in range(3):
        assert await notifier.run_due(10) == 1
        clock.advance(timedelta(minutes=10))
    assert await notifier.run_due(10) == 0
    delivery = await notifier.delivery(notification_id)
    assert (delivery.status, delivery.attempts, delivery.last_error) == (NotificationStatus.FAILED, 3, "render_failed")
    assert sender.posted == []
    failures = [line for line in logged.lines() if line.get("event") == "notice.render_failed"]
    assert len(failures) == 3 and failures[0]["kind"] == "people.added"
    assert not any("Sam" in line for line in logged.written)  # the kind and the error type, no content
