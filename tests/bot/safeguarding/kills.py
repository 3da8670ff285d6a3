"""The kill run: safeguarding alerts are never lost, and a duplicate is counted, never hidden.

The real bot runs as its own process (`app.main()`, forked from a process that imported the
app once: `BotForker`) on one database, with a stand-in Bot Connector in this process. A
reporter raises concerns through the real dialog, over HTTP, one in each life of the bot, while
the bot is SIGKILLed at random moments and started again on the same database, `kills` times.
The ladder's waits are short (`SAFEGUARDING_ESCALATE_AFTER_MINUTES`), and so are the notifier's
and the scheduler's claims (`CLAIM_LEASE_SECONDS`), so what a killed process held is taken over
by the next one within seconds. After the last start, and nothing killed any more, it waits (by
deadline, on what the database and the connector show) until every concern is at the top of its
ladder and every notification is settled, then counts:

- concerns: the concerns that were recorded (a turn killed before its commit recorded none);
- alerts expected: for each concern, its DSL (rung 1), its deputy (rung 2), its headteacher and
  the Partnership Director (rung 3); delivered: those with the concern's card in their chat;
- duplicates: cards beyond the first for one concern in one chat, and, over every notice the
  bot sent (the reporter's status cards too), messages the stand-in stored that no notification
  row names (sent, then the process died before the row said so);
- lost: notifications not sent, and rungs reached other than once;
- said maybe twice: messages sent again after a post whose fate was unknown (taken over from a
  process killed mid-post, or retried after no answer), which the outbox marks `maybe_twice`;
  cut off: the posts a kill cut off (an attempt the next instance records), timeouts: sends with
  no answer; unsaid: duplicates whose row does not say `maybe_twice` (an alert's duplicate card,
  or any row with a cut-off or timed-out post). Never silently doubled: unsaid is 0 and
  duplicates are at most cut off + timeouts.

    python -m tests.bot.safeguarding.kills --kills 50          # SQLite, a temporary folder
    python -m tests.bot.safeguarding.kills --postgres URL      # a fresh database on that server
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from aiohttp import web
from sqlalchemy import func, select

from core.settings import Settings
from db.engine import Database
from db.models.proactive import DeliveryAttempt, Notification
from db.models.safeguarding import SafeguardingConcern, SafeguardingEntry
from domain.notifier import MAYBE_TWICE
from domain.outbox import CUT_OFF, NotificationStatus
from domain.safeguarding.jobs import FOLLOW_EVERY
from domain.safeguarding.model import EntryKind, Subject, ladders
from domain.safeguarding.notices import ALERT, PREVIEW
from tests.bot.safeguarding.conftest import ACCOUNT, PEOPLE, aad, seed_world
from tests.fixtures.bot_process import BotForker, end_process
from tests.fixtures.bot_server import BotClient, Conversation, make_settings
from tests.fixtures.connector import ConnectorStandIn, connector_app
from tests.fixtures.serving import serving

# Each rung waits 1.2 s for an acknowledgement; a dead process's claims are free after 20 s
# (a send then times out after 5 s, which a loaded machine needs).
FAST = {"SAFEGUARDING_ESCALATE_AFTER_MINUTES": "0.02", "CLAIM_LEASE_SECONDS": "20"}
RECIPIENTS = ("dsl", "deputy", "head", "director")  # the pupil ladder: rungs 1, 2, 3 and 3
LAST_RUNG = ladders().for_subject(Subject.PUPIL).last
REPORT = ("report a safeguarding concern", "no", "Jordan Smth", ACCOUNT, "Took her to the office")
OK = (200, 201, 202)  # what the bot answers an activity it took


class RecordingConnector(ConnectorStandIn):
    """The stand-in, which also keeps apart the new messages the bot posted of its own accord
    (the notifier's) from its replies within a turn."""

    def __init__(self) -> None:
        super().__init__()
        self.proactive: list[str] = []  # the ids the stand-in gave them
        self.stored_at: dict[str, datetime] = {}  # when it stored each (this machine's clock)

    async def handle(self, request: web.Request) -> web.Response:
        response = await super().handle(request)
        if request.method == "POST" and "activity_id" not in request.match_info and response.status == 200:
            self.proactive.append(self.sent[-1].id)
            self.stored_at[self.sent[-1].id] = datetime.now(UTC)
        return response


@contextlib.asynccontextmanager
async def recording_connector() -> AsyncIterator[RecordingConnector]:
    stand_in = RecordingConnector()
    async with serving(connector_app(stand_in)) as url:
        stand_in.url = url
        yield stand_in


@dataclass
class Figures:
    kills: int = 0
    concerns: int = 0
    alerts_expected: int = 0
    alerts_delivered: int = 0
    alert_duplicates: int = 0
    notices: int = 0  # every notification row (alerts and the reporter's status cards)
    notices_sent: int = 0
    duplicates: int = 0  # messages at the stand-in that no notification row names
    timeouts: int = 0  # sends that got no answer in time (retried: a duplicate if Teams had stored it)
    said_maybe_twice: int = 0  # messages sent again after a post whose fate was unknown, and said so
    cut_off: int = 0  # posts a kill cut off (recorded as attempts by the instance that took over)
    unsaid: int = 0  # duplicates whose row does not say maybe_twice: must be none
    # From the stand-in storing a message to the bot reading its clock for the write that marks
    # it sent (that write's own time not included): where a kill makes a duplicate.
    window_ms_p50: float = 0.0
    window_ms_max: float = 0.0
    rungs_not_once: int = 0  # (concern, rung) escalated other than once
    not_at_last_rung: int = 0
    seconds: float = 0.0
    kill_seconds: float = 0.0  # of which the kills and restarts took this
    unsettled: list[str] = field(default_factory=list)

    def holds(self) -> bool:
        """Nothing lost, every ladder at its top having reached each rung once, and no duplicate
        unsaid (`test_kills.py` asserts each part on its own)."""
        return (
            self.lost == 0
            and self.rungs_not_once == self.not_at_last_rung == 0
            and self.unsaid == 0
            and self.duplicates <= self.cut_off + self.timeouts
        )

    @property
    def lost(self) -> int:
        return self.alerts_expected - self.alerts_delivered + self.notices - self.notices_sent

    def line(self) -> str:
        return (
            f"kills={self.kills} concerns={self.concerns} alerts_expected={self.alerts_expected} "
            f"delivered={self.alerts_delivered} alert_duplicates={self.alert_duplicates} "
            f"notices={self.notices} notices_sent={self.notices_sent} duplicates={self.duplicates} "
            f"lost={self.lost} said_maybe_twice={self.said_maybe_twice} cut_off={self.cut_off} "
            f"timeouts={self.timeouts} unsaid={self.unsaid} "
            f"window_ms_p50={self.window_ms_p50:.0f} "
            f"window_ms_max={self.window_ms_max:.0f} rungs_not_once={self.rungs_not_once} "
            f"not_at_last_rung={self.not_at_last_rung} "
            f"seconds={self.seconds:.0f} (kills {self.kill_seconds:.0f})"
        )


class Bot:
    """The one bot process at a time: started, killed, started again, on the same database
    (each forked from a process that imported the app once, `BotForker`)."""

    def __init__(self, settings: Settings, session: aiohttp.ClientSession) -> None:
        self.settings = settings
        self.session = session
        self.forker = BotForker(settings, FAST)
        self.pid: int | None = None
        self.url = ""
        self.up = asyncio.Event()
        self.starts = 0
        self._started = asyncio.Condition()

    async def start(self) -> None:
        for tries_left in (2, 1, 0):
            try:
                self.pid, self.url = await self.forker.start(self.session)
                break
            except AssertionError:  # the free port was taken before the bot bound it
                if not tries_left:
                    raise
        self.up.set()
        async with self._started:
            self.starts += 1
            self._started.notify_all()

    async def restarted(self, since: int, done: asyncio.Event) -> None:
        """Until the bot has been started again since start number `since`, or `done`."""
        async with self._started:
            while self.starts == since and not done.is_set():
                await self._started.wait()

    async def kill(self) -> None:
        self.up.clear()
        assert self.pid is not None
        await end_process(self.pid, signal.SIGKILL)  # no clean-up of any kind

    async def finish(self, done: asyncio.Event) -> None:
        done.set()
        async with self._started:
            self._started.notify_all()

    async def stop(self) -> None:
        self.up.clear()
        if self.pid is not None:
            await end_process(self.pid, signal.SIGTERM)
        self.forker.close()


async def raise_concerns(bot: Bot, connector: ConnectorStandIn, done: asyncio.Event) -> None:
    """Raise one concern through the dialog in each life of the bot, until `done`: a kill may
    cut it off anywhere (the next starts in a new conversation). One per life keeps the alerts
    within Teams' rate limits for one chat (60 in 30 s), which would otherwise pace the run."""
    reporter = list(PEOPLE).index("reporter") + 1
    attempt = 0
    while not done.is_set():
        await bot.up.wait()
        life = bot.starts
        attempt += 1
        chat = Conversation(
            BotClient(bot.url, bot.session, connector),
            id=f"a:report-{attempt}",
            aad_object_id=aad(reporter),
            user_id="29:reporter",
        )
        try:
            for answer in REPORT:
                if await chat.say(answer) not in OK:
                    break
        except (aiohttp.ClientError, TimeoutError):
            pass  # killed mid-turn
        await bot.restarted(life, done)


async def run(settings: Settings, connector: RecordingConnector, kills: int, seed: int = 0) -> Figures:
    """Seed a school on `settings`' (migrated, empty) database, then the kill run; see the module docstring."""
    database = Database(settings.effective_database_url)
    rng = random.Random(seed)
    figures = Figures()
    started = time.monotonic()
    try:
        people: dict[str, int] = (await seed_world(database))["people"]
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            bot = Bot(settings, session)
            done = asyncio.Event()
            try:
                await bot.start()
                client = BotClient(bot.url, session, connector)
                for name in RECIPIENTS:  # so the bot has their chats
                    n = list(PEOPLE).index(name) + 1
                    chat = client.conversation(id=f"a:chat-{name}", aad_object_id=aad(n), user_id=f"29:{name}")
                    assert await chat.say("hello") in OK
                reporter = asyncio.create_task(raise_concerns(bot, connector, done))
                for _ in range(kills):
                    # The moment of the kill, at random: this picks when, it does not wait for an outcome.
                    await asyncio.sleep(rng.uniform(0.05, 1.0))
                    await bot.kill()
                    figures.kills += 1
                    await bot.start()
                await bot.finish(done)
                await reporter
                figures.kill_seconds = time.monotonic() - started
                await settled(database, deadline=time.monotonic() + 90)
            finally:
                await bot.finish(done)
                await bot.stop()
        await count(database, connector, people, figures)
    finally:
        await database.dispose()
    figures.seconds = time.monotonic() - started
    return figures


async def settled(database: Database, deadline: float) -> None:
    """Wait until every concern is at the top of its ladder and no notification is waiting, and
    that has held for longer than the delivery follower's period (it queues the reporter's
    "delivered" cards when it next looks), or the deadline passes (the count then shows what was
    not reached)."""
    waiting = [str(status) for status in (NotificationStatus.PENDING, *_STILL_GOING)]
    quiet_for = FOLLOW_EVERY.total_seconds() + 1
    quiet_since: float | None = None
    while time.monotonic() < deadline:
        async with database.session() as session:
            below = await session.scalar(
                select(func.count()).select_from(SafeguardingConcern).where(SafeguardingConcern.rung < LAST_RUNG)
            )
            unsent = await session.scalar(
                select(func.count()).select_from(Notification).where(Notification.status.in_(waiting))
            )
        if below or unsent:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > quiet_for:
            return
        await asyncio.sleep(0.2)  # polling a real-time process's database until the deadline


_STILL_GOING = (NotificationStatus.SENDING, NotificationStatus.RETRYING)


async def count(database: Database, connector: RecordingConnector, people: dict[str, int], figures: Figures) -> None:
    async with database.session() as session:
        concerns = list((await session.execute(select(SafeguardingConcern.id, SafeguardingConcern.rung))).all())
        rows = list((await session.execute(select(Notification.status, Notification.activity_id))).all())
        maybe = select(func.count()).select_from(Notification).where(Notification.last_error == MAYBE_TWICE)
        figures.said_maybe_twice = int(await session.scalar(maybe) or 0)
        sent_at = dict(
            (
                await session.execute(
                    select(Notification.activity_id, Notification.sent_at).where(Notification.sent_at.is_not(None))
                )
            ).all()
        )
        timeouts = select(func.count()).select_from(DeliveryAttempt).where(DeliveryAttempt.error_code == "timeout")
        figures.timeouts = int(await session.scalar(timeouts) or 0)
        cut_off = select(func.count()).select_from(DeliveryAttempt).where(DeliveryAttempt.error_code == CUT_OFF)
        figures.cut_off = int(await session.scalar(cut_off) or 0)
        doubtful = select(DeliveryAttempt.notification_id).where(DeliveryAttempt.error_code.in_([CUT_OFF, "timeout"]))
        unsaid = select(func.count()).where(
            Notification.id.in_(doubtful),
            Notification.status == "sent",
            Notification.last_error.is_distinct_from(MAYBE_TWICE),
        )
        figures.unsaid = int(await session.scalar(unsaid) or 0)
        said = {
            (row.person_id, row.payload.get("concern_id")): row.last_error == MAYBE_TWICE
            for row in await session.execute(
                select(Notification.person_id, Notification.payload, Notification.last_error).where(
                    Notification.kind == ALERT
                )
            )
        }
        escalations = Counter(
            (concern_id, rung)
            for concern_id, rung in (
                await session.execute(
                    select(SafeguardingEntry.concern_id, SafeguardingEntry.rung).where(
                        SafeguardingEntry.kind == str(EntryKind.ESCALATED)
                    )
                )
            ).all()
        )
    figures.concerns = len(concerns)
    figures.not_at_last_rung = sum(1 for _, rung in concerns if rung != LAST_RUNG)
    figures.rungs_not_once = sum(
        1 for concern_id, _ in concerns for rung in range(2, LAST_RUNG + 1) if escalations[(concern_id, rung)] != 1
    )
    cards: Counter[tuple[str, int]] = Counter()
    for sent in connector.sent:
        if not sent.is_update and sent.activity.get("summary") == PREVIEW and sent.cards:
            cards[(sent.conversation_id, int(sent.cards[0]["actions"][0]["data"]["id"]))] += 1
    figures.alerts_expected = len(concerns) * len(RECIPIENTS)
    for concern_id, _ in concerns:
        for name in RECIPIENTS:
            arrived = cards[(f"a:chat-{name}", concern_id)]
            figures.alerts_delivered += 1 if arrived else 0
            figures.alert_duplicates += max(0, arrived - 1)
            if arrived > 1 and not said.get((people[name], concern_id)):
                figures.unsaid += arrived - 1
    figures.notices = len(rows)
    sent_ids = {activity_id for status, activity_id in rows if status == NotificationStatus.SENT and activity_id}
    arrived = set(connector.proactive)
    figures.notices_sent = sum(1 for status, activity_id in rows if status == "sent" and activity_id in arrived)
    figures.duplicates = sum(1 for message_id in connector.proactive if message_id not in sent_ids)
    windows = sorted(
        (sent_at[message_id] - connector.stored_at[message_id]).total_seconds() * 1000
        for message_id in sent_at
        if message_id in connector.stored_at
    )
    if windows:
        figures.window_ms_p50, figures.window_ms_max = windows[len(windows) // 2], windows[-1]
    figures.unsettled = sorted({str(status) for status, _ in rows if status != NotificationStatus.SENT})


async def _main(kills: int, postgres: str | None, seed: int) -> Figures:
    from db.migrate import upgrade_to_head
    from tests.fixtures.database import create_postgres_database, drop_postgres_database

    with tempfile.TemporaryDirectory() as folder:
        url = await create_postgres_database(postgres, prefix="lncip_kills_") if postgres else ""
        try:
            settings = make_settings(Path(folder), database_url=url)
            settings.data_dir.mkdir(parents=True)
            await upgrade_to_head(settings.effective_database_url)
            async with recording_connector() as connector:
                return await run(settings, connector, kills, seed)
        finally:
            if postgres:
                await drop_postgres_database(postgres, url)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--postgres", help="a PostgreSQL server URL (postgresql+asyncpg://...)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    options = parser.parse_args()
    figures = asyncio.run(_main(options.kills, options.postgres, options.seed))
    print(figures.line())
    if options.json:
        options.json.write_text(json.dumps(figures.__dict__ | {"lost": figures.lost}, indent=2))
    return 0 if figures.holds() else 1


if __name__ == "__main__":
    sys.exit(main())
