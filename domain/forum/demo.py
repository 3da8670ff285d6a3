"""Demo forum dates: this term's Inclusion Forums (three, about monthly, on Thursday mornings)
and Core Groups (two, Thursday afternoons) from next week, made as the demo Partnership SENCO
through `meetings.create_meeting`, and the demo anonymous forum case (Charnwood Vale) booked on
the first forum, so a new user sees dates with free slots and can book at once.

Idempotent: nothing is added when any meeting exists.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import func, select

from core.clock import ManualClock
from db.engine import Database
from db.models.forum import ForumMeeting
from db.models.referrals import Referral as ReferralRow
from domain.directory.queries import get_person, list_people
from domain.forum import meetings, service
from domain.forum.model import MeetingKind, Sharing
from domain.requester import Requester, Via
from domain.roles import Role
from domain.scheduler.schedules import LONDON

LINK = "https://teams.microsoft.com/l/meetup-join/demo-lncip-forum"
FORUM_WEEKS = (1, 5, 9)
CORE_GROUP_WEEKS = (2, 6)


async def load_demo_forum(database: Database, *, now: datetime) -> int:
    """Add the demo meetings and a booking (if there are no meetings yet); returns how many
    meetings were made."""
    async with database.session() as session:
        if await session.scalar(select(func.count()).select_from(ForumMeeting)):
            return 0
    leads = await list_people(database, role=Role.PARTNERSHIP_SENCO, partnership=True)
    if not leads:
        return 0
    lead = Requester(leads[0], Via.SYSTEM)
    clock = ManualClock(now)
    today = now.astimezone(LONDON).date()
    thursday = today + timedelta(days=(3 - today.weekday()) % 7 or 7)
    made = []
    for kind, weeks, start, end in (
        (MeetingKind.FORUM, FORUM_WEEKS, time(9, 30), time(11, 30)),
        (MeetingKind.CORE_GROUP, CORE_GROUP_WEEKS, time(13, 30), time(15, 30)),
    ):
        for week in weeks:
            day = thursday + timedelta(weeks=week - 1)
            plan = meetings.MeetingPlan(kind, day, start, end, LINK, 8, day - timedelta(days=3))
            made.append(await meetings.create_meeting(database, lead, plan, clock=clock))
    await _book_the_anonymous_case(database, made[0].id, clock)
    return len(made)


async def _book_the_anonymous_case(database: Database, meeting_id: int, clock: ManualClock) -> None:
    async with database.session() as session:
        row = await session.scalar(
            select(ReferralRow).where(ReferralRow.anonymous.is_(True), ReferralRow.status != "draft").limit(1)
        )
        referrer_id = row.referrer_id if row is not None else None
        referral_id = row.id if row is not None else None
    referrer = await get_person(database, referrer_id) if referrer_id is not None else None
    if referrer is None or referral_id is None:
        return
    await service.book_case(
        database,
        Requester(referrer, Via.SYSTEM),
        meeting_id,
        referral_id,
        sharing=Sharing.ANONYMOUS,
        question="How can we help a Year 8 pupil who refuses to come into lessons after break (demo)?",
        clock=clock,
    )
