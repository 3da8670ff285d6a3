"""`KnowledgeBase`: the one object the bot holds. Loads the data once, then answers questions."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from knowledge.answering import Policy, Reply, Thresholds
from knowledge.entries import Entry, KnowledgeData, load
from knowledge.gaps import GapDetector, load_gaps
from knowledge.retriever import Match, Retriever, Weights
from knowledge.smalltalk import SmallTalkDetector
from knowledge.text import Analyzer

# The welcome card's example questions: one each for the forum, referrals and cost.
WELCOME_ENTRY_IDS = ("if-frequency", "referral-how", "cost-place")
# The answer to a question about the partnership as a whole ("tell me about the partnership").
ABOUT_ENTRY_ID = "lncip-what"
# Replies kept for questions asked again word for word (a reply is about 0.3 ms of work).
REPLY_MEMO_SIZE = 512


class KnowledgeBase:
    """The LNCIP offer 2023-24 as curated entries, with search and an answering policy."""

    def __init__(self, data: KnowledgeData, data_dir: Path | None = None) -> None:
        self.data = data
        # Typo correction aims at words the entries really use, so collect them first.
        words = {w for e in data.entries for text in (e.title, e.answer, *e.phrasings) for w in Analyzer.words(text)}
        self.analyzer = Analyzer(data.lexicon, words)
        self.retriever = Retriever(data.entries, self.analyzer, Weights())
        gaps = load_gaps(data_dir / "gaps.yaml" if data_dir else None)
        smalltalk = SmallTalkDetector.load(data_dir / "smalltalk.yaml" if data_dir else None)
        self.policy = Policy(
            self.retriever,
            GapDetector(gaps),
            data.glossary_tokens,
            Thresholds(),
            welcome=WELCOME_ENTRY_IDS,
            smalltalk=smalltalk,
            about=ABOUT_ENTRY_ID,
        )
        # The same words get the same reply, and many questions come again word for word: the
        # welcome card's examples, "Did you mean" and follow-up buttons, the common questions.
        self._replies = lru_cache(maxsize=REPLY_MEMO_SIZE)(self.policy.reply)

    @classmethod
    def load(cls, path: Path | None = None) -> KnowledgeBase:
        """Load and validate the data files under `path` (default: the `knowledge` package)."""
        return cls(load(path), Path(path) if path is not None else None)

    @property
    def entries(self) -> tuple[Entry, ...]:
        return self.data.entries

    def search(self, question: str, k: int = 5) -> list[Match]:
        """Entries ranked for the question, each with a confidence in [0, 1]."""
        return self.retriever.search(self.analyzer.analyse(question), k)

    def reply(self, question: str) -> Reply:
        """What to say: an answer, up to three suggestions, or an honest decline."""
        return self._replies(question)

    def entry(self, entry_id: str) -> Entry:
        try:
            return self.policy.by_id[entry_id]
        except KeyError:
            raise KeyError(f"no knowledge entry with id {entry_id!r}") from None

    def welcome_examples(self) -> list[str]:
        """Three example questions for the welcome card."""
        return [self.entry(entry_id).question for entry_id in WELCOME_ENTRY_IDS]
