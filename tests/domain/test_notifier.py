"""The notifier: outbox rows, claims, retries, pauses, staleness and undeliverable messages.

Each test queues notices of the kind `test.message` (or another kind the same renderer
renders): `render` below sends CARD with the payload's text. Queuing, keys and rendering
themselves are tests/domain/test_notices.py's.
"""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select, update

from core.clock import ManualClock
from db.engine import Database, DatabaseOrSession
from db.models.proactive import ConversationRef, DeliveryAttempt, Notification
from domain import outbox
from domain.conversations import MAX_MESSAGE_BYTES, ConversationAddress, personal_address_for, remember
from domain.notices import Notice
from domain.notifier import Notifier, RetryPolicy, SendResult, queue_notice
from domain.outbox import NotificationStatus
from domain.rate_limit import SEND_MARGIN
from tests.fixtures.conversations import channel, personal
from tests.fixtures.directory_rows import add_person
from tests.fixtures.fakes import FakeSleep
from tests.fixtures.outbox import FakeSender, Message, reachable_person

CARD = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "Referral received"}]}


async def render(notice: Notice) -> Message:
    return Message(CARD, str(notice.payload["text"]))


_keys = itertools.count(1)


def note(text: str = "", *, kind: str = "test.message", alert: bool = False) -> Notice:
    """A notice with a key of its own, which `render` sends as CARD and `text`."""
    return Notice(kind, {"text": text}, f"test:{next(_keys)}", alert=alert)


async def queue(
    db: DatabaseOrSession,
    clock: ManualClock,
    person: int,
    text: str = "",
    *,
    kind: str = "test.message",
    alert: bool = False,
) -> int:
    return await queue_notice(db, note(text, kind=kind, alert=alert), to_person=person, now=clock.now())


def make_notifier(database: Database, sender: Any, clock: ManualClock, sleep: Any, **options: Any) -> Notifier:
    return Notifier(database, sender, clock, sleep, render=render, **options)


@pytest.fixture
def sender(clock: ManualClock) -> FakeSender:
    return FakeSender(clock)


@pytest.fixture
def notifier(database: Database, sender: FakeSender, clock: ManualClock, sleep: FakeSleep) -> Notifier:
    return make_notifier(database, sender, clock, sleep, jitter=lambda: 1.0)


async def attempts_of(database: Database, notification_id: int) -> list[DeliveryAttempt]:
    async with database.session() as session:
        rows = await session.execute(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.notification_id == notification_id)
            .order_by(DeliveryAttempt.id)
        )
        return list(rows.scalars())


async def test_a_queued_message_is_sent_and_recorded(
    database: Database, notifier: Notifier, sender: FakeSender, clock: ManualClock
) -> None:
    person = await reachable_person(database, clock)
    notification_id = await queue(database, clock, person, "A referral needs you", kind="referral.received", alert=True)
    assert (await notifier.delivery(notification_id)).status == NotificationStatus.PENDING

    assert await notifier.run_due(10) == 1
    [post] = sender.posted
    assert (post.card, post.text, post.alert) == (CARD, "A referral needs you", True)
    assert post.address.conversation_id == "a:chat-1"
    delivery = await notifier.delivery(notification_id)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (NotificationStatus.SENT, 1, 201)
    assert delivery.sent_at == clock.now()
    [attempt] = await attempts_of(database, notification_id)
    assert (attempt.outcome, attempt.status_code, attempt.address_id) == ("sent", 201, post.address.address_id)
    assert await notifier.run_due(10) == 0  # sent once, never again


async def test_a_person_the_bot_cannot_reach_is_undeliverable_at_once(
    database: Database, notifier: Notifier, sender: FakeSender, clock: ManualClock
) -> None:
    person = await add_person(database)
    notification_id = await queue(database, clock, person, "", kind="referral.received")
    delivery = await notifier.delivery(notification_id)
    assert (delivery.status, delivery.last_error) == (NotificationStatus.UNDELIVERABLE, "no_conversation")
    assert await notifier.run_due(10) == 0
    assert sender.posted == []


async def test_queue_joins_the_callers_transaction(
    database: Database, notifier: Notifier, sender: FakeSender, clock: ManualClock
) -> None:
    person = await reachable_person(database, clock)

    class Abandoned(Exception):
        pass

    with pytest.raises(Abandoned):
        async with database.session() as session:
            await queue_notice(session, note("rolled back"), to_person=person, now=clock.now())
            raise Abandoned
    async with database.session() as session:
        kept = await queue_notice(session, note("committed"), to_person=person, now=clock.now())
    await notifier.run_due(10)
    assert [p.text for p in sender.posted] == ["committed"]
    assert (await notifier.delivery(kept)).status == NotificationStatus.SENT


