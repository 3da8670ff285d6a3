"""The word-start prefilter never hides a pattern that matches (knowledge/prefilter.py)."""

from __future__ import annotations

import re
import string
import sys

import pytest

from knowledge.gaps import clean, load_gaps
from knowledge.prefilter import WordStartFilter, text_starts, word_starts
from tests.knowledge.conftest import EVAL_FILES, eval_items


def every_character() -> str:
    return "".join(chr(code) for code in range(sys.maxunicode + 1) if not 0xD800 <= code <= 0xDFFF)


def test_outside_ascii_only_letters_and_digits_can_pass_for_ascii() -> None:
    """What `text_starts` relies on: a character outside ASCII that an ASCII character matches
    case-insensitively, or that `\\d` matches, or that lower-cases to ASCII, is a letter or digit."""
    everything = every_character()
    outside = [char for char in everything if not char.isascii()]
    for char in string.printable:
        for found in re.findall(re.escape(char), everything, re.IGNORECASE):
            assert found.isascii() or found.isalnum(), (char, found)
    assert all(found.isascii() or found.isalnum() for found in re.findall(r"\d", everything))
    assert all(char.isalnum() for char in outside if any(c.isascii() and c.isalnum() for c in char.lower()))


@pytest.mark.parametrize(
    ("pattern", "starts"),
    [
        (r"\bif\b", {"if"}),
        (r"(?<!mail )\baddress (of|for)\b", {"addre"}),
        (r"\bpost ?codes?\b", {"post ", "postc"}),
        (r"\b(when|on)\b.{0,40}\btoday", {"when", "on"}),
        (r"\b\d{1,2}(st|nd)", set("0123456789")),
        (r"£|\bcost", {"£", "cost"}),
        (r"\b(is|are) there", {"is th", "are t"}),
    ],
)
def test_the_starts_read_from_a_pattern(pattern: str, starts: set[str]) -> None:
    assert word_starts(re.compile(pattern, re.IGNORECASE)) == starts


@pytest.mark.parametrize(
    "pattern", [r"\bſure", r"o'?clock", r"(?-i:\bMiss [A-Z])", r"\b[a-z]+ academy", r"\bok|anywhere"]
)
def test_a_pattern_without_fixed_word_starts_is_always_searched(pattern: str) -> None:
    assert word_starts(re.compile(pattern, re.IGNORECASE)) is None
    assert WordStartFilter({"p": re.compile(pattern, re.IGNORECASE)}).possible("nothing here") == {"p"}


def test_case_sensitive_patterns_are_always_searched() -> None:
    assert word_starts(re.compile(r"\bif\b")) is None


def test_a_text_with_letters_outside_ascii_is_compared_in_full() -> None:
    assert text_starts("ıf the centre") is None  # dotless i matches "i" case-insensitively
    assert text_starts("the ٣rd of May") is None  # \d matches an Arabic-Indic three
    words = {"w", "wh", "wha", "what", "what’", "s", "s ", "s i", "s it", "s it ", "i", "it", "it ", "it c", "it co"}
    words |= {"c", "co", "cos", "cost", "cost?"}
    assert text_starts("“What’s it cost?” £") == words | {"“", "’", "?", "”", "£"}


def variants(question: str) -> list[str]:
    return [question, question.upper(), question.lower(), f"Quick one: {question}!", question.replace(" ", "  ")]


@pytest.mark.parametrize("path", EVAL_FILES, ids=lambda path: path.name)
def test_no_gap_pattern_that_matches_is_left_out(path: object) -> None:
    patterns = {(gap.id, n): pattern for gap in load_gaps() for n, pattern in enumerate(gap.patterns)}
    prefilter = WordStartFilter(patterns)
    checked = 0
    for item in eval_items(path):  # type: ignore[arg-type]
        for question in variants(clean(str(item["question"]))):
            matching = {key for key, pattern in patterns.items() if pattern.search(question)}
            assert matching <= prefilter.possible(question), question
            checked += len(matching)
    assert checked > 0  # the questions do hit gaps: the check is not empty
