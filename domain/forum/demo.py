"""Demo forum dates: this term's Inclusion Forums (three, about monthly, on Thursday mornings)
and Core Groups (two, Thursday afternoons), the first a week or two after the day the demo data
is loaded (so its booking deadline is still ahead whatever day that is), made as the demo
Partnership SENCO through `meetings.create_meeting`; the demo anonymous forum case (Charnwood
Vale) and a named case from Outwoods Edge booked on the first forum; and a named Charnwood Vale
forum case sent but not yet booked, so the demo SENCO (Adele Vance) can book at once.

Idempotent: nothing is added when any meeting exists.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from core.clock import ManualClock
from db.engine import Database
from db.models.directory import Pupil as PupilRow
from db.models.forum import ForumMeeting
from db.models.referrals import Referral as ReferralRow
from domain.directory.queries import get_person, get_school_by_urn, list_people
from domain.forum import meetings, service
from domain.forum.model import MeetingKind, Sharing
from domain.referrals import service as referrals
from domain.referrals.demo import demo_values
from domain.referrals.fields import PARTNERSHIP_REFERRAL_ONLY
from domain.referrals.model import ReferralKind
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
    thursday = today + timedelta(days=7 + (3 - today.weekday()) % 7)  # 7 to 13 days ahead
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
    # The demo referrals' story may run past today: these cases come after it, so the oldest
    # case waiting in the Partnership's queue is still the demo referrals' own.
    async with database.session() as session:
        latest = await session.scalar(select(func.max(ReferralRow.status_since)))
    cases_clock = ManualClock(max(now, (latest or now) + timedelta(hours=1)))
    outwoods = await _named_case(database, "990102", today, cases_clock)
    if outwoods is not None:
        senco, referral_id = outwoods
        question = "What else could we try for a Year 9 pupil whose mentoring has stopped working (demo)?"
        await service.book_case(
            database, senco, made[0].id, referral_id, sharing=Sharing.PARTNERSHIP_ONLY, question=question, clock=clock
        )
    await _named_case(database, "990101", today, cases_clock)  # sent, not booked: for the demo SENCO to book
    return len(made)


async def _named_case(database: Database, urn: str, today: date, clock: ManualClock) -> tuple[Requester, int] | None:
    """A named forum case (the parents consented) from the school's SENCO, for a pupil with no
    referral yet; sent. The SENCO and the case's id, or None if the school has no such pupil."""
    school = await get_school_by_urn(database, urn)
    sencos = await list_people(database, school.id, Role.SENCO) if school else []
    if school is None or not sencos:
        return None
    async with database.session() as session:
        referred = select(ReferralRow.pupil_id).where(ReferralRow.pupil_id.is_not(None))
        pupil_id = await session.scalar(
            select(PupilRow.id)
            .where(
                PupilRow.school_id == school.id,
                PupilRow.erased_at.is_(None),
                PupilRow.left_provision_on.is_(None),
                PupilRow.id.not_in(referred),
            )
            .order_by(PupilRow.id.desc())
            .limit(1)
        )
    if pupil_id is None:
        return None
    senco = Requester(sencos[0], Via.SYSTEM)
    draft = await referrals.start_draft(database, senco, ReferralKind.FORUM_CASE, pupil_id=pupil_id, clock=clock)
    values = demo_values(today)
    for name in PARTNERSHIP_REFERRAL_ONLY:
        values.pop(name, None)
    result = await referrals.set_fields(database, senco, draft.id, values, clock=clock)
    if result.problems:
        return None
    await referrals.submit(database, senco, draft.id, clock=clock)
    return senco, draft.id


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