async def test_retry_after_pauses_the_whole_sender(
    database: Database, notifier: Notifier, sender: FakeSender, clock: ManualClock, sleep: FakeSleep
) -> None:
    first = await queue(database, clock, await reachable_person(database, clock, 1), "one")
    second = await queue(database, clock, await reachable_person(database, clock, 2), "two")
    sender.script = [SendResult(429, 3.0, "Throttled")]
    start = clock.now()

    assert await notifier.run_due(10) == 1
    # The second message, to someone else, waits too: Teams throttles the bot, not one chat.
    assert [p.text for p in sender.posted] == ["one"]
    delivery = await notifier.delivery(first)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (NotificationStatus.RETRYING, 1, 429)
    assert (await notifier.delivery(second)).status == NotificationStatus.PENDING

    assert await notifier.run_due(10) == 2
    assert sleep.waits == [3.0]
    assert [(p.text, p.at - start) for p in sender.posted[1:]] == [
        ("one", timedelta(seconds=3)),
        ("two", timedelta(seconds=3)),
    ]
    assert (await notifier.delivery(first)).status == NotificationStatus.SENT
    assert (await notifier.delivery(second)).attempts == 1  # the put-back was not an attempt


async def test_server_errors_back_off_exponentially_then_fail(
    database: Database, sender: FakeSender, clock: ManualClock, sleep: FakeSleep
) -> None:
    notifier = make_notifier(database, sender, clock, sleep, jitter=lambda: 0.0, policy=RetryPolicy(max_attempts=5))
    notification_id = await queue(database, clock, await reachable_person(database, clock))
    sender.script = [SendResult(503), SendResult(502), SendResult(504), SendResult(412), SendResult(503)]
    gaps = []
    for _ in range(5):
        assert await notifier.run_due(10) == 1
        delivery = await notifier.delivery(notification_id)
        async with database.session() as session:
            row = await session.get(Notification, notification_id)
            assert row is not None
            if row.next_attempt_at is not None:
                gaps.append((row.next_attempt_at - clock.now()).total_seconds())
                clock.advance(row.next_attempt_at - clock.now())
    # Equal jitter at its low end: half of 2, 4, 8, 16 seconds.
    assert gaps == [1.0, 2.0, 4.0, 8.0]
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (NotificationStatus.FAILED, 5, 503)
    attempts = await attempts_of(database, notification_id)
    assert [a.outcome for a in attempts] == ["retrying"] * 4 + ["failed"]
    assert sleep.waits == []  # no Retry-After, so nothing paused the sender
    assert await notifier.run_due(10) == 0


def test_backoff_is_bounded_and_jittered() -> None:
    policy = RetryPolicy(base_delay=2.0, max_delay=60.0)
    assert policy.backoff(1, 0.0) == 1.0
    assert policy.backoff(1, 1.0) == 2.0
    assert policy.backoff(10, 1.0) == 60.0
    assert policy.backoff(10, 0.0) == 30.0


@pytest.mark.parametrize("status", [403, 404])
async def test_blocked_or_gone_chats_are_final_and_go_stale(
    database: Database, notifier: Notifier, sender: FakeSender, clock: ManualClock, status: int
) -> None:
    person = await reachable_person(database, clock)
    notification_id = await queue(database, clock, person)
    sender.script = [SendResult(status, None, "ConversationBlockedByUser" if status == 403 else "NotFound")]
    await notifier.run_due(10)
    delivery = await notifier.delivery(notification_id)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        NotificationStatus.UNDELIVERABLE,
        1,
        status,
    )
    assert await personal_address_for(database, person) is None
    async with database.session() as session:
        [ref] = (await session.execute(select(ConversationRef))).scalars()
        assert ref.stale_reason == f"http_{status}"

    # Until the person talks to the bot again, new messages are undeliverable at once...
    later = await queue(database, clock, person)
    assert (await notifier.delivery(later)).status == NotificationStatus.UNDELIVERABLE
    # ...and after that they go again.
    await remember(database, personal("a:chat-1", "29:user-1"), None, clock.now())
    again = await queue(database, clock, person)
    await notifier.run_due(10)
    assert (await notifier.delivery(again)).status == NotificationStatus.SENT


