"""Ranking entries for a question: BM25 over precomputed per-term arrays, plus a calibrated confidence.

Okapi BM25 with the same idf as `rank_bm25.BM25Okapi` (tests check the scores agree), but every
term's contribution to every entry is computed once at load, so a query is a handful of numpy
vector additions (microseconds). Field weights let a word in the entry's phrasings or title count
more than one that only appears in the answer.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from knowledge.entries import Entry
from knowledge.text import Analysis, Analyzer

# Words of the question that say "what does X mean": glossary entries only compete with the
# offer's own entries when one of these is present.
DEFINITION_CUES = frozenset(
    {"mean", "meaning", "stand", "stands", "define", "definition", "acronym", "abbreviation", "short"}
)
_KEY_STAGES = frozenset({"ks3", "ks4"})


@dataclass(frozen=True)
class Match:
    """One ranked entry: its BM25 score (after routing) and a confidence in [0, 1]."""

    entry: Entry
    score: float
    confidence: float
    coverage: float = 1.0  # share of the question's meaning the entry contains


@dataclass(frozen=True)
class Weights:
    """Tunable knobs, in one place."""

    k1: float = 1.2
    b: float = 0.5
    title: float = 2.0
    phrasing: float = 1.0
    answer: float = 0.5
    corrected_query_term: float = 0.8  # a typo-corrected word is slightly weaker evidence
    key_stage_query_term: float = 0.5  # "year 9" routes more than it ranks
    weak_query_term: float = 0.2  # "LNCIP", "offer": in nearly every question, telling little
    glossary_without_cue: float = 0.55
    other_key_stage: float = 0.15  # a KS4 entry for a KS3 question (and vice versa)
    asked_key_stage: float = 1.25  # an entry for the key stage asked, or for both ("year 9": the placement sections)
    unasked_key_stage: float = 0.75  # a KS3 or KS4 entry for a question naming neither
    both_key_stages: float = 1.3  # a side-by-side entry for a question naming both
    unknown_term_share: float = 0.7  # an unknown word counts 70% of the rarest known word...
    unknown_term_share_confidence: float = 0.4  # ...but only 40% towards confidence
    unknown_number_share: float = 0.25
    score_scale: float = 4.0  # score at which strength is 0.5
    title_match: float = 0.4  # bonus for the share of the entry's title the question contains
    overview: float = 1.1  # a topic's overview entry, for a question that names only the topic


@dataclass(frozen=True)
class QueryTerm:
    """One term of a question, with what `coverage` needs of it worked out once."""

    term: str
    weight: float
    idf: float | None  # None: no entry uses the term
    number: bool
    key_stage: bool


QUERY_CACHE_SIZE = 256  # questions whose terms are kept (a reply looks at one several times)


class Retriever:
    """BM25 over entries; `search` ranks, `confidence` calibrates."""

    def __init__(self, entries: Sequence[Entry], analyzer: Analyzer, weights: Weights | None = None) -> None:
        self.entries = tuple(entries)
        self._index = {entry.id: i for i, entry in enumerate(self.entries)}
        self.analyzer = analyzer
        self.w = weights or Weights()
        self._is_glossary = np.array([e.is_glossary for e in self.entries])
        self._overview = np.array([e.overview for e in self.entries])
        stage = np.array([e.key_stage for e in self.entries])
        self._entries_for_stage = {name: stage == name for name in ("ks3", "ks4", "compare", "shared")}
        docs = [self._document(entry) for entry in self.entries]
        # "who", "how", "LNCIP" in a title say little about its topic.
        weak = analyzer.lexicon.weak_words
        self.title_terms: tuple[frozenset[str], ...] = tuple(
            frozenset(t for t in analyzer.analyse(entry.title).tokens if t not in weak) for entry in self.entries
        )
        self.doc_terms: tuple[frozenset[str], ...] = tuple(frozenset(doc) for doc in docs)
        # Each title term's entries (1.0 where the title has it), and each title's size, so
        # the share of a title a question contains is a sum of vectors, not a loop over titles.
        self._title_sizes = np.array([len(t) for t in self.title_terms], dtype=np.float64)
        self._title_vectors: dict[str, npt.NDArray[np.float64]] = {}
        for i, title in enumerate(self.title_terms):
            for term in title:
                self._title_vectors.setdefault(term, np.zeros(len(self.entries)))[i] = 1.0
        self._queries: dict[Analysis, tuple[QueryTerm, ...]] = {}
        self.idf = self._idf(docs)
        self.max_idf = max(self.idf.values(), default=1.0)
        lengths = np.array([sum(doc.values()) for doc in docs], dtype=np.float64)
        norm = self.w.k1 * (1 - self.w.b + self.w.b * lengths / lengths.mean())
        self._vectors: dict[str, npt.NDArray[np.float64]] = {}
        for term, idf in self.idf.items():
            tf = np.array([doc.get(term, 0.0) for doc in docs], dtype=np.float64)
            self._vectors[term] = idf * tf * (self.w.k1 + 1) / (tf + norm)

    def _document(self, entry: Entry) -> dict[str, float]:
        counts: dict[str, float] = defaultdict(float)
        fields = ((self.w.title, (entry.title,)), (self.w.phrasing, entry.phrasings), (self.w.answer, (entry.answer,)))
        for weight, texts in fields:
            for text in texts:
                for token in self.analyzer.analyse(text).tokens:
                    counts[token] += weight
        return counts

    @staticmethod
    def _idf(docs: Sequence[dict[str, float]], epsilon: float = 0.25) -> dict[str, float]:
        # rank_bm25.BM25Okapi's idf: very common terms get a small positive floor, not a negative idf.
        n = len(docs)
        df: Counter[str] = Counter(term for doc in docs for term in doc)
        idf = {term: math.log(n - freq + 0.5) - math.log(freq + 0.5) for term, freq in df.items()}
        floor = epsilon * sum(idf.values()) / max(len(idf), 1)
        return {term: (value if value > 0 else floor) for term, value in idf.items()}

    def query_weights(self, analysis: Analysis) -> dict[str, float]:
        weights: dict[str, float] = defaultdict(float)
        for token in analysis.tokens:
            weight = 1.0
            if token in analysis.corrected:
                weight *= self.w.corrected_query_term
            if token in _KEY_STAGES:
                weight *= self.w.key_stage_query_term
            if token in self.analyzer.lexicon.weak_words:
                weight *= self.w.weak_query_term
            weights[token] += weight
        return weights

    def scores(self, analysis: Analysis) -> npt.NDArray[np.float64]:
        total = np.zeros(len(self.entries))
        for query in self.query_terms(analysis):
            vector = self._vectors.get(query.term)
            if vector is not None:
                total += query.weight * vector
        if self.w.title_match:
            # An entry whose whole title was asked for is the topic itself ("in-school support"),
            # not a narrower entry that shares the words ("cost of in-school support").
            title_share = self.title_share(analysis)
            total *= 1 + self.w.title_match * title_share
        total[self._overview] *= self.w.overview
        if not DEFINITION_CUES.intersection(analysis.tokens):
            total[self._is_glossary] *= self.w.glossary_without_cue
        stages, entries_for = analysis.key_stages, self._entries_for_stage
        if not stages:
            # No key stage named: prefer the answer that gives both over either one alone.
            total[entries_for["ks3"] | entries_for["ks4"]] *= self.w.unasked_key_stage
        elif len(stages) == 2:
            # Both key stages named: the side-by-side answers fit best.
            total[entries_for["compare"]] *= self.w.both_key_stages
        elif len(stages) == 1:
            # Answer the key stage that was asked: never the other one's figures.
            other = "ks4" if "ks3" in stages else "ks3"
            total[entries_for[other] | entries_for["compare"]] *= self.w.other_key_stage
            total[entries_for[next(iter(stages))] | entries_for["shared"]] *= self.w.asked_key_stage
        return total

    def title_share(self, analysis: Analysis) -> npt.NDArray[np.float64]:
        """For each entry, the share of its title's terms that the question contains."""
        shared = np.zeros(len(self.entries))
        for term in set(analysis.tokens):
            vector = self._title_vectors.get(term)
            if vector is not None:
                shared += vector
        return np.divide(shared, self._title_sizes, out=np.zeros(len(self.entries)), where=self._title_sizes > 0)

    def query_terms(self, analysis: Analysis) -> tuple[QueryTerm, ...]:
        """The question's terms and weights (`query_weights`), kept for the next look."""
        terms = self._queries.get(analysis)
        if terms is None:
            if len(self._queries) >= QUERY_CACHE_SIZE:
                self._queries.clear()
            terms = tuple(
                QueryTerm(term, weight, self.idf.get(term), term[:1].isdigit(), term in _KEY_STAGES)
                for term, weight in self.query_weights(analysis).items()
            )
            self._queries[analysis] = terms
        return terms

    def index(self, entry: Entry) -> int:
        return self._index[entry.id]

    def coverage(
        self, analysis: Analysis, entry_index: int | Sequence[int], unknown_share: float | None = None
    ) -> float:
        """Share of the question's meaning (idf-weighted) that the entry contains.

        A word no entry uses counts `unknown_share` of the rarest known word: it may be a sign the
        question is about something else. A number is only a detail ("6 weeks"), so it counts less.
        """
        share = self.w.unknown_term_share if unknown_share is None else unknown_share
        return self.coverages(analysis, entry_index, (share,))[0]

    def coverages(
        self, analysis: Analysis, entry_index: int | Sequence[int], unknown_shares: tuple[float, ...]
    ) -> tuple[float, ...]:
        """`coverage` for each of `unknown_shares`, in one pass over the question's terms."""
        indices = [entry_index] if isinstance(entry_index, int) else entry_index
        if len(indices) == 1:
            terms = self.doc_terms[indices[0]]
        else:
            terms = frozenset().union(*(self.doc_terms[i] for i in indices))
        # An entry for every key stage answers "how do I refer a year 9?" in full: the key stage
        # named is no part of the question it leaves out.
        any_stage = any(self.entries[i].key_stage in ("none", "shared") for i in indices)
        unknowns = [share * self.max_idf for share in unknown_shares]
        unknown_number = self.w.unknown_number_share * self.max_idf
        matched, total = [0.0] * len(unknowns), [0.0] * len(unknowns)
        for query in self.query_terms(analysis):
            if any_stage and query.key_stage:
                continue
            for i, unknown in enumerate(unknowns):
                idf = query.idf if query.idf is not None else (unknown_number if query.number else unknown)
                total[i] += query.weight * idf
                if query.term in terms:
                    matched[i] += query.weight * idf
        return tuple(m / t if t else 0.0 for m, t in zip(matched, total, strict=True))

    def match(self, analysis: Analysis, entry_index: int, score: float) -> Match:
        """Confidence: coverage (forgiving unknown words: staff add their own), damped when the BM25
        score is weak. `Match.coverage` is the strict reading, for saying what wasn't found."""
        shares = (self.w.unknown_term_share_confidence, self.w.unknown_term_share)
        forgiving, strict = self.coverages(analysis, entry_index, shares)
        strength = score / (score + self.w.score_scale)
        confidence = round(forgiving * (0.4 + 0.6 * strength), 4)
        return Match(self.entries[entry_index], score, confidence, round(strict, 4))

    def search(self, analysis: Analysis, k: int = 5) -> list[Match]:
        scores = self.scores(analysis)
        if k <= 0 or not scores.any():
            return []
        top = np.argsort(-scores, kind="stable")[:k]
        return [self.match(analysis, int(i), float(scores[i])) for i in top if scores[i] > 0]
