"""Score the bot on a file of staff questions: `python -m cli.evaluate_qa FILE --threshold 0.95`.

Each question goes through the bot's real activity handler as a fresh Teams personal-chat
message; the reply text is built and scored as `../shared/eval/README.md` describes.
Exits 1 when accuracy is below the threshold or an out-of-scope item is not declined.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount

from bot.card_text import visible_text
from bot.handler import LncipBot
from core.settings import Settings
from domain.conversations import PERSONAL
from knowledge import KnowledgeBase

MAX_REPLY_CHARS = 1500


@dataclass(frozen=True)
class Result:
    item: dict[str, Any]
    reply: str
    passed: bool


def fact_in(fact: str, text: str) -> bool:
    if fact.startswith("re:"):
        return re.search(fact[3:], text) is not None
    return fact in text


def passes(item: dict[str, Any], reply_text: str) -> bool:
    text = reply_text.lower()
    return (
        len(reply_text) <= MAX_REPLY_CHARS
        and all(fact_in(f, text) for f in item["expect_all"])
        and not any(fact_in(f, text) for f in item.get("expect_none", []))
    )


class InProcessTeams:
    """Sends messages to the bot's handler as Teams would, each in a fresh conversation."""

    def __init__(self, bot: LncipBot) -> None:
        self.bot = bot
        self.adapter = TestAdapter(bot.on_turn)
        self._count = 0

    async def ask(self, question: str) -> str:
        self._count += 1
        activity = Activity(
            type=ActivityTypes.message,
            text=question,
            channel_id="msteams",
            service_url="https://test.invalid",
            from_property=ChannelAccount(id="29:evaluator", name="Evaluator"),
            recipient=ChannelAccount(id="28:bot", name="LNCIP assistant"),
            conversation=ConversationAccount(id=f"eval-{self._count}", conversation_type=PERSONAL),
        )
        self.adapter.activity_buffer.clear()
        await self.adapter.process_activity(activity, self.bot.on_turn)
        return visible_text([a.serialize() for a in self.adapter.activity_buffer])


async def evaluate(items: list[dict[str, Any]], bot: LncipBot) -> list[Result]:
    teams = InProcessTeams(bot)
    results = []
    for item in items:
        reply = await teams.ask(item["question"])
        results.append(Result(item, reply, passes(item, reply)))
    return results


def report(results: list[Result]) -> str:
    by_topic: dict[str, list[bool]] = defaultdict(list)
    for result in results:
        by_topic[result.item.get("topic", "?")].append(result.passed)
    passed = sum(r.passed for r in results)
    lines = [f"accuracy: {passed}/{len(results)} = {passed / max(len(results), 1):.1%}"]
    for topic, outcomes in sorted(by_topic.items()):
        lines.append(f"  {topic:<18} {sum(outcomes)}/{len(outcomes)}")
    for result in results:
        if not result.passed:
            lines.append(f"\nFAIL {result.item['id']}: {result.item['question']}")
            lines.append(f"  expected all: {result.item['expect_all']}  none: {result.item.get('expect_none', [])}")
            lines.append("  reply: " + result.reply.replace("\n", "\n         "))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cli.evaluate_qa", description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path, help="a YAML file of questions in the eval format")
    parser.add_argument("--threshold", type=float, default=0.95, help="lowest accuracy that passes (0-1)")
    args = parser.parse_args(argv)
    if not args.file.is_file():
        parser.error(f"no such file: {args.file}")
    items = yaml.safe_load(args.file.read_text(encoding="utf-8"))
    bot = LncipBot(Settings(), KnowledgeBase.load())
    results = asyncio.run(evaluate(items, bot))
    print(report(results))
    accuracy = sum(r.passed for r in results) / max(len(results), 1)
    out_of_scope_missed = [r for r in results if r.item.get("topic") == "out_of_scope" and not r.passed]
    if out_of_scope_missed:
        print(f"\n{len(out_of_scope_missed)} out-of-scope item(s) not declined")
    return 0 if accuracy >= args.threshold and not out_of_scope_missed else 1


if __name__ == "__main__":
    sys.exit(main())
