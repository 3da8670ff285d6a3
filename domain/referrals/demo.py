"""Demo referrals: one in every state across the demo schools, made through the services as the
demo people themselves (a `system` request naming the person, so each step is audited as the
demo loader's), so a new user sees a live queue at once:

- Charnwood Vale Academy (the Playground's SENCO, Adele Vance): a draft, a submitted referral,
  an anonymous forum case, and two pupils discussed at the Inclusion Forum with no referral yet
  (a Referral to the Partnership for either is not held back by "forum first");
- Outwoods Edge: received, information requested; Soar Meadows: information given, listed for
  the Core Group; Shepshed Ridge: decided (the Coordinator's task open), closed; Mountsorrel
  Brook: withdrawn.

Idempotent: nothing is added when any referral exists. The story starts four weeks before
`today` on a manual clock, so dates look lived in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select

from core.clock import ManualClock
from db.engine import Database
from db.models.referrals import Referral as ReferralRow
from domain.directory.model import PersonRecord, PupilRecord
from domain.directory.queries import get_school_by_urn, list_people, pupils_for_school
from domain.referrals import casework, service
from domain.referrals.fields import IDENTIFYING, PARTNERSHIP_REFERRAL_ONLY
from domain.referrals.model import Outcome, Referral, ReferralKind, ReferralStatus
from domain.requester import Requester, Via
from domain.roles import Role

S = ReferralStatus
# (school URN, the state to reach), in the order they are made.
PLAN: tuple[tuple[str, ReferralStatus], ...] = (
    ("990102", S.RECEIVED),
    ("990102", S.INFORMATION_REQUESTED),
    ("990103", S.INFORMATION_GIVEN),
    ("990103", S.LISTED_FOR_CORE_GROUP),
    ("990104", S.DECIDED),
    ("990104", S.CLOSED),
    ("990105", S.WITHDRAWN),
    ("990101", S.SUBMITTED),
    ("990101", S.DRAFT),
)


def demo_values(today: date, **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "gender": "prefer_not_to_say",
        "pupil_premium": "yes",
        "looked_after": "no",
        "sen_status": "sen_support",
        "primary_need": "semh",
        "attendance_percent": 71.5,
        "attendance_last_year_percent": 84,
        "part_time_timetable": "no",
        "suspensions_count": 2,
        "suspension_days": 3,
        "permanent_exclusion_before": "no",
        "reason": "Risk of permanent exclusion after repeated incidents this term (demo).",
        "behaviour": "Leaves lessons without permission; responds well to one trusted adult (demo).",
        "semh_needs": "Anxiety and low mood, seen by the school counsellor (demo).",
        "child_protection_plan": "no",
        "child_in_need": "no",
        "early_help": "yes",
        "agencies": "School nurse; Early Help worker (demo).",
        "known_risks": "Has left the site twice when upset (demo).",
        "interventions": [
            {
                "what": "Mentoring twice a week with the pastoral lead",
                "started_on": (today - timedelta(days=120)).isoformat(),
                "ended_on": (today - timedelta(days=40)).isoformat(),
                "review": "Reviewed with the family at half term (demo).",
                "impact": "Fewer removals from lessons; attendance unchanged (demo).",
            }
        ],
        "requested_support": "in_school_support",
        "parental_consent": "yes",
        "consent_given_by": "Parent (demo)",
        "consent_date": (today - timedelta(days=35)).isoformat(),
        "parent_carer": "A parent with parental responsibility, 07700 900000 (demo)",
        "parent_views": "Want help to keep their child in school (demo).",
        "pupil_voice": "I want to stay with my friends (demo).",
        "senior_leader_agreement": "The deputy headteacher (demo)",
    }
    values.update(changes)
    return values


async def load_demo_referrals(database: Database, *, today: date) -> int:
    """Add the demo referrals (if there are none yet); returns how many were made."""
    async with database.session() as session:
        if await session.scalar(select(func.count()).select_from(ReferralRow)):
            return 0
    clock = ManualClock(datetime.combine(today - timedelta(days=28), time(9, 0), tzinfo=UTC))
    partnership: dict[Role, PersonRecord] = {}
    for role in (Role.PARTNERSHIP_SENCO, Role.PARTNERSHIP_DIRECTOR, Role.COORDINATOR):
        people = await list_people(database, role=role, partnership=True)
        if not people:
            return 0
        partnership[role] = people[0]
    lead = _as(partnership[Role.PARTNERSHIP_SENCO])
    director = _as(partnership[Role.PARTNERSHIP_DIRECTOR])
    coordinator = _as(partnership[Role.COORDINATOR])
    used: set[int] = set()
    made = 0
    for urn, status in PLAN:
        senco, pupil = await _senco_and_pupil(database, urn, used)
        if senco is None or pupil is None:
            continue
        clock.advance(timedelta(days=2, hours=3))
        await casework.record_forum_discussion(
            database, lead, pupil.id, clock.now().date() - timedelta(days=21), clock=clock
        )
        referral = await service.start_draft(
            database, senco, ReferralKind.PARTNERSHIP_REFERRAL, pupil_id=pupil.id, clock=clock
        )
        await service.set_fields(database, senco, referral.id, demo_values(today), clock=clock)
        made += 1
        if status is not S.DRAFT:
            await _walk(database, referral, status, senco, lead, director, coordinator, clock)
    made += await _anonymous_case(database, today, clock)
    await _discussed_at_the_forum(database, "990101", used, lead, clock)
    return made


def _as(person: PersonRecord) -> Requester:
    return Requester(person, Via.SYSTEM)


async def _senco_and_pupil(database: Database, urn: str, used: set[int]) -> tuple[Requester | None, PupilRecord | None]:
    school = await get_school_by_urn(database, urn)
    if school is None:
        return None, None
    sencos = await list_people(database, school.id, Role.SENCO)
    pupils = sorted(
        (p for p in await pupils_for_school(database, school.id) if p.id not in used and p.left_provision_on is None),
        key=lambda p: (p.provision not in ("none", "in_school_support"), p.id),
    )
    if not sencos or not pupils:
        return None, None
    used.add(pupils[0].id)
    return _as(sencos[0]), pupils[0]


async def _walk(
    database: Database,
    referral: Referral,
    goal: ReferralStatus,
    senco: Requester,
    lead: Requester,
    director: Requester,
    coordinator: Requester,
    clock: ManualClock,
) -> None:
    """Take a complete draft along the usual path until it reaches `goal`."""
    rid = referral.id
    steps: list[tuple[ReferralStatus, Callable[[], Awaitable[object]]]] = [
        (S.SUBMITTED, lambda: service.submit(database, senco, rid, clock=clock)),
        (S.RECEIVED, lambda: casework.receive(database, lead, rid, clock=clock)),
        (
            S.INFORMATION_REQUESTED,
            lambda: casework.request_information(
                database, lead, rid, "Please send the latest attendance print-out.", clock=clock
            ),
        ),
        (
            S.INFORMATION_GIVEN,
            lambda: casework.give_information(database, senco, rid, "Sent by e-mail today (demo).", clock=clock),
        ),
        (
            S.LISTED_FOR_CORE_GROUP,
            lambda: casework.list_for_core_group(database, lead, rid, _fortnight(clock), clock=clock),
        ),
    ]
    if goal is S.WITHDRAWN:
        steps = steps[:2] + [(S.WITHDRAWN, lambda: casework.withdraw(database, senco, rid, clock=clock))]
    for status, step in steps:
        clock.advance(timedelta(hours=20))
        await step()
        if status is goal:
            return
    clock.advance(timedelta(days=1))
    outcome = Outcome.IN_SCHOOL_SUPPORT if goal is S.DECIDED else Outcome.SCHOOL_CONTINUES_WITH_ADVICE
    decision = await casework.decide(database, director, rid, outcome, clock=clock)
    if goal is S.CLOSED:
        clock.advance(timedelta(days=1))
        await casework.complete_task(database, coordinator, decision.task_id, clock=clock)


def _fortnight(clock: ManualClock) -> date:
    return clock.now().date() + timedelta(days=14)


async def _discussed_at_the_forum(
    database: Database, urn: str, used: set[int], lead: Requester, clock: ManualClock, count: int = 2
) -> None:
    """Pupils of the school discussed at the Inclusion Forum, with no referral yet."""
    for _ in range(count):
        _, pupil = await _senco_and_pupil(database, urn, used)
        if pupil is None:
            return
        on = clock.now().date() - timedelta(days=7)
        await casework.record_forum_discussion(database, lead, pupil.id, on, clock=clock)


async def _anonymous_case(database: Database, today: date, clock: ManualClock) -> int:
    """An anonymous forum case from Charnwood Vale: parents have not consented."""
    senco, _ = await _senco_and_pupil(database, "990101", set())
    if senco is None:
        return 0
    draft = await service.start_draft(database, senco, ReferralKind.FORUM_CASE, anonymous=True, clock=clock)
    values = demo_values(today, year_group=8, parental_consent="no", requested_support=None)
    for field in (*PARTNERSHIP_REFERRAL_ONLY, *IDENTIFYING, "consent_date"):
        values.pop(field, None)
    await service.set_fields(database, senco, draft.id, values, clock=clock)
    await service.submit(database, senco, draft.id, clock=clock)
    return 1
