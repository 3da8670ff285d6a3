"""Every eval file through render_reply(kb.reply(...)), scored by shared/eval/README.md's rule."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from bot.card_text import card_strings
from bot.qa_cards import render_reply
from knowledge import KnowledgeBase
from tests.knowledge.conftest import BLIND_EVAL, EVAL_FILES, EXTRA_EVAL, HOLDOUT_EVAL, PUBLIC_EVAL, eval_items

PASS_RATE = 0.95
MAX_REPLY = 1500
EVAL_IDS = ["public", "extra", "blind", "holdout", "dev", "holdout_2", "style_50"]


def reply_text(kb: KnowledgeBase, question: str) -> str:
    """What the user sees for the turn: the message text and the card's visible strings, lower-cased.

    Counts `text` as well as the card (as if the handler sent both), the stricter reading of the
    1,500-character limit.
    """
    rendered = render_reply(kb.reply(question))
    return "\n".join([rendered.text, *card_strings(rendered.card)]).lower()


def fact_in(fact: str, text: str) -> bool:
    return re.search(fact[3:], text) is not None if fact.startswith("re:") else fact in text


def passes(item: dict[str, Any], text: str) -> bool:
    return (
        all(fact_in(f, text) for f in item["expect_all"])
        and not any(fact_in(f, text) for f in item.get("expect_none", []))
        and len(text) <= MAX_REPLY
    )


@pytest.mark.parametrize("path", EVAL_FILES, ids=EVAL_IDS)
def test_eval_file_pass_rate(kb: KnowledgeBase, path: Path) -> None:
    items = eval_items(path)
    failures = []
    for item in items:
        text = reply_text(kb, item["question"])
        if not passes(item, text):
            failures.append(f"{item['id']} {item['question']!r}: {text[:300]!r}")
    rate = 1 - len(failures) / len(items)
    assert rate >= PASS_RATE, f"{rate:.1%} < {PASS_RATE:.0%}:\n" + "\n".join(failures)


@pytest.mark.parametrize("path", EVAL_FILES, ids=EVAL_IDS)
def test_every_out_of_scope_item_is_declined(kb: KnowledgeBase, path: Path) -> None:
    for item in eval_items(path):
        if item["topic"] == "out_of_scope":
            assert passes(item, reply_text(kb, item["question"])), item["id"]


def test_extra_questions_do_not_copy_the_public_ones() -> None:
    public = {item["question"].strip().lower() for item in eval_items(PUBLIC_EVAL)}
    extra = eval_items(EXTRA_EVAL)
    assert len(extra) >= 60
    assert not public & {item["question"].strip().lower() for item in extra}


def test_held_out_files_are_new_questions() -> None:
    seen = {item["question"].strip().lower() for p in (PUBLIC_EVAL, EXTRA_EVAL) for item in eval_items(p)}
    for path in (BLIND_EVAL, HOLDOUT_EVAL):
        items = eval_items(path)
        assert len(items) >= 70 and len({item["id"] for item in items}) == len(items)
        questions = {item["question"].strip().lower() for item in items}
        assert not seen & questions, path.name
        seen |= questions


def test_held_out_files_test_declining_too() -> None:
    for path in (BLIND_EVAL, HOLDOUT_EVAL):
        items = eval_items(path)
        assert sum(item["topic"] == "out_of_scope" for item in items) / len(items) >= 0.15, path.name


def test_no_phrasing_copies_an_eval_question(kb: KnowledgeBase) -> None:
    asked = {item["question"].strip().lower().rstrip("?") for p in EVAL_FILES for item in eval_items(p)}
    for entry in kb.entries:
        if entry.is_glossary:
            continue  # "What does LNCIP stand for?" and the like are made from the term, not written
        for phrasing in entry.phrasings:
            assert phrasing.strip().lower().rstrip("?") not in asked, (entry.id, phrasing)
