"""`python -m cli`: migrate, import/export, demo data, erasure and the retention report."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import cli
from tests.fixtures.database import sqlite_url

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DATABASE_URL", sqlite_url(tmp_path / "cli.db"))
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    monkeypatch.delenv("DEMO_USER_AAD_ID", raising=False)
    monkeypatch.setenv("RETENTION_DAYS", "2190")
    return tmp_path


def run(*argv: str) -> int:
    # cli.main runs its own event loop; keep it off pytest-asyncio's thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(cli.main, list(argv)).result()


def test_bad_arguments_exit_2_with_one_line() -> None:
    bad: tuple[list[str], ...] = (
        [],
        ["frobnicate"],
        ["import", "teachers", "x.csv"],
        ["import", "people", "/no/such/file.csv"],
        ["erase-pupil", "--upn", "X"],
        ["erase-pupil", "--upn", "X", "--actor-email", "e", "--reason", "because"],
    )
    for argv in bad:
        result = subprocess.run(
            [sys.executable, "-m", "cli", *argv],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "DATABASE_URL": "sqlite+aiosqlite:////nonexistent/never-created.db"},
        )
        assert result.returncode == 2, argv
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert result.stdout == ""


def test_bad_settings_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://nope")
    assert run("migrate") == 2


def test_demo_export_import_and_retention(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("migrate") == 0
    assert run("demo-data") == 0
    out = capsys.readouterr().out
    assert "schools: 6 added" in out and "term dates: 6 term(s)" in out
    (env / "terms.csv").write_text("kind,start,end\nterm,2027-01-04,2026-03-25\n", encoding="utf-8")
    assert run("import", "term-dates", str(env / "terms.csv")) == 1
    assert "row 2, end: is before the start" in capsys.readouterr().err
    (env / "terms.csv").write_text("kind,start,end\nterm,2027-01-04,2027-03-25\n", encoding="utf-8")
    assert run("import", "term-dates", str(env / "terms.csv")) == 0
    assert "term dates: 1 term(s)" in capsys.readouterr().out
    for kind in ("schools", "people", "pupils"):
        assert run("export", kind, str(env / f"{kind}.csv")) == 0
        assert run("import", kind, str(env / f"{kind}.csv")) == 0
        assert "0 added, 0 changed" in capsys.readouterr().out
    (env / "bad.csv").write_text("urn,name\n12,Bad\n", encoding="utf-8")
    assert run("import", "schools", str(env / "bad.csv")) == 1
    assert "row 2, urn: a school URN is 6 digits" in capsys.readouterr().err

    assert run("retention-report") == 0
    report = capsys.readouterr().out
    assert "more than 2190 days ago: 2" in report
    upn = report.splitlines()[1].split()[0]
    # Only the Partnership Director may erase (domain.access).
    erase = ("erase-pupil", "--upn", upn, "--reason", "retention_period_ended", "--actor-email")
    assert run(*erase, "alexw@example.com") == 1  # the demo admin
    assert "refused" in capsys.readouterr().err
    assert run(*erase, "pattif@example.com") == 0  # the demo Director
    assert "erased" in capsys.readouterr().out
    assert run(*erase, "pattif@example.com") == 1
    assert "no pupil has that UPN" in capsys.readouterr().err
    assert run("retention-report") == 0
    assert "more than 2190 days ago: 1" in capsys.readouterr().out
