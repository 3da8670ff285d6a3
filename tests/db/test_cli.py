"""`python -m cli`: migrate, import/export, demo data, erasure and the retention report."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import cli
from db.engine import Database
from domain.audit import read_audit
from domain.directory.queries import get_person_by_email
from domain.forum.queries import next_meetings
from domain.requester import Requester
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
    assert "schools: 6 added" in out and "term dates: 9 term(s)" in out
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
    erase = ("erase-pupil", "--upn", upn, "--reason", "retention_period_ended", "--yes", "--actor-email")
    assert run(*erase, "alexw@example.com") == 1  # the demo admin
    assert "refused" in capsys.readouterr().err
    assert run(*erase, "pattif@example.com") == 0  # the demo Director
    assert "erased" in capsys.readouterr().out
    assert run(*erase, "pattif@example.com") == 1
    assert "no pupil has that UPN" in capsys.readouterr().err
    assert run("retention-report") == 0
    assert "more than 2190 days ago: 1" in capsys.readouterr().out


class Terminal(io.StringIO):
    """Standard input at a terminal, where someone types `answer`."""

    def isatty(self) -> bool:
        return True


class Pipe(io.StringIO):
    def isatty(self) -> bool:
        return False


async def test_erase_pupil_asks_first_and_is_audited_with_the_operating_system_user(
    env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("demo-data") == 0
    assert run("retention-report") == 0
    upn = capsys.readouterr().out.splitlines()[-3].split()[0]
    director = ("erase-pupil", "--upn", upn, "--reason", "retention_period_ended", "--actor-email")

    # No terminal to ask on and no --yes: nothing is erased, even with "yes" piped in.
    monkeypatch.setattr(sys, "stdin", Pipe("yes\n"))
    assert run(*director, "pattif@example.com") == 1
    assert "not erased: no terminal to confirm on (add --yes" in capsys.readouterr().err
    # At a terminal, anything but "yes" erases nothing.
    monkeypatch.setattr(sys, "stdin", Terminal("y\n"))
    assert run(*director, "pattif@example.com") == 1
    asked = capsys.readouterr()
    assert re.search(r"Erase pupil \d+ \(year \d+\) for good, as pattif@example.com\? Type yes: ", asked.out)
    assert "not erased" in asked.err
    pupil_id = re.search(r"Erase pupil (\d+)", asked.out).group(1)  # type: ignore[union-attr]
    # Someone who may not erase, and an e-mail that names nobody: refused, and audited.
    for email in ("alexw@example.com", "nobody@example.com"):
        monkeypatch.setattr(sys, "stdin", Terminal("yes\n"))
        assert run(*director, email) == 1
        assert "refused" in capsys.readouterr().err
    monkeypatch.setattr(sys, "stdin", Terminal(" Yes \n"))
    assert run(*director, "pattif@example.com") == 0
    assert f"Pupil {pupil_id} erased" in capsys.readouterr().out

    database = Database(sqlite_url(env / "cli.db"))
    try:
        async with database.session() as session:
            entries = await read_audit(session, record_type="pupil", record_id=pupil_id)
        admin = await get_person_by_email(database, "alexw@example.com")
        director_person = await get_person_by_email(database, "pattif@example.com")
    finally:
        await database.dispose()
    os_user = Requester.at_command_line().os_user
    assert os_user
    how = {"source": "command_line", "os_user": os_user}
    assert [(e.actor_id, e.action, e.detail) for e in entries] == [
        (admin.id, "refused", {"kind": "erase_pupil_data", **how}),  # type: ignore[union-attr]
        (None, "refused", {"kind": "erase_pupil_data", **how}),
        (director_person.id, "erased", {"reason": "retention_period_ended", **how}),  # type: ignore[union-attr]
    ]


async def test_a_terms_meeting_dates_are_imported_all_or_nothing_and_audited(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    link = "https://teams.microsoft.com/l/meetup-join/abc"
    heading = "kind,date,start,end,teams_link,slots,booking_deadline,services\n"
    good = (
        f"forum,14/01/2031,09:30,11:30,{link},6,07/01/2031,EP;NHS Care Navigator\n"
        "core_group,21/01/2031,13:30,15:00,,,,\n"
    )
    assert run("migrate") == 0
    (env / "meetings.csv").write_text(heading + good + "forum,31/02/2031,10:00,11:00,,x,,\n", encoding="utf-8")
    assert run("import", "meetings", str(env / "meetings.csv")) == 1
    rejected = capsys.readouterr().err
    assert "meetings: file rejected, nothing changed (2 problem(s))" in rejected
    assert "row 4, date" in rejected and "row 4, slots" in rejected
    (env / "meetings.csv").write_text(heading + good, encoding="utf-8")
    assert run("import", "meetings", str(env / "meetings.csv")) == 0
    assert "meetings: 2 added" in capsys.readouterr().out

    database = Database(sqlite_url(env / "cli.db"))
    try:
        found = await next_meetings(database, None)
        async with database.session() as session:
            entries = await read_audit(session, record_type="forum_meeting")
    finally:
        await database.dispose()
    assert [(m.kind.value, m.slots, m.starts_at.date().isoformat()) for m in found] == [
        ("forum", 6, "2031-01-14"),
        ("core_group", 8, "2031-01-21"),
    ]
    assert [(e.action, e.detail.get("count"), e.detail.get("source")) for e in entries] == [
        ("imported", 2, "command_line")
    ]
