"""Child processes of the acceptance suite (the bot, the Playground): stopping them and reading
their logs. No Playwright here, so the conftest can use it before checking Playwright is there."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from pathlib import Path


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group (the bot shuts down cleanly), then SIGKILL what is left:
    children may outlive the leader, so the group is always swept."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


def log_tail(path: Path, lines: int = 40) -> str:
    """The last `lines` lines of a log file ("" if it cannot be read)."""
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""
