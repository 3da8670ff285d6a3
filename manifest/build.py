"""Build the Teams app package (manifest.json, color.png, outline.png) as a zip.

Run ``python -m manifest.build [--out PATH] [--app-id GUID]``. Settings come
from the environment at build time:

- ``MicrosoftAppId`` (required): the bot's Azure app id, a GUID; ``--app-id``
  overrides it.
- ``APP_ID``: the Teams app id, a GUID; defaults to ``MicrosoftAppId``.
- ``APP_VERSION``: the package version, semver; defaults to ``1.0.0``.
- ``BOT_DOMAIN``: the host name the bot is served from; goes into
  ``validDomains``. Optional.

A missing or malformed setting prints one line naming it and exits with 2.
The manifest is built as a Python dict; every text a user reads is a
constant near the top of this file, so it can be reviewed in one place.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from domain.conversations import GROUP_CHAT, PERSONAL
from manifest.icons import ACCENT_COLOUR, colour_icon, outline_icon, png_bytes


@dataclass(frozen=True)
class BotCommand:
    """One entry in the bot's command menu (title ≤ 32, description ≤ 128)."""

    title: str
    description: str


# `help`, three questions to start from, then the commands the features put in the menu
# (`Command.in_menu`, registered with the feature in app.FEATURES). At most 12 in all.
QUESTION_COMMANDS: list[BotCommand] = [
    BotCommand("help", "What I can do"),
    BotCommand("How many KS4 places?", "Ask about Key Stage 4 places in the partnership"),
    BotCommand("What does it cost us?", "Ask what a partnership place costs your school"),
    BotCommand("How do I make a referral?", "Ask how to refer a pupil to the partnership"),
]


def feature_commands() -> list[BotCommand]:
    """The menu commands the product's features register (built as the app builds them,
    on a database that is never opened)."""
    from app import FEATURES
    from bot.features import FeatureServices
    from core.clock import SystemClock
    from core.settings import Settings
    from db.engine import Database

    services = FeatureServices(Database("sqlite+aiosqlite://"), Settings(), SystemClock())  # never opened
    features = [make(services) for make in FEATURES]
    return [BotCommand(c.name, c.description) for f in features for c in f.commands if c.in_menu]


BOT_COMMANDS: list[BotCommand] = [*QUESTION_COMMANDS, *feature_commands()]

APP_SHORT_NAME = "LNCIP assistant"
APP_FULL_NAME = "LNCIP assistant for Loughborough and North Charnwood Inclusion Partnership"
SHORT_DESCRIPTION = "Answers school staff's questions about LNCIP places, costs and referrals"
FULL_DESCRIPTION = (
    "The LNCIP assistant helps staff in the schools of the Loughborough and North "
    "Charnwood Inclusion Partnership with questions about the partnership's offer: "
    "Key Stage 3 and Key Stage 4 places, what a place costs your school, how to make "
    "a referral and when forums meet. Ask it in a one-to-one chat, or @mention it in "
    "a team channel or group chat. Type 'help' to see what it can do."
)
# The schema allows 32 characters, too few for the partnership's full name,
# which appears in APP_FULL_NAME and FULL_DESCRIPTION instead.
DEVELOPER_NAME = "LNCIP"
DEVELOPER_WEBSITE_URL = "https://www.lncip-cit.co.uk/"
# The offer links no privacy or terms page; SEIPS "about us" holds the contacts.
DEVELOPER_PRIVACY_URL = "https://www.leicsseips.org/about_us"
DEVELOPER_TERMS_URL = "https://www.leicsseips.org/about_us"

MANIFEST_VERSION = "1.29"
SCHEMA_URL = f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
BOT_SCOPES: tuple[str, ...] = (PERSONAL, "team", GROUP_CHAT)
DEFAULT_APP_VERSION = "1.0.0"
PACKAGE_NAME = "lncip-assistant.zip"
DEFAULT_OUT = Path(__file__).resolve().parent / "build" / PACKAGE_NAME
COLOUR_ICON_FILE = "color.png"
OUTLINE_ICON_FILE = "outline.png"
EXIT_BAD_SETTING = 2

MAX_COMMANDS = 12
MAX_COMMAND_TITLE = 32
MAX_COMMAND_DESCRIPTION = 128

_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
# The official semver.org pattern.
_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)"
    r"(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# Zip entries get a fixed date so the same inputs give the same package.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


class SettingError(ValueError):
    """A build setting is missing or malformed; the message names it."""


@dataclass(frozen=True)
class BuildSettings:
    """Everything the package depends on besides the constants above."""

    bot_app_id: str
    teams_app_id: str
    app_version: str
    bot_domain: str | None


def _env(environ: Mapping[str, str], name: str) -> str | None:
    """An environment value with spaces trimmed; empty counts as unset."""
    value = environ.get(name, "").strip()
    return value or None


def _require_guid(name: str, value: str | None, hint: str) -> str:
    """Check a GUID setting, naming it in the error."""
    if value is None:
        raise SettingError(f"{name} is not set: {hint}")
    if not _GUID.match(value):
        raise SettingError(f"{name} must be a GUID, got {value!r}: {hint}")
    return value


