"""Settings: defaults, validation with one clear line naming the setting."""

from __future__ import annotations

import pytest

from core.settings import SettingsError, from_env
from tests.fixtures.conversations import TENANT

APP = "9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f"


def test_defaults_are_local_mode_on_port_3978() -> None:
    settings = from_env({})
    assert settings.local_mode
    assert settings.port == 3978
    assert settings.app_type == "SingleTenant"
    assert settings.effective_database_url.startswith("sqlite+aiosqlite:///")


def test_cloud_settings_are_read() -> None:
    settings = from_env(
        {"MicrosoftAppId": APP, "MicrosoftAppPassword": "secret", "MicrosoftAppTenantId": TENANT, "PORT": "8080"}
    )
    assert not settings.local_mode
    assert settings.port == 8080


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"PORT": "eighty"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"MicrosoftAppId": "not-a-guid"}, "MicrosoftAppId"),
        ({"MicrosoftAppId": APP, "MicrosoftAppPassword": "x"}, "MicrosoftAppTenantId"),
        ({"MicrosoftAppId": APP, "MicrosoftAppTenantId": TENANT}, "MicrosoftAppPassword"),
        ({"MicrosoftAppType": "Everyone"}, "MicrosoftAppType"),
        ({"ALLOWED_TENANT_IDS": "contoso"}, "ALLOWED_TENANT_IDS"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"RETENTION_DAYS": "1"}, "RETENTION_DAYS"),
        ({"SAFEGUARDING_ESCALATE_AFTER_MINUTES": "soon"}, "SAFEGUARDING_ESCALATE_AFTER_MINUTES"),
        ({"SAFEGUARDING_ESCALATE_AFTER_MINUTES": "0"}, "SAFEGUARDING_ESCALATE_AFTER_MINUTES"),
        ({"CLAIM_LEASE_SECONDS": "3"}, "CLAIM_LEASE_SECONDS"),
        ({"CLAIM_LEASE_SECONDS": "7200"}, "CLAIM_LEASE_SECONDS"),
    ],
)
def test_a_bad_setting_is_named(env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named) as error:
        from_env(env)
    assert "\n" not in str(error.value)


def test_tenant_allow_list() -> None:
    settings = from_env({"ALLOWED_TENANT_IDS": f" {TENANT} ,"})
    assert settings.tenant_allowed(TENANT)
    assert not settings.tenant_allowed("99999999-2222-3333-4444-555555555555")
    assert not settings.tenant_allowed(None)
    assert from_env({}).tenant_allowed(None)


def test_tenant_ids_compare_as_guids_whatever_their_case_or_braces() -> None:
    shouted = from_env({"ALLOWED_TENANT_IDS": "{" + TENANT.upper() + "}"})
    assert shouted.tenant_allowed(TENANT)
    assert shouted.tenant_allowed(TENANT.upper())
    assert from_env({"ALLOWED_TENANT_IDS": TENANT}).tenant_allowed("{" + TENANT.upper() + "}")
    assert not shouted.tenant_allowed("99999999-2222-3333-4444-555555555555")
    assert not shouted.tenant_allowed("")


@pytest.mark.parametrize("host", ["127.0.0.1", "127.3.2.1", "::1", "[::1]", "localhost", "LOCALHOST"])
def test_local_mode_on_a_loopback_address_may_start(host: str) -> None:
    assert from_env({"HOST": host}).start_refusal() is None


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "bot.example.org", "127.0.0.1.example.org"])
def test_local_mode_on_a_network_address_is_refused_unless_explicitly_accepted(host: str) -> None:
    refusal = from_env({"HOST": host}).start_refusal()
    assert refusal is not None and "LOCAL_MODE_ON_NETWORK=i-understand" in refusal and "\n" not in refusal
    accepted = from_env({"HOST": host, "LOCAL_MODE_ON_NETWORK": "i-understand"})
    assert accepted.start_refusal() is None and accepted.local_mode_exposed
    with_app = from_env(
        {"HOST": host, "MicrosoftAppId": APP, "MicrosoftAppPassword": "secret", "MicrosoftAppTenantId": TENANT}
    )
    assert with_app.start_refusal() is None and not with_app.local_mode_exposed


def test_local_mode_on_network_takes_only_its_one_value() -> None:
    with pytest.raises(SettingsError, match="LOCAL_MODE_ON_NETWORK"):
        from_env({"HOST": "0.0.0.0", "LOCAL_MODE_ON_NETWORK": "yes"})


BOT_URL = "postgresql+asyncpg://lncip_bot:pw@db.example.org:5432/lncip"
OWNER_URL = "postgresql+asyncpg://lncip_owner:pw@db.example.org:5432/lncip"


def test_migrations_may_run_as_another_role_than_the_bot() -> None:
    alone = from_env({"DATABASE_URL": BOT_URL})
    assert (alone.migration_url, alone.bot_role) == (BOT_URL, None)
    split = from_env({"DATABASE_URL": BOT_URL, "MIGRATION_DATABASE_URL": OWNER_URL})
    assert (split.effective_database_url, split.migration_url, split.bot_role) == (BOT_URL, OWNER_URL, "lncip_bot")


@pytest.mark.parametrize(
    "env",
    [
        {"MIGRATION_DATABASE_URL": OWNER_URL},  # the bot on SQLite
        {"DATABASE_URL": BOT_URL, "MIGRATION_DATABASE_URL": "sqlite+aiosqlite:///x.db"},
        {"DATABASE_URL": BOT_URL, "MIGRATION_DATABASE_URL": BOT_URL},  # the same role
        {"DATABASE_URL": BOT_URL, "MIGRATION_DATABASE_URL": OWNER_URL.replace("/lncip", "/other")},
        {"DATABASE_URL": BOT_URL.replace("lncip_bot:pw@", ""), "MIGRATION_DATABASE_URL": OWNER_URL},
    ],
)
def test_a_bad_migration_url_is_named(env: dict[str, str]) -> None:
    with pytest.raises(SettingsError, match="MIGRATION_DATABASE_URL"):
        from_env(env)


def test_the_attendance_times_default_and_are_read() -> None:
    from datetime import time

    assert from_env({}).attendance_digest_time == time(10, 0)
    settings = from_env({"ATTENDANCE_DIGEST_TIME": "09:45", "ATTENDANCE_UNMARKED_PM_TIME": "14:05"})
    assert (settings.attendance_digest_time, settings.attendance_unmarked_pm_time) == (time(9, 45), time(14, 5))
    with pytest.raises(SettingsError, match="ATTENDANCE_DIGEST_TIME"):
        from_env({"ATTENDANCE_DIGEST_TIME": "25:00"})


def test_the_ladder_wait_may_be_a_fraction_of_a_minute_and_the_claim_lease_is_off_by_default() -> None:
    assert from_env({}).safeguarding_escalate_after_minutes == 10
    assert from_env({"SAFEGUARDING_ESCALATE_AFTER_MINUTES": "0.05"}).safeguarding_escalate_after_minutes == 0.05
    assert from_env({}).claim_lease_seconds == 0
    assert from_env({"CLAIM_LEASE_SECONDS": "60"}).claim_lease_seconds == 60
