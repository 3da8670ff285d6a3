"""Urgent notices first: a notice that raises a feed alert (a safeguarding alert) overtakes the
routine ones waiting (the day's digests), also when it comes in while a batch of them is going
out, and still keeps to Teams' rate limits."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from core.clock import ManualClock
from db.engine import Database
from domain.conversations import ConversationAddress
from domain.notices import Notice
from domain.notifier import Notifier, SendResult, queue_notice
from domain.outbox import NotificationStatus
from domain.rate_limit import SEND_MARGIN
from tests.fixtures.fakes import FakeSleep
from tests.fixtures.outbox import FakeSender, Message, reachable_person

CARD = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "Notice"}]}
_keys = itertools.count(1)


async def render(notice: Notice) -> Message:
    return Message(CARD, str(notice.payload["text"]))


async def queue(database: Database, clock: ManualClock, person: int, text: str, *, alert: bool = False) -> int:
    notice = Notice("test.message", {"text": text}, f"urgent-test:{next(_keys)}", alert=alert)
    return await queue_notice(database, notice, to_person=person, now=clock.now())


def notifier_for(database: Database, sender: FakeSender, clock: ManualClock, sleep: FakeSleep) -> Notifier:
    return Notifier(database, sender, clock, sleep, render=render, jitter=lambda: 1.0)


async def test_an_urgent_notice_is_claimed_before_the_routine_ones_queued_earlier(
    database: Database, clock: ManualClock, sleep: FakeSleep
) -> None:
    sender = FakeSender(clock)
    notifier = notifier_for(database, sender, clock, sleep)
    people = [await reachable_person(database, clock, n) for n in range(12)]
    for person in people:
        await queue(database, clock, person, f"digest to {person}")
        clock.advance(timedelta(seconds=1))
    await queue(database, clock, people[5], "alert", alert=True)

    assert await notifier.run_due(5) == 5
    assert [p.text for p in sender.posted] == ["alert"] + [f"digest to {p}" for p in people[:4]]
    while await notifier.run_due(5):
        pass
    assert sorted(p.text for p in sender.posted[1:]) == sorted(f"digest to {p}" for p in people)


async def test_an_urgent_notice_queued_while_a_batch_goes_out_overtakes_the_rest_of_it(
    database: Database, clock: ManualClock, sleep: FakeSleep
) -> None:
    people = [await reachable_person(database, clock, n) for n in range(10)]

    class RaisedMeanwhile(FakeSender):
        """A concern is recorded while the third digest is being sent."""

        async def send(self, address: ConversationAddress, card: dict[str, Any], text: str, alert: bool) -> SendResult:
            result = await super().send(address, card, text, alert)
            if len(self.posted) == 3:
                await queue(database, clock, people[0], "alert", alert=True)
            return result

    sender = RaisedMeanwhile(clock)
    notifier = notifier_for(database, sender, clock, sleep)
    digests = [await queue(database, clock, person, f"digest {n}") for n, person in enumerate(people)]

    assert await notifier.run_due(10) == 3  # the rest of the batch is handed back, untried
    assert [(await notifier.delivery(i)).status for i in digests[3:]] == [NotificationStatus.PENDING] * 7
    assert [(await notifier.delivery(i)).attempts for i in digests[3:]] == [0] * 7
    assert await notifier.run_due(10) == 8
    texts = [p.text for p in sender.posted]
    assert texts == ["digest 0", "digest 1", "digest 2", "alert"] + [f"digest {n}" for n in range(3, 10)]
    assert {(await notifier.delivery(i)).status for i in digests} == {NotificationStatus.SENT}


async def test_an_urgent_notice_still_keeps_to_the_rate_limits(
    database: Database, clock: ManualClock, sleep: FakeSleep
) -> None:
    sender = FakeSender(clock)
    notifier = notifier_for(database, sender, clock, sleep)
    dsl = await reachable_person(database, clock)
    for n in range(7):
        await queue(database, clock, dsl, f"routine {n}")
    start = clock.now()
    assert await notifier.run_due(10) == 7  # Teams takes 7 a second into one chat
    await queue(database, clock, dsl, "alert", alert=True)

    assert await notifier.run_due(10) == 1
    assert sender.posted[-1].text == "alert"
    # The 8th waited for the window (widened by the limiter's margin against jitter).
    assert sender.posted[-1].at - start == timedelta(seconds=1 + SEND_MARGIN)