async def test_timeouts_are_retried_then_mark_the_chat_stale(
    database: Database, notifier: Notifier, sender: FakeSender, clock: ManualClock
) -> None:
    person = await reachable_person(database, clock)
    notification_id = await queue(database, clock, person)
    sender.script = [SendResult(0, None, "timeout"), SendResult(0, None, "timeout")]
    await notifier.run_due(10)
    assert (await notifier.delivery(notification_id)).status == NotificationStatus.RETRYING
    clock.advance(timedelta(minutes=1))
    await notifier.run_due(10)
    delivery = await notifier.delivery(notification_id)
    assert (delivery.status, delivery.last_error, delivery.last_status_code) == (
        NotificationStatus.UNDELIVERABLE,
        "timeout",
        None,
    )
    assert await personal_address_for(database, person) is None


async def test_a_hanging_sender_is_cut_off(database: Database, clock: ManualClock, sleep: FakeSleep) -> None:
    class Hanging:
        async def send(self, address: ConversationAddress, card: dict[str, Any], text: str, alert: bool) -> SendResult:
            await asyncio.Event().wait()
            raise AssertionError("unreachable")

    notifier = make_notifier(database, Hanging(), clock, sleep, send_timeout=0.01)
    notification_id = await queue(database, clock, await reachable_person(database, clock))
    await notifier.run_due(10)
    delivery = await notifier.delivery(notification_id)
    assert (delivery.status, delivery.last_error) == (NotificationStatus.RETRYING, "timeout")


async def test_a_sender_that_raises_counts_as_a_failed_attempt(
    database: Database, clock: ManualClock, sleep: FakeSleep
) -> None:
    class Broken:
        async def send(self, address: ConversationAddress, card: dict[str, Any], text: str, alert: bool) -> SendResult:
            raise ConnectionResetError("peer went away")

    notifier = make_notifier(database, Broken(), clock, sleep)
    notification_id = await queue(database, clock, await reachable_person(database, clock))
    await notifier.run_due(10)
    delivery = await notifier.delivery(notification_id)
    assert (delivery.status, delivery.last_error) == (NotificationStatus.RETRYING, "ConnectionResetError")


async def test_a_client_error_is_final(
    database: Database, notifier: Notifier, sender: FakeSender, clock: ManualClock
) -> None:
    person = await reachable_person(database, clock)
    notification_id = await queue(database, clock, person)
    sender.script = [SendResult(400, None, "BadArgument")]
    await notifier.run_due(10)
    delivery = await notifier.delivery(notification_id)
    assert (delivery.status, delivery.last_error) == (NotificationStatus.FAILED, "BadArgument")
    assert await personal_address_for(database, person) is not None  # the chat itself is fine


async def test_channel_messages_go_to_the_stored_channel(
    database: Database, notifier: Notifier, sender: FakeSender, clock: ManualClock
) -> None:
    address_id = await remember(database, channel("19:abc@thread.tacv2;messageid=9"), None, clock.now())
    notification_id = await queue_notice(
        database, note("Forum booked", kind="forum.booked"), to_address=address_id, now=clock.now()
    )
    await notifier.run_due(10)
    [post] = sender.posted
    assert post.address.conversation_id == "19:abc@thread.tacv2"
    assert (await notifier.delivery(notification_id)).status == NotificationStatus.SENT


async def test_an_unknown_channel_is_undeliverable(database: Database, notifier: Notifier, clock: ManualClock) -> None:
    address_id = await remember(database, channel(), None, clock.now())
    async with database.session() as session:
        ref = await session.get(ConversationRef, address_id)
        assert ref is not None
        ref.stale_at = clock.now()
    notification_id = await queue_notice(database, note(kind="forum.booked"), to_address=address_id, now=clock.now())
    assert (await notifier.delivery(notification_id)).status == NotificationStatus.UNDELIVERABLE


async def test_a_chat_that_goes_stale_while_queued_is_undeliverable(
    database: Database, notifier: Notifier, sender: FakeSender, clock: ManualClock
) -> None:
    person = await reachable_person(database, clock)
    notification_id = await queue(database, clock, person)
    async with database.session() as session:
        for ref in (await session.execute(select(ConversationRef))).scalars():
            ref.stale_at = clock.now()
    assert await notifier.run_due(10) == 1
    delivery = await notifier.delivery(notification_id)
    assert (delivery.status, delivery.attempts, delivery.last_error) == (
        NotificationStatus.UNDELIVERABLE,
        0,
        "no_conversation",
    )
    assert sender.posted == []


