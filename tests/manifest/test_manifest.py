"""Tests for the Teams app package built by ``python -m manifest.build``.

Each test builds into pytest's tmp_path, never inside the repository. The
manifest is checked against the Teams v1.29 JSON schema kept in the shared
folder beside the repository; those tests skip when it is absent.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jsonschema.validators import validator_for
from PIL import Image
from referencing import Registry, Resource

from manifest.build import (
    BOT_COMMANDS,
    DEFAULT_OUT,
    EXIT_BAD_SETTING,
    MANIFEST_VERSION,
    SCHEMA_URL,
    main,
)
from tests.fixtures.ci import missing

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = REPO_ROOT.parent / "shared" / "schemas" / "teams-manifest-v1.29.schema.json"
BOT_ID = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
TEAMS_APP_ID = "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d"
SCOPES = {"personal", "team", "groupChat"}

Package = dict[str, bytes]
Builder = Callable[..., Package]


@pytest.fixture
def build(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Builder:
    """Build a package into tmp_path with the given environment; return its files."""

    def _build(environ: dict[str, str] | None = None, *args: str) -> Package:
        out = tmp_path / "pkg" / "lncip-assistant.zip"
        env = {"MicrosoftAppId": BOT_ID} if environ is None else environ
        assert main(["--out", str(out), *args], environ=env) == 0
        assert capsys.readouterr().out.strip() == str(out)
        with zipfile.ZipFile(out) as archive:
            return {name: archive.read(name) for name in archive.namelist()}

    return _build


@pytest.fixture
def manifest(build: Builder) -> dict[str, Any]:
    """manifest.json of a package built with only MicrosoftAppId set."""
    data: dict[str, Any] = json.loads(build()["manifest.json"])
    return data


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    """The Teams manifest v1.29 JSON schema, or a skip when it is not checked out."""
    if not SCHEMA_PATH.is_file():
        missing(f"../shared/schemas not present: {SCHEMA_PATH} is missing")
    data: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return data


def _refuse_remote(uri: str) -> Resource[Any]:
    """Tests run offline: a remote $ref must fail loudly, not be fetched."""
    raise LookupError(f"remote schema reference not available offline: {uri}")


def _open_png(data: bytes) -> Image.Image:
    """Decode PNG bytes from the package."""
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    return image


def test_package_holds_the_manifest_and_two_icons(build: Builder) -> None:
    assert sorted(build()) == ["color.png", "manifest.json", "outline.png"]


def test_manifest_is_valid_against_the_v1_29_schema(manifest: dict[str, Any], schema: dict[str, Any]) -> None:
    validator_class = validator_for(schema)  # the draft named by the schema's $schema
    # Some patterns use ECMAScript's \p{L}, which Python's re lacks: skip "format: regex".
    validator_class.check_schema(schema, format_checker=None)
    validator = validator_class(schema, registry=Registry(retrieve=_refuse_remote))
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(manifest)]
    assert errors == []
    # Draft 4 ignores "const", so check the pinned manifest version by hand.
    assert schema["properties"]["manifestVersion"]["const"] == MANIFEST_VERSION
    assert manifest["manifestVersion"] == MANIFEST_VERSION
    assert manifest["$schema"] == SCHEMA_URL
    assert f"/v{MANIFEST_VERSION}/" in SCHEMA_URL


def test_defaults_use_the_bot_id_version_1_0_0_and_no_domains(manifest: dict[str, Any]) -> None:
    assert manifest["id"] == BOT_ID
    assert manifest["version"] == "1.0.0"
    assert manifest["validDomains"] == []
    (bot,) = manifest["bots"]
    assert bot["botId"] == BOT_ID
    assert set(bot["scopes"]) == SCOPES
    assert bot["supportsFiles"] is False
    assert bot["isNotificationOnly"] is False


def test_names_and_descriptions_fit_teams_limits(manifest: dict[str, Any]) -> None:
    assert manifest["name"]["short"] == "LNCIP assistant"
    assert len(manifest["description"]["short"]) <= 80
    full_name = "Loughborough and North Charnwood Inclusion Partnership"
    assert full_name in manifest["description"]["full"]
    assert len(manifest["developer"]["name"]) <= 32


def test_every_scope_lists_the_same_commands(manifest: dict[str, Any]) -> None:
    (bot,) = manifest["bots"]
    lists = bot["commandLists"]
    assert sorted(scope for entry in lists for scope in entry["scopes"]) == sorted(SCOPES)
    expected = [{"title": c.title, "description": c.description} for c in BOT_COMMANDS]
    for entry in lists:
        assert entry["commands"] == expected
    titles = [c.title for c in BOT_COMMANDS]
    assert titles[0] == "help"
    examples = {"How many KS4 places?", "What does it cost us?", "How do I make a referral?"}
    assert examples <= set(titles)
    assert len(BOT_COMMANDS) <= 12
    assert all(len(c.title) <= 32 and len(c.description) <= 128 for c in BOT_COMMANDS)


def test_settings_come_from_the_environment(build: Builder) -> None:
    environ = {
        "MicrosoftAppId": BOT_ID,
        "APP_ID": TEAMS_APP_ID,
        "APP_VERSION": "2.3.4-beta.1",
        "BOT_DOMAIN": "lncip-bot.azurewebsites.net",
    }
    manifest = json.loads(build(environ)["manifest.json"])
    assert manifest["id"] == TEAMS_APP_ID
    assert manifest["bots"][0]["botId"] == BOT_ID
    assert manifest["version"] == "2.3.4-beta.1"
    assert manifest["validDomains"] == ["lncip-bot.azurewebsites.net"]


def test_app_id_flag_overrides_the_environment(build: Builder) -> None:
    package = build({"MicrosoftAppId": "not-a-guid"}, "--app-id", BOT_ID)
    manifest = json.loads(package["manifest.json"])
    assert manifest["bots"][0]["botId"] == BOT_ID


def test_colour_icon_is_192_square_full_colour(build: Builder) -> None:
    icon = _open_png(build()["color.png"])
    assert icon.size == (192, 192)
    assert icon.mode == "RGB"
    assert len(icon.getcolors(maxcolors=192 * 192) or []) > 2


def test_outline_icon_is_32_square_white_on_transparent(build: Builder) -> None:
    icon = _open_png(build()["outline.png"])
    assert icon.size == (32, 32)
    assert icon.mode == "RGBA"
    # Every pixel's colour is pure white; only its alpha varies.
    assert icon.convert("RGB").getextrema() == ((255, 255), (255, 255), (255, 255))
    alpha = icon.getchannel("A")
    assert alpha.getextrema() == (0, 255)
    corners = [(0, 0), (31, 0), (0, 31), (31, 31)]
    assert all(alpha.getpixel(corner) == 0 for corner in corners)


def test_default_output_is_in_the_ignored_build_folder() -> None:
    assert DEFAULT_OUT == REPO_ROOT / "manifest" / "build" / "lncip-assistant.zip"


def _run_module(tmp_path: Path, extra_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run ``python -m manifest.build`` as a user would, writing only to tmp_path."""
    settings = {"MicrosoftAppId", "APP_ID", "APP_VERSION", "BOT_DOMAIN"}
    env = {k: v for k, v in os.environ.items() if k not in settings}
    env.update(extra_env, PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run(
        [sys.executable, "-m", "manifest.build", "--out", str(tmp_path / "out.zip")],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


@pytest.mark.parametrize("app_id", [None, "", "not-a-guid", "3f2504e0-4f89-41d3-9a0c"])
def test_bad_microsoft_app_id_exits_2_naming_it(tmp_path: Path, app_id: str | None) -> None:
    result = _run_module(tmp_path, {} if app_id is None else {"MicrosoftAppId": app_id})
    assert result.returncode == EXIT_BAD_SETTING == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "MicrosoftAppId" in result.stderr
    assert result.stdout == ""
    assert not (tmp_path / "out.zip").exists()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("APP_ID", "my-teams-app"),
        ("APP_VERSION", "1.0"),
        ("APP_VERSION", "v1.0.0"),
        ("BOT_DOMAIN", "https://lncip-bot.azurewebsites.net"),
        ("BOT_DOMAIN", "lncip-bot.azurewebsites.net/api/messages"),
        ("BOT_DOMAIN", "localhost"),
    ],
)
def test_bad_optional_setting_exits_2_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, value: str
) -> None:
    out = tmp_path / "out.zip"
    code = main(["--out", str(out)], environ={"MicrosoftAppId": BOT_ID, name: value})
    assert code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert name in err
    assert not out.exists()


def test_same_settings_build_the_same_package(tmp_path: Path) -> None:
    outs = [tmp_path / "a.zip", tmp_path / "b.zip"]
    for out in outs:
        assert main(["--out", str(out)], environ={"MicrosoftAppId": BOT_ID}) == 0
    assert outs[0].read_bytes() == outs[1].read_bytes()


def test_a_feature_puts_its_menu_commands_in_the_manifest(monkeypatch: pytest.MonkeyPatch) -> None:
    import app
    from bot.commands import Command
    from bot.features import Feature
    from manifest.build import feature_commands

    async def run(_turn: object) -> None: ...

    def sample(_database: object) -> Feature:
        return Feature(
            "sample",
            commands=(Command("refer", "Refer a pupil", run, in_menu=True), Command("secret", "Not listed", run)),
        )

    monkeypatch.setattr(app, "FEATURES", (*app.FEATURES, sample))
    listed = [(c.title, c.description) for c in feature_commands()]
    assert listed[-1] == ("refer", "Refer a pupil") and "secret" not in [title for title, _ in listed]
