"""Small talk: "hi", "thanks!", "ok cool", "what can you do?" get a short friendly reply, never a
"Did you mean…" with unrelated entries and never a fact. The phrases live in `smalltalk.yaml`.

A message is small talk only when all of its words are small-talk phrases or filler; anything else
in it (a question about the offer, a name, a date) goes to the answering policy as usual.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

from knowledge.entries import DATA_DIR, KnowledgeDataError, parse_yaml

_NOT_WORDS = re.compile(r"[^a-z0-9' ]+")


@dataclass(frozen=True)
class SmallTalk:
    """One kind of small talk and what the assistant says to it."""

    id: str
    reply: str
    examples: bool
    pattern: re.Pattern[str]


class SmallTalkDetector:
    """Recognises a message that is nothing but small talk."""

    def __init__(self, kinds: tuple[SmallTalk, ...], filler: frozenset[str], unclear: str) -> None:
        self.kinds = kinds
        self.unclear = unclear  # the reply to a message with no words at all ("?", "🙂")
        self._kind_patterns = tuple((kind, re.compile(rf"\b(?:{kind.pattern.pattern})\b")) for kind in kinds)
        words = "|".join(re.escape(w) for w in sorted(filler, key=len, reverse=True))
        phrases = "|".join(f"(?:{kind.pattern.pattern})" for kind in kinds)
        self._all = re.compile(rf"(?:\b(?:{phrases}|{words})\b|\s)+")

    @classmethod
    def load(cls, path: Path | None = None) -> SmallTalkDetector:
        path = path or DATA_DIR / "smalltalk.yaml"
        try:
            raw = parse_yaml(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as error:
            raise KnowledgeDataError(f"{path}: cannot read ({error})") from None
        if not isinstance(raw, dict) or not isinstance(raw.get("kinds"), list):
            raise KnowledgeDataError(f"{path.name}: field 'kinds' must be a list")
        kinds: list[SmallTalk] = []
        for index, item in enumerate(raw["kinds"]):
            where = f"{path.name}: kind #{index + 1}"
            if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in ("id", "reply")):
                raise KnowledgeDataError(f"{where}: fields 'id' and 'reply' must be text")
            phrases = item.get("phrases")
            if not isinstance(phrases, list) or not phrases:
                raise KnowledgeDataError(f"{where}: field 'phrases' must be a non-empty list")
            try:
                pattern = re.compile("|".join(f"(?:{p})" for p in phrases))
            except re.error as error:
                raise KnowledgeDataError(f"{where}: field 'phrases' has a bad pattern ({error})") from None
            kinds.append(SmallTalk(item["id"], item["reply"].strip(), bool(item.get("examples")), pattern))
        filler = raw.get("filler") or []
        if not isinstance(filler, list):
            raise KnowledgeDataError(f"{path.name}: field 'filler' must be a list of words")
        unclear = raw.get("unclear")
        if not isinstance(unclear, str) or not unclear.strip():
            raise KnowledgeDataError(f"{path.name}: field 'unclear' must be non-empty text")
        return cls(tuple(kinds), frozenset(str(w).lower() for w in filler), unclear.strip())

    @staticmethod
    def _plain(message: str) -> str:
        text = unicodedata.normalize("NFKC", message).lower().replace("’", "'")
        text = _NOT_WORDS.sub(" ", text).replace("'", "")
        return " ".join(text.split())

    def detect(self, message: str) -> SmallTalk | None:
        """The kind of small talk `message` is, or None if it says (or asks) anything else."""
        text = self._plain(message)
        if not text or len(text) > 80 or not self._all.fullmatch(text):
            return None  # nothing to go on, a long message, or words that are not small talk
        for kind, pattern in self._kind_patterns:
            if pattern.search(text):
                return kind
        return self.kinds[-1]  # only filler ("really", "lol"): the last, most neutral kind
