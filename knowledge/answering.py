"""The answering policy: answer, suggest ("Did you mean…"), decline honestly, or chat (small talk).

Bands come from the retriever's calibrated confidence. Questions that ask for something the
offer doesn't give (gaps.py) are declined in words; where the rest of the question is answered
by the offer, that part is answered and the missing part declined ("I can't find … in the offer").
A reply never mixes key stages: a KS3 question never gets a KS4-only entry, and vice versa.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from knowledge.entries import CONTACT_PAGE, Entry
from knowledge.gaps import GapDetector, QuestionGaps
from knowledge.retriever import DEFINITION_CUES, Match, Retriever
from knowledge.smalltalk import SmallTalkDetector
from knowledge.text import Analysis

ReplyKind = Literal["answer", "suggest", "decline", "chat"]
# Gaps found from a name in the question (gaps.py): a pupil, a named person, a school's staff member.
NAMING_GAPS = frozenset({"pupil", "person", "school_staff"})
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
_KEY_STAGES = frozenset({"ks3", "ks4"})
_GENERIC = _KEY_STAGES | {"pupil"}  # what is left of "…for their child?" or "…for a year 8?": no topic
_ABOUT_PARTNERSHIP = re.compile(r"\b(partnerships?|seips?|the offer)\b", re.IGNORECASE)
LONG_ANSWER = 350  # characters: a long answer gets two follow-up buttons, not three, to stay short
TWO_ANSWERS = 600  # characters: two answers longer than this together would bury both
# Words that may sit around a glossary term in "what is X?" without changing the question.
_DEFINITION_FILLER = DEFINITION_CUES | {"who", "word", "term", "full", "form", "does", "acronym"}
# "what is X", "what's an X", "wots X" (but not "what's X for?": that asks about the offer).
_WHAT_IS = re.compile(r"^\s*(what|wat|wot)\s*(is|are|'s|’s|s)\b(?!.*\bfor\W*$)", re.IGNORECASE)


@dataclass(frozen=True)
class Reply:
    """What the assistant says to one question, as plain data (bot/qa_cards.py renders it).

    `chat` is the reply to small talk ("hi", "thanks"): `note` says it, `suggestions` may hold the
    welcome card's example questions.
    """

    kind: ReplyKind
    question: str
    entry: Entry | None = None  # answer: the entry answered
    suggestions: tuple[Entry, ...] = ()  # suggest: up to three entries; chat: the example questions
    follow_ups: tuple[str, ...] = ()  # answer: 2-3 related questions for buttons
    source: str | None = None  # "LNCIP offer 2023-24 · <section>"
    link: str | None = None  # the offer's page for the entry, or the contact page
    missing: str | None = None  # what the offer doesn't give, for "I can't find … in the offer"
    note: str | None = None  # an extra sentence for a decline; chat: the whole reply
    also: tuple[Entry, ...] = ()  # answer: another entry for another part of the question
    confidence: float = 0.0
    names_someone: bool = False  # the question names a pupil or a person: its words must not be kept


@dataclass(frozen=True)
class Thresholds:
    """Confidence bands, calibrated on the eval files and further question sets: accuracy is flat
    for an answer threshold between 0.35 and 0.45, so it sits in the middle."""

    answer: float = 0.42
    suggest: float = 0.3
    pointer: float = 0.3  # the in-scope part of a partly out-of-scope question
    suggestion: float = 0.2  # each "Did you mean…" entry
    full_coverage: float = 0.67  # below this, the answer says the offer may not cover it all
    min_coverage: float = 0.45  # below this, the entry is not the answer, however high its score
    min_partial_coverage: float = 0.5  # below this, an answer says it may not cover it all, unknown words or not
    rerank_score: float = 0.7  # a runner-up within this share of the top score...
    rerank_margin: float = 0.2  # ...and this much more confident answers instead
    ahead: float = 1.4  # a top score this many times the runner-up's answers from the suggest band...
    ahead_coverage: float = 0.35  # ...when the entry holds this much of the question
    beats_gap: float = 0.6  # an entry this confident, holding...
    beats_gap_coverage: float = 0.9  # ...this much of the question, answers it despite a soft gap


@dataclass(frozen=True)
class Clause:
    """One part of a question that asks (or tells) more than one thing."""

    analysis: Analysis
    asking: bool
    text: str = ""


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
        scope: GapDetector,
        glossary_tokens: Mapping[str, str],
        thresholds: Thresholds | None = None,
        welcome: Sequence[str] = (),
        smalltalk: SmallTalkDetector | None = None,
        about: str | None = None,
    ) -> None:
        self.retriever = retriever
        self.scope = scope
        self.glossary_tokens = glossary_tokens
        self.t = thresholds or Thresholds()
        self.by_id: dict[str, Entry] = {entry.id: entry for entry in retriever.entries}
        self.welcome = tuple(self.by_id[entry_id] for entry_id in welcome)
        self.smalltalk = smalltalk
        self.about = self.by_id[about] if about else None  # the answer to "tell me about the partnership"

    def reply(self, question: str) -> Reply:
        question = question.strip()
        chat = self.smalltalk.detect(question) if self.smalltalk else None
        if chat is not None:
            # "hi", "thanks!", "what can you do?": a friendly word, never a "Did you mean…".
            return Reply("chat", question, note=chat.reply, suggestions=self.welcome if chat.examples else ())
        analysis = self.retriever.analyzer.analyse(question)
        scope = self.scope.detect(question, analysis)
        if scope.gaps:
            if any(gap.id in NAMING_GAPS for gap in scope.gaps):
                return replace(self.partly_out_of_scope(question, scope), names_someone=True)
            answered_anyway = self.beats_gap(question, analysis, scope)
            if answered_anyway is not None:
                return answered_anyway
            return self.partly_out_of_scope(question, scope)
        glossary = self.definition(question, analysis) or self.definition_first(question)
        if glossary is not None:
            return self.answer(question, Match(glossary, 0.0, 1.0), analysis)
        if not analysis.tokens:
            # "tell me about the partnership", "what can the partnership do for us": every word is
            # too common to search for, but the question is about the partnership as a whole.
            if _ABOUT_PARTNERSHIP.search(question) and self.about is not None:
                return self.answer(question, Match(self.about, 0.0, self.t.answer), analysis)
            # "?", "um, so…": nothing to search for, so offer the usual questions.
            if self.smalltalk is not None:
                return Reply("chat", question, note=self.smalltalk.unclear, suggestions=self.welcome)
            return Reply("suggest", question, suggestions=self.welcome, link=CONTACT_PAGE)
        asked = self.asked_part(question)
        analysis = self.focus(analysis, asked)
        matches = self.matches(analysis, 5)
        best = self.best(matches)
        # Confident, and the entry holds a fair share of what was asked: "do you do drug education?"
        # shares one word with the post-16 entry, which is not an answer.
        confident = (
            best
            if best is not None and best.confidence >= self.t.answer and best.coverage >= self.t.min_coverage
            else None
        )
        if confident is None and best is not None and self.clearly_ahead(matches, analysis):
            confident = best
        answered = self.answer_parts(question, analysis, confident, asked)
        if answered is not None:
            return answered
        top = matches[0].confidence if matches else 0.0
        if top >= self.t.suggest:
            suggestions = tuple(m.entry for m in matches if m.confidence >= self.t.suggestion)[:3]
            return Reply("suggest", question, suggestions=suggestions, link=CONTACT_PAGE, confidence=top)
        return Reply("decline", question, link=CONTACT_PAGE, confidence=top)

    def beats_gap(self, question: str, analysis: Analysis, scope: QuestionGaps) -> Reply | None:
        """A gate never beats a confident answer: "PO - from what date?" looks like a request for a
        date, but one entry holds every word of it (the PO runs from the date of referral). Only gaps
        marked `yields` in gaps.yaml give way (a word like "date" the offer does use), and not to their
        own pointers ("when is the next IF?" still says the offer has
        no dates, then points to the dates page)."""
        if not scope.yields:
            return None
        # The words the gap read as a request for something missing must be in the entry itself:
        # "date" is in the PO entry ("from the date of referral"); "at the moment" is in none.
        asked_for = self.content(self.retriever.analyzer.analyse(scope.asked_for))
        if not asked_for:
            return None
        best = self.best(self.matches(analysis, 5))
        if (
            best is None
            or best.entry.id in scope.pointers
            or best.confidence < self.t.beats_gap
            or best.coverage < self.t.beats_gap_coverage
        ):
            return None
        # ...and so must what the gap is about: "which day of the week" is in the KS3 entry's words
        # ("1 day a week"), but that entry gives no day.
        gap_words = Analysis((*asked_for, *scope.topic), frozenset(), ())
        if self.retriever.coverage(gap_words, [self.retriever.index(best.entry)]) < 1.0:
            return None
        parts = self.clause_matches(question, analysis, _CLAUSE_BREAK)
        best = self.one_for_all(parts) or best
        also = self.second_part(question, analysis, best.entry, parts)
        return self.answer(question, best, analysis, also=(also,) if also else ())

    def partly_out_of_scope(self, question: str, scope: QuestionGaps) -> Reply:
        """Decline what the offer doesn't give; answer the rest if an allowed entry fits it."""
        if not scope.hard:
            rest = self.retriever.analyzer.analyse(scope.search_text)
            main = self.rest_answer(scope, rest)
            if main is not None:
                also = self.second_part(scope.search_text, rest, main.entry)
                return self.answer(question, main, rest, missing=scope.missing, also=(also,) if also else ())
        # "How many KS4 places, and do they get a bus?": answer the part that asks for nothing missing.
        other = self.other_part(question)
        if other is not None:
            clause, match = other
            return self.answer(question, match, clause.analysis, missing=scope.missing)
        return Reply("decline", question, missing=scope.missing, note=scope.note, link=CONTACT_PAGE)

    def other_part(self, question: str) -> tuple[Clause, Match] | None:
        """A part of a many-part question that the offer answers clearly and that asks for nothing
        the offer lacks, with the entry answering it."""
        analysis = self.retriever.analyzer.analyse(question)
        parts = self.clause_matches(question, analysis, _CLAUSE_BREAK)
        keywords = not any(clause.asking for clause, _ in parts)
        fine = [
            (clause, match)
            for clause, match in parts
            if (clause.asking or keywords)
            and len(set(self.content(clause.analysis))) >= 2
            and not self.scope.detect(clause.text, clause.analysis).gaps
        ]
        return max(fine, key=lambda found: found[1].confidence, default=None)

    def rest_answer(self, scope: QuestionGaps, rest: Analysis) -> Match | None:
        """The entry for the part of the question the offer does answer, if any.

        An entry the gap points to ("dates" -> the dates page) needs less confidence, and the gap's
        topic chooses among them ("the next IF" + dates -> the IF's dates page, not another IF entry),
        unless the rest plainly asks for one of them. Otherwise the best entry must answer the rest
        clearly, where the gap allows any entry at all.
        """
        if not set(self.content(rest)) - _GENERIC and not scope.topic:
            return None  # "how do I apply for an EHCP for a year 8?": nothing left but the year group
        found = self.matches(rest, 10)
        if found and found[0].entry.id in scope.pointers and self.clear(found[0]):
            return found[0]
        topical = Analysis(rest.tokens + scope.topic, rest.corrected, rest.unknown_words)
        on_topic = {m.entry.id: m for m in self.matches(topical, 10)}
        expected: list[Match] = []
        for match in found:
            # A pointer that fits the rest at least a little, and well with the gap's topic added.
            if match.entry.id in scope.pointers and match.confidence >= self.t.suggestion:
                with_topic = on_topic.get(match.entry.id, match)
                if max(match.confidence, with_topic.confidence) >= self.t.pointer:
                    expected.append(with_topic)
        if expected:
            return max(expected, key=lambda m: m.confidence)
        # A rest of one word ("…parenting courses?" -> "parenting") is too little to go on.
        if found and self.clear(found[0]) and not scope.pointers_only and len(set(self.content(rest))) >= 2:
            return found[0]
        return None

    def clearly_ahead(self, matches: Sequence[Match], analysis: Analysis) -> bool:
        """One entry well ahead of the rest answers, rather than a "Did you mean…" whose first choice
        is that entry anyway ("does a yr7 still come back to us part of the week" is the KS3 offer,
        in words the entries do not use)."""
        if len(matches) < 2 or matches[0].confidence < self.t.suggest or matches[0].coverage < self.t.ahead_coverage:
            return False
        if analysis.unknown_words:
            return False  # a word the offer never uses may be the point of the question
        return matches[0].score >= self.t.ahead * matches[1].score

    def clear(self, match: Match) -> bool:
        """Confident, and the entry has (nearly) all of what was asked."""
        return match.confidence >= self.t.answer and match.coverage >= self.t.full_coverage

    def second_part(
        self, question: str, analysis: Analysis, main: Entry, parts: list[tuple[Clause, Match]] | None = None
    ) -> Entry | None:
        """Another entry for another part of the question ("…and who attends?"), if the main one
        doesn't answer that part and the two answers together stay short. `parts`: the question's
        `clause_matches` at clause breaks, when the caller has them already."""
        if parts is None:
            parts = self.clause_matches(question, analysis, _CLAUSE_BREAK)
        main_index = self.retriever.index(main)
        keywords = not any(clause.asking for clause, _ in parts)  # "ks4 places and length"
        also = next(
            (
                m.entry
                for clause, m in parts
                if (clause.asking or keywords)  # a second question, not the story around the first
                and m.entry.id != main.id
                and self.retriever.coverage(clause.analysis, main_index) < self.t.full_coverage  # not answered yet
            ),
            None,
        )
        if also is not None and len(main.answer) + len(also.answer) > TWO_ANSWERS:
            return None  # two long answers would bury both: answer the main part only
        return also

    def answer_parts(
        self, question: str, analysis: Analysis, confident: Match | None, asking_sentences: Analysis | None
    ) -> Reply | None:
        """The answer: the best entry for the whole question (or for its best part), plus one more
        entry when another part asks something else; None when nothing is confident.
        `asking_sentences` is the question's `asked_part`."""
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
        main = self.one_for_all(parts) or main
        also = self.second_part(question, analysis, main.entry, parts)
        shown = (main.entry, also) if also else (main.entry,)
        # Part of the question found nothing in the answer: say so rather than imply it did. Only the
        # asking part counts: "I'm at a school in Shepshed, how do I refer?" asks nothing about Shepshed.
        asked_part = asking_sentences or analysis
        covered = self.retriever.coverage(asked_part, [self.retriever.index(e) for e in shown])
        # A word the offer never uses ("library", "accredited") is a sign of something it doesn't
        # say; a word it uses elsewhere is more often another way of asking the same thing.
        unknown = any(t not in self.retriever.idf and not t[:1].isdigit() for t in asked_part.tokens)
        partial = covered < self.t.full_coverage and (unknown or covered < self.t.min_partial_coverage)
        caveat = PARTLY_COVERED if partial else None
        return self.answer(question, main, analysis, missing=caveat, also=shown[1:])

    def one_for_all(self, parts: list[tuple[Clause, Match]]) -> Match | None:
        """One entry that answers every part of a two-part question ("what's the referral process
        and what date should the PO run from?": the step-by-step entry has both), rather than two
        entries, or one part left out because two answers would be too long."""
        asking = [(clause, match) for clause, match in parts if clause.asking] or parts
        if len({match.entry.id for _, match in asking}) < 2:
            return None
        for _, match in sorted(asking, key=lambda found: -found[1].confidence):
            index = self.retriever.index(match.entry)
            if all(self.retriever.coverage(clause.analysis, index) >= self.t.full_coverage for clause, _ in asking):
                return match
        return None

    def best(self, matches: Sequence[Match]) -> Match | None:
        """The top match, unless it misses part of the question and a close runner-up covers all of it:
        BM25 rewards an entry that repeats one word of the question; coverage, the one that has them all."""
        if not matches:
            return None
        top = matches[0]
        if top.coverage >= self.t.full_coverage:
            return top
        close = [
            m for m in matches[1:] if m.score >= self.t.rerank_score * top.score and m.coverage >= self.t.full_coverage
        ]
        better = max(close, key=lambda m: m.confidence, default=None)
        if better is not None and better.confidence >= top.confidence + self.t.rerank_margin:
            return better
        return top

    def asked_part(self, question: str) -> Analysis | None:
        """The asking sentences of a question that also tells a story ("Parents haven't given consent.
        Can we still take the case to IF?"), or None when every sentence asks (or none does)."""
        sentences = [s for s in _SENTENCE.split(_LABEL.sub(r"\1 ", question)) if s.strip()]
        asks = [s for s in sentences if s.rstrip().endswith("?") or _ASKING.match(s)]
        if not asks or len(asks) == len(sentences):
            return None
        asked = self.retriever.analyzer.analyse(" ".join(asks))
        if not self.content(asked):
            return None  # "…, where do I take this?": the story says what it is about
        return asked

    @staticmethod
    def focus(analysis: Analysis, asked: Analysis | None) -> Analysis:
        """Weigh the question over its context: in "Parents haven't given consent. Can we still
        take the case to IF?" the asking sentence (`asked`, its `asked_part`) counts twice, the
        story once."""
        if asked is None:
            return analysis
        return Analysis(analysis.tokens + asked.tokens, analysis.corrected | asked.corrected, analysis.unknown_words)

    def clause_matches(
        self, question: str, analysis: Analysis, splitter: re.Pattern[str]
    ) -> list[tuple[Clause, Match]]:
        """Each part of a question that asks two things ("…? And …?") with an entry answering that
        part fully and confidently."""
        clauses: list[str] = []
        # "ks3 and ks4", "years 7 and 8" name one thing twice: keep them together.
        joined = _SAME_THING.sub(r"\1/\3", _LABEL.sub(r"\1 ", question))
        carried = ""
        for clause in (c for c in splitter.split(joined) if c and c.strip()):
            # "…how the IF works and how often it runs", "…and who delivers it": a part that says
            # "it" and little else belongs with the part before it.
            content = self.content(self.retriever.analyzer.analyse(clause))
            if content and set(content) <= _KEY_STAGES:
                carried += clause + " "  # "yr 7/8 - how much time…?": the key stage belongs to what follows
            elif clauses and (not content or (len(content) < 2 and _PRONOUN.search(clause))):
                clauses[-1] += " " + carried + clause
                carried = ""
            else:
                clauses.append(carried + clause)
                carried = ""
        if carried and clauses:
            clauses[-1] += " " + carried
        if len(clauses) < 2:
            return []
        found: list[tuple[Clause, Match]] = []
        for index, text in enumerate(clauses):
            # A part that asks ("could the IF help?") rather than tells ("a Y8 with autism").
            ends_asking = text.rstrip().endswith("?") or (index == len(clauses) - 1 and question.rstrip().endswith("?"))
            asking = bool(_ASKING.match(text)) or ends_asking
            part = Clause(self.retriever.analyzer.analyse(text), asking, text)
            glossary = self.definition(text, part.analysis, bare=False)
            if glossary is not None:
                found.append((part, Match(glossary, 0.0, 1.0)))
                continue
            top = self.matches(part.analysis, 1)
            if top and not allowed(top[0].entry, analysis.key_stages):
                # "I've a Y9 who…, what would out-of-school support look like?": the part asks about
                # the key stage the rest of the question names, so read it with that key stage.
                staged = Analysis(
                    part.analysis.tokens + tuple(sorted(analysis.key_stages)),
                    part.analysis.corrected,
                    part.analysis.unknown_words,
                )
                part = Clause(staged, asking, text)
                top = self.matches(staged, 1)
            for match in top:
                if self.clear(match) and allowed(match.entry, analysis.key_stages):
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
