"""The benchmark's dialog scenario runs on the real bot: the demo admin opens `people` and
answers with a new email each time, and the step's CPU is split from the opening's.

Timings depend on the machine, so nothing here asserts one; only that the figures exist.
"""

from __future__ import annotations

from pathlib import Path

from bench.activities import ActivityTemplate, VirtualUser
from bench.profile import top_frames
from bench.report import render
from bench.runner import run
from bench.scenarios import DIALOG_USER_AAD_ID, bot_scenarios
from bench.turns import parse_args


def test_every_dialog_is_about_a_new_email() -> None:
    dialog = bot_scenarios()["dialog"]
    assert dialog.opening == "people" and dialog.aad_object_id == DIALOG_USER_AAD_ID
    assert {dialog.message(n) for n in range(5)} == {f"bench.{n}@example.org".encode() for n in range(5)}
    qa = bot_scenarios()["qa"]
    assert qa.message(0) is qa.message(len(qa.messages))  # plain messages stay precomputed


def test_only_identified_users_carry_an_aad_object_id() -> None:
    template = ActivityTemplate("http://connector")
    assert b"aadObjectId" not in template.body(VirtualUser.numbered("u", 1), "t1", b"hi")
    body = template.body(VirtualUser.numbered("u", 1, DIALOG_USER_AAD_ID), "t1", b"hi")
    assert f'"aadObjectId": "{DIALOG_USER_AAD_ID}"'.encode() in body


def test_top_frames_reads_collapsed_stacks(tmp_path: Path) -> None:
    stacks = tmp_path / "stacks.txt"
    stacks.write_text("main (app.py:1);turn (bot/handler.py:5) 3\nmain (app.py:1);idle (x.py:2) 1\n", encoding="utf-8")
    assert top_frames(stacks, 2) == [(1.0, "main (app.py)"), (0.75, "turn (bot/handler.py)")]


async def test_the_dialog_scenario_measures_steps_on_the_real_bot() -> None:
    options = parse_args(
        [
            "--targets",
            "bot",
            "--scenarios",
            "dialog",
            "--levels",
            "1",
            "--turns",
            "4",
            "--warmup",
            "1",
            "--seconds",
            "30",
            "--conversations",
            "0",
        ]
    )
    results = await run(options, progress=lambda _line: None)

    assert results.failures == [] and results.notes == []
    [level] = results.levels
    assert (level.target, level.scenario, level.errors, level.measured) == ("bot", "dialog", 0, 4)
    assert level.turns == 8  # each step after its opening
    assert level.cpu_ms_per_opening is not None and level.cpu_ms_per_step is not None
    assert "cpu ms/step" in render(results)