async def test_too_large_a_message_fails_when_rendered_and_is_not_sent(
    database: Database, sender: FakeSender, clock: ManualClock, sleep: FakeSleep
) -> None:
    async def render_large(notice: Notice) -> Message:
        return Message(CARD, "x" * MAX_MESSAGE_BYTES)

    notifier = Notifier(database, sender, clock, sleep, render=render_large)
    notification_id = await queue(database, clock, await reachable_person(database, clock))
    assert await notifier.run_due(10) == 1
    delivery = await notifier.delivery(notification_id)
    assert (delivery.status, delivery.attempts, delivery.last_error) == (NotificationStatus.FAILED, 0, "too_large")
    assert sender.posted == []
    assert await notifier.run_due(10) == 0


async def test_bursts_into_one_chat_keep_to_teams_limits(
    database: Database, notifier: Notifier, sender: FakeSender, clock: ManualClock
) -> None:
    person = await reachable_person(database, clock)
    for n in range(10):
        await queue(database, clock, person, f"message {n}")
    start = clock.now()
    sent = 0
    while sent < 10:
        sent += await notifier.run_due(20)
    seconds = [(p.at - start).total_seconds() for p in sender.posted]
    # 7 per second, 8 per 2 seconds, each window a little wider than Teams' (the send margin)
    assert seconds == [0.0] * 7 + [1.0 + SEND_MARGIN, 2.0 + SEND_MARGIN, 2.0 + SEND_MARGIN]
    assert [p.text for p in sender.posted] == [f"message {n}" for n in range(10)]


async def test_a_long_rate_limit_wait_puts_the_message_back_instead_of_blocking(
    database: Database, sender: FakeSender, clock: ManualClock, sleep: FakeSleep
) -> None:
    notifier = make_notifier(database, sender, clock, sleep, max_wait_in_batch=0.5)
    busy = await reachable_person(database, clock, 1)
    other = await reachable_person(database, clock, 2)
    for n in range(8):
        await queue(database, clock, busy, f"busy {n}")
    await queue(database, clock, other, "other")
    assert await notifier.run_due(20) == 8  # the 8th to the busy chat would wait 1 s: put back
    assert [p.text for p in sender.posted][-1] == "other"
    assert sleep.waits == []
    assert await notifier.run_due(20) == 0
    clock.advance(timedelta(seconds=1 + SEND_MARGIN))
    assert await notifier.run_due(20) == 1


async def test_two_instances_never_send_one_message_twice(
    database: Database, sender: FakeSender, clock: ManualClock, sleep: FakeSleep
) -> None:
    people = [await reachable_person(database, clock, n) for n in range(12)]
    ids = [await queue(database, clock, p, f"to {p}") for p in people]
    one, two = make_notifier(database, sender, clock, sleep), make_notifier(database, sender, clock, sleep)
    for _ in range(4):
        await asyncio.gather(one.run_due(3), two.run_due(3), one.run_due(3), two.run_due(3))
    texts = [p.text for p in sender.posted]
    assert sorted(texts) == sorted(f"to {p}" for p in people)
    for notification_id in ids:
        assert (await one.delivery(notification_id)).attempts == 1


async def test_a_claim_left_by_a_crashed_instance_is_taken_over_after_its_lease(
    database: Database, sender: FakeSender, clock: ManualClock, sleep: FakeSleep
) -> None:
    crashed = make_notifier(database, sender, clock, sleep, lease=timedelta(minutes=5))
    notification_id = await queue(database, clock, await reachable_person(database, clock))
    # Claimed, then the process died before sending.
    await outbox.claim_due(database, clock.now(), lease=crashed.lease, max_batch=10, history=2)
    survivor = make_notifier(database, sender, clock, sleep)
    assert await survivor.run_due(10) == 0
    clock.advance(timedelta(minutes=5))
    assert await survivor.run_due(10) == 1
    delivery = await survivor.delivery(notification_id)
    assert (delivery.status, delivery.last_error) == (NotificationStatus.SENT, None)  # it never left


