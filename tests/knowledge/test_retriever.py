"""Ranking: synonyms, acronyms, typos, key-stage routing, and BM25 that agrees with rank_bm25."""

from __future__ import annotations

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from knowledge import KnowledgeBase
from knowledge.retriever import Retriever, Weights


def top(kb: KnowledgeBase, question: str) -> str:
    matches = kb.search(question, 1)
    assert matches, question
    return matches[0].entry.id


@pytest.mark.parametrize(
    ("question", "entry_id"),
    [
        # Synonyms and acronyms find the entry.
        pytest.param("how often does the inclusion forum get together", "if-frequency", id="synonym"),
        pytest.param("how often does the IF get together", "if-frequency", id="synonym"),
        pytest.param("do we need a purchase order", "referral-po", id="synonym"),
        pytest.param("do we need a PO", "referral-po", id="synonym"),
        pytest.param("does the kid have to be semh", "referral-who", id="synonym"),
        pytest.param(
            "does the child have to have social emotional and mental health needs", "referral-who", id="synonym"
        ),
        pytest.param("what does a place cost us", "cost-place", id="synonym"),
        pytest.param("how much do we pay for a place", "cost-place", id="synonym"),
        pytest.param("what's the price of a place", "cost-place", id="synonym"),
        pytest.param("do you send them out full time in year 10", "ks4-offer", id="synonym"),
        pytest.param("who is the designated safeguarding lead contact for", "school-safeguarding", id="synonym"),
        # Typos still find the entry.
        pytest.param("how do i make a refferal", "referral-how", id="typo"),
        pytest.param("is there a engagment oficer", "engagement-officer", id="typo"),
        pytest.param("who monitors attendence at the center", "school-attendance", id="typo"),
        pytest.param("wots da cost of a plcement", "cost-place", id="typo"),
        # Key stages route to their own entry.
        pytest.param("how many places for year 8", "ks3-places", id="key-stage"),
        pytest.param("how many places for yr 10", "ks4-places", id="key-stage"),
        pytest.param("how many ks3 places", "ks3-places", id="key-stage"),
        pytest.param("how many key stage 4 places", "ks4-places", id="key-stage"),
        pytest.param("how long does a y9 placement last", "ks3-length", id="key-stage"),
        pytest.param("how long does a year 11 placement last", "ks4-length", id="key-stage"),
        pytest.param("how many places are there", "places-both", id="key-stage"),
    ],
)
def test_a_question_finds_its_entry(kb: KnowledgeBase, question: str, entry_id: str) -> None:
    assert top(kb, question) == entry_id


def test_confidence_is_calibrated_between_zero_and_one(kb: KnowledgeBase) -> None:
    on_topic = kb.search("how many ks4 places are there", 3)
    off_topic = kb.search("what colour is the sky on mars", 3)
    assert all(0.0 <= m.confidence <= 1.0 for m in on_topic + off_topic)
    assert on_topic[0].confidence > 0.7
    assert not off_topic or off_topic[0].confidence < 0.3
    assert [m.score for m in on_topic] == sorted((m.score for m in on_topic), reverse=True)


def test_bm25_matches_rank_bm25_with_plain_weights(kb: KnowledgeBase) -> None:
    """With every field weighted 1 and no routing, our precomputed BM25 is rank_bm25's BM25Okapi."""
    weights = Weights(
        title=1,
        phrasing=1,
        answer=1,
        glossary_without_cue=1,
        other_key_stage=1,
        unasked_key_stage=1,
        title_match=0,
        key_stage_query_term=1,
        corrected_query_term=1,
        weak_query_term=1,
        asked_key_stage=1,
        overview=1,
    )
    ours = Retriever(kb.entries, kb.analyzer, weights)
    corpus = [
        [t for text in (e.title, *e.phrasings, e.answer) for t in kb.analyzer.analyse(text).tokens] for e in kb.entries
    ]
    reference = BM25Okapi(corpus, k1=weights.k1, b=weights.b)
    for question in ["how often does the IF meet", "cost of a ks4 place", "who is the partnership senco"]:
        analysis = kb.analyzer.analyse(question)
        np.testing.assert_allclose(ours.scores(analysis), reference.get_scores(list(analysis.tokens)), rtol=1e-9)


def test_search_returns_at_most_k(kb: KnowledgeBase) -> None:
    assert len(kb.search("referral", 2)) == 2
    assert kb.search("referral", 0) == []
    assert kb.search("", 5) == []


def coverage_by_definition(retriever: Retriever, analysis: object, indices: list[int], share: float) -> float:
    """`Retriever.coverage` as first written: every term's weight and idf worked out each time."""
    terms = frozenset().union(*(retriever.doc_terms[i] for i in indices))
    any_stage = any(retriever.entries[i].key_stage in ("none", "shared") for i in indices)
    matched = total = 0.0
    for term, weight in retriever.query_weights(analysis).items():  # type: ignore[arg-type]
        if any_stage and term in ("ks3", "ks4"):
            continue
        unknown = (retriever.w.unknown_number_share if term[:1].isdigit() else share) * retriever.max_idf
        idf = retriever.idf.get(term, unknown)
        total += weight * idf
        if term in terms:
            matched += weight * idf
    return matched / total if total else 0.0


@pytest.mark.parametrize(
    "question",
    [
        "how many KS4 places?",
        "wots it cost us 2 send a yr10",
        "year 9 referral and the IF",
        "Jayden at 10am",
        "in-school support",
    ],
)
def test_precomputed_query_terms_give_the_same_figures(kb: KnowledgeBase, question: str) -> None:
    retriever = kb.retriever
    analysis = kb.analyzer.analyse(question)
    asked = set(analysis.tokens)
    by_loop = np.array([len(t & asked) / len(t) if t else 0.0 for t in retriever.title_terms])
    assert np.array_equal(retriever.title_share(analysis), by_loop)
    for indices in ([0], [5], [1, 2, 3], list(range(len(retriever.entries)))):
        for share in (0.7, 0.4):
            expected = coverage_by_definition(retriever, analysis, indices, share)
            assert retriever.coverage(analysis, indices if len(indices) > 1 else indices[0], share) == expected


def test_kept_query_terms_are_bounded(kb: KnowledgeBase) -> None:
    retriever = Retriever(kb.retriever.entries, kb.analyzer)
    for n in range(600):
        retriever.search(kb.analyzer.analyse(f"question number {n} about places"))
    assert 0 < len(retriever._queries) <= 256
