"""Reading staff's words: normalising, text-speak, typo correction, acronym/synonym concepts, tokens.

The same `Analyzer` reads the entries (at load) and the questions (per query), so "SENCO",
"special educational needs co-ordinator" and "sendco" all become the one concept token `senco`
on both sides: that is how acronyms are understood in both directions. Every rule lives in data
(`knowledge/glossary.yaml`, `knowledge/synonyms.yaml`); this module only applies them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from re import _parser as _sre_parse  # type: ignore[attr-defined]  # to read what a pattern needs

from rapidfuzz import fuzz, process

# Digits that text-speak uses as words ("2 u" = "to you") stay digits before these units.
_NUMBER_UNITS = frozenset(
    "day days fte teacher teachers ta tas places place hours weeks week months terms pupils students "
    "kids staff ks3 ks4 years year".split()
)
# ... nor after these ("key stage 4", "year 2").
_NUMBER_BEFORE = frozenset("stage ks year yr y years yrs key".split())
_WORD = re.compile(r"[a-z0-9£_]+(?:[.:'\-/][a-z0-9]+)*")
_SPACES = re.compile(r" {2,}")
_TOKEN = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?|\.[0-9]+")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "“": '"', "”": '"', "–": "-", "—": "-"})
_CONTRACTIONS = (
    (re.compile(r"\bcan'?t\b"), "cannot"),
    (re.compile(r"\bwon'?t\b"), "will not"),
    (re.compile(r"n't\b"), " not"),
    (re.compile(r"'s\b"), ""),
    (re.compile(r"'re\b"), " are"),
    (re.compile(r"'ve\b"), " have"),
    (re.compile(r"'ll\b"), " will"),
    (re.compile(r"'d\b"), " would"),
    (re.compile(r"'m\b"), " am"),
)


@dataclass(frozen=True)
class Rule:
    """One rewrite: a surface-form pattern and the concept token(s) it becomes."""

    pattern: re.Pattern[str]  # the form at word boundaries
    replacement: str
    # The bare form, without the boundary look-arounds: several times faster to search (the regex
    # engine can scan for its literal prefix), so it cheaply rules out the ~500 forms that can't match.
    probe: re.Pattern[str] | None = None
    # Text the form cannot match without ("north charnwood"): a substring test is faster still, and
    # rules out most of the ~800 forms for any one text (it matters at load, where every entry is read).
    need: str | None = None
    _marked: str = field(init=False, repr=False, compare=False)

    @classmethod
    def of(cls, form: str, replacement: str) -> Rule:
        return cls(compile_form(form), replacement, re.compile(form), required_text(form))

    def __post_init__(self) -> None:
        # Tokens a rule makes start with "_", so no later rule rewrites them (see compile_form).
        object.__setattr__(self, "_marked", " " + " ".join(f"_{w}" for w in self.replacement.split()) + " ")

    def apply(self, text: str) -> str:
        if self.need is not None and self.need not in text:
            return text
        if self.probe is not None and self.probe.search(text) is None:
            return text
        if "t" in self.pattern.groupindex:
            new = self.pattern.sub(self._replace_group, text)
        else:
            new = self.pattern.sub(self._marked, text)
        # Single spaces keep the next rules' patterns ("sits on the inclusionforum") simple.
        return new if new == text else _SPACES.sub(" ", new)

    def _replace_group(self, match: re.Match[str]) -> str:
        # Only the named group `t` becomes the token; the context around it stays for later rules.
        whole, start = match.group(0), match.start(0)
        return whole[: match.start("t") - start] + self._marked + whole[match.end("t") - start :]


def required_text(form: str) -> str | None:
    """The longest run of plain characters every match of `form` contains (3+ characters), or None."""
    try:
        tree = _sre_parse.parse(form)
    except re.error:
        return None
    found = _required_run(tree)
    return found if len(found) >= 3 else None


def _required_run(tree: Iterable[tuple[object, object]]) -> str:
    best = run = ""
    for op, value in tree:
        if op is _sre_parse.LITERAL:
            run += chr(value)  # type: ignore[arg-type]
            continue
        best, run = max(best, run, key=len), ""
        if op in (_sre_parse.ASSERT, _sre_parse.ASSERT_NOT):
            continue  # a look-around matches no text of its own
        if op is _sre_parse.SUBPATTERN:  # a group that must match: what it needs, the form needs
            best = max(best, _required_run(value[-1]), key=len)  # type: ignore[index]
    return max(best, run, key=len)


def compile_form(form: str) -> re.Pattern[str]:
    """A surface form matched at word boundaries (letters/digits on neither side)."""
    # `\w` includes "_", which marks tokens already made: a later rule never rewrites them.
    return re.compile(rf"(?<!\w)(?:{form})(?!\w)")


@dataclass(frozen=True)
class Lexicon:
    """Everything the analyser knows about words, built from the YAML data files."""

    textspeak: Mapping[str, str]
    case_rules: tuple[Rule, ...]
    rules: tuple[Rule, ...]
    stopwords: frozenset[str]
    known_words: frozenset[str]
    weak_words: frozenset[str] = frozenset()

    @property
    def concept_tokens(self) -> frozenset[str]:
        return frozenset(word for rule in (*self.case_rules, *self.rules) for word in rule.replacement.split())


@dataclass(frozen=True)
class Analysis:
    """A question (or entry text) as the retriever sees it."""

    tokens: tuple[str, ...]
    corrected: frozenset[str]  # tokens that came from a typo correction (weaker evidence)
    unknown_words: tuple[str, ...]  # words neither known nor correctable (names, off-topic words)

    @property
    def key_stages(self) -> frozenset[str]:
        return frozenset(t for t in self.tokens if t in ("ks3", "ks4"))


def stem(word: str) -> str:
    """A deliberately light stemmer: plurals and -ing/-ed, enough to join 'meetings' and 'meet'."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("ing") and len(word) > 5:
        word = word[:-3]
    elif word.endswith("ed") and len(word) > 4:
        word = word[:-2]
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


