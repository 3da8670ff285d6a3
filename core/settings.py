"""The one settings object, read from the environment (and a `.env` file when present).

Every setting is documented in `.env.example`. A bad value stops the start with one
clear line naming the setting (`SettingsError`).
"""

from __future__ import annotations

import ipaddress
import os
import re
import sys
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
APP_TYPES = ("SingleTenant", "MultiTenant", "UserAssignedMSI")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# Local mode (no authentication) on a non-loopback address needs this exact value, so that
# nobody gets there by accident (see `Settings.start_refusal`).
LOCAL_MODE_ON_NETWORK = "LOCAL_MODE_ON_NETWORK"
LOCAL_MODE_ON_NETWORK_CONSENT = "i-understand"


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names it."""


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 3978
    app_id: str = ""
    app_password: str = ""
    app_tenant_id: str = ""
    app_type: str = "SingleTenant"
    allowed_tenant_ids: frozenset[str] = field(default_factory=frozenset)
    database_url: str = ""
    migration_database_url: str = ""  # PostgreSQL: migrations run as this (owner) role
    data_dir: Path = REPO_ROOT / "data"
    log_level: str = "INFO"
    retention_days: int = 2190
    demo_user_aad_id: str = ""  # demo data only: who becomes Partnership admin
    local_mode_on_network: bool = False  # LOCAL_MODE_ON_NETWORK=i-understand
    attendance_digest_time: time = time(10, 0)  # London time, school days
    attendance_unmarked_am_time: time = time(9, 40)  # pupils still unmarked are flagged to the register taker
    attendance_unmarked_pm_time: time = time(13, 40)
    # The safeguarding ladder: minutes each rung waits for an acknowledgement (domain.md §3.3).
    safeguarding_escalate_after_minutes: float = 10
    # The forum's jobs (London times): the agenda card this many days before each meeting, at
    # this time; the reminder to each booking school the day before, at that time.
    forum_agenda_days_before: int = 3
    forum_agenda_time: time = time(8, 0)
    forum_reminder_time: time = time(9, 0)
    # The forum agenda's page for the shared screen: links signed with this secret (see
    # core/signed_links.py); PUBLIC_URL is where people's browsers reach the bot.
    agenda_page_secret: str = field(default="", repr=False)
    public_url: str = ""
    # How long the notifier and the scheduler hold what they claimed before another instance (or
    # this one restarted after a crash) may take it over; 0: their own defaults (1 and 10 min).
    claim_lease_seconds: int = 0

    def __post_init__(self) -> None:
        # Tenant ids compare as GUIDs, whatever their case or braces (also when built in code).
        object.__setattr__(self, "allowed_tenant_ids", frozenset(map(normalised_guid, self.allowed_tenant_ids)))

    @property
    def local_mode(self) -> bool:
        """No app id: requests are accepted without a token (local clients only)."""
        return not self.app_id

    @property
    def page_base_url(self) -> str:
        """Where a browser reaches the bot's pages: PUBLIC_URL, else this host and port."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return self.public_url or f"http://{host}:{self.port}"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'lncip.db'}"

    @property
    def migration_url(self) -> str:
        """Where migrations run: the owner's URL when set, else the bot's own."""
        return self.migration_database_url or self.effective_database_url

    @property
    def bot_role(self) -> str | None:
        """The bot's own PostgreSQL role, granted its rights after each migration; None when the
        bot migrates as itself (no MIGRATION_DATABASE_URL)."""
        return _user_of(self.database_url) if self.migration_database_url else None

    def tenant_allowed(self, tenant_id: str | None) -> bool:
        return not self.allowed_tenant_ids or normalised_guid(tenant_id or "") in self.allowed_tenant_ids

    @property
    def local_mode_exposed(self) -> bool:
        """Local mode listening on an address other machines can reach."""
        return self.local_mode and not is_loopback_host(self.host)

    def start_refusal(self) -> str | None:
        """Why the bot must not serve with these settings, or `None`: local mode accepts requests
        without a token, so on a network address anyone who can reach it could claim to be anyone."""
        if self.local_mode_exposed and not self.local_mode_on_network:
            return (
                f"HOST={self.host} is not a loopback address and MicrosoftAppId is not set (local mode: no "
                f"authentication); set MicrosoftAppId, or HOST=127.0.0.1, or {LOCAL_MODE_ON_NETWORK}="
                f"{LOCAL_MODE_ON_NETWORK_CONSENT} if anyone who can reach this port may act as anyone"
            )
        return None


