"""Demo forum dates: this term's Inclusion Forums (three, about monthly, on Thursday mornings)
and Core Groups (two, Thursday afternoons) from the first Thursday at least `FIRST_AFTER` days
ahead (so the first forum is still open for booking whatever day the demo is loaded), made as
the demo Partnership SENCO through `meetings.create_meeting`; on the first forum, the demo
anonymous forum case (Charnwood Vale) and a named one (Outwoods Edge, named to the Partnership
only) are booked, so a new user sees dates with free slots and can book at once, and the
Partnership sees an agenda with cases to record advice on.

Idempotent: nothing is added when any meeting exists.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import func, select

from core.clock import ManualClock
from db.engine import Database
from db.models.forum import ForumMeeting
from db.models.referrals import Referral as ReferralRow
from domain.directory.queries import get_person, get_school_by_urn, list_people, pupils_for_school
from domain.forum import meetings, service
from domain.forum.model import MeetingKind, Sharing
from domain.referrals import casework
from domain.referrals import service as referrals
from domain.referrals.demo import demo_values
from domain.referrals.model import ReferralKind
from domain.requester import Requester, Via
from domain.roles import Role
from domain.scheduler.schedules import LONDON

LINK = "https://teams.microsoft.com/l/meetup-join/demo-lncip-forum"
FORUM_WEEKS = (1, 5, 9)
CORE_GROUP_WEEKS = (2, 6)
DEADLINE_DAYS_BEFORE = 3
FIRST_AFTER = DEADLINE_DAYS_BEFORE + 1  # days: the first forum's deadline is tomorrow at the soonest


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
    thursday = today + timedelta(days=(3 - today.weekday()) % 7)
    if (thursday - today).days < FIRST_AFTER:
        thursday += timedelta(weeks=1)
    made = []
    for kind, weeks, start, end in (
        (MeetingKind.FORUM, FORUM_WEEKS, time(9, 30), time(11, 30)),
        (MeetingKind.CORE_GROUP, CORE_GROUP_WEEKS, time(13, 30), time(15, 30)),
    ):
        for week in weeks:
            day = thursday + timedelta(weeks=week - 1)
            deadline = day - timedelta(days=DEADLINE_DAYS_BEFORE)
            plan = meetings.MeetingPlan(kind, day, start, end, LINK, 8, deadline)
            made.append(await meetings.create_meeting(database, lead, plan, clock=clock))
    await _book_the_anonymous_case(database, made[0].id, clock)
    await _book_a_named_case(database, made[0].id, lead, clock)
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


async def _book_a_named_case(database: Database, meeting_id: int, lead: Requester, clock: ManualClock) -> None:
    """A forum case from Outwoods Edge about a pupil with no referral yet, the parents having
    consented to the Partnership knowing who the pupil is, booked as its SENCO. The Partnership
    has received it, so the referral queue's oldest case waiting to be received stays a
    referral demo's (the referral demo's story clock runs past today)."""
    school = await get_school_by_urn(database, "990102")
    sencos = await list_people(database, school.id, Role.SENCO) if school is not None else []
    if school is None or not sencos:
        return
    async with database.session() as session:
        referred = set(await session.scalars(select(ReferralRow.pupil_id).where(ReferralRow.pupil_id.is_not(None))))
    pupils = [p for p in await pupils_for_school(database, school.id) if p.id not in referred and p.year_group >= 7]
    if not pupils:
        return
    senco = Requester(sencos[0], Via.SYSTEM)
    today = clock.now().astimezone(LONDON).date()
    draft = await referrals.start_draft(database, senco, ReferralKind.FORUM_CASE, pupil_id=pupils[0].id, clock=clock)
    values = demo_values(today, requested_support=None)
    for name in ("gender", "pupil_premium", "attendance_last_year_percent", "parent_views", "pupil_voice"):
        values.pop(name)
    await referrals.set_fields(database, senco, draft.id, values, clock=clock)
    await referrals.submit(database, senco, draft.id, clock=clock)
    await casework.receive(database, lead, draft.id, clock=clock)
    await service.book_case(
        database,
        senco,
        meeting_id,
        draft.id,
        sharing=Sharing.PARTNERSHIP_ONLY,
        question="What else could we try before a Referral to the Partnership (demo)?",
        clock=clock,
    )
