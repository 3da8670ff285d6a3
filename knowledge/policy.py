"""The answering policy: answer, suggest ("Did you mean…") or decline honestly.

Bands come from the retriever's calibrated confidence. Questions that ask for something the
offer doesn't give (scope.py) are declined in words; where the rest of the question is answered
by the offer, that part is answered and the missing part declined ("I can't find … in the offer").
A reply never mixes key stages: a KS3 question never gets a KS4-only entry, and vice versa.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from knowledge.entries import CONTACT_PAGE, LNCIP_SITE, Entry
from knowledge.retriever import DEFINITION_CUES, Match, Retriever
from knowledge.scope import Scope, ScopeDetector
from knowledge.text import Analysis

ReplyKind = Literal["answer", "suggest", "decline"]
SOURCE = "LNCIP offer 2023-24"
GLOSSARY_SOURCE = "Glossary; offer facts from the LNCIP offer 2023-24"
PARTLY_COVERED = "more than this"
_ASKING_WORDS = (
    r"(?:could|can|what|whats|who|whos|how|is|does|do|will|should|would|when|where|are|why|which|wots|wat|wen)\b"
)
# Sentences, keeping their "?"; a comma before an asking word starts a new one ("For a Y8 with
# autism, could the IF help?").
_SENTENCE = re.compile(rf"(?<=[.?!;])\s+|(?:,|\s+[-–—:])\s+(?={_ASKING_WORDS})", re.IGNORECASE)
_ASKING = re.compile(rf"\s*{_ASKING_WORDS}", re.IGNORECASE)
# Where a question asks two things: sentence ends, and "and"/"also"/"plus" between clauses.
_CLAUSE_BREAK = re.compile(
    rf"[.?!;]+\s*|(?:,|\s+[-–—:])\s+(?={_ASKING_WORDS})|\s+(?:and also|and|also|plus|n|&)\s+", re.IGNORECASE
)
# A short topic label before a dash or colon ("Ofsted: what…", "KS4 placement - is it…") is part
# of the question, not a sentence of its own.
_LABEL = re.compile(r"^(\W*\w+(?:\s+\w+){0,2})\s*[-–—:]\s+")
_SAME_THING = re.compile(r"(\d)\s+(and|&|or|to)\s+((?:ks|key stage|years?|yrs?|y)?\s?\d)", re.IGNORECASE)
_PRONOUN = re.compile(r"\b(it|its|they|them|their|this|that|these|those|he|she|him|her|one)\b", re.IGNORECASE)
_CLEARLY_BETTER = 0.15
LONG_ANSWER = 350  # characters: a long answer gets two follow-up buttons, not three, to stay short
TWO_ANSWERS = 600  # characters: two answers longer than this together would bury both
# Words that may sit around a glossary term in "what is X?" without changing the question.
_DEFINITION_FILLER = DEFINITION_CUES | {"who", "word", "term", "full", "form", "does", "acronym"}
# "what is X", "what's an X", "wots X" (but not "what's X for?": that asks about the offer).
_WHAT_IS = re.compile(r"^\s*(what|wat|wot)\s*(is|are|'s|’s|s)\b(?!.*\bfor\W*$)", re.IGNORECASE)


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
    also: tuple[Entry, ...] = ()  # answer: another entry for another part of the question
    contact_links: tuple[str, ...] = (CONTACT_PAGE, LNCIP_SITE)
    confidence: float = 0.0


@dataclass(frozen=True)
class Thresholds:
    """Confidence bands, calibrated on the eval files and further question sets: accuracy is flat
    for an answer threshold between 0.35 and 0.45, so it sits in the middle."""

    answer: float = 0.42
    suggest: float = 0.3
    pointer: float = 0.3  # the in-scope part of a partly out-of-scope question
    suggestion: float = 0.2  # each "Did you mean…" entry
    full_coverage: float = 0.67  # below this, the answer says the offer may not cover it all


@dataclass(frozen=True)
class Clause:
    """One part of a question that asks (or tells) more than one thing."""

    analysis: Analysis
    asking: bool


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
        if scope.gaps:
            return self.partly_out_of_scope(question, scope)
        glossary = self.definition(question, analysis) or self.definition_first(question)
        if glossary is not None:
            return self.answer(question, Match(glossary, 0.0, 1.0), analysis)
        if not analysis.tokens:
            # "hi", "thanks", "?": nothing to search for, so offer the usual questions.
            return Reply("suggest", question, suggestions=self.welcome, link=CONTACT_PAGE)
        analysis = self.focus(question, analysis)
        matches = self.matches(analysis, 5)
        confident = matches[0] if matches and matches[0].confidence >= self.t.answer else None
        answered = self.answer_parts(question, analysis, confident)
        if answered is not None:
            return answered
        top = matches[0].confidence if matches else 0.0
        if top >= self.t.suggest:
            suggestions = tuple(m.entry for m in matches if m.confidence >= self.t.suggestion)[:3]
            return Reply("suggest", question, suggestions=suggestions, link=CONTACT_PAGE, confidence=top)
        return Reply("decline", question, link=CONTACT_PAGE, confidence=top)

    def partly_out_of_scope(self, question: str, scope: Scope) -> Reply:
        """Decline what the offer doesn't give; answer the rest if an allowed entry fits it."""
        if not scope.hard:
            rest = self.retriever.analyzer.analyse(scope.search_text)
            matches = self.matches(rest, 10)
            # An entry the gap expects ("dates" -> the dates page) comes first and needs less
            # confidence; otherwise the best entry must answer the rest of the question clearly.
            expected = [m for m in matches if m.entry.id in scope.pointers and m.confidence >= self.t.pointer]
            clear = [m for m in matches[:1] if m.confidence >= self.t.answer and m.coverage >= self.t.full_coverage]
            if expected or clear:
                return self.answer(question, (expected + clear)[0], rest, missing=scope.missing)
        return Reply("decline", question, missing=scope.missing, note=scope.note, link=CONTACT_PAGE)

    def answer_parts(self, question: str, analysis: Analysis, confident: Match | None) -> Reply | None:
        """The answer: the best entry for the whole question (or for its best part), plus one more
        entry when another part asks something else; None when nothing is confident."""
        parts = self.clause_matches(question, analysis, _CLAUSE_BREAK)
        # Only a whole sentence may take over from the whole question: "…core group refuses and
        # sends us back…" split at "and" is two halves of one question, not two questions.
        sentences = self.clause_matches(question, analysis, _SENTENCE)
        asked = max((m for clause, m in sentences if clause.asking), key=lambda m: m.confidence, default=None)
        main = confident
        if main is None:
            candidates = parts + sentences
            asking = [m for clause, m in candidates if clause.asking] or [m for _, m in candidates]
            main = max(asking, key=lambda m: m.confidence, default=None)
        elif asked is not None and asked.confidence > main.confidence + _CLEARLY_BETTER:
            main = asked  # one sentence asks far more clearly than the whole message
        if main is None:
            return None
        main_index = self.retriever.index(main.entry)
        keywords = not any(clause.asking for clause, _ in parts)  # "ks4 places and length"
        also = next(
            (
                m.entry
                for clause, m in parts
                if (clause.asking or keywords)  # a second question, not the story around the first
                and m.entry.id != main.entry.id
                and self.retriever.coverage(clause.analysis, main_index) < self.t.full_coverage  # not answered yet
            ),
            None,
        )
        if also is not None and len(main.entry.answer) + len(also.answer) > TWO_ANSWERS:
            also = None  # two long answers would bury both: answer the main part only
        shown = (main.entry, also) if also else (main.entry,)
        covered = self.retriever.coverage(analysis, [self.retriever.index(e) for e in shown])
        # Part of the question found nothing in the answer: say so rather than imply it did.
        caveat = PARTLY_COVERED if covered < self.t.full_coverage else None
        return self.answer(question, main, analysis, missing=caveat, also=shown[1:])

    def focus(self, question: str, analysis: Analysis) -> Analysis:
        """Weigh the question over its context: in "Parents haven't given consent. Can we still
        take the case to IF?" the asking sentence counts twice, the story once."""
        sentences = [s for s in _SENTENCE.split(_LABEL.sub(r"\1 ", question)) if s.strip()]
        asks = [s for s in sentences if s.rstrip().endswith("?") or _ASKING.match(s)]
        if not asks or len(asks) == len(sentences):
            return analysis
        asked = self.retriever.analyzer.analyse(" ".join(asks))
        return Analysis(analysis.tokens + asked.tokens, analysis.corrected | asked.corrected, analysis.unknown_words)

    def clause_matches(
        self, question: str, analysis: Analysis, splitter: re.Pattern[str]
    ) -> list[tuple[Clause, Match]]:
        """Each part of a question that asks two things ("…? And …?") with an entry answering that
        part fully and confidently."""
        clauses: list[str] = []
        # "ks3 and ks4", "years 7 and 8" name one thing twice: keep them together.
        joined = _SAME_THING.sub(r"\1/\3", _LABEL.sub(r"\1 ", question))
        for clause in (c for c in splitter.split(joined) if c and c.strip()):
            # "…how the IF works and how often it runs", "…and who delivers it": a part that says
            # "it" and little else belongs with the part before it.
            content = self.content(self.retriever.analyzer.analyse(clause))
            if clauses and (not content or (len(content) < 2 and _PRONOUN.search(clause))):
                clauses[-1] += " " + clause
            else:
                clauses.append(clause)
        if len(clauses) < 2:
            return []
        found: list[tuple[Clause, Match]] = []
        for index, text in enumerate(clauses):
            # A part that asks ("could the IF help?") rather than tells ("a Y8 with autism").
            ends_asking = text.rstrip().endswith("?") or (index == len(clauses) - 1 and question.rstrip().endswith("?"))
            asking = bool(_ASKING.match(text)) or ends_asking
            part = Clause(self.retriever.analyzer.analyse(text), asking)
            glossary = self.definition(text, part.analysis, bare=False)
            if glossary is not None:
                found.append((part, Match(glossary, 0.0, 1.0)))
                continue
            for match in self.matches(part.analysis, 1):
                confident = match.confidence >= self.t.answer and match.coverage >= self.t.full_coverage
                if confident and allowed(match.entry, analysis.key_stages):
                    found.append((part, match))
        return found

    def content(self, analysis: Analysis) -> list[str]:
        """The tokens that carry a topic (not "who", "how", "LNCIP")."""
        weak = self.retriever.analyzer.lexicon.weak_words
        return [t for t in analysis.tokens if t not in weak]

    def matches(self, analysis: Analysis, k: int) -> list[Match]:
        stages = analysis.key_stages
        return [m for m in self.retriever.search(analysis, k + 4) if allowed(m.entry, stages)][:k]

    def definition_first(self, question: str) -> Entry | None:
        """'What is Plan Do Review and why do you want it?': the glossary entry answers both parts
        (its "In the offer" sentence says why)."""
        first = next((c for c in _CLAUSE_BREAK.split(question) if c and c.strip()), "")
        if first.strip() == question.strip():
            return None
        return self.definition(first, self.retriever.analyzer.analyse(first), bare=False)

    def definition(self, question: str, analysis: Analysis, bare: bool = True) -> Entry | None:
        """'What does SENA mean?', 'what's a PO', 'PO?': a glossary term with nothing else asked.

        "What does the partnership SENCO do?" or "is there a HLTA?" name a term too, but ask about
        the offer, so they go to the search instead.
        """
        rest = [t for t in analysis.tokens if t not in _DEFINITION_FILLER]
        if len(set(rest)) != 1 or rest[0] not in self.glossary_tokens:
            return None
        asks_meaning = bool(DEFINITION_CUES.intersection(analysis.tokens)) or bool(_WHAT_IS.match(question))
        if asks_meaning or (bare and len(question.split()) <= 2):
            return self.by_id[self.glossary_tokens[rest[0]]]
        return None

    def answer(
        self,
        question: str,
        match: Match,
        analysis: Analysis,
        missing: str | None = None,
        also: tuple[Entry, ...] = (),
    ) -> Reply:
        entry = match.entry
        source = GLOSSARY_SOURCE if entry.is_glossary else f"{SOURCE} · {entry.section}"
        return Reply(
            "answer",
            question,
            entry=entry,
            follow_ups=self.follow_ups(entry, analysis, shown=(entry, *also)),
            source=source,
            link=entry.link,
            missing=missing,
            also=also,
            confidence=match.confidence,
        )

    def follow_ups(self, entry: Entry, analysis: Analysis, shown: Sequence[Entry] = ()) -> tuple[str, ...]:
        """The related entries' questions, in the asked key stage; topped up from the next matches."""
        length = sum(len(e.answer) for e in shown) or len(entry.answer)
        limit = 2 if length > LONG_ANSWER else 3
        stages = analysis.key_stages
        candidates: Sequence[Entry] = [self.by_id[i] for i in entry.related]
        if len(candidates) < 2:
            candidates = [*candidates, *(m.entry for m in self.matches(analysis, 6))]
        skip = {entry.id, *(e.id for e in shown)}
        questions: list[str] = []
        for candidate in candidates:
            if candidate.id not in skip and allowed(candidate, stages) and candidate.question not in questions:
                questions.append(candidate.question)
        return tuple(questions[:limit])