def normalised_guid(value: str) -> str:
    """A GUID in one spelling (lower case, hyphens, no braces), for comparing; anything that is
    not a GUID comes back stripped and lower-cased, so it matches only itself."""
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        return value.strip().lower()


def is_loopback_host(host: str) -> bool:
    """`localhost`, or an address in 127.0.0.0/8 or ::1 (brackets allowed). Any other name may
    resolve to anything, so it is not loopback."""
    host = host.strip().removeprefix("[").removesuffix("]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, not {value}")
    return value


def _number(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, not {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low:g} and {high:g}, not {raw}")
    return value


def _lease(env: Mapping[str, str], name: str) -> int:
    """0 (the built-in leases) or 8 to 3600 seconds: a send or a job run must fit well inside."""
    value = _int(env, name, 0, 0, 3600)
    if 0 < value < 8:
        raise SettingsError(f"{name} must be 0 or between 8 and 3600, not {value}")
    return value


def _guid(env: Mapping[str, str], name: str) -> str:
    raw = env.get(name, "").strip()
    if raw:
        try:
            uuid.UUID(raw)
        except ValueError:
            raise SettingsError(f"{name} must be a GUID like 00000000-0000-0000-0000-000000000000") from None
    return raw


def _time(env: Mapping[str, str], name: str, default: time) -> time:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", raw):
        raise SettingsError(f"{name} must be a time of day like 10:00 (24-hour, London time), not {raw!r}")
    return time(int(raw[:2]), int(raw[3:]))


def _choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = env.get(name, "").strip() or default
    for choice in choices:
        if raw.lower() == choice.lower():
            return choice
    raise SettingsError(f"{name} must be one of {', '.join(choices)}, not {raw!r}")


def _user_of(url: str) -> str | None:
    from sqlalchemy.engine import make_url

    return make_url(url).username or None


def _check_migration_url(database_url: str, migration_url: str) -> None:
    """Migrations as the owner, the bot as a role with fewer rights: both PostgreSQL, the same
    database, two different roles, each named."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    prefix = "postgresql+asyncpg://"
    if not migration_url.startswith(prefix) or not database_url.startswith(prefix):
        raise SettingsError(f"MIGRATION_DATABASE_URL is for PostgreSQL: it and DATABASE_URL must start with {prefix}")
    try:
        bot, owner = make_url(database_url), make_url(migration_url)
    except ArgumentError:
        raise SettingsError("MIGRATION_DATABASE_URL or DATABASE_URL is not a database URL") from None
    if not bot.username or not owner.username:
        raise SettingsError("MIGRATION_DATABASE_URL and DATABASE_URL must each name their user")
    if (bot.host, bot.port, bot.database) != (owner.host, owner.port, owner.database):
        raise SettingsError("MIGRATION_DATABASE_URL must name the same server and database as DATABASE_URL")
    if bot.username == owner.username:
        raise SettingsError("MIGRATION_DATABASE_URL must use another role than DATABASE_URL (the owner, not the bot)")


def from_env(env: Mapping[str, str] | None = None) -> Settings:
    """Build and validate the settings; raises SettingsError naming the bad setting."""
    env = os.environ if env is None else env
    app_id = _guid(env, "MicrosoftAppId")
    app_type = _choice(env, "MicrosoftAppType", "SingleTenant", APP_TYPES)
    tenant_id = _guid(env, "MicrosoftAppTenantId")
    password = env.get("MicrosoftAppPassword", "")
    if app_id and app_type == "SingleTenant" and not tenant_id:
        raise SettingsError("MicrosoftAppTenantId is required when MicrosoftAppType is SingleTenant")
    if app_id and app_type != "UserAssignedMSI" and not password:
        raise SettingsError("MicrosoftAppPassword is required when MicrosoftAppId is set")
    tenants = frozenset(t.strip() for t in env.get("ALLOWED_TENANT_IDS", "").split(",") if t.strip())
    for tenant in tenants:
        try:
            uuid.UUID(tenant)
        except ValueError:
            raise SettingsError(f"ALLOWED_TENANT_IDS holds {tenant!r}, which is not a tenant GUID") from None
    host = env.get("HOST", "").strip() or "127.0.0.1"
    if not re.fullmatch(r"[A-Za-z0-9.:\-\[\]]+", host):
        raise SettingsError(f"HOST must be a host name or IP address, not {host!r}")
    on_network = env.get(LOCAL_MODE_ON_NETWORK, "").strip()
    if on_network not in ("", LOCAL_MODE_ON_NETWORK_CONSENT):
        raise SettingsError(f"{LOCAL_MODE_ON_NETWORK} must be empty or {LOCAL_MODE_ON_NETWORK_CONSENT}")
    database_url = env.get("DATABASE_URL", "").strip()
    if database_url and not database_url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise SettingsError("DATABASE_URL must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
    migration_database_url = env.get("MIGRATION_DATABASE_URL", "").strip()
    if migration_database_url:
        _check_migration_url(database_url, migration_database_url)
    data_dir = Path(env.get("DATA_DIR", "").strip() or REPO_ROOT / "data")
    page_secret = env.get("AGENDA_PAGE_SECRET", "").strip()
    if page_secret and len(page_secret) < 32:
        raise SettingsError("AGENDA_PAGE_SECRET must be at least 32 characters (e.g. `openssl rand -hex 32`)")
    public_url = env.get("PUBLIC_URL", "").strip().rstrip("/")
    if public_url and not re.fullmatch(r"https?://[A-Za-z0-9.:\-\[\]]+(/[A-Za-z0-9._~\-/]*)?", public_url):
        raise SettingsError(f"PUBLIC_URL must be the bot's address like https://lncip.example.org, not {public_url!r}")
    return Settings(
        host=host,
        port=_int(env, "PORT", 3978, 1, 65535),
        app_id=app_id,
        app_password=password,
        app_tenant_id=tenant_id,
        app_type=app_type,
        allowed_tenant_ids=tenants,
        database_url=database_url,
        migration_database_url=migration_database_url,
        data_dir=data_dir,
        log_level=_choice(env, "LOG_LEVEL", "INFO", LOG_LEVELS),
        retention_days=_int(env, "RETENTION_DAYS", 2190, 30, 36500),
        demo_user_aad_id=env.get("DEMO_USER_AAD_ID", "").strip(),
        local_mode_on_network=bool(on_network),
        attendance_digest_time=_time(env, "ATTENDANCE_DIGEST_TIME", time(10, 0)),
        attendance_unmarked_am_time=_time(env, "ATTENDANCE_UNMARKED_AM_TIME", time(9, 40)),
        attendance_unmarked_pm_time=_time(env, "ATTENDANCE_UNMARKED_PM_TIME", time(13, 40)),
        safeguarding_escalate_after_minutes=_number(env, "SAFEGUARDING_ESCALATE_AFTER_MINUTES", 10, 0.01, 240),
        forum_agenda_days_before=_int(env, "FORUM_AGENDA_DAYS_BEFORE", 3, 1, 28),
        forum_agenda_time=_time(env, "FORUM_AGENDA_TIME", time(8, 0)),
        forum_reminder_time=_time(env, "FORUM_REMINDER_TIME", time(9, 0)),
        agenda_page_secret=page_secret,
        public_url=public_url,
        claim_lease_seconds=_lease(env, "CLAIM_LEASE_SECONDS"),
    )


def load() -> Settings:
    """Read `.env` (never overriding the real environment), then the environment."""
    try:
        from dotenv import load_dotenv
    except ImportError:  # pragma: no cover - python-dotenv is in requirements
        pass
    else:
        load_dotenv(REPO_ROOT / ".env", override=False)
    return from_env()


def load_for_command(name: str) -> Settings | None:
    """The settings for a command line entry point, with logging configured; `None` after one
    line on stderr (`<name>: <the bad setting>`) when a setting is bad."""
    from core.logs import configure

    try:
        settings = load()
    except SettingsError as error:
        print(f"{name}: {error}", file=sys.stderr)
        return None
    configure(settings.log_level)
    return settings
