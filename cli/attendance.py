"""The attendance commands of `python -m cli`: providers' register files and API keys.

    attendance import --provider ID FILE      apply a provider's register CSV all or nothing, once
                                              (columns: domain/attendance/provider_files.py)
    provider add NAME [--registered-school]   add an alternative provider (prints its id)
    provider place --provider ID --upn UPN    place a pupil with a provider (its files may report them)
    provider-key issue --provider ID          a new API key, shown once (only its hash is stored)
    provider-key revoke KEY_ID                revoke a key (KEY_ID: the part after `lncip_`)

Each runs as the operator at the command line (audited as such).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from db.engine import Database
from domain.access import NotAllowed
from domain.attendance.provider_files import import_provider_csv
from domain.attendance.providers import ProviderError, add_provider, issue_key, place_pupil, revoke_key
from domain.directory.queries import get_pupil_by_upn
from domain.requester import Requester

COMMANDS = ("attendance", "provider", "provider-key")


def add_parsers(commands: argparse._SubParsersAction[Any]) -> None:
    attendance = commands.add_parser("attendance", help="providers' register files")
    verbs = attendance.add_subparsers(dest="verb", required=True, metavar="verb")
    load = verbs.add_parser("import", help="apply a provider's register CSV all or nothing")
    load.add_argument("--provider", type=int, required=True, help="the provider's id")
    load.add_argument("file", help="the CSV file")
    provider = commands.add_parser("provider", help="alternative providers")
    verbs = provider.add_subparsers(dest="verb", required=True, metavar="verb")
    add = verbs.add_parser("add", help="add a provider")
    add.add_argument("name")
    add.add_argument("--registered-school", action="store_true", help="the provider is a registered school (code D)")
    place = verbs.add_parser("place", help="place a pupil with a provider")
    place.add_argument("--provider", type=int, required=True)
    place.add_argument("--upn", required=True)
    key = commands.add_parser("provider-key", help="providers' API keys")
    verbs = key.add_subparsers(dest="verb", required=True, metavar="verb")
    issue = verbs.add_parser("issue", help="issue a new key, shown once")
    issue.add_argument("--provider", type=int, required=True)
    revoke = verbs.add_parser("revoke", help="revoke a key")
    revoke.add_argument("key_id", help="the key's id: the part between `lncip_` and the next `_`")


async def run(database: Database, arguments: argparse.Namespace) -> int:
    operator = Requester.at_command_line()
    try:
        if arguments.command == "attendance":
            data = Path(arguments.file).read_bytes()
            report = await import_provider_csv(database, operator, arguments.provider, data)
            print("\n".join(report.lines()), file=sys.stdout if report.accepted else sys.stderr)
            return 0 if report.accepted else 1
        if arguments.command == "provider" and arguments.verb == "add":
            added = await add_provider(
                database, operator, arguments.name, registered_school=arguments.registered_school
            )
            print(f"provider {added.id}: {added.name}")
            return 0
        if arguments.command == "provider":
            pupil = await get_pupil_by_upn(database, arguments.upn)
            if pupil is None:
                print("provider place: no pupil has that UPN", file=sys.stderr)
                return 1
            placed = await place_pupil(database, operator, arguments.provider, pupil.id)
            print(f"pupil {pupil.id} placed with provider {arguments.provider}" if placed else "already placed")
            return 0
        if arguments.verb == "issue":
            issued = await issue_key(database, operator, arguments.provider)
            print(f"API key for provider {issued.provider_id} (shown once, keep it safe): {issued.secret}")
            print(f"Its id, to revoke it: {issued.key_id}")
            return 0
        revoked = await revoke_key(database, operator, arguments.key_id)
        print(f"key {arguments.key_id} revoked" if revoked else f"key {arguments.key_id} was already revoked")
        return 0
    except (ProviderError, ValueError) as error:
        print(f"{arguments.command}: {error}", file=sys.stderr)
        return 1
    except NotAllowed as refusal:
        print(f"{arguments.command}: refused: {refusal.decision.reason}", file=sys.stderr)
        return 1
