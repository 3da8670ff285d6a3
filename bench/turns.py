"""The standing turn benchmark: `python -m bench.turns` (options: `--help`; reading it: bench/README.md).

Starts a raw aiohttp handler, the stock botbuilder echo bot and the LNCIP assistant as separate
processes on free ports, drives each with the same load from this process, and prints turns/s,
latency percentiles, CPU per turn, memory and start-up time, with the bot's ratios to the two
baselines. With `BENCH_POSTGRES_URL` set, the bot also runs once on a fresh PostgreSQL database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.figures import Results
from bench.report import render
from bench.runner import TARGETS, Options, run
from bench.scenarios import SCENARIOS

MAX_LEVEL = 512


def _names(allowed: Sequence[str]) -> Callable[[str], tuple[str, ...]]:
    def parse(raw: str) -> tuple[str, ...]:
        names = tuple(n.strip() for n in raw.split(",") if n.strip())
        unknown = [n for n in names if n not in allowed]
        if unknown or not names:
            raise argparse.ArgumentTypeError(f"choose from {','.join(allowed)}")
        return names

    return parse


def _levels(raw: str) -> tuple[int, ...]:
    try:
        levels = tuple(int(n) for n in raw.split(",") if n.strip())
    except ValueError:
        raise argparse.ArgumentTypeError("levels are whole numbers, e.g. 1,8,64") from None
    if not levels or not all(1 <= n <= MAX_LEVEL for n in levels):
        raise argparse.ArgumentTypeError(f"levels are between 1 and {MAX_LEVEL}")
    return levels


def _positive(kind: type[int] | type[float]) -> Callable[[str], int | float]:
    def parse(raw: str) -> int | float:
        value = kind(raw)
        if value < 0:
            raise argparse.ArgumentTypeError("must not be negative")
        return value

    return parse


def parse_args(argv: Sequence[str] | None = None) -> Options:
    defaults = Options()
    parser = argparse.ArgumentParser(prog="python -m bench.turns", description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=_names(TARGETS), default=defaults.targets, help="raw,echo,bot")
    parser.add_argument("--levels", type=_levels, default=defaults.levels, help="concurrent users per level: 1,8,64")
    parser.add_argument("--turns", type=_positive(int), default=defaults.turns, help="measured turns per level")
    parser.add_argument("--seconds", type=_positive(float), default=defaults.seconds, help="time cap per level")
    parser.add_argument("--warmup", type=_positive(int), default=defaults.warmup, help="warm-up turns per level")
    parser.add_argument(
        "--scenarios", type=_names(SCENARIOS), default=defaults.scenarios, help=f"the bot's: {','.join(SCENARIOS)}"
    )
    parser.add_argument(
        "--conversations",
        type=_positive(int),
        default=defaults.conversations,
        help="new conversations (one turn each) for the memory phase; 0 skips it",
    )
    parser.add_argument("--conversations-seconds", type=_positive(float), default=defaults.conversations_seconds)
    parser.add_argument("--dialog-open", default=defaults.dialog_opening, help="message that starts the dialog")
    parser.add_argument("--dialog-step", default=defaults.dialog_step, help="the measured next step")
    parser.add_argument(
        "--dialog-marker", default=defaults.dialog_started, help="regex: the opening's reply is a prompt"
    )
    parser.add_argument("--start-timeout", type=_positive(float), default=defaults.start_timeout)
    parser.add_argument(
        "--idle-seconds",
        type=_positive(float),
        default=defaults.idle_seconds,
        help="after start-up, how long to leave each target alone and read its CPU; 0 skips it",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write every figure as JSON to this path")
    args = parser.parse_args(argv)
    return Options(
        targets=args.targets,
        levels=args.levels,
        turns=args.turns,
        seconds=args.seconds,
        warmup=args.warmup,
        scenarios=args.scenarios,
        conversations=args.conversations,
        conversations_seconds=args.conversations_seconds,
        dialog_opening=args.dialog_open,
        dialog_step=args.dialog_step,
        dialog_started=args.dialog_marker,
        postgres_url=os.environ.get("BENCH_POSTGRES_URL") or None,
        start_timeout=args.start_timeout,
        idle_seconds=args.idle_seconds,
        json_path=args.json,
    )


def write_json(results: Results, path: Path) -> None:
    path.write_text(json.dumps(results.to_json(), indent=2) + "\n", encoding="utf-8")


async def _main(options: Options) -> Results:
    # SIGTERM ends the run like Ctrl-C does: the task is cancelled and every target stopped.
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    return await run(options)


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    try:
        results = asyncio.run(_main(options))
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("interrupted: every started process was stopped", file=sys.stderr)
        return 130
    print(render(results))
    if options.json_path:
        write_json(results, options.json_path)
    return 1 if results.failures else 0


if __name__ == "__main__":
    sys.exit(main())
