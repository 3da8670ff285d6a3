"""The benchmark's referral-step scenario: the demo SENCO opens `refer` and answers its first
question by typing, each pair in a new conversation, and the step's CPU is split from the opening's.

Timings depend on the machine, so nothing here asserts one; only that the figures exist.
"""

from __future__ import annotations

from bench.report import render
from bench.runner import run
from bench.scenarios import REFERRAL_USER_AAD_ID, bot_scenarios
from bench.turns import parse_args


def test_the_step_is_sent_by_a_senco_after_refer() -> None:
    step = bot_scenarios()["referral-step"]
    assert step.opening == "refer" and step.messages == ("a referral to the partnership",)
    assert step.aad_object_id == REFERRAL_USER_AAD_ID and step.started is not None


async def test_the_referral_step_scenario_measures_steps_on_the_real_bot() -> None:
    args = ["--targets", "bot", "--scenarios", "referral-step", "--levels", "1", "--turns", "4"]
    args += ["--warmup", "1", "--seconds", "30", "--conversations", "0", "--idle-seconds", "0"]
    results = await run(parse_args(args), progress=lambda _line: None)

    assert results.failures == [] and results.notes == []  # the reply to the step asks for the pupil
    [level] = results.levels
    assert (level.target, level.scenario, level.errors, level.measured) == ("bot", "referral-step", 0, 4)
    assert level.turns == 8  # each step after its opening
    assert level.cpu_ms_per_opening is not None and level.cpu_ms_per_step is not None
    assert "cpu ms/step" in render(results)
