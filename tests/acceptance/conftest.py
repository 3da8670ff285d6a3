"""Fixtures for the acceptance suite: the real bot, Agents Playground and Chromium.

Shared by every test of this package (``scope="package"``: set up once when the first
acceptance test runs, torn down as soon as the last one has run, so nothing of it is
alive while the rest of the suite runs):

* ``acceptance_data_dir``: a fresh DATA_DIR with the demo partnership (``python -m cli demo-data``);
* ``bot_server``: ``python app.py`` on a free port in its own process group, ready on ``/readyz``;
* ``playground_server``: the Playground CLI pointed at the bot (driver's ``run_playground``);
* ``browser``: Debian's Chromium through Playwright (driver's ``launch_chromium``).

Per test, ``pg`` is a fresh browser context and page on the Playground, opened and
ready. When the test ends (passed or failed) it saves a screenshot of the page named
after the test into ``$ACCEPTANCE_ARTIFACTS`` (default ``artifacts/acceptance/``); on a
failure also ``<test>.failure.txt`` with what the bot said and the traffic.

Playwright's sync API marks its own asyncio loop as the running loop between calls,
so it must not be alive while pytest-asyncio runs async tests: the tests here are
plain ``def`` tests, and the package scope ends Playwright before other packages run.

Missing dependencies (Chromium, the Playground CLI, Playwright) fail every test with
the reason when CI=true, and skip them with the reason otherwise.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.acceptance.processes import kill_group, log_tail
from tests.fixtures.ci import in_ci

if TYPE_CHECKING:  # the driver imports Playwright, which may be missing: import it lazily
    from playwright.sync_api import Browser

    from tests.acceptance.playground import Playground, PlaygroundServer

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("ACCEPTANCE_ARTIFACTS") or REPO_ROOT / "artifacts" / "acceptance")
BOT_START_TIMEOUT = 60.0  # seconds until /readyz answers 200 (migrations + knowledge load)
DEMO_DATA_TIMEOUT = 180.0
_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()
_TIMINGS: dict[str, float] = {}


def missing_dependencies() -> list[str]:
    """What the acceptance suite needs and this machine lacks (empty: all there)."""
    chromium = Path(os.environ.get("ACCEPTANCE_CHROMIUM", "/usr/bin/chromium"))
    playground = REPO_ROOT / "node_modules" / ".bin" / "agentsplayground"
    missing = []
    if not chromium.exists():
        missing.append(f"Chromium ({chromium})")
    if not playground.exists():
        missing.append(f"the Agents Playground CLI ({playground.relative_to(REPO_ROOT)})")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as error:
        missing.append(f"Playwright for Python in {sys.executable} ({error})")
    return missing


# ------------------------------------------------------------------------ hooks ----


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the item, so the ``pg`` fixture knows a test failed."""
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _TIMINGS:
        parts = ", ".join(f"{name} {seconds:.1f}s" for name, seconds in _TIMINGS.items())
        terminalreporter.write_line(f"acceptance set-up: {parts}; artifacts in {ARTIFACTS}")


# ----------------------------------------------------------------- processes ----


@dataclass(frozen=True)
class BotServer:
    url: str  # http://127.0.0.1:PORT
    port: int
    pid: int  # process group leader
    data_dir: Path
    log_path: Path

    @property
    def messages_url(self) -> str:
        return f"{self.url}/api/messages"


def bot_environment(data_dir: Path, port: int | None = None) -> dict[str, str]:
    """The environment of the bot and the CLI: local mode, SQLite in ``data_dir``.

    Every setting that a developer's shell or ``.env`` could set is given explicitly
    (``.env`` never overrides the real environment, empty values included).
    """
    env = {
        **os.environ,
        "HOST": "127.0.0.1",
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": "",
        "LOG_LEVEL": "WARNING",
        "MicrosoftAppId": "",
        "MicrosoftAppPassword": "",
        "MicrosoftAppTenantId": "",
        "ALLOWED_TENANT_IDS": "",
        "DEMO_USER_AAD_ID": "",
        "AGENDA_PAGE_SECRET": "",  # local mode: made in DATA_DIR at the bot's start
        "PUBLIC_URL": "",
        "PYTHONUNBUFFERED": "1",
    }
    if port is not None:
        env["PORT"] = str(port)
    return env


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@contextlib.contextmanager
def run_bot(data_dir: Path, log_path: Path, *, timeout: float = BOT_START_TIMEOUT) -> Iterator[BotServer]:
    """``python app.py`` on a free port in its own process group, until ``/readyz`` is 200.

    The port is free when chosen; should another process take it before the bot binds
    it, the bot exits at once and a new port is tried.
    """
    from tests.acceptance.playground import free_port

    for attempt in range(3):
        port = free_port()
        with open(log_path, "ab") as log:
            log.write(f"--- start {attempt + 1} on port {port}\n".encode())
            log.flush()
            proc = subprocess.Popen(
                [sys.executable, "app.py"],
                cwd=REPO_ROOT,
                env=bot_environment(data_dir, port),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: killpg reaches every child
            )
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + timeout
            while proc.poll() is None and not _ready(url + "/readyz"):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the bot did not get ready in {timeout:.0f}s; log:\n{log_tail(log_path)}")
                time.sleep(0.05)  # poll interval while the server comes up
            if proc.poll() is not None:
                if "address already in use" in log_tail(log_path).lower() and attempt < 2:
                    continue
                raise RuntimeError(f"the bot exited with status {proc.returncode}; log:\n{log_tail(log_path)}")
            yield BotServer(url=url, port=port, pid=proc.pid, data_dir=data_dir, log_path=log_path)
            return
        finally:
            kill_group(proc)


