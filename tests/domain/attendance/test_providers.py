"""Providers' registers: a CSV file applied all or nothing and once, limited to the pupils
placed with that provider; API keys shown once, stored hashed, checked, revoked."""

from __future__ import annotations

from sqlalchemy import func, select

from core.clock import ManualClock
from db.engine import Database
from db.models.attendance import AttendanceMarkRow, ProviderApiKey
from domain.access import NotAllowed
from domain.attendance.provider_files import import_provider_csv
from domain.attendance.providers import issue_key, revoke_key, verify_key
from domain.requester import Requester
from tests.domain.attendance.conftest import World, move_to, utc
from tests.fixtures.directory_rows import upn

AT_AP = upn("855410124002")
AT_CENTRE = upn("855410124001")
GOOD = (
    "upn,date,session,mark,time,reason,given_by\n"
    f"{AT_AP},2026-11-02,am,late,09:20,,\n"
    f"{AT_AP},02/11/2026,pm,absent,,illness,parent_phone\n"
)


async def marks(database: Database) -> int:
    async with database.session() as session:
        return int(await session.scalar(select(func.count()).select_from(AttendanceMarkRow)) or 0)


async def test_a_provider_file_sent_twice_is_applied_once(database: Database, clock: ManualClock, world: World) -> None:
    move_to(clock, utc(2026, 11, 2, 16, 0))
    operator = Requester.at_command_line()
    first = await import_provider_csv(database, operator, world.provider, GOOD, clock=clock)
    assert first.accepted and (first.added, first.changed) == (2, 0)
    second = await import_provider_csv(
        database, Requester.system(), world.provider, GOOD, source="provider_api", clock=clock
    )
    assert second.accepted and second.already_imported
    assert second.lines() == ["register file already imported: nothing changed"]
    assert await marks(database) == 2


async def test_a_bad_row_rejects_the_whole_file_with_a_report(
    database: Database, clock: ManualClock, world: World
) -> None:
    move_to(clock, utc(2026, 11, 2, 16, 0))
    bad = (
        GOOD
        + f"{AT_CENTRE},2026-11-02,am,present,,,\n{AT_AP},2026-11-03,am,late,,,\n{AT_AP},2026-11-07,xx,gone,25:00,,\n"
    )
    report = await import_provider_csv(database, Requester.at_command_line(), world.provider, bad, clock=clock)
    assert not report.accepted
    text = "\n".join(report.lines())
    assert "row 4, upn: not a pupil placed with this provider" in text  # the Centre pupil is not theirs
    assert "row 5, mark: a late mark needs a time" in text
    assert "row 5, date: a day still to come" in text
    assert "row 6, session: use am or pm" in text and "row 6, time: not a time" in text
    assert AT_CENTRE not in text and "Sam" not in text  # never the pupil's details
    assert await marks(database) == 0


async def test_api_keys_are_shown_once_stored_hashed_and_checked(
    database: Database, clock: ManualClock, world: World
) -> None:
    operator = Requester.at_command_line()
    issued = await issue_key(database, operator, world.provider, clock=clock)
    assert await verify_key(database, issued.secret) == world.provider
    async with database.session() as session:
        [row] = await session.scalars(select(ProviderApiKey))
    assert issued.secret.split("_", 2)[2] not in (row.secret_hash, row.key_id)
    wrong = issued.secret[:-1] + ("A" if issued.secret[-1] != "A" else "B")
    assert await verify_key(database, wrong) is None
    assert await verify_key(database, "lncip_nosuchkey_secret") is None
    assert await verify_key(database, "not a key") is None
    assert await revoke_key(database, operator, issued.key_id, clock=clock)
    assert await verify_key(database, issued.secret) is None


async def test_only_admin_or_the_director_manage_keys(database: Database, clock: ManualClock, world: World) -> None:
    try:
        await issue_key(database, Requester.in_teams(world.staff), world.provider, clock=clock)
    except NotAllowed:
        pass
    else:
        raise AssertionError("Partnership staff must not issue keys")
    assert (await issue_key(database, Requester.in_teams(world.admin), world.provider, clock=clock)).secret
