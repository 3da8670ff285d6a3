"""The turn benchmark runs end to end against the raw target and produces every figure.

Timings depend on the machine, so nothing here asserts one; only that the figures exist.
"""

from __future__ import annotations

import json
from pathlib import Path

from bench.report import render
from bench.runner import run
from bench.turns import parse_args, write_json


async def test_the_benchmark_produces_figures_for_the_raw_target(tmp_path: Path) -> None:
    out = tmp_path / "turns.json"
    options = parse_args(
        [
            "--targets",
            "raw",
            "--levels",
            "1",
            "--turns",
            "20",
            "--warmup",
            "5",
            "--seconds",
            "20",
            "--conversations",
            "10",
            "--idle-seconds",
            "0.5",
            "--json",
            str(out),
        ]
    )

    results = await run(options, progress=lambda _line: None)

    [level] = results.levels
    assert (level.target, level.scenario, level.level, level.errors, level.measured) == ("raw", "echo", 1, 0, 20)
    assert None not in (level.p50_ms, level.p95_ms, level.p99_ms, level.cpu_ms_per_turn, level.load_cpu_ms_per_turn)
    [start] = results.starts
    assert start.target == "raw" and start.rss_mb is not None and start.idle_cpu_ms_per_s is not None
    [conversations] = results.conversations
    assert (conversations.conversations, conversations.errors) == (10, 0)
    assert conversations.growth_mb is not None
    assert results.failures == []

    write_json(results, out)
    assert json.loads(out.read_text(encoding="utf-8"))["levels"][0]["turns"] == 20
    assert "raw" in render(results)


async def test_the_state_io_benchmark_gives_every_figure(tmp_path: Path) -> None:
    from bench.state_io import measure

    figures = await measure(f"sqlite+aiosqlite:///{tmp_path / 'state.db'}", count=5)
    assert set(figures) == {"read, nothing stored", "first write", "read, stored", "write with the etag read"}
    assert all(us >= 0 for us in figures.values())


def test_the_scenario_names_are_the_scenarios() -> None:
    from bench.scenarios import SCENARIOS, bot_scenarios

    assert tuple(bot_scenarios()) == SCENARIOS
