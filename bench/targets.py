"""Starting and stopping the benchmark's targets, each a separate process on a free port.

Each target runs in its own process group (`start_new_session`), so stopping it stops
anything it started. Every live process is also stopped at interpreter exit, whatever
ended the run.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import aiohttp

REPO_ROOT = Path(__file__).resolve().parent.parent
_LIVE: set[subprocess.Popen[bytes]] = set()


class TargetError(RuntimeError):
    """A target did not start (or not in time); `log` holds the last lines of its output."""

    def __init__(self, summary: str, log: str) -> None:
        super().__init__(summary)
        self.log = log

    @property
    def last_line(self) -> str:
        return self.log.splitlines()[-1] if self.log else ""


@dataclass(frozen=True)
class TargetSpec:
    name: str
    argv: tuple[str, ...]
    env: Mapping[str, str]
    ready_path: str | None  # None: ready once a TCP connect succeeds
    # Run to completion (same environment) before the target starts; not in its start-up time.
    prepare: tuple[str, ...] | None = None


@dataclass
class RunningTarget:
    spec: TargetSpec
    process: subprocess.Popen[bytes]
    url: str
    log_path: Path
    startup_s: float

    @property
    def pid(self) -> int:
        return self.process.pid


_NO_AUTH = {"MicrosoftAppId": "", "MicrosoftAppPassword": "", "MicrosoftAppTenantId": ""}


def raw_spec() -> TargetSpec:
    return TargetSpec("raw", (sys.executable, "-m", "bench.raw_bot"), dict(_NO_AUTH), "/healthz")


def echo_spec() -> TargetSpec:
    return TargetSpec("echo", (sys.executable, "-m", "bench.echo_bot"), dict(_NO_AUTH), None)


def bot_spec(name: str, data_dir: Path, database_url: str, admin_aad_object_id: str) -> TargetSpec:
    """`python app.py` in local mode, serving every tenant, logging as in production (INFO), on a
    database that `python -m cli demo-data` has migrated and filled first (the demo partnership,
    with `admin_aad_object_id` as its Partnership admin, who may open the `people` dialog)."""
    env = {
        **_NO_AUTH,
        "MicrosoftAppType": "SingleTenant",
        "ALLOWED_TENANT_IDS": "",
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "INFO",
        "DEMO_USER_AAD_ID": admin_aad_object_id,
    }
    demo_data = (sys.executable, "-m", "cli", "demo-data")
    return TargetSpec(name, (sys.executable, "app.py"), env, "/readyz", prepare=demo_data)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def log_tail(path: Path, lines: int = 6) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.strip().splitlines()[-lines:])


async def start(
    spec: TargetSpec, log_dir: Path, session: aiohttp.ClientSession, timeout: float = 60.0
) -> RunningTarget:
    """Start `spec` on a free port and wait until it is ready; on failure nothing is left running."""
    port = free_port()
    env = {**os.environ, **spec.env, "HOST": "127.0.0.1", "PORT": str(port)}
    log_path = log_dir / f"{spec.name}.log"
    if spec.prepare:
        await _prepare(spec, env, log_dir / f"{spec.name}.prepare.log", timeout)
    with open(log_path, "wb") as log:
        began = time.perf_counter()
        process = subprocess.Popen(
            spec.argv,
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    _LIVE.add(process)
    target = RunningTarget(spec, process, f"http://127.0.0.1:{port}", log_path, 0.0)
    try:
        deadline = began + timeout
        while not await _ready(target, session):
            if process.poll() is not None:
                raise TargetError(f"exited with code {process.returncode}", log_tail(log_path))
            if time.perf_counter() > deadline:
                raise TargetError(f"not ready after {timeout:.0f} s", log_tail(log_path))
            await asyncio.sleep(0.02)
        target.startup_s = time.perf_counter() - began
        return target
    except BaseException:
        await stop(target)
        raise


async def _prepare(spec: TargetSpec, env: Mapping[str, str], log_path: Path, timeout: float) -> None:
    assert spec.prepare is not None
    what = " ".join(spec.prepare[1:])
    with open(log_path, "wb") as log:
        process = await asyncio.create_subprocess_exec(
            *spec.prepare,
            cwd=REPO_ROOT,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            code = await asyncio.wait_for(process.wait(), timeout)
        except BaseException as error:  # a timeout, or the run being cancelled: stop it either way
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
            if isinstance(error, asyncio.TimeoutError):
                raise TargetError(f"{what} took over {timeout:.0f} s", log_tail(log_path)) from None
            raise
    if code != 0:
        raise TargetError(f"{what} exited with code {code}", log_tail(log_path))


async def _ready(target: RunningTarget, session: aiohttp.ClientSession) -> bool:
    try:
        if target.spec.ready_path is None:
            _reader, writer = await asyncio.open_connection("127.0.0.1", int(target.url.rsplit(":", 1)[1]))
            writer.close()
            await writer.wait_closed()
            return True
        timeout = aiohttp.ClientTimeout(total=2)
        async with session.get(target.url + target.spec.ready_path, timeout=timeout) as response:
            await response.read()
            return response.status == 200
    except (TimeoutError, OSError, aiohttp.ClientError):
        return False


async def stop(target: RunningTarget, grace: float = 10.0) -> None:
    """SIGTERM the target's process group, then SIGKILL it if it has not exited within `grace`."""
    process = target.process
    _signal_group(process, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while process.poll() is None and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    _kill(process)


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def _kill(process: subprocess.Popen[bytes]) -> None:
    # Only while the leader lives: once it is reaped its id (and so the group's) may be reused.
    if process.poll() is None:
        _signal_group(process, signal.SIGKILL)
        process.wait(timeout=10)
    _LIVE.discard(process)


@atexit.register
def _kill_all() -> None:
    for process in list(_LIVE):
        _kill(process)