async def test_a_post_cut_off_by_a_crash_is_sent_again_and_said_to_be_maybe_twice(
    database: Database, sender: FakeSender, clock: ManualClock, sleep: FakeSleep
) -> None:
    notification_id = await queue(database, clock, await reachable_person(database, clock))
    [job] = await outbox.claim_due(database, clock.now(), lease=timedelta(minutes=5), max_batch=10, history=2)
    assert await outbox.mark_posting(database, job, clock.now())  # then the process died mid-post
    survivor = make_notifier(database, sender, clock, sleep)
    assert await survivor.run_due(10) == 0
    clock.advance(timedelta(minutes=5))
    assert await survivor.run_due(10) == 1
    delivery = await survivor.delivery(notification_id)
    assert (delivery.status, delivery.last_error) == (NotificationStatus.SENT, "maybe_twice")
    # The cut-off post is in the history, then the send that says it may show twice.
    attempts = [(a.outcome, a.error_code) for a in await attempts_of(database, notification_id)]
    assert attempts == [("cut_off", "cut_off"), ("sent", "maybe_twice")]


async def test_a_send_retried_after_no_answer_is_said_to_be_maybe_twice_and_a_refused_one_is_not(
    database: Database, notifier: Notifier, sender: FakeSender, clock: ManualClock
) -> None:
    timed_out = await queue(database, clock, await reachable_person(database, clock, 1))
    refused = await queue(database, clock, await reachable_person(database, clock, 2))
    sender.script = [SendResult(0, None, "timeout"), SendResult(503, None, "busy")]
    await notifier.run_due(10)
    clock.advance(timedelta(minutes=1))
    await notifier.run_due(10)
    assert [(await notifier.delivery(n)).last_error for n in (timed_out, refused)] == ["maybe_twice", None]
    attempts = [a.error_code for a in await attempts_of(database, timed_out)]
    assert attempts == ["timeout", "maybe_twice"]  # the timeout says it: no cut-off recorded too


async def test_a_post_whose_claim_ran_out_before_it_left_is_not_posted(
    database: Database, sender: FakeSender, clock: ManualClock, sleep: FakeSleep
) -> None:
    notification_id = await queue(database, clock, await reachable_person(database, clock))
    [job] = await outbox.claim_due(database, clock.now(), lease=timedelta(minutes=5), max_batch=10, history=2)
    clock.advance(timedelta(minutes=5))
    other = make_notifier(database, sender, clock, sleep)
    assert await other.run_due(10) == 1  # took the row over and sent it
    assert not await outbox.mark_posting(database, job, clock.now())  # the first instance may not post it
    assert len(sender.posted) == 1 and (await other.delivery(notification_id)).status == NotificationStatus.SENT


async def test_a_slow_batch_hands_back_what_its_claim_no_longer_covers(
    database: Database, clock: ManualClock, sleep: FakeSleep
) -> None:
    class Slow(FakeSender):
        async def send(self, address: ConversationAddress, card: dict[str, Any], text: str, alert: bool) -> SendResult:
            result = await super().send(address, card, text, alert)
            clock.advance(timedelta(seconds=20))
            return result

    sender = Slow(clock)
    notifier = make_notifier(
        database, sender, clock, sleep, lease=timedelta(minutes=1), send_timeout=30, max_wait_in_batch=5
    )
    ids = [await queue(database, clock, await reachable_person(database, clock, n)) for n in range(5)]
    # A try needs 35 s of claim left: sends at 0 s and 20 s fit the 60 s lease, the one at 40 s would not.
    assert await notifier.run_due(10) == 2
    statuses = [(await notifier.delivery(i)).status for i in ids]
    assert statuses == [NotificationStatus.SENT] * 2 + [NotificationStatus.PENDING] * 3
    assert await notifier.run_due(10) == 2
    assert await notifier.run_due(10) == 1


async def test_an_idle_pass_only_reads(
    database: Database, notifier: Notifier, sender: FakeSender, clock: ManualClock
) -> None:
    notification_id = await queue(database, clock, await reachable_person(database, clock))
    async with database.session() as session:
        await session.execute(
            update(Notification)
            .where(Notification.id == notification_id)
            .values(status=NotificationStatus.RETRYING, next_attempt_at=clock.now() + timedelta(seconds=30))
        )
    through_engine: list[str] = []
    listener = lambda *args: through_engine.append(args[2])  # noqa: E731 - (conn, cursor, statement, ...)
    event.listen(database.engine.sync_engine, "before_cursor_execute", listener)
    try:
        assert await notifier.run_due() == 0  # not due for 30 s: no claim, no transaction
        assert through_engine == []
        clock.advance(timedelta(seconds=30))
        assert await notifier.run_due() == 1
        assert any(statement.startswith("UPDATE") for statement in through_engine)
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", listener)
    assert [p.text for p in sender.posted] == [""]


