"""The benchmark's register scenario: CPU per register shown at 1 and 8 users, beside the echo
bot in the same run, on any day (on a weekend or in a holiday the register is the last school
day's). Timings depend on the machine, so nothing here asserts one; only that the figures exist.
"""

from __future__ import annotations

from bench.report import render
from bench.runner import run
from bench.scenarios import REGISTER_USER_AAD_ID, bot_scenarios
from bench.turns import parse_args
from domain.demo_data import PLAYGROUND_PEOPLE
from domain.roles import Role


def test_the_register_is_asked_for_by_the_partnership_coordinator() -> None:
    register = bot_scenarios()["register"]
    assert register.messages == ("register",) and register.opening is None and register.started is not None
    suffix, _name, _email = PLAYGROUND_PEOPLE[None, Role.COORDINATOR]
    assert REGISTER_USER_AAD_ID.endswith(f"00{suffix}")


async def test_the_register_scenario_runs_beside_the_echo_bot() -> None:
    args = ["--targets", "echo,bot", "--scenarios", "register", "--levels", "1,8", "--turns", "16"]
    args += ["--warmup", "8", "--seconds", "30", "--conversations", "0", "--idle-seconds", "0"]
    results = await run(parse_args(args), progress=lambda _line: None)

    assert results.failures == [] and results.notes == []
    register = [level for level in results.levels if level.scenario == "register"]
    assert [(level.target, level.level, level.errors) for level in register] == [("bot", 1, 0), ("bot", 8, 0)]
    assert all(level.cpu_ms_per_turn is not None for level in register)
    assert "echo" in render(results)
