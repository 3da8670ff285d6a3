"""Out-of-scope detection: does the question ask for something the offer does not give?

The offer has no dates, times, names, phone numbers, emails, addresses, prices or pupil records,
and staff will ask for them anyway. Each kind of gap is data (`knowledge/gaps.yaml`): how to
recognise it and the words for "I can't find … in the offer". A question can be partly in scope
("when is the next IF and is it on Teams?"): `QuestionGaps.search_text` is the question without the
out-of-scope words, so the policy can answer the rest.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

from knowledge.entries import DATA_DIR, KnowledgeDataError, parse_yaml
from knowledge.prefilter import WordStartFilter
from knowledge.text import Analysis

# Words that name a kind of school; a capitalised or unknown word before one is a school's name.
_SCHOOL_NAME = re.compile(
    r"\b((?:[a-z][\w-]* ){1,3})(academy|college|high school|school|high|grammar|community college)\b", re.IGNORECASE
)
_NOT_A_NAME = frozenset(
    "the a an our my your their home roll another this that mainstream special partnership each every any secondary "
    "primary own new base main local sixth fe further of at in to from for same other different".split()
)
_NAME_AFTER = frozenset("at from of the in to for".split())
# Asking for someone (or their details) just before a school's name: "who is the DSL at …",
# "the head's email at …". Not "I'm the SENCO at …, how do I refer?".
_ASKS_FOR_SOMEONE = re.compile(
    r"(\bwho(s|\s+is|\s+are)?\b|\b(name|names|contact details|email|e-mail|phone|number|mobile)\b)[^.?!]{0,50}$",
    re.IGNORECASE,
)
# One pupil: "is jayden in today", "how is tyler getting on", "has kai been attending".
_ABOUT_SOMEONE = re.compile(
    r"\b(?:is|has|was|did|does|will|hows|how is|how has|check on)\s+([a-z]+)\s+"
    r"(?:(doing|getting on|settling|settled|behaving|coping|attending|attended|been)\b"
    r"|(?=.*\b(today|yesterday|this week|this morning|right now|at the moment|lately|recently)\b))",
    re.IGNORECASE,
)
# Where a name is the speaker's own ("I'm Sarah, SENCO at …"), not a pupil's.
_SELF = re.compile(
    r"\b(i am|im|my name is|this is|it is|its|from|hi|hello|hey|thanks|cheers|regards|dear)\s+$", re.IGNORECASE
)
_SENTENCE_START = re.compile(r"(^|[.!?]\s+)$")
# A word that starts a school's name, maybe of several words ("Humphrey Perkins School"), is not a pupil's.
_WORD_NOT_BEFORE_SCHOOL = re.compile(
    r"\b([a-z]+)\b(?!(\s+[A-Z][\w-]*){0,2}\s+(academy|college|school|high|grammar)\b)", re.IGNORECASE
)
# After these a capitalised word is a place ("a school in Shepshed"), not a pupil.
_PLACE_BEFORE = re.compile(r"\b(in|near|around|across|outside|of|from|to|at|over in)\s+$", re.IGNORECASE)


@dataclass(frozen=True)
class Gap:
    """One kind of thing the offer doesn't give."""

    id: str
    missing: str
    hard: bool
    note: str | None
    patterns: tuple[re.Pattern[str], ...]
    pointers: tuple[str, ...]
    pointers_only: bool = False  # only a pointer may answer the rest (another entry would be off the point)
    topic: tuple[str, ...] = ()  # concept tokens of what is missing, to choose among the pointers
    yields: bool = False  # an entry holding the very words that look like this gap answers instead


@dataclass(frozen=True)
class QuestionGaps:
    """What a question asks that the offer can't answer."""

    gaps: tuple[Gap, ...]
    search_text: str  # the question without the out-of-scope words
    asked_for: str = ""  # the out-of-scope words themselves ("what date" in "PO - from what date?")

    @property
    def hard(self) -> bool:
        return any(gap.hard for gap in self.gaps)

    @property
    def deciding(self) -> tuple[Gap, ...]:
        """The gaps that decide the reply: the hard ones if any (they decline the whole question)."""
        hard = tuple(gap for gap in self.gaps if gap.hard)
        return hard or self.gaps

    @property
    def missing(self) -> str | None:
        """'a phone number or an email address' for the deciding gaps."""
        words = list(dict.fromkeys(gap.missing for gap in self.deciding))
        if not words:
            return None
        return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]

    @property
    def note(self) -> str | None:
        return next((gap.note for gap in self.deciding if gap.note), None)

    @property
    def topic(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(token for gap in self.gaps for token in gap.topic))

    @property
    def yields(self) -> bool:
        """Every gap found may give way to an entry that holds the words it matched."""
        return bool(self.gaps) and all(gap.yields for gap in self.gaps)

    @property
    def pointers_only(self) -> bool:
        return any(gap.pointers_only for gap in self.gaps)

    @property
    def pointers(self) -> frozenset[str]:
        """Entries that may answer the in-scope part (all soft gaps must allow them)."""
        sets = [frozenset(gap.pointers) for gap in self.gaps]
        return frozenset.intersection(*sets) if sets else frozenset()


