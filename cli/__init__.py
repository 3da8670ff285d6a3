"""Command line for the LNCIP assistant's data: `python -m cli <command>`.

    migrate                                   bring the database to the newest schema
    import {schools,people,pupils} FILE       check a CSV file, then apply all of it or none
    import term-dates FILE                    replace the school calendar (see domain/school_calendar/service.py)
    import meetings FILE                      add a term's forum and Core Group dates (see domain/forum/meetings.py)
    export {schools,people,pupils} FILE       write the directory as CSV ("-" for stdout)
    demo-data                                 load the fictional demo partnership (idempotent)
    erase-pupil --upn UPN --actor-email E --reason CODE [--yes]
                                              erase a pupil's personal data and the notices
                                              about them, as the person E (the Partnership
                                              Director) after asking to confirm; audited with
                                              the command line and your operating-system user
    retention-report                          pupils past RETENTION_DAYS, for erase-pupil
    attendance import --provider ID FILE      a provider's register CSV; `provider add|place` and
    provider-key issue|revoke                 the providers' API keys: see cli/attendance.py
    grant-bot-role ROLE                       PostgreSQL: grant ROLE exactly the bot's rights
                                              (see db/bot_role.py)

`python -m cli.evaluate_qa FILE` scores the Q&A on a file of staff questions.

The database is DATABASE_URL (else the SQLite file under DATA_DIR); every command first
migrates it (as MIGRATION_DATABASE_URL's role when that is set). Exit status: 0 done, 1 refused
(a rejected file, a refused or unconfirmed erasure), 2 bad arguments or settings (one line on
stderr).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn, cast

from sqlalchemy.engine import make_url

from cli import attendance
from core.clock import SystemClock
from core.settings import Settings, load_for_command
from db.bot_role import BotRoleError
from db.engine import Database
from db.migrate import migrate, upgrade_to_head
from domain.access import NotAllowed
from domain.attendance.demo import load_demo_registers
from domain.demo_data import (
    DEMO_USER_ENV,
    PLAYGROUND_USER_AAD_ID,
    load_demo_concerns,
    load_demo_data,
    load_demo_referrals,
    load_demo_term_dates,
)
from domain.directory.csv_files import KINDS, ImportReport, Kind
from domain.directory.queries import get_person_by_email, get_pupil_by_upn, list_schools
from domain.directory.service import erase_pupil, export_directory, import_directory
from domain.erasure import ErasureReason, ErasureRefused, pupils_past_retention
from domain.forum.demo import load_demo_forum
from domain.forum.meetings import MeetingsReport, import_meetings
from domain.requester import Requester
from domain.school_calendar.service import TermDatesReport, import_term_dates

TERM_DATES = "term-dates"
MEETINGS = "meetings"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m cli", description="LNCIP assistant data commands.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="command", parser_class=_Parser)
    commands.add_parser("migrate", help="bring the database to the newest schema")
    for verb, text in (("import", "check a CSV file and apply all of it or none"), ("export", "write CSV")):
        sub = commands.add_parser(verb, help=text)
        sub.add_argument("kind", choices=(*KINDS, TERM_DATES, MEETINGS) if verb == "import" else KINDS)
        sub.add_argument("file", help="the CSV file" + (' ("-" for standard output)' if verb == "export" else ""))
    commands.add_parser("demo-data", help="load the fictional demo partnership")
    erase = commands.add_parser("erase-pupil", help="erase a pupil's personal data")
    erase.add_argument("--upn", required=True)
    erase.add_argument("--actor-email", required=True, help="the Partnership Director doing this")
    erase.add_argument("--reason", required=True, choices=[r.value for r in ErasureReason])
    erase.add_argument("--yes", action="store_true", help="erase without asking to confirm")
    commands.add_parser("retention-report", help="pupils past the retention period")
    grant = commands.add_parser("grant-bot-role", help="PostgreSQL: grant a role exactly the bot's rights")
    grant.add_argument("role", help="the role DATABASE_URL connects as (not the tables' owner)")
    attendance.add_parsers(commands)
    return parser


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 1


async def _import(database: Database, kind: str, file: str) -> int:
    data = Path(file).read_bytes()
    report: ImportReport | TermDatesReport | MeetingsReport
    if kind == TERM_DATES:
        report = await import_term_dates(database, Requester.at_command_line(), data)
    elif kind == MEETINGS:
        report = await import_meetings(database, Requester.at_command_line(), data)
    else:
        report = await import_directory(database, Requester.at_command_line(), cast(Kind, kind), data)
    print("\n".join(report.lines()), file=sys.stdout if report.accepted else sys.stderr)
    return 0 if report.accepted else 1


async def _export(database: Database, kind: Kind, file: str) -> int:
    text = await export_directory(database, Requester.at_command_line(), kind)
    if file == "-":
        sys.stdout.write(text.removeprefix("\ufeff"))
    else:
        Path(file).write_text(text, encoding="utf-8", newline="")
        print(f"{kind}: written to {file}")
    return 0


async def _demo(database: Database, settings: Settings) -> int:
    aad = settings.demo_user_aad_id or PLAYGROUND_USER_AAD_ID
    reports = await load_demo_data(database, today=SystemClock().now().date(), demo_user_aad_id=aad)
    for report in reports.values():
        print("\n".join(report.lines()))
    calendar = await load_demo_term_dates(database)
    print("\n".join(calendar.lines()))
    print(f"safeguarding concerns: {await load_demo_concerns(database)} added")
    if all(r.accepted for r in reports.values()):
        made = await load_demo_referrals(database, today=SystemClock().now().date())
        print(f"referrals: {made} demo referrals added" if made else "referrals: already there, none added")
        meetings = await load_demo_forum(database, now=SystemClock().now())
        print(f"forum: {meetings} demo forum and Core Group dates added" if meetings else "forum: dates already there")
    marks = await load_demo_registers(database, now=SystemClock().now())
    print(f"registers: {marks} demo marks added")
    print(f"Demo Partnership admin: Entra object id {aad} ({DEMO_USER_ENV} to change).")
    return 0 if calendar.accepted and all(r.accepted for r in reports.values()) else 1


async def _erase(database: Database, upn: str, actor_email: str, reason: str, confirmed: bool) -> int:
    pupil = await get_pupil_by_upn(database, upn)
    if pupil is None:
        return _fail("erase-pupil: no pupil has that UPN")
    if not confirmed:
        if not sys.stdin.isatty():
            return _fail("erase-pupil: not erased: no terminal to confirm on (add --yes to erase without asking)")
        answer = input(f"Erase pupil {pupil.id} (year {pupil.year_group}) for good, as {actor_email}? Type yes: ")
        if answer.strip().lower() != "yes":
            return _fail("erase-pupil: not erased")
    actor = await get_person_by_email(database, actor_email)
    # An unknown or inactive e-mail names nobody: the operator alone may not erase, and that
    # refusal is audited like any other (with the operating-system user).
    requester = Requester.at_command_line(actor if actor is not None and actor.active else None)
    try:
        erased = await erase_pupil(database, requester, upn, reason)
    except NotAllowed as refusal:
        named = "" if requester.person else f" (no active person has the e-mail {actor_email})"
        return _fail(f"erase-pupil: refused: {refusal.decision.reason}{named}")
    except ErasureRefused as refusal:
        return _fail(f"erase-pupil: refused: {refusal}")
    print(f"Pupil {erased.id} erased; the record remains as an anonymous tombstone.")
    return 0


async def _grant(settings: Settings, role: str) -> int:
    if make_url(settings.migration_url).get_backend_name() != "postgresql":
        return _fail("grant-bot-role: roles are for PostgreSQL; DATABASE_URL is SQLite")
    try:
        await upgrade_to_head(settings.migration_url, grant_to=role)
    except BotRoleError as error:
        return _fail(f"grant-bot-role: {error}")
    print(f"Role {role} may now do what the bot needs, and no more (db/bot_role.py).")
    return 0


async def _retention(database: Database, settings: Settings) -> int:
    now = SystemClock().now()
    due = await pupils_past_retention(database, now, settings.retention_days)
    print(f"Pupils who left provision more than {settings.retention_days} days ago: {len(due)}")
    school_names = {school.id: school.name for school in await list_schools(database)} if due else {}
    for pupil in due:
        school_name = school_names.get(pupil.school_id, "")
        print(f"  {pupil.upn}  left {pupil.left_provision_on}  year {pupil.year_group}  {school_name}")
    if due:
        print("Erase each with: python -m cli erase-pupil --upn UPN --actor-email E --reason retention_period_ended")
    return 0


async def run(arguments: argparse.Namespace, settings: Settings) -> int:
    migrated = await migrate(settings)
    if arguments.command == "migrate":
        print(migrated)
        return 0
    if arguments.command == "grant-bot-role":
        return await _grant(settings, arguments.role)
    database = Database(settings.effective_database_url)
    try:
        if arguments.command == "import":
            return await _import(database, arguments.kind, arguments.file)
        if arguments.command == "export":
            return await _export(database, arguments.kind, arguments.file)
        if arguments.command == "demo-data":
            return await _demo(database, settings)
        if arguments.command in attendance.COMMANDS:
            return await attendance.run(database, arguments)
        if arguments.command == "erase-pupil":
            return await _erase(database, arguments.upn, arguments.actor_email, arguments.reason, arguments.yes)
        return await _retention(database, settings)
    finally:
        await database.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    arguments = parser.parse_args(argv)
    if arguments.command in ("import", "attendance") and not Path(arguments.file).is_file():
        parser.error(f"no such file: {arguments.file}")
    settings = load_for_command(parser.prog)
    if settings is None:
        return 2
    return asyncio.run(run(arguments, settings))
