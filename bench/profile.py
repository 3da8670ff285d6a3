"""Where a turn's time goes: the real bot under the benchmark's load, sampled by py-spy.

    pip install py-spy            # into the virtualenv only; it is not a project requirement
    python -m bench.profile --scenario qa --seconds 20 --users 8 --out qa.txt
    BENCH_POSTGRES_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/postgres python -m bench.profile ...

Starts the bot as `bench.turns` does (demo data loaded, local mode), warms it up, then samples
it with `py-spy record --gil` (only the thread holding the GIL, so about CPU, not waiting) while
the same virtual users as the benchmark's send turns. Writes py-spy's collapsed stacks to `--out`
and prints the frames with the largest share of samples (inclusive), and the target's CPU per turn.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import itertools
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import aiohttp

from bench.activities import VirtualUser
from bench.connector import StandInConnector
from bench.load import REPLY_TIMEOUT_S, Turn, TurnClient, drive
from bench.postgres import fresh_database
from bench.proc import cpu_ms_per, cpu_seconds
from bench.scenarios import DIALOG_USER_AAD_ID, SCENARIOS, bot_scenarios
from bench.targets import bot_spec, start, stop

_LINE = re.compile(r":\d+\)$")


def top_frames(collapsed: Path, count: int) -> list[tuple[float, str]]:
    """(share of samples, frame) for the `count` frames present in the most samples."""
    total, inclusive = 0, collections.Counter[str]()
    for line in collapsed.read_text(encoding="utf-8").splitlines():
        stack, _, samples = line.rpartition(" ")
        if not stack or not samples.isdigit():
            continue
        total += int(samples)
        for frame in {_LINE.sub(")", f.strip()) for f in stack.split(";")}:
            inclusive[frame] += int(samples)
    return [(n / total, frame) for frame, n in inclusive.most_common(count)] if total else []


@contextlib.asynccontextmanager
async def database_url(postgres: str | None) -> AsyncIterator[str]:
    if not postgres:
        yield ""
        return
    async with fresh_database(postgres) as url:
        yield url


async def profile(scenario_name: str, seconds: float, users: int, out: Path, postgres: str | None) -> int:
    # Installed into the virtualenv, it sits next to its python even when the venv is not activated.
    py_spy = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if py_spy is None:
        print("py-spy is not installed: pip install py-spy (into the virtualenv only)", file=sys.stderr)
        return 2
    scenario = bot_scenarios()[scenario_name]
    pool = aiohttp.TCPConnector(limit=users + 8, limit_per_host=0)
    with tempfile.TemporaryDirectory(prefix="lncip-profile-") as tmp:
        async with (
            aiohttp.ClientSession(connector=pool, timeout=aiohttp.ClientTimeout(total=REPLY_TIMEOUT_S)) as session,
            StandInConnector() as connector,
            database_url(postgres) as url,
        ):
            spec = bot_spec("bot", Path(tmp) / "data", url, DIALOG_USER_AAD_ID)
            target = await start(spec, Path(tmp), session)
            try:
                client = TurnClient(session, target.url, connector)
                numbers = itertools.count()
                fixed = [VirtualUser.numbered("profile", i, scenario.aad_object_id) for i in range(users)]

                def plan(worker: int, n: int) -> Turn:
                    if scenario.encoded_opening is None:
                        return Turn(fixed[worker], scenario.message(next(numbers)))
                    number = next(numbers)
                    user = VirtualUser.numbered("profile-dialog", number, scenario.aad_object_id)
                    return Turn(user, scenario.message(number), scenario.encoded_opening)

                await drive(client, users, 10 * users, 10.0, plan)  # warm-up
                recorder = await asyncio.create_subprocess_exec(
                    py_spy,
                    "record",
                    "--pid",
                    str(target.pid),
                    "--gil",
                    "--rate",
                    "250",
                    "--format",
                    "raw",
                    "--duration",
                    str(int(seconds)),
                    "--output",
                    str(out),
                    stdout=asyncio.subprocess.DEVNULL,
                    stderr=asyncio.subprocess.DEVNULL,
                )
                await asyncio.sleep(0.5)  # py-spy attaches
                before, began = cpu_seconds(target.pid), time.perf_counter()
                phase = await drive(client, users, 10**9, max(1.0, seconds - 1.5), plan)
                cpu_ms = cpu_ms_per(before, cpu_seconds(target.pid), phase.turns)
                await recorder.wait()
            finally:
                await stop(target)
    print(
        f"{scenario_name}: {phase.turns} turns in {time.perf_counter() - began:.1f} s, {phase.errors} errors, "
        f"{'-' if cpu_ms is None else f'{cpu_ms:.2f}'} ms CPU per turn (while sampled)"
    )
    if not out.exists():
        print("py-spy wrote nothing (is ptrace allowed here?)", file=sys.stderr)
        return 1
    print(f"collapsed stacks: {out}")
    for share, frame in top_frames(out, 60):
        print(f"{share * 100:5.1f}%  {frame}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=SCENARIOS, default="qa")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--users", type=int, default=8, help="concurrent virtual users")
    parser.add_argument("--out", type=Path, default=Path("profile.txt"), help="py-spy's collapsed stacks")
    args = parser.parse_args(argv)
    postgres = os.environ.get("BENCH_POSTGRES_URL") or None
    return asyncio.run(profile(args.scenario, args.seconds, args.users, args.out, postgres))


if __name__ == "__main__":
    sys.exit(main())
