"""Signed links: the secret (configured, or made once in the data folder in local mode, never
outside it), and signatures that hold only for their fields and until their expiry."""

from __future__ import annotations

import stat
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.settings import Settings, SettingsError, from_env
from core.signed_links import SECRET_FILE, SignedLinks, link_secret

NOW = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)


def test_the_settings_check_the_secret_and_the_public_address() -> None:
    with pytest.raises(SettingsError, match="AGENDA_PAGE_SECRET"):
        from_env({"AGENDA_PAGE_SECRET": "too-short"})
    with pytest.raises(SettingsError, match="PUBLIC_URL"):
        from_env({"PUBLIC_URL": "javascript:alert(1)"})
    settings = from_env({"AGENDA_PAGE_SECRET": "x" * 32, "PUBLIC_URL": "https://lncip.example.org/"})
    assert settings.public_url == "https://lncip.example.org" and "x" * 32 not in repr(settings)
    assert from_env({"PORT": "4000"}).page_base_url == "http://127.0.0.1:4000"


def test_local_mode_makes_one_secret_in_the_data_folder_and_keeps_it(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    first = link_secret(settings)
    assert first is not None and len(first) == 64
    assert stat.S_IMODE((tmp_path / "data" / SECRET_FILE).stat().st_mode) == 0o600
    assert link_secret(settings) == first


def test_outside_local_mode_only_a_configured_secret_serves(tmp_path: Path) -> None:
    production = Settings(data_dir=tmp_path, app_id="00000000-0000-0000-0000-000000000001")
    assert link_secret(production) is None and not (tmp_path / SECRET_FILE).exists()
    assert link_secret(replace(production, agenda_page_secret="s" * 40)) == b"s" * 40


def test_a_signature_holds_for_its_fields_until_it_expires() -> None:
    links = SignedLinks(b"k" * 32)
    expires = int((NOW + timedelta(hours=12)).timestamp())
    signature = links.signature(("7", "3", "named"), expires)
    assert links.valid(("7", "3", "named"), expires, signature, NOW)
    assert not links.valid(("7", "3", "anonymised"), expires, signature, NOW)
    assert not links.valid(("7", "4", "named"), expires, signature, NOW)
    assert not links.valid(("7", "3", "named"), expires + 1, signature, NOW)
    assert not links.valid(("7", "3", "named"), expires, signature, NOW + timedelta(hours=12))
    assert not SignedLinks(b"j" * 32).valid(("7", "3", "named"), expires, signature, NOW)