def _check_version(value: str) -> str:
    """Check APP_VERSION is semver, e.g. 1.0.0."""
    if not _SEMVER.match(value):
        raise SettingError(f"APP_VERSION is not a semver version like 1.0.0: {value!r}")
    return value


def _check_domain(value: str | None) -> str | None:
    """Check BOT_DOMAIN is a bare host name such as lncip-bot.azurewebsites.net."""
    if value is None:
        return None
    host = value.lower()
    labels = host.split(".")
    if len(host) > 253 or len(labels) < 2 or not all(_HOST_LABEL.match(x) for x in labels):
        raise SettingError(
            f"BOT_DOMAIN is not a host name like lncip-bot.azurewebsites.net (no https:// or path): {value!r}"
        )
    return host


def load_settings(environ: Mapping[str, str], app_id_override: str | None = None) -> BuildSettings:
    """Read and validate the build settings; raises SettingError on the first problem."""
    bot_id = _require_guid(
        "MicrosoftAppId",
        app_id_override.strip() if app_id_override else _env(environ, "MicrosoftAppId"),
        "set it to the bot's Azure app id (a GUID) or pass --app-id",
    )
    teams_id = _require_guid("APP_ID", _env(environ, "APP_ID") or bot_id, "the Teams app id must be a GUID")
    return BuildSettings(
        bot_app_id=bot_id,
        teams_app_id=teams_id,
        app_version=_check_version(_env(environ, "APP_VERSION") or DEFAULT_APP_VERSION),
        bot_domain=_check_domain(_env(environ, "BOT_DOMAIN")),
    )


def _check_commands(commands: Sequence[BotCommand]) -> None:
    """Keep the command menu within Teams' limits."""
    if len(commands) > MAX_COMMANDS:
        raise ValueError(f"Teams allows {MAX_COMMANDS} bot commands, not {len(commands)}")
    for command in commands:
        if not 0 < len(command.title) <= MAX_COMMAND_TITLE:
            raise ValueError(f"command title empty or too long: {command.title!r}")
        if len(command.description) > MAX_COMMAND_DESCRIPTION:
            raise ValueError(f"command description too long: {command.title!r}")


def _command_lists(commands: Sequence[BotCommand]) -> list[dict[str, Any]]:
    """One command list per scope, as Teams recommends."""
    _check_commands(commands)
    entries = [{"title": c.title, "description": c.description} for c in commands]
    return [{"scopes": [scope], "commands": entries} for scope in BOT_SCOPES]


def _bot(settings: BuildSettings) -> dict[str, Any]:
    """The manifest's single conversational bot."""
    return {
        "botId": settings.bot_app_id,
        "scopes": list(BOT_SCOPES),
        "supportsFiles": False,
        "isNotificationOnly": False,
        "commandLists": _command_lists(BOT_COMMANDS),
    }


def build_manifest(settings: BuildSettings) -> dict[str, Any]:
    """The manifest.json content for these settings."""
    return {
        "$schema": SCHEMA_URL,
        "manifestVersion": MANIFEST_VERSION,
        "version": settings.app_version,
        "id": settings.teams_app_id,
        "developer": {
            "name": DEVELOPER_NAME,
            "websiteUrl": DEVELOPER_WEBSITE_URL,
            "privacyUrl": DEVELOPER_PRIVACY_URL,
            "termsOfUseUrl": DEVELOPER_TERMS_URL,
        },
        "name": {"short": APP_SHORT_NAME, "full": APP_FULL_NAME},
        "description": {"short": SHORT_DESCRIPTION, "full": FULL_DESCRIPTION},
        "icons": {"color": COLOUR_ICON_FILE, "outline": OUTLINE_ICON_FILE},
        "accentColor": ACCENT_COLOUR,
        "bots": [_bot(settings)],
        "validDomains": [settings.bot_domain] if settings.bot_domain else [],
    }


def package_files(settings: BuildSettings) -> dict[str, bytes]:
    """The files of the app package, by name."""
    manifest_json = json.dumps(build_manifest(settings), indent=2, ensure_ascii=False) + "\n"
    return {
        "manifest.json": manifest_json.encode("utf-8"),
        COLOUR_ICON_FILE: png_bytes(colour_icon()),
        OUTLINE_ICON_FILE: png_bytes(outline_icon()),
    }


def write_package(files: Mapping[str, bytes], out: Path) -> Path:
    """Write the files into a zip at out (replacing it) and return its path."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            entry = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            archive.writestr(entry, data, compress_type=zipfile.ZIP_DEFLATED)
    partial.replace(out)
    return out


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m manifest.build", description="Build the LNCIP assistant Teams app package."
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="zip to write")
    parser.add_argument("--app-id", help="the bot's app id; overrides MicrosoftAppId")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Build the package, print its path and return the exit code."""
    args = _parse_args(argv)
    try:
        settings = load_settings(os.environ if environ is None else environ, args.app_id)
    except SettingError as error:
        print(f"manifest.build: {error}", file=sys.stderr)
        return EXIT_BAD_SETTING
    out = write_package(package_files(settings), args.out.resolve())
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
