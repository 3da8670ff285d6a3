"""The benchmark's forum booking scenario: CPU per `book a case at the forum` turn (the card of
forums with free slots) at 1 and 8 users, sent by the demo SENCO, beside the echo bot in the same
run. Timings depend on the machine, so nothing here asserts one; only that the figures exist.
"""

from __future__ import annotations

from bench.runner import run
from bench.scenarios import BOOK_USER_AAD_ID, bot_scenarios
from bench.turns import parse_args


def test_the_booking_turn_is_sent_by_the_demo_senco() -> None:
    book = bot_scenarios()["book"]
    assert book.messages == ("book a case at the forum",) and book.opening is None
    assert book.aad_object_id == BOOK_USER_AAD_ID and book.started is not None


async def test_the_book_scenario_runs_beside_the_echo_bot() -> None:
    args = ["--targets", "echo,bot", "--scenarios", "book", "--levels", "1,8", "--turns", "16"]
    args += ["--warmup", "8", "--seconds", "30", "--conversations", "0", "--idle-seconds", "0"]
    results = await run(parse_args(args), progress=lambda _line: None)

    assert results.failures == []
    assert results.notes == []  # the forum feature knows the booking request
    book = [level for level in results.levels if level.scenario == "book"]
    assert [(level.target, level.level, level.errors) for level in book] == [("bot", 1, 0), ("bot", 8, 0)]
    assert all(level.cpu_ms_per_turn is not None for level in book)