def mostly_upper(text: str) -> bool:
    """A message typed in capitals: case-sensitive acronyms ('IF', 'SEND') mean nothing there."""
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 6 and sum(c.isupper() for c in letters) / len(letters) > 0.6


def normalise(text: str) -> str:
    """Unicode, quotes and contractions tidied; lower case."""
    text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).lower()
    for pattern, replacement in _CONTRACTIONS:
        text = pattern.sub(replacement, text)
    return text.replace("&", " and ").replace("£", " £ ")


class Analyzer:
    """Turns text into retrieval tokens. Built once per knowledge base; `analyse` is cached."""

    def __init__(self, lexicon: Lexicon, corpus_words: Iterable[str] = ()) -> None:
        self.lexicon = lexicon
        self._concepts = lexicon.concept_tokens
        # Targets for typo correction: words that really occur in the entries (a typo of a word no
        # entry uses would not help retrieval anyway), never stopwords (too short and too common).
        # Long stopwords stay targets: "partnerhsip" should vanish like "partnership", not count as
        # an unknown word.
        targets = {w for w in corpus_words if w.isalpha() and len(w) >= 3}
        targets -= {w for w in lexicon.stopwords if len(w) < 7}
        self._targets: tuple[str, ...] = tuple(sorted(targets))
        self._known = frozenset(targets) | lexicon.known_words | lexicon.stopwords | frozenset(lexicon.textspeak)
        self._rules_with_probes = tuple(r for r in lexicon.rules if r.probe is not None)
        # "lets", "making", "described": other forms of a stopword carry no more meaning than it does.
        self._stop_stems = frozenset(stem(w) for w in lexicon.stopwords if w.isalpha() and len(w) > 3)
        # Staff ask the same things again and again; both caches are bounded.
        self.analyse = lru_cache(maxsize=4096)(self._analyse)
        self.correct = lru_cache(maxsize=8192)(self._correct)

    # -- stages ---------------------------------------------------------------------------------
    @staticmethod
    def words(text: str) -> list[str]:
        """Raw words after normalising (used to collect the corpus vocabulary too)."""
        return _WORD.findall(normalise(text))

    def _speak(self, words: Sequence[str]) -> list[str]:
        out: list[str] = []
        for i, word in enumerate(words):
            following = words[i + 1] if i + 1 < len(words) else ""
            previous = words[i - 1] if i else ""
            if (
                word in ("2", "4")
                and following.isalpha()
                and following not in _NUMBER_UNITS
                and previous not in _NUMBER_BEFORE
            ):
                out.append("to" if word == "2" else "for")
            elif word == "y" and not following[:1].isdigit():
                out.append("why")
            else:
                out.append(self.lexicon.textspeak.get(word, word))
        return [w for w in " ".join(out).split(" ") if w]

    def _correct(self, word: str) -> str | None:
        """The entry word this unknown word is a typo of, or None."""
        if len(word) < 4 or not word.isalpha():
            return None
        padded = f" {word} "
        if any(rule.pattern.search(padded) for rule in self._rules_with_probes if rule.probe.search(padded)):  # type: ignore[union-attr]
            return None  # a word the synonym rules understand ("charging") is not a typo
        # Short words need a closer match: one slip in a short word is a large share of it, and
        # "sits" is not a typo of "visits".
        short = len(word) <= 5
        found = process.extractOne(word, self._targets, scorer=fuzz.ratio, score_cutoff=86 if short else 80)
        if found is None:
            return None
        # A candidate of very different length, or starting with another letter, is a different
        # word ("signed" is not "design"): slips rarely hit the first letter.
        guess: str = found[0]
        if abs(len(guess) - len(word)) > (1 if short else 2) or guess[0] != word[0]:
            return None
        if stem(guess) == stem(word):
            return None  # another form of the same word ("manage" for "managed"), not a typo: keep it
        return guess

    def _analyse(self, text: str) -> Analysis:
        original = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES)
        if not mostly_upper(original):
            for rule in self.lexicon.case_rules:
                original = rule.apply(original)
        words = self._speak(self.words(original))
        corrected: set[str] = set()
        unknown: list[str] = []
        fixed: list[str] = []
        for word in words:
            if word in self._known or word in self._concepts or not word.isalpha():
                fixed.append(word)
                continue
            guess = self.correct(word)
            if guess is None:
                unknown.append(word)
                fixed.append(word)
            else:
                corrected.add(guess)
                fixed.append(guess)
        joined = f" {' '.join(fixed)} "
        for rule in self.lexicon.rules:
            joined = rule.apply(joined)
        tokens: list[str] = []
        weak: set[str] = set()
        for raw in _TOKEN.findall(joined):
            if raw in self.lexicon.stopwords:
                continue
            token = raw if raw in self._concepts else stem(raw)
            if token != raw and token in self._stop_stems:
                continue
            tokens.append(token)
            if raw in corrected:
                weak.add(token)
        return Analysis(tokens=tuple(tokens), corrected=frozenset(weak), unknown_words=tuple(unknown))
