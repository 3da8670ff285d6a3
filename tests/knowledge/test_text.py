"""Reading staff's words: text-speak, acronyms both ways, typos, key stages."""

from __future__ import annotations

import pytest

from knowledge import KnowledgeBase
from knowledge.text import required_text, stem


def tokens(kb: KnowledgeBase, text: str) -> set[str]:
    return set(kb.analyzer.analyse(text).tokens)


@pytest.mark.parametrize(
    ("short", "long"),
    [
        ("SENCO", "special educational needs co-ordinator"),
        ("SENA", "special educational needs assessment service"),
        ("SEND", "special educational needs and disabilities"),
        ("EHCP", "education, health and care plan"),
        ("PRU", "pupil referral unit"),
        ("DSL", "designated safeguarding lead"),
        ("AP", "alternative provision"),
        ("AWPU", "age weighted pupil unit"),
        ("PP", "pupil premium"),
        ("PO", "purchase order"),
        ("CFWS", "children and families well-being service"),
        ("EP", "educational psychologist"),
        ("HLTA", "higher level teaching assistant"),
        ("fte", "full-time equivalent"),
        ("IF", "inclusion forum"),
        ("KS3", "key stage 3"),
    ],
)
def test_acronyms_and_their_expansions_read_the_same(kb: KnowledgeBase, short: str, long: str) -> None:
    assert tokens(kb, f"what about the {short} please") == tokens(kb, f"what about the {long} please")


def test_text_speak_is_understood(kb: KnowledgeBase) -> None:
    assert tokens(kb, "wen does da IF meet") == tokens(kb, "when does the inclusion forum meet")
    assert tokens(kb, "need da PO b4 u take da kid") >= {"po", "pupil"}


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("refferal", "refer"), ("attendence", "attendance"), ("partnerhsip", "partnership"), ("plcement", "placement")],
)
def test_typos_are_corrected_towards_words_the_entries_use(kb: KnowledgeBase, typed: str, meant: str) -> None:
    assert tokens(kb, f"the {typed} thing") == tokens(kb, f"the {meant} thing")


def test_real_words_are_not_bent_into_entry_words(kb: KnowledgeBase) -> None:
    # "sits" is not a typo of "visits"; a pupil's name is not a typo of anything.
    assert "visit" not in tokens(kb, "who sits on the panel")
    assert kb.analyzer.analyse("is jayden in today").unknown_words == ("jayden",)


@pytest.mark.parametrize(
    ("text", "stage"),
    [("year 7", "ks3"), ("yr8", "ks3"), ("Y9", "ks3"), ("year 10s", "ks4"), ("yr 11", "ks4"), ("key stage 4", "ks4")],
)
def test_year_groups_map_to_key_stages(kb: KnowledgeBase, text: str, stage: str) -> None:
    assert kb.analyzer.analyse(f"what about {text}").key_stages == {stage}


def test_if_the_word_is_not_the_inclusion_forum(kb: KnowledgeBase) -> None:
    assert "inclusionforum" not in tokens(kb, "what if we refer a pupil")
    assert "inclusionforum" in tokens(kb, "is the IF on teams")
    assert "inclusionforum" in tokens(kb, "when is the next if meeting")


def test_send_the_verb_is_not_send_the_acronym(kb: KnowledgeBase) -> None:
    assert "sendneeds" not in tokens(kb, "how do i send a referral")
    assert "sendneeds" in tokens(kb, "who handles SEND during a placement")
    assert "sendneeds" in tokens(kb, "who handles send paperwork during a placement")


def test_light_stemming_joins_plurals_and_tenses() -> None:
    assert stem("meetings") == stem("meeting") == stem("meet")
    assert stem("placed") == stem("place")
    assert stem("reviews") == stem("review")


@pytest.mark.parametrize(
    ("form", "needed"),
    [
        ("loughborough (and|&) north charnwood", " north charnwood"),
        ("sen(d)? co-?ordinators?", "ordinator"),
        ("(?<=_inclusionforum )first", "first"),
        ("(abc)?def", "def"),
        ("if(?= (meeting|dates))", None),  # too short to be worth testing for
        ("apple|pear", None),  # either will do: nothing is required
    ],
)
def test_a_rule_knows_the_text_it_cannot_match_without(form: str, needed: str | None) -> None:
    assert required_text(form) == needed


def test_inflections_are_not_typos(kb: KnowledgeBase) -> None:
    # "manage" is another form of "managed" (an entry word), not a slip: it stays itself.
    assert kb.analyzer.correct("manage") is None


def test_filler_words_are_not_topics(kb: KnowledgeBase) -> None:
    assert tokens(kb, "honestly, is it true that the IF is monthly?") == tokens(kb, "is the IF monthly?")
