"""The benchmark's referral queue scenario: CPU per queue view at 1 and 8 users, beside the echo
bot in the same run. (A bot that does not know `referral queue` gets a note instead of figures:
this test requires the figures.)

Timings depend on the machine, so nothing here asserts one; only that the figures exist.
"""

from __future__ import annotations

from bench.report import render
from bench.runner import run
from bench.scenarios import QUEUE_USER_AAD_ID, bot_scenarios
from bench.turns import parse_args


def test_the_queue_is_asked_for_by_a_partnership_lead() -> None:
    queue = bot_scenarios()["queue"]
    assert queue.messages == ("referral queue",) and queue.opening is None
    assert queue.aad_object_id == QUEUE_USER_AAD_ID and queue.started is not None


async def test_the_queue_scenario_runs_beside_the_echo_bot() -> None:
    args = ["--targets", "echo,bot", "--scenarios", "queue", "--levels", "1,8", "--turns", "16"]
    args += ["--warmup", "8", "--seconds", "30", "--conversations", "0", "--idle-seconds", "0"]
    results = await run(parse_args(args), progress=lambda _line: None)

    assert results.failures == []
    echo = [(level.target, level.level) for level in results.levels if level.target == "echo"]
    assert echo == [("echo", 1), ("echo", 8)]
    queue = [level for level in results.levels if level.scenario == "queue"]
    assert results.notes == []  # the referrals feature registers `referral queue`
    assert [(level.target, level.level, level.errors) for level in queue] == [("bot", 1, 0), ("bot", 8, 0)]
    assert all(level.cpu_ms_per_turn is not None for level in queue)
    assert "echo" in render(results)
