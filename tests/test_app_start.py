"""`python app.py` refuses local mode (no authentication) on a network address unless told
`LOCAL_MODE_ON_NETWORK=i-understand`, and then says so loudly at every start."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import app
import core.logs
from tests.fixtures.logs import JsonLines

CLOUD = ("MicrosoftAppId", "MicrosoftAppPassword", "MicrosoftAppTenantId", "MicrosoftAppType", "LOCAL_MODE_ON_NETWORK")


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[dict[str, Any]]:
    """Where `main` would have served (it does not: `run_app` is replaced), with a clean environment."""
    calls: list[dict[str, Any]] = []
    for name in CLOUD:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setattr(core.logs, "configure", lambda level="INFO": None)  # keep the test's log handler
    monkeypatch.setattr(app.web, "run_app", lambda _app, **kwargs: calls.append(kwargs))
    return calls


def test_local_mode_on_a_network_address_does_not_start(
    served: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HOST", "0.0.0.0")
    assert app.main() == 2
    assert served == []
    assert "LOCAL_MODE_ON_NETWORK=i-understand" in capsys.readouterr().err


def test_local_mode_on_the_network_when_told_starts_with_a_loud_warning(
    served: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch, logged: JsonLines
) -> None:
    monkeypatch.setenv("HOST", "0.0.0.0")
    monkeypatch.setenv("LOCAL_MODE_ON_NETWORK", "i-understand")
    assert app.main() == 0
    assert served[0]["host"] == "0.0.0.0"
    loud = [line for line in logged.lines("lncip.app") if str(line["event"]).startswith("LOCAL MODE ON THE NETWORK")]
    assert len(loud) == 1 and loud[0]["level"] == "error"


def test_local_mode_on_loopback_starts(served: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOST", "127.0.0.1")
    assert app.main() == 0
    assert served[0]["host"] == "127.0.0.1"
