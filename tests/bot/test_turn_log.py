"""Each turn writes one log line when it ends: ids, kinds and its duration, never what was said."""

from __future__ import annotations

import pytest

from knowledge import KnowledgeBase
from tests.fixtures.bot_server import BotClient
from tests.fixtures.logs import JsonLines

PUPIL = "Zebedee Quartermaine"  # a made-up pupil: must appear in no log line


async def test_a_question_writes_one_line_with_its_answer_and_none_of_its_words(
    bot: BotClient, logged: JsonLines
) -> None:
    await bot.conversation().ask("How many KS4 places are there?")
    await bot.conversation().ask(f"Can {PUPIL} have one of the KS4 places?")
    answered, named = logged.lines("lncip.turn")
    assert answered["event"] == "turn"
    assert answered["activity_type"] == "message" and answered["conversation_type"] == "personal"
    assert answered["answer"] == "answer" and isinstance(answered["entry_id"], str)
    assert "person_id" in answered and "failed" not in answered
    assert isinstance(answered["ms"], float) and answered["ms"] >= 0
    assert answered["correlation_id"] not in ("-", named["correlation_id"])
    assert isinstance(named["answer"], str)
    everything = "\n".join(logged.written)
    assert PUPIL.split()[0] not in everything and "KS4 places" not in everything


async def test_a_command_is_named_in_its_line(bot: BotClient, logged: JsonLines) -> None:
    await bot.conversation().ask("help")
    await bot.conversation().ask("people")  # Sam Teacher is not in the directory
    help_line, people_line = logged.lines("lncip.turn")
    assert help_line["command"] == "help" and "answer" not in help_line and "refused" not in help_line
    assert (people_line["command"], people_line["refused"]) == ("people", "not_allowed")


async def test_a_failing_turn_still_writes_its_line(
    bot: BotClient, logged: JsonLines, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_knowledge: KnowledgeBase, _question: str) -> None:
        raise RuntimeError("the knowledge base is broken")

    monkeypatch.setattr(KnowledgeBase, "reply", broken)
    await bot.conversation().ask("how many KS4 places?")
    [line] = logged.lines("lncip.turn")
    assert line["failed"] is True
    failed = [entry for entry in logged.lines() if entry["event"] == "turn_failed"]
    assert failed and failed[0]["correlation_id"] == line["correlation_id"]
