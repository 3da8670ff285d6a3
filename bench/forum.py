"""The forum's meeting side for a forum with 12 cases: `python -m bench.forum [--cases 12]
[--rounds 50] [--turns 100] [--json FILE]`.

On a fresh SQLite database with the demo partnership (`load_demo_data`), `--cases` forum cases
are made and booked on one forum through the services, as the schools' SENCOs. Then:

- the agenda: `queries.agenda` (the policy check, the cases with their schools and pupils, the
  audit entry) and the card the Partnership gets (`dialogs.forum.agenda.AgendaCards`, with its
  signed page link) and the page for the shared screen, in both views, `--rounds` times each;
- the reminders: the day before the forum, `send_reminders` queues one per booking and the real
  notifier renders each with the forum's renderer and sends it through `bench.digests`'s
  stand-in connector (Teams' limits enforced, 429 with Retry-After), until all are accepted.

Times are wall-clock and this process's CPU (`time.process_time`), which holds under load. Then
the stock echo bot's turn CPU in this process, measured by `bench.in_process`, as the
yardstick every bench prints beside its figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

from sqlalchemy import delete

from bench.digests import LimitedConnector, chat_address, deliver
from bench.in_process import echo_cpu_per_turn
from core.clock import ManualClock, SystemClock
from core.settings import Settings
from core.signed_links import SignedLinks
from db.engine import Database
from db.migrate import upgrade_to_head
from db.models.proactive import Notification, NotificationPupil
from dialogs.forum.agenda import AgendaCards
from dialogs.forum.notices import renderers
from dialogs.forum.page import render_agenda_page
from domain.conversations import remember
from domain.demo_data import load_demo_data
from domain.directory.queries import list_people, list_schools, pupils_for_school
from domain.forum import meetings, queries, service
from domain.forum.jobs import send_reminders
from domain.forum.model import MeetingKind, Reader, Sharing, uk_instant
from domain.notifier import Notifier
from domain.referrals import service as referrals
from domain.referrals.demo import demo_values
from domain.referrals.model import ReferralKind
from domain.requester import Requester, Via
from domain.roles import Role

RP_ONLY = ("gender", "pupil_premium", "attendance_last_year_percent", "parent_views", "pupil_voice")


@dataclass
class ForumFigures:
    cases: int
    rounds: int
    agenda_named_ms: float  # median wall time per agenda (domain + card + page)
    agenda_named_cpu_ms: float  # CPU per agenda, mean over the rounds
    agenda_anonymised_ms: float
    agenda_anonymised_cpu_ms: float
    reminders: int
    reminders_queue_ms: float  # send_reminders: every reminder queued, one transaction
    reminders_delivery_ms: float  # the notifier: render and send all, within Teams' limits
    reminders_cpu_ms: float  # CPU of queueing and delivery together
    throttled: int
    lost: int
    duplicated: int


async def seed(database: Database, cases: int, now: datetime) -> tuple[int, Requester]:
    """The demo partnership, a forum ten days ahead with `cases` slots and `cases` cases booked
    (round the member schools, as each school's SENCO); the forum's id and its lead."""
    today = now.date()
    await load_demo_data(database, today=today)
    clock = ManualClock(now)
    [lead_person, *_] = await list_people(database, role=Role.PARTNERSHIP_SENCO, partnership=True)
    lead = Requester.in_teams(lead_person)
    day = today + timedelta(days=10)
    plan = meetings.MeetingPlan(
        MeetingKind.FORUM,
        day,
        clock_time(9, 30),
        clock_time(11, 30),
        "https://teams.microsoft.com/l/meetup-join/bench",
        cases,
        day,
    )
    forum = await meetings.create_meeting(database, lead, plan, clock=clock)
    queues: list[tuple[Requester, list[int]]] = []
    for school in await list_schools(database, members_only=True):
        sencos = await list_people(database, school.id, Role.SENCO)
        pupils = [p.id for p in await pupils_for_school(database, school.id) if p.left_provision_on is None]
        if sencos and pupils:
            queues.append((Requester(sencos[0], Via.SYSTEM), pupils))
    made = 0
    while made < cases and any(pupils for _, pupils in queues):
        for senco, pupils in queues:
            if made == cases or not pupils:
                continue
            draft = await referrals.start_draft(
                database, senco, ReferralKind.FORUM_CASE, pupil_id=pupils.pop(0), clock=clock
            )
            values = demo_values(today, requested_support=None)
            for name in RP_ONLY:
                values.pop(name)
            await referrals.set_fields(database, senco, draft.id, values, clock=clock)
            await referrals.submit(database, senco, draft.id, clock=clock)
            question = f"What else could we try for this pupil (bench case {made + 1})?"
            booked = await service.book_case(
                database, senco, forum.id, draft.id, sharing=Sharing.PARTNERSHIP_ONLY, question=question, clock=clock
            )
            assert booked.booking is not None, booked.outcome
            async with database.session() as session:
                await remember(session, chat_address(f"senco-{senco.person_id}"), senco.person_id, now)
            made += 1
    async with database.session() as session:  # the referrals' own notices are not this bench's
        await session.execute(delete(NotificationPupil))
        await session.execute(delete(Notification))
    return forum.id, lead


async def time_agendas(
    database: Database, lead: Requester, forum_id: int, reader: Reader, rounds: int
) -> tuple[float, float, int]:
    """Median wall ms and mean CPU ms per agenda built, carded and paged; and its case count."""
    settings = Settings(public_url="https://lncip.example.org")
    cards = AgendaCards(database, SystemClock(), settings, SignedLinks(b"b" * 32))
    walls: list[float] = []
    cpu_started = time.process_time()
    count = 0
    for _ in range(rounds):
        started = time.perf_counter()
        agenda = await queries.agenda(database, lead, forum_id, reader)
        cards.agenda_card(agenda, lead)
        render_agenda_page(agenda)
        walls.append((time.perf_counter() - started) * 1000)
        count = len(agenda.cases)
    cpu = (time.process_time() - cpu_started) * 1000 / rounds
    return round(statistics.median(walls), 2), round(cpu, 2), count


async def measure_forum(cases: int, rounds: int, folder: Path) -> ForumFigures:
    url = f"sqlite+aiosqlite:///{folder / 'forum.db'}"
    await upgrade_to_head(url)
    database = Database(url)
    try:
        now = datetime.now(UTC).replace(microsecond=0)
        logging.disable(logging.WARNING)  # seeding queues the referrals' notices to people with no chat
        try:
            forum_id, lead = await seed(database, cases, now)
        finally:
            logging.disable(logging.NOTSET)
        named = await time_agendas(database, lead, forum_id, Reader.PARTNERSHIP, rounds)
        anonymised = await time_agendas(database, lead, forum_id, Reader.EXTERNAL, rounds)
        assert named[2] == anonymised[2] == cases, (named, anonymised)
        forum = await queries.get_meeting(database, forum_id)
        assert forum is not None
        due = uk_instant(forum.day - timedelta(days=1), clock_time(9, 0))
        connector = LimitedConnector()
        notifier = Notifier(database, connector, SystemClock(), render=_render(database), batch_size=50)
        cpu_started, started = time.process_time(), time.perf_counter()
        queued = await send_reminders(database, due, now)
        queue_ms = (time.perf_counter() - started) * 1000
        delivery_seconds, _ = await deliver(notifier, connector, queued)
        delivery_ms = delivery_seconds * 1000
        cpu_ms = (time.process_time() - cpu_started) * 1000
    finally:
        await database.dispose()
    accepted = sum(connector.accepted.values())  # several reminders may go to one school's SENCO
    return ForumFigures(
        cases=cases,
        rounds=rounds,
        agenda_named_ms=named[0],
        agenda_named_cpu_ms=named[1],
        agenda_anonymised_ms=anonymised[0],
        agenda_anonymised_cpu_ms=anonymised[1],
        reminders=queued,
        reminders_queue_ms=round(queue_ms, 2),
        reminders_delivery_ms=round(delivery_ms, 2),
        reminders_cpu_ms=round(cpu_ms, 2),
        throttled=connector.throttled,
        lost=max(queued - accepted, 0),
        duplicated=max(accepted - queued, 0),
    )


def _render(database: Database) -> Any:
    from bot.notices import NoticeRenderers

    return NoticeRenderers.of([renderers(database)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.forum", description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--turns", type=int, default=100)
    parser.add_argument("--json", type=Path)
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        figures = asyncio.run(measure_forum(options.cases, options.rounds, Path(folder)))
    turns = {"turns": options.turns, "echo_cpu_ms": asyncio.run(echo_cpu_per_turn(options.turns))}
    print(
        f"agenda, {figures.cases} cases (domain + card + page, median of {figures.rounds}): "
        f"named {figures.agenda_named_ms} ms ({figures.agenda_named_cpu_ms} ms CPU), "
        f"anonymised {figures.agenda_anonymised_ms} ms ({figures.agenda_anonymised_cpu_ms} ms CPU)"
    )
    print(
        f"reminders: {figures.reminders} queued in {figures.reminders_queue_ms} ms, delivered in "
        f"{figures.reminders_delivery_ms} ms ({figures.reminders_cpu_ms} ms CPU); 429s {figures.throttled}; "
        f"lost {figures.lost}; duplicated {figures.duplicated}"
    )
    print(f"turn CPU beside them: echo {turns['echo_cpu_ms']} ms per turn ({turns['turns']} turns, in-process)")
    if options.json:
        options.json.write_text(json.dumps({"forum": asdict(figures), "turns": turns}, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