# ------------------------------------------------------------------ fixtures ----


def _timed(name: str, started: float) -> None:
    _TIMINGS[name] = time.monotonic() - started


@pytest.fixture(scope="package", autouse=True)
def _sigterm_tears_down() -> Iterator[None]:
    """A SIGTERM (e.g. a CI job's timeout) ends the run like Ctrl+C does, so that the
    fixtures' teardown still stops the bot and the Playground (own process groups)."""

    def interrupt(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.getsignal(signal.SIGTERM)
    if previous is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        if previous is signal.SIG_DFL:
            signal.signal(signal.SIGTERM, previous)


@pytest.fixture(scope="package")
def acceptance_dependencies() -> None:
    missing = missing_dependencies()
    if not missing:
        return
    reason = (
        "acceptance dependencies missing: " + "; ".join(missing) + ". Install them with "
        "`. .venv/bin/activate && scripts/install-acceptance-deps.sh` (see tests/acceptance/README.md)."
    )
    if in_ci():
        pytest.fail(f"CI=true: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="package")
def acceptance_data_dir(acceptance_dependencies: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh DATA_DIR holding the fictional demo partnership."""
    started = time.monotonic()
    data_dir = tmp_path_factory.mktemp("acceptance-data")
    result = subprocess.run(
        [sys.executable, "-m", "cli", "demo-data"],
        cwd=REPO_ROOT,
        env=bot_environment(data_dir),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=DEMO_DATA_TIMEOUT,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"`python -m cli demo-data` failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    _timed("demo data", started)
    return data_dir


@pytest.fixture(scope="package")
def bot_server(acceptance_data_dir: Path) -> Iterator[BotServer]:
    started = time.monotonic()
    log_path = acceptance_data_dir / "bot.log"
    with run_bot(acceptance_data_dir, log_path) as bot:
        _timed("bot", started)
        yield bot


@pytest.fixture(scope="package")
def playground_server(bot_server: BotServer) -> Iterator[PlaygroundServer]:
    from tests.acceptance.playground import run_playground

    started = time.monotonic()
    with run_playground(bot_server.messages_url) as server:
        _timed("playground", started)
        yield server


@pytest.fixture(scope="package")
def browser(acceptance_dependencies: None) -> Iterator[Browser]:
    import asyncio

    from tests.acceptance.playground import launch_chromium

    started = time.monotonic()
    with launch_chromium() as (_playwright, chromium):
        _timed("chromium", started)
        yield chromium
    # Playwright's sync API marks its loop as running between calls; once it has
    # stopped nothing may be left, or pytest-asyncio's tests after this package break.
    assert asyncio._get_running_loop() is None, "Playwright left an asyncio loop marked as running"


@pytest.fixture
def pg(request: pytest.FixtureRequest, browser: Browser, playground_server: PlaygroundServer) -> Iterator[Playground]:
    """A fresh page on the Playground, opened (the welcome is on its way), one per test.

    Afterwards: a screenshot named after the test, and on failure a text dump too.
    """
    from tests.acceptance.playground import Playground, SessionTimings

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = Playground(context.new_page(), server=playground_server)
        try:
            started = time.monotonic()
            page.open()
            page.timings = SessionTimings(page_seconds=time.monotonic() - started)
            yield page
        finally:
            if _save_artifacts(request.node, page):
                _end_dialog(page)
    finally:
        context.close()
    # An uncaught exception in the Playground's page (e.g. its card renderer choking on
    # a card) fails the test even when its assertions happened to pass.
    if page.page_errors:
        pytest.fail(f"errors in the Playground page: {page.page_errors}", pytrace=False)


def artifact_name(nodeid: str) -> str:
    """``tests/acceptance/test_x.py::test_y[a b]`` -> ``test_x.test_y-a_b``."""
    name = nodeid.split("/")[-1].replace(".py::", ".").replace("::", ".")
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name.replace("[", "-").replace("]", "")).strip("_")


def _end_dialog(page: Playground) -> None:
    """After a failure: `cancel` in the personal chat, whose dialog state all tests share,
    so that a dialog the failed test left open cannot swallow the next test's messages."""
    with contextlib.suppress(Exception):
        if page.scope != "personal":
            page.switch_to("personal")
        page.send("cancel")
        page.wait_for_bot_message(timeout=5)


def _save_artifacts(item: pytest.Item, page: Playground) -> bool:
    """End-state screenshot; on failure also the bot's messages and the traffic as text.

    Returns whether the test failed.
    """
    reports = item.stash.get(_REPORTS, {})
    failed = any(report.failed for report in reports.values())
    name = artifact_name(item.nodeid)
    try:
        page.screenshot(ARTIFACTS / f"{name}.png")
    except Exception as error:
        print(f"acceptance: no screenshot for {item.nodeid}: {error!r}", file=sys.stderr)
    failure = ARTIFACTS / f"{name}.failure.txt"
    if not failed:
        failure.unlink(missing_ok=True)
        return False
    with contextlib.suppress(Exception):
        lines = [f"{item.nodeid}: scope {page.scope}", f"page errors: {page.page_errors}", "", "bot messages shown:"]
        lines += [f"  [{m.seq}] {m.text!r}" for m in page.bot_messages()]
        lines += ["", "traffic (direction, type, status, text/value):"]
        for entry in page.traffic:
            activity = entry.activity
            what = activity.get("text") or activity.get("value") or activity.get("attachments") or ""
            lines.append(f"  {entry.direction} {entry.name} {entry.status} {json.dumps(what)[:300]}")
        failure.parent.mkdir(parents=True, exist_ok=True)
        failure.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return True
