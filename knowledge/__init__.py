"""The Q&A brain of the LNCIP assistant: the partnership's offer 2023-24 as curated entries.

Plain Python (no Bot Framework): `KnowledgeBase.load()` reads and validates the data files once;
`kb.reply(question)` returns a `Reply` (answer, "Did you mean…", an honest decline, or a friendly
word for small talk) that `bot/qa_cards.py` renders as an Adaptive Card.

Layout: `entries.py` (data files, validation), `text.py` (reading staff's words), `retriever.py`
(BM25 ranking and confidence), `gaps.py` (what the offer doesn't give), `smalltalk.py` ("hi",
"thanks"), `answering.py` (the reply), `base.py` (`KnowledgeBase`). Data: `entries/*.yaml`,
`glossary.yaml`, `synonyms.yaml`, `gaps.yaml`, `smalltalk.yaml`.
"""

from knowledge.answering import Reply
from knowledge.base import KnowledgeBase
from knowledge.entries import Entry, KnowledgeDataError
from knowledge.retriever import Match

__all__ = ["Entry", "KnowledgeBase", "KnowledgeDataError", "Match", "Reply"]
