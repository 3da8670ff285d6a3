"""What a target process costs, read from `/proc`: CPU time (user + system) and resident memory.

Both answer None once the process has gone (or is a zombie without memory).
"""

from __future__ import annotations

import os

_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    """utime + stime of every thread of `pid` so far, in seconds (10 ms resolution)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rpartition(")")[2].split()
    except FileNotFoundError:
        return None
    # After the ")" closing the command name, field 3 (state) is at index 0: utime is 14, stime 15.
    return (int(fields[11]) + int(fields[12])) / _TICKS_PER_SECOND


def rss_mb(pid: int) -> float | None:
    """VmRSS of `pid` in MiB."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return None


def cpu_ms_per(before: float | None, after: float | None, count: float) -> float | None:
    """CPU milliseconds per turn (or per second, or per whatever `count` counts) between two
    `cpu_seconds` readings."""
    if before is None or after is None or not count:
        return None
    return (after - before) * 1000 / count
