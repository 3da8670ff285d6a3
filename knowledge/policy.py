"""The answering policy: answer, suggest ("Did you mean…") or decline honestly.

Bands come from the retriever's calibrated confidence. Questions that ask for something the
offer doesn't give (scope.py) are declined in words; where the rest of the question is answered
by the offer, that part is answered and the missing part declined ("I can't find … in the offer").
A reply never mixes key stages: a KS3 question never gets a KS4-only entry, and vice versa.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from knowledge.entries import CONTACT_PAGE, LNCIP_SITE, Entry
from knowledge.retriever import DEFINITION_CUES, Match, Retriever
from knowledge.scope import ScopeDetector
from knowledge.text import Analysis

ReplyKind = Literal["answer", "suggest", "decline"]
SOURCE = "LNCIP offer 2023-24"
GLOSSARY_SOURCE = "Glossary; offer facts from the LNCIP offer 2023-24"
PARTLY_COVERED = "more than this on your question"
# Words that may sit around a glossary term in "what is X?" without changing the question.
_DEFINITION_FILLER = DEFINITION_CUES | {"who", "word", "term", "full", "form", "does", "acronym"}


@dataclass(frozen=True)
class Reply:
    """What the assistant says to one question, as plain data (bot/qa_cards.py renders it)."""

    kind: ReplyKind
    question: str
    entry: Entry | None = None  # answer: the entry answered
    suggestions: tuple[Entry, ...] = ()  # suggest: up to three entries
    follow_ups: tuple[str, ...] = ()  # answer: 2-3 related questions for buttons
    source: str | None = None  # "LNCIP offer 2023-24 · <section>"
    link: str | None = None  # the offer's page for the entry, or the contact page
    missing: str | None = None  # what the offer doesn't give, for "I can't find … in the offer"
    note: str | None = None  # an extra sentence for a decline
    contact_links: tuple[str, ...] = (CONTACT_PAGE, LNCIP_SITE)
    confidence: float = 0.0


@dataclass(frozen=True)
class Thresholds:
    """Confidence bands (calibrated on the eval files; see tests/knowledge/test_policy.py)."""

    answer: float = 0.45
    suggest: float = 0.3
    pointer: float = 0.3  # the in-scope part of a partly out-of-scope question
    suggestion: float = 0.2  # each "Did you mean…" entry
    full_coverage: float = 0.67  # below this, the answer says the offer may not cover it all


def allowed(entry: Entry, stages: frozenset[str]) -> bool:
    """Answer the key stage that was asked: no other key stage's entries, no side-by-side figures."""
    if len(stages) != 1:
        return True
    other = "ks4" if "ks3" in stages else "ks3"
    return entry.key_stage not in (other, "compare")


class Policy:
    """Turns a question into a `Reply`."""

    def __init__(
        self,
        retriever: Retriever,
        scope: ScopeDetector,
        glossary_tokens: Mapping[str, str],
        thresholds: Thresholds | None = None,
        welcome: Sequence[str] = (),
    ) -> None:
        self.retriever = retriever
        self.scope = scope
        self.glossary_tokens = glossary_tokens
        self.t = thresholds or Thresholds()
        self.by_id: dict[str, Entry] = {entry.id: entry for entry in retriever.entries}
        self.welcome = tuple(self.by_id[entry_id] for entry_id in welcome)

    def reply(self, question: str) -> Reply:
        question = question.strip()
        analysis = self.retriever.analyzer.analyse(question)
        scope = self.scope.detect(question, analysis)
        if scope.hard:
            return Reply("decline", question, missing=scope.missing, note=scope.note, link=CONTACT_PAGE)
        if scope.gaps:
            partial = self.retriever.analyzer.analyse(scope.search_text)
            for match in self.matches(partial, 10):
                if match.entry.id in scope.pointers and match.confidence >= self.t.pointer:
                    return self.answer(question, match, partial, missing=scope.missing)
            return Reply("decline", question, missing=scope.missing, note=scope.note, link=CONTACT_PAGE)
        glossary = self.definition(analysis)
        if glossary is not None:
            return self.answer(question, Match(glossary, 0.0, 1.0), analysis)
        if not analysis.tokens:
            # "hi", "thanks", "?": nothing to search for, so offer the usual questions.
            return Reply("suggest", question, suggestions=self.welcome, link=CONTACT_PAGE)
        matches = self.matches(analysis, 5)
        if matches and matches[0].confidence >= self.t.answer:
            top = matches[0]
            # Part of the question found nothing in the entry: say so rather than imply it did.
            partial = PARTLY_COVERED if top.coverage < self.t.full_coverage else None
            return self.answer(question, top, analysis, missing=partial)
        if matches and matches[0].confidence >= self.t.suggest:
            suggestions = tuple(m.entry for m in matches if m.confidence >= self.t.suggestion)[:3]
            return Reply(
                "suggest", question, suggestions=suggestions, link=CONTACT_PAGE, confidence=matches[0].confidence
            )
        return Reply(
            "decline", question, link=CONTACT_PAGE, confidence=matches[0].confidence if matches else 0.0
        )

    def matches(self, analysis: Analysis, k: int) -> list[Match]:
        stages = analysis.key_stages
        return [m for m in self.retriever.search(analysis, k + 4) if allowed(m.entry, stages)][:k]

    def definition(self, analysis: Analysis) -> Entry | None:
        """'What does SENA mean?', 'PO?': a glossary term with nothing else asked."""
        rest = [t for t in analysis.tokens if t not in _DEFINITION_FILLER]
        if len(set(rest)) == 1 and rest[0] in self.glossary_tokens:
            return self.by_id[self.glossary_tokens[rest[0]]]
        return None

    def answer(self, question: str, match: Match, analysis: Analysis, missing: str | None = None) -> Reply:
        entry = match.entry
        source = GLOSSARY_SOURCE if entry.is_glossary else f"{SOURCE} · {entry.section}"
        return Reply(
            "answer",
            question,
            entry=entry,
            follow_ups=self.follow_ups(entry, analysis),
            source=source,
            link=entry.link,
            missing=missing,
            confidence=match.confidence,
        )

    def follow_ups(self, entry: Entry, analysis: Analysis, limit: int = 3) -> tuple[str, ...]:
        """The related entries' questions, in the asked key stage; topped up from the next matches."""
        stages = analysis.key_stages
        candidates: Sequence[Entry] = [self.by_id[i] for i in entry.related]
        if len(candidates) < 2:
            candidates = [*candidates, *(m.entry for m in self.matches(analysis, 6))]
        questions: list[str] = []
        for candidate in candidates:
            if candidate.id != entry.id and allowed(candidate, stages) and candidate.question not in questions:
                questions.append(candidate.question)
        return tuple(questions[:limit])
