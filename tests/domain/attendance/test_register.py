"""Taking the register on the database (SQLite and PostgreSQL), on the manual clock: a whole
school day, corrections, days with no register, and who may take it."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from core.clock import ManualClock
from db.engine import Database
from domain.access import NotAllowed
from domain.attendance import notices
from domain.attendance.digest import build_digest
from domain.attendance.jobs import digest_job
from domain.attendance.model import AbsenceReason, ActionTaken, GivenBy, Mark, MarkKind, Session
from domain.attendance.service import RegisterError, mark_chased, record_register, unmarked_pupils
from domain.attendance.writes import history_of
from domain.audit import AuditEntry, read_audit
from domain.requester import Requester
from domain.scheduler import Scheduler
from tests.domain.attendance.conftest import World, move_to, queued, utc

MONDAY = date(2026, 11, 2)  # GMT: London time is UTC


async def audit_entries(database: Database) -> list[AuditEntry]:
    async with database.session() as session:
        return await read_audit(session)


async def test_a_whole_school_day(database: Database, clock: ManualClock, world: World) -> None:
    staff = Requester.in_teams(world.staff)
    move_to(clock, utc(2026, 11, 2, 9, 15))
    assert {p.id for p in await unmarked_pupils(database, MONDAY, Session.AM)} == {
        world.at_centre,
        world.at_ap,
        world.protected,
        world.other_school,
    }
    result = await record_register(
        database,
        staff,
        MONDAY,
        Session.AM,
        [
            Mark(world.at_centre, MarkKind.PRESENT),
            Mark(world.at_ap, MarkKind.LATE, at=time(9, 20)),
            Mark(world.protected, MarkKind.ABSENT),  # unexplained, with a child protection plan
        ],
        actions={world.protected: [ActionTaken.PARENT_PHONED]},
        clock=clock,
    )
    assert (result.added, result.actions) == (3, 1)
    assert [p.id for p in await unmarked_pupils(database, MONDAY, Session.AM)] == [world.other_school]
    # The unexplained absence of a pupil with a CP plan is alerted at once, to the DSL only.
    [alert] = await queued(database, notices.UNEXPLAINED_ABSENCE)
    assert alert.person_id == world.dsl_a.id and alert.status == "pending"
    assert alert.payload == {
        "pupil_id": world.protected,
        "school_id": world.school_a,
        "date": "2026-11-02",
        "session": "am",
    }

    # The digest at 10:00, to school A's DSL and attendance lead.
    scheduler = Scheduler(database, clock, [digest_job()])
    await scheduler.run_due()
    move_to(clock, utc(2026, 11, 2, 10, 0))
    assert await scheduler.run_due() == 1
    digests = await queued(database, notices.DIGEST)
    to_a = sorted(d.person_id for d in digests if d.payload["school_id"] == world.school_a)
    assert to_a == sorted([world.dsl_a.id, world.lead_a.id])
    assert digests[0].key.endswith(f"|attendance-digest:{world.school_a}:2026-11-02")

    digest = await build_digest(database, world.school_a, MONDAY)
    lines = {p.pupil_id: p for p in digest.pupils}
    assert lines[world.at_centre].sessions[0].suggested_code == "B"
    assert lines[world.at_ap].sessions[0].mark is MarkKind.LATE
    assert lines[world.at_ap].sessions[0].at == time(9, 20)
    assert lines[world.at_ap].sessions[0].suggested_code == "D"  # the provider is a registered school
    assert lines[world.at_ap].provider is not None
    assert lines[world.protected].sessions[0].suggested_code == "N"
    assert lines[world.protected].unexplained and lines[world.protected].actions == (ActionTaken.PARENT_PHONED,)
    assert (digest.counts.placed, digest.counts.present, digest.counts.late) == (3, 1, 1)
    assert digest.counts.absent_unexplained == 1
    assert [p.pupil_id for p in digest.open_chases] == [world.protected]

    # The attendance lead takes the absence on; the digest shows who.
    move_to(clock, utc(2026, 11, 2, 10, 20))
    chase = await mark_chased(database, Requester.in_teams(world.lead_a), world.protected, MONDAY, clock)
    assert chase.chased_by == world.lead_a.id
    again = await mark_chased(database, Requester.in_teams(world.dsl_a), world.protected, MONDAY, clock)
    assert again == chase  # the first to take it on is kept
    assert not (await build_digest(database, world.school_a, MONDAY)).open_chases

    # The afternoon: a pupil leaves the Centre at 13:40; the school hears at once.
    move_to(clock, utc(2026, 11, 2, 13, 45))
    await record_register(
        database, staff, MONDAY, Session.PM, [Mark(world.at_centre, MarkKind.LEFT_EARLY, at=time(13, 40))], clock=clock
    )
    left = await queued(database, notices.LEFT_PLACEMENT)
    assert sorted(n.person_id for n in left) == sorted([world.dsl_a.id, world.lead_a.id])
    assert left[0].payload["at"] == "13:40"


async def test_sending_again_corrects_the_mark_keeps_its_history_and_audits_the_codes(
    database: Database, clock: ManualClock, world: World
) -> None:
    staff = Requester.in_teams(world.staff)
    move_to(clock, utc(2026, 11, 2, 9, 15))
    await record_register(database, staff, MONDAY, Session.AM, [Mark(world.at_centre, MarkKind.ABSENT)], clock=clock)
    clock.advance(timedelta(minutes=20))
    corrected = Mark(world.at_centre, MarkKind.ABSENT, reason=AbsenceReason.ILLNESS, given_by=GivenBy.PARENT_PHONE)
    result = await record_register(database, staff, MONDAY, Session.AM, [corrected], clock=clock)
    assert (result.added, result.changed) == (0, 1)
    again = await record_register(database, staff, MONDAY, Session.AM, [corrected], clock=clock)
    assert again.unchanged == 1 and again.changed == 0
    async with database.session() as session:
        [before] = await history_of(session, world.at_centre, MONDAY, Session.AM)
    assert (before.mark, before.reason, before.version) == ("absent", None, 1)
    entries = [e for e in await audit_entries(database) if e.record_type == "attendance" and e.action == "changed"]
    assert len(entries) == 1
    assert entries[0].record_id == f"{world.at_centre}:2026-11-02:am"
    assert entries[0].detail == {"from_status": "absent", "to_status": "absent", "source": "teams"}
    assert entries[0].actor_id == world.staff.id


@pytest.mark.parametrize(
    ("day", "why"),
    [(date(2026, 11, 7), "Saturday"), (date(2026, 5, 4), "the early May bank holiday")],
)
async def test_no_register_on_a_day_that_is_not_a_school_day(
    database: Database, clock: ManualClock, world: World, day: date, why: str
) -> None:
    move_to(clock, utc(2026, 11, 9, 9, 0))
    with pytest.raises(RegisterError, match="not a school day"):
        await record_register(
            database,
            Requester.in_teams(world.staff),
            day,
            Session.AM,
            [Mark(world.at_centre, MarkKind.PRESENT)],
            clock=clock,
        )
    assert await queued(database) == []


async def test_only_partnership_staff_take_the_register_and_only_for_placed_pupils(
    database: Database, clock: ManualClock, world: World
) -> None:
    move_to(clock, utc(2026, 11, 2, 9, 15))
    with pytest.raises(NotAllowed):
        await record_register(
            database,
            Requester.in_teams(world.teacher_a),
            MONDAY,
            Session.AM,
            [Mark(world.at_centre, MarkKind.PRESENT)],
            clock=clock,
        )
    with pytest.raises(NotAllowed):
        await record_register(
            database,
            Requester.in_teams(world.staff),
            MONDAY,
            Session.AM,
            [Mark(world.not_placed, MarkKind.PRESENT)],
            clock=clock,
        )
    refused = [e for e in await audit_entries(database) if e.action == "refused"]
    assert len(refused) == 2
    with pytest.raises(NotAllowed):  # the school chases; the Partnership does not
        await mark_chased(database, Requester.in_teams(world.staff), world.at_centre, MONDAY, clock)
    with pytest.raises(NotAllowed):  # another school's DSL
        await mark_chased(database, Requester.in_teams(world.dsl_b), world.at_centre, MONDAY, clock)
