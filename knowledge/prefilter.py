"""A cheap first look at a set of case-insensitive regular expressions: which can match here?

Most gap patterns begin every alternative with a word boundary and a few fixed letters
(`\\baddress`, `\\bpost ?codes?`, `\\b(what|whats) address`, `\\b\\d{1,2}(st|nd)`), or with a
symbol (`£`, `@`). `WordStartFilter` reads those starts from each pattern once, with Python's
own regex parser; a text's words (and symbols) give the starts it has, and only the patterns
sharing one can match. A pattern with an alternative that does not start that way is always
possible, and so is every pattern for a text with a letter or digit outside ASCII (where
case-insensitive matching and `\\d` reach beyond ASCII: `ı`, `ſ`, the Kelvin sign, `٣`). So
searching only the possible patterns finds exactly what searching every pattern finds
(tests/knowledge/test_prefilter.py checks this on every question we have, and more).
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping
from re import _constants as c  # type: ignore[attr-defined]
from re import _parser as parser  # type: ignore[attr-defined]
from typing import Any, Generic, TypeVar

PREFIX = 5  # characters of a word start compared (from 3: a third fewer patterns searched)
MAX_STARTS = 64  # more possible starts than this for one pattern: not worth indexing
_WORD_START = re.compile(r"\b\w")
_SYMBOL = re.compile(r"[^\w\s]")
ASCII_DIGITS = frozenset("0123456789")
_WORD_CHAR = re.compile(r"\w")

Key = TypeVar("Key", bound=Hashable)
Items = list[tuple[Any, Any]]


class _Unindexable(Exception):
    """The pattern's start is not a word boundary and fixed letters."""


def _class_chars(items: Items) -> set[str]:
    chars: set[str] = set()
    for op, av in items:
        if op is c.LITERAL:
            chars.add(chr(av))
        elif op is c.CATEGORY and av is c.CATEGORY_DIGIT:
            chars |= ASCII_DIGITS  # other digits: the text is not compared (see `text_starts`)
        else:
            raise _Unindexable
    return chars


def _starts(items: Items, n: int) -> set[str]:
    """Strings one of which begins every match of `items`: up to `n` characters, fewer where
    the pattern ends or what comes next is not fixed enough to read (fewer is still true)."""
    if n == 0 or not items:
        return {""}
    (op, av), rest = items[0], items[1:]
    if op is c.LITERAL or op is c.IN:
        chars = {chr(av)} if op is c.LITERAL else _class_chars(av)
        starts = {first + tail for first in chars for tail in _starts(rest, n - 1)}
    elif op is c.SUBPATTERN:
        group, add_flags, del_flags, sub = av
        if add_flags or del_flags:
            raise _Unindexable
        starts = _starts(list(sub) + rest, n)
    elif op is c.BRANCH:
        starts = set().union(*(_starts(list(alternative) + rest, n) for alternative in av[1]))
    elif op in (c.MAX_REPEAT, c.MIN_REPEAT):
        low, high, sub = av
        if (low, high) == (0, 1):
            starts = _starts(list(sub) + rest, n) | _starts(rest, n)
        elif low >= 1:
            starts = _starts(list(sub), n)  # what follows the first repetition is not read
        else:
            starts = {""}
    elif op in (c.ASSERT, c.ASSERT_NOT) or (op is c.AT and av is c.AT_BOUNDARY):
        starts = _starts(rest, n)  # zero width: only ever narrows what matches
    else:
        starts = {""}  # not read further
    if len(starts) > MAX_STARTS:
        starts = {start[:1] for start in starts}
        if len(starts) > MAX_STARTS:
            raise _Unindexable
    return starts


def _word_starts(items: Items) -> set[str]:
    """The starts of every alternative of `items`, each of which must begin, after any
    lookarounds, with a word boundary and a word character, or with a symbol."""
    if not items:
        raise _Unindexable
    (op, av), rest = items[0], items[1:]
    if op is c.LITERAL and _SYMBOL.match(chr(av)):
        return {chr(av)}  # found anywhere, not only at a word's start
    if op is c.AT and av is c.AT_BOUNDARY:
        starts = _starts(rest, PREFIX)
        if not starts or any(not start or not _WORD_CHAR.match(start) for start in starts):
            raise _Unindexable
        return {start.lower() for start in starts}
    if op in (c.ASSERT, c.ASSERT_NOT):
        return _word_starts(rest)
    if op is c.SUBPATTERN and not (av[1] or av[2]):
        return _word_starts(list(av[3]) + rest)
    if op is c.BRANCH:
        return set().union(*(_word_starts(list(alternative) + rest) for alternative in av[1]))
    raise _Unindexable


def word_starts(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """What a word must start with for `pattern` to match there; `None`: not known."""
    if not pattern.flags & re.IGNORECASE:
        return None
    try:
        starts = _word_starts(list(parser.parse(pattern.pattern, pattern.flags)))
    except (_Unindexable, RecursionError):
        return None
    if any(char.isalnum() and not char.isascii() for start in starts for char in start):
        return None  # `ſ` in a pattern matches "s": only ASCII letters and digits are compared
    return frozenset(starts)


def text_starts(text: str) -> frozenset[str] | None:
    """The first 1 to `PREFIX` characters (lower case) of each word of `text`, and its symbols;
    `None` when the text has a letter or digit outside ASCII."""
    if not text.isascii() and any(char.isalnum() and not char.isascii() for char in text):
        return None
    lowered = text.lower()
    words = (lowered[m.start() : m.start() + k] for m in _WORD_START.finditer(text) for k in range(1, PREFIX + 1))
    return frozenset((*words, *_SYMBOL.findall(text)))


class WordStartFilter(Generic[Key]):
    """Which of some case-insensitive patterns can match a text, by their words' starts."""

    def __init__(self, patterns: Mapping[Key, re.Pattern[str]]) -> None:
        self._all = frozenset(patterns)
        self._always: set[Key] = set()
        self._by_start: dict[str, set[Key]] = {}
        for key, pattern in patterns.items():
            starts = word_starts(pattern)
            if starts is None:
                self._always.add(key)
            for start in starts or ():
                self._by_start.setdefault(start, set()).add(key)

    def possible(self, text: str) -> frozenset[Key] | set[Key]:
        """The keys of the patterns that may match `text`: the others cannot."""
        starts = text_starts(text)
        if starts is None:
            return self._all
        found = set(self._always)
        for start in starts:
            found.update(self._by_start.get(start, ()))
        return found