async def test_any_due_says_what_a_claim_would_take(database: Database, notifier: Notifier, clock: ManualClock) -> None:
    notification_id = await queue(database, clock, await reachable_person(database, clock))
    now, soon = clock.now(), clock.now() + timedelta(seconds=1)
    cases = [
        (NotificationStatus.PENDING, now, None),
        (NotificationStatus.PENDING, soon, None),
        (NotificationStatus.RETRYING, now, None),
        (NotificationStatus.RETRYING, soon, None),
        (NotificationStatus.SENDING, now, now),  # its instance died: the lease ran out
        (NotificationStatus.SENDING, now, soon),
        (NotificationStatus.SENT, now, None),
        (NotificationStatus.FAILED, now, None),
        (NotificationStatus.UNDELIVERABLE, now, None),
    ]
    seen: list[bool] = []
    for status, next_attempt_at, claimed_until in cases:
        async with database.session() as session:
            await session.execute(
                update(Notification)
                .where(Notification.id == notification_id)
                .values(status=status, next_attempt_at=next_attempt_at, claimed_until=claimed_until)
            )
        due = await outbox.any_due(database, now)
        claimed = await outbox.claim_due(database, now, lease=timedelta(minutes=5), max_batch=5, history=2)
        assert due == bool(claimed), (status, next_attempt_at, claimed_until)
        seen.append(due)
    assert seen == [True, False, True, False, True, False, False, False, False]


async def test_run_forever_sends_until_stopped(database: Database, sender: FakeSender, clock: ManualClock) -> None:
    stop = asyncio.Event()
    naps: list[float] = []

    async def nap(seconds: float) -> None:
        naps.append(seconds)
        clock.advance(timedelta(seconds=seconds))
        if len(naps) >= 3:
            stop.set()
        await asyncio.sleep(0)

    notifier = make_notifier(database, sender, clock, nap, poll_interval=2.0)
    person = await reachable_person(database, clock)
    await queue(database, clock, person, "first")
    sender.script = [SendResult(429, 10.0, "Throttled")]
    await asyncio.wait_for(notifier.run_forever(stop), timeout=5)
    assert [p.text for p in sender.posted] == ["first", "first"]
    assert naps[0] == 10.0  # the Retry-After pause, then idle polls
    assert naps[1:] == [2.0, 2.0]


async def test_run_forever_survives_a_failing_pass(database: Database, sender: FakeSender, clock: ManualClock) -> None:
    stop = asyncio.Event()
    calls = 0

    async def nap(seconds: float) -> None:
        stop.set()

    notifier = make_notifier(database, sender, clock, nap)

    async def broken(max_batch: int = 20) -> int:
        nonlocal calls
        calls += 1
        raise RuntimeError("database unavailable")

    notifier.run_due = broken  # type: ignore[method-assign]
    await asyncio.wait_for(notifier.run_forever(stop), timeout=5)
    assert calls == 1


async def test_delivery_of_an_unknown_notification(notifier: Notifier) -> None:
    with pytest.raises(LookupError):
        await notifier.delivery(12345)


async def test_one_notice_to_two_people_in_a_batch_is_drawn_once_and_sent_to_each(
    database: Database, sender: FakeSender, clock: ManualClock, sleep: FakeSleep
) -> None:
    drawn: list[str] = []

    async def counting(notice: Notice) -> Message:
        drawn.append(notice.key)
        return await render(notice)

    notifier = Notifier(database, sender, clock, sleep, render=counting)
    shared, own = note("the school's digest"), note("just for one")
    first, second = await reachable_person(database, clock, 1), await reachable_person(database, clock, 2)
    for person in (first, second):
        await queue_notice(database, shared, to_person=person, now=clock.now())
    await queue_notice(database, own, to_person=first, now=clock.now())
    assert await notifier.run_due(20) == 3
    assert sorted(p.text for p in sender.posted) == ["just for one", "the school's digest", "the school's digest"]
    assert sorted(drawn) == sorted([shared.key, own.key])
    # The next batch draws it again: a message says what the records say when it is sent.
    third = await reachable_person(database, clock, 3)
    await queue_notice(database, shared, to_person=third, now=clock.now())
    assert await notifier.run_due(20) == 1
    assert drawn.count(shared.key) == 2
