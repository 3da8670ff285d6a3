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


def test_a_port_in_use_is_one_line_naming_port(tmp_path: Path) -> None:
    import os
    import socket
    import subprocess
    import sys

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if k not in CLOUD and k != "DATABASE_URL"}
        env |= {"DATA_DIR": str(tmp_path), "HOST": "127.0.0.1", "PORT": str(port), "LOG_LEVEL": "WARNING"}
        done = subprocess.run(
            [sys.executable, "app.py"],
            cwd=Path(app.__file__).parent,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.startswith("Cannot start")]
    assert len(lines) == 1 and f"port {port}" in lines[0] and "PORT" in lines[0]
    assert "Traceback" not in done.stderr