def load_gaps(path: Path | None = None) -> tuple[Gap, ...]:
    path = path or DATA_DIR / "gaps.yaml"
    try:
        raw_items = parse_yaml(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise KnowledgeDataError(f"{path}: cannot read ({error})") from None
    if not isinstance(raw_items, list):
        raise KnowledgeDataError(f"{path.name}: expected a list of gaps")
    gaps: list[Gap] = []
    for index, raw in enumerate(raw_items):
        where = f"{path.name}: gap #{index + 1}"
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not isinstance(raw.get("missing"), str):
            raise KnowledgeDataError(f"{where}: fields 'id' and 'missing' must be text")
        where = f"{path.name}: gap '{raw['id']}'"
        try:
            patterns = tuple(re.compile(p, re.IGNORECASE) for p in raw.get("patterns") or ())
        except re.error as error:
            raise KnowledgeDataError(f"{where}: field 'patterns' has a bad pattern ({error})") from None
        hard = raw.get("hard")
        if not isinstance(hard, bool):
            raise KnowledgeDataError(f"{where}: field 'hard' must be true or false")
        pointers = tuple(raw.get("pointers") or ())
        if not hard and not pointers:
            raise KnowledgeDataError(f"{where}: field 'pointers' is required when 'hard' is false")
        pointers_only = raw.get("pointers_only", False)
        if not isinstance(pointers_only, bool):
            raise KnowledgeDataError(f"{where}: field 'pointers_only' must be true or false")
        yields = raw.get("yields", False)
        if not isinstance(yields, bool):
            raise KnowledgeDataError(f"{where}: field 'yields' must be true or false")
        topic = raw.get("topic") or ""
        if not isinstance(topic, str):
            raise KnowledgeDataError(f"{where}: field 'topic' must be text (concept tokens)")
        gaps.append(
            Gap(
                raw["id"],
                raw["missing"],
                hard,
                raw.get("note"),
                patterns,
                pointers,
                pointers_only,
                tuple(topic.split()),
                yields,
            )
        )
    return tuple(gaps)


def clean(question: str) -> str:
    """The question as the gap patterns read it: plain quotes, no apostrophes."""
    text = unicodedata.normalize("NFKC", question)
    return re.sub(r"['’‘`]", "", text)


class GapDetector:
    """Finds the gaps in a question."""

    def __init__(self, gaps: tuple[Gap, ...]) -> None:
        self.gaps = {gap.id: gap for gap in gaps}
        # Every pattern, in order (gap by gap); most questions share a word start with few of them.
        self._patterns = tuple((gap, pattern) for gap in gaps for pattern in gap.patterns)
        self._filter = WordStartFilter(dict(enumerate(pattern for _, pattern in self._patterns)))

    def detect(self, question: str, analysis: Analysis) -> QuestionGaps:
        text = clean(question)
        found: list[Gap] = []
        spans: list[tuple[int, int]] = []
        for number in sorted(self._filter.possible(text)):
            gap, pattern = self._patterns[number]
            group = "t" if "t" in pattern.groupindex else 0
            for match in pattern.finditer(text):
                spans.append(match.span(group))
                if not found or found[-1] is not gap:
                    found.append(gap)
        for gap_id in self._named(text, analysis, spans):
            if gap_id in self.gaps and self.gaps[gap_id] not in found:
                found.append(self.gaps[gap_id])
        asked_for = " ".join(text[start:end] for start, end in spans)
        return QuestionGaps(gaps=tuple(found), search_text=_without(text, spans), asked_for=asked_for)

    @staticmethod
    def _named(text: str, analysis: Analysis, spans: list[tuple[int, int]] = ()) -> list[str]:  # type: ignore[assignment]
        """Gaps recognised from names: a named school's staff, or one pupil by name. Words another gap
        already explains ("Hinckley", "Leicester City") are not names."""
        unknown = set(analysis.unknown_words)
        found: list[str] = []
        for match in _SCHOOL_NAME.finditer(text):
            # The school's name is the capitalised or unknown words just before "Academy" ("who's the
            # head at Limehurst Academy"); acronyms ("the DSL at ...") and plain words are not.
            name: list[str] = []
            words = match.group(1).split()
            for word in reversed(words):
                if word.lower() in _NOT_A_NAME or word.isupper() or not (word[:1].isupper() or word.lower() in unknown):
                    break
                name.insert(0, word)
            # A lower-case unknown word is a name only after "at", "from"…: not "has been refusing school".
            before_name = words[len(words) - len(name) - 1].lower() if len(name) < len(words) else ""
            if not name or not (name[0][:1].isupper() or before_name in _NAME_AFTER):
                continue
            name_start = match.start(2) - len(" ".join(name)) - 1
            if _ASKS_FOR_SOMEONE.search(text[:name_start]):
                found.append("school_staff")
        for match in _ABOUT_SOMEONE.finditer(text):
            if match.group(1).lower() in unknown:
                found.append("pupil")
        # A capitalised unknown word mid-sentence is someone's name (schools are caught above),
        # unless it is the speaker's own.
        for match in _WORD_NOT_BEFORE_SCHOOL.finditer(text):
            word, before = match.group(1), text[: match.start()]
            title_case = word[0].isupper() and word[1:].islower()  # "Jayden", not "CAMHS"
            if (
                title_case
                and word.lower() in unknown
                and not _SENTENCE_START.search(before)
                and not _SELF.search(before)
                and not _PLACE_BEFORE.search(before)
                and not any(start <= match.start() < end for start, end in spans)
            ):
                found.append("pupil")
        return found


def _without(text: str, spans: list[tuple[int, int]]) -> str:
    if not spans:
        return text
    keep = [True] * len(text)
    for start, end in spans:
        for i in range(start, end):
            keep[i] = False
    return "".join(c if k else " " for c, k in zip(text, keep, strict=True))
