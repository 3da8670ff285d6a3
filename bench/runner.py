"""Runs the turn benchmark: starts each target in turn, drives it, and collects the figures.

Order per target: start and wait for readiness (start-up time), leave it alone a while (idle CPU),
then for each scenario and concurrency level a warm-up and a measured phase, then the
distinct-conversations phase.
Every target is stopped before the next one starts, so each has both cores to itself.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import platform
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from bench.activities import VirtualUser
from bench.connector import StandInConnector
from bench.figures import ConversationFigures, LevelFigures, Results, StartFigures
from bench.load import REPLY_TIMEOUT_S, Phase, Turn, TurnClient, TurnError, drive, percentile_ms
from bench.postgres import fresh_database
from bench.proc import cpu_ms_per, cpu_seconds, rss_mb
from bench.scenarios import (
    DIALOG_OPENING,
    DIALOG_STARTED,
    DIALOG_STEP,
    DIALOG_USER_AAD_ID,
    ECHO,
    SCENARIOS,
    Scenario,
    bot_scenarios,
)
from bench.targets import RunningTarget, TargetError, TargetSpec, bot_spec, echo_spec, raw_spec, start, stop

TARGETS = ("raw", "echo", "bot")
WARMUP_MAX_S = 10.0

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Options:
    targets: tuple[str, ...] = TARGETS
    levels: tuple[int, ...] = (1, 8, 64)
    turns: int = 2000
    seconds: float = 30.0
    warmup: int = 100
    scenarios: tuple[str, ...] = SCENARIOS
    conversations: int = 10000
    conversations_seconds: float = 300.0
    dialog_opening: str = DIALOG_OPENING
    dialog_step: str = DIALOG_STEP
    dialog_started: str = DIALOG_STARTED
    postgres_url: str | None = None  # BENCH_POSTGRES_URL: also run the bot on a fresh PostgreSQL database
    start_timeout: float = 60.0
    idle_seconds: float = 20.0  # after start-up, before any load; 0 skips it
    json_path: Path | None = None


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


async def run(options: Options, progress: Progress = _stderr) -> Results:
    results = Results(machine=machine(), options=_public(options))
    # One persistent session for all load; its pool holds every concurrent user's connection.
    pool = aiohttp.TCPConnector(limit=max(64, *options.levels) + 8, limit_per_host=0)
    timeout = aiohttp.ClientTimeout(total=REPLY_TIMEOUT_S)
    with tempfile.TemporaryDirectory(prefix="lncip-bench-") as tmp:
        async with aiohttp.ClientSession(connector=pool, timeout=timeout) as session, StandInConnector() as connector:
            bench = _Bench(options, session, connector, Path(tmp), results, progress)
            scenarios = bot_scenarios(options.dialog_opening, options.dialog_step, options.dialog_started)
            chosen = [scenarios[name] for name in options.scenarios]
            for name in options.targets:
                if name == "raw":
                    await bench.target(raw_spec(), [ECHO])
                elif name == "echo":
                    await bench.target(echo_spec(), [ECHO])
                elif name == "bot":
                    await bench.target(bot_spec("bot", bench.data_dir("bot-sqlite"), "", DIALOG_USER_AAD_ID), chosen)
                    if options.postgres_url:
                        await bench.postgres_target(options.postgres_url, chosen)
    return results


class _Bench:
    def __init__(
        self,
        options: Options,
        session: aiohttp.ClientSession,
        connector: StandInConnector,
        work_dir: Path,
        results: Results,
        progress: Progress,
    ) -> None:
        self.options = options
        self.session = session
        self.connector = connector
        self.work_dir = work_dir
        self.results = results
        self.progress = progress
        self.run_id = secrets.token_hex(3)
        self.conversation_numbers = itertools.count()  # dialogs: a new conversation (and email) each
        self.message_numbers = itertools.count()  # the scenario's messages in turn across users and levels

    async def target(self, spec: TargetSpec, scenarios: Sequence[Scenario]) -> None:
        self.progress(f"{spec.name}: starting {' '.join(spec.argv[1:])}")
        try:
            target = await start(spec, self.work_dir, self.session, self.options.start_timeout)
        except TargetError as error:
            self.progress(f"{spec.name}: did not start: {error}\n{error.log}")
            self.results.failures.append(f"{spec.name}: did not start: {error}: {error.last_line}")
            return
        try:
            start_figures = StartFigures(spec.name, target.startup_s, rss_mb(target.pid))
            self.results.starts.append(start_figures)
            self.progress(f"{spec.name}: ready in {target.startup_s:.2f} s")
            if self.options.idle_seconds:
                start_figures.idle_cpu_ms_per_s = await self._idle_cpu(target)
            client = TurnClient(self.session, target.url, self.connector)
            measured: list[Scenario] = []
            for scenario in scenarios:
                if scenario.started is not None and not await self._dialog_available(client, spec.name, scenario):
                    continue
                measured.append(scenario)
                for level in self.options.levels:
                    if not self._alive(target):
                        return
                    self.results.levels.append(await self._level(target, client, scenario, level))
            plain = [s for s in measured if s.opening is None]
            if self.options.conversations and plain and self._alive(target):
                self.results.conversations.append(await self._conversations(target, client, plain[0]))
        finally:
            await stop(target)

    async def _idle_cpu(self, target: RunningTarget) -> float | None:
        """CPU milliseconds per second while the target is left alone for `--idle-seconds`."""
        self.progress(f"{target.spec.name}: idle for {self.options.idle_seconds:g} s")
        before = cpu_seconds(target.pid)
        await asyncio.sleep(self.options.idle_seconds)
        return cpu_ms_per(before, cpu_seconds(target.pid), self.options.idle_seconds)

    def data_dir(self, name: str) -> Path:
        """A fresh, empty DATA_DIR for one run of the bot."""
        path = self.work_dir / name
        path.mkdir()
        return path

    async def postgres_target(self, server_url: str, scenarios: Sequence[Scenario]) -> None:
        try:
            async with fresh_database(server_url) as database_url:
                spec = bot_spec("bot-pg", self.data_dir("bot-pg"), database_url, DIALOG_USER_AAD_ID)
                await self.target(spec, scenarios)
        except (OSError, asyncpg.PostgresError) as error:
            self.results.failures.append(
                f"bot-pg: no database from BENCH_POSTGRES_URL: {type(error).__name__}: {error}"
            )

    def _alive(self, target: RunningTarget) -> bool:
        if target.process.poll() is None:
            return True
        self.results.failures.append(f"{target.spec.name}: exited during the run (code {target.process.returncode})")
        return False

    async def _dialog_available(self, client: TurnClient, target: str, scenario: Scenario) -> bool:
        """Send the opening (if any) and one step in a new conversation; the dialog (or command)
        is there if the reply to the step is what it shows next (a form, the queue), not a
        refusal or an answer to a question the bot did not recognise as a command."""
        assert scenario.started is not None
        number = next(self.conversation_numbers)
        user = VirtualUser.numbered(f"{self.run_id}-{target}-probe", number, scenario.aad_object_id)
        sent = self.connector.capture(user.conversation_id)
        try:
            if scenario.encoded_opening is not None:
                await client.turn(user, scenario.encoded_opening)
            del sent[:]  # only the step's reply counts
            await client.turn(user, scenario.message(number))
            replies = b"\n".join(sent).decode("utf-8", "replace")
        except TurnError as error:
            replies, why = "", f"no reply to {scenario.opening!r} then {scenario.messages[0]!r}: {error}"
        else:
            after = f" after {scenario.opening!r}" if scenario.opening is not None else ""
            why = (
                f"the reply to {scenario.messages[0]!r}{after} is not what it shows "
                f"(no match for /{scenario.started.pattern}/): is the command registered in app.py?"
            )
        finally:
            self.connector.release(user.conversation_id)
        if scenario.started.search(replies):
            return True
        line = f"{target} {scenario.name}: not available yet: {why}"
        self.results.notes.append(line)
        self.progress(line)
        return False

    async def _level(self, target: RunningTarget, client: TurnClient, scenario: Scenario, level: int) -> LevelFigures:
        prefix = f"{self.run_id}-{target.spec.name}-{scenario.name}-c{level}"
        users = [VirtualUser.numbered(prefix, i, scenario.aad_object_id) for i in range(level)]
        opening = scenario.encoded_opening

        def plan(worker: int, n: int) -> Turn:
            if opening is None:
                return Turn(users[worker], scenario.message(next(self.message_numbers)))
            # A dialog: each opening and step in a conversation of their own, numbered across the run.
            number = next(self.conversation_numbers)
            user = VirtualUser.numbered(prefix, number, scenario.aad_object_id)
            return Turn(user, scenario.message(number), opening)

        options = self.options
        # Warm-up: every user has at least one turn before the clock starts.
        await drive(client, level, max(options.warmup, level), min(options.seconds, WARMUP_MAX_S), plan)
        cpu_before, load_before = cpu_seconds(target.pid), time.process_time()
        phase = await drive(client, level, options.turns, options.seconds, plan)
        cpu_after, load_after = cpu_seconds(target.pid), time.process_time()
        latencies = sorted(phase.latencies_s)
        figures = LevelFigures(
            target=target.spec.name,
            scenario=scenario.name,
            level=level,
            turns=phase.turns,
            measured=len(latencies),
            errors=phase.errors,
            seconds=phase.elapsed_s,
            turns_per_s=phase.turns / phase.elapsed_s if phase.elapsed_s else 0.0,
            p50_ms=percentile_ms(latencies, 0.50),
            p95_ms=percentile_ms(latencies, 0.95),
            p99_ms=percentile_ms(latencies, 0.99),
            cpu_ms_per_turn=cpu_ms_per(cpu_before, cpu_after, phase.turns),
            load_cpu_ms_per_turn=cpu_ms_per(load_before, load_after, phase.turns),
            rss_mb=rss_mb(target.pid),
            first_error=phase.first_error,
        )
        if opening is not None:
            cpu_s = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
            await self._split_dialog_cpu(target, client, scenario, level, figures, phase, cpu_s)
        self.progress(
            f"{figures.target} {figures.scenario} c={level}: {figures.turns} turns, {figures.errors} errors, "
            f"{figures.turns_per_s:.1f} turns/s, p50 {_ms(figures.p50_ms)} ms"
            + (f" (first error: {phase.first_error})" if phase.first_error else "")
        )
        return figures

    async def _split_dialog_cpu(
        self,
        target: RunningTarget,
        client: TurnClient,
        scenario: Scenario,
        level: int,
        figures: LevelFigures,
        phase: Phase,
        cpu_s: float | None,
    ) -> None:
        """CPU per step alone: run as many openings on their own (new conversations), and take
        their CPU off the openings-and-steps phase's."""
        assert scenario.encoded_opening is not None
        prefix = f"{self.run_id}-{target.spec.name}-{scenario.name}-open-c{level}"
        opening = scenario.encoded_opening

        def plan(_worker: int, _n: int) -> Turn:
            return Turn(VirtualUser.numbered(prefix, next(self.conversation_numbers), scenario.aad_object_id), opening)

        before = cpu_seconds(target.pid)
        openings = await drive(client, level, max(phase.openings, 1), self.options.seconds, plan)
        figures.cpu_ms_per_opening = cpu_ms_per(before, cpu_seconds(target.pid), openings.turns)
        steps = phase.turns - phase.openings
        if cpu_s is not None and figures.cpu_ms_per_opening is not None and steps:
            figures.cpu_ms_per_step = (cpu_s * 1000 - phase.openings * figures.cpu_ms_per_opening) / steps

    async def _conversations(
        self, target: RunningTarget, client: TurnClient, scenario: Scenario
    ) -> ConversationFigures:
        """One turn in each of many new conversations: what does the target keep per conversation?"""
        numbers = itertools.count()
        prefix = f"{self.run_id}-{target.spec.name}-new"

        def plan(_worker: int, _n: int) -> Turn:
            number = next(numbers)
            return Turn(VirtualUser.numbered(prefix, number), scenario.message(number))

        options = self.options
        self.progress(f"{target.spec.name}: {options.conversations} new conversations")
        rss_before, cpu_before = rss_mb(target.pid), cpu_seconds(target.pid)
        phase = await drive(client, max(options.levels), options.conversations, options.conversations_seconds, plan)
        return ConversationFigures(
            target=target.spec.name,
            scenario=scenario.name,
            conversations=phase.turns,
            errors=phase.errors,
            seconds=phase.elapsed_s,
            turns_per_s=phase.turns / phase.elapsed_s if phase.elapsed_s else 0.0,
            cpu_ms_per_turn=cpu_ms_per(cpu_before, cpu_seconds(target.pid), phase.turns),
            rss_before_mb=rss_before,
            rss_after_mb=rss_mb(target.pid),
        )


def machine() -> dict[str, Any]:
    versions: dict[str, str | None] = {}
    for package in ("botbuilder-core", "aiohttp", "msrest", "SQLAlchemy"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": versions,
    }


def _public(options: Options) -> dict[str, Any]:
    values = asdict(options)
    values["json_path"] = str(options.json_path) if options.json_path else None
    if options.postgres_url:
        values["postgres_url"] = "set"  # never write a password to the JSON
    return values


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
