"""The data files: every entry complete and consistent, and bad data stopped with a clear error."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from knowledge import KnowledgeBase, KnowledgeDataError
from knowledge.entries import ALLOWED_LINKS, DATA_DIR, KEY_STAGES

Edit = Callable[[list[Any]], object]
SECTIONS = {
    "About the offer",
    "Contacts",
    "Inclusion Forum",
    "Referral to Partnership",
    "In-school support",
    "KS3 out-of-school support",
    "KS4 out-of-school support",
    "Out-of-school support (KS3 and KS4)",
    "Glossary",
}


def test_every_entry_has_the_required_fields(kb: KnowledgeBase) -> None:
    for entry in kb.entries:
        assert entry.id and entry.title and entry.answer and entry.audience, entry.id
        assert entry.section in SECTIONS, entry.id
        assert entry.key_stage in KEY_STAGES, entry.id
        assert len(entry.phrasings) >= 4, f"{entry.id}: too few phrasings"
        assert entry.related, entry.id


def test_links_are_pages_the_offer_links(kb: KnowledgeBase) -> None:
    for entry in kb.entries:
        assert entry.link is None or entry.link in ALLOWED_LINKS, entry.id
        # A URL ends at a space or the end of a sentence, so Teams links it without stray punctuation.
        for url in re.findall(r"https?://\S+", entry.answer):
            assert url.removesuffix(".") in ALLOWED_LINKS, f"{entry.id}: {url}"


def test_ids_are_unique_and_related_ids_exist(kb: KnowledgeBase) -> None:
    ids = [entry.id for entry in kb.entries]
    assert len(ids) == len(set(ids))
    for entry in kb.entries:
        for related in entry.related:
            assert kb.entry(related).id == related
            assert related != entry.id


def test_first_phrasing_is_a_clean_button_question(kb: KnowledgeBase) -> None:
    # First phrasings become follow-up buttons: a real question, short, with no figure that could
    # put one key stage's number (9, 26) or a price on another topic's card.
    for entry in kb.entries:
        question = entry.question
        assert question.endswith("?") and question[0].isupper(), entry.id
        assert len(question) <= 70, entry.id
        assert not re.search(r"\b(9|26)\b|£", question), entry.id


def test_key_stage_figures_stay_in_their_key_stage(kb: KnowledgeBase) -> None:
    for entry in kb.entries:
        if entry.key_stage in ("ks3", "shared", "none"):
            assert not re.search(r"\b26\b", entry.answer), entry.id
        if entry.key_stage in ("ks4", "shared", "none"):
            assert not re.search(r"(?<!year )\b9 places|\bnine places", entry.answer.lower()), entry.id


def test_answers_keep_key_phrases_plain_and_short(kb: KnowledgeBase) -> None:
    for entry in kb.entries:
        assert "**" not in entry.answer and "__" not in entry.answer, f"{entry.id}: no bold in answers"
        assert len(entry.answer) <= 560, f"{entry.id}: answer too long for a Teams card"


def test_answers_never_invent_contact_details_or_prices(kb: KnowledgeBase) -> None:
    for entry in kb.entries:
        text = entry.answer.lower()
        assert "£" not in text and "@" not in text, entry.id
        assert not re.search(r"\b0\d{3,4}\s?\d{3}\s?\d{3,4}\b", text), entry.id
        assert not re.search(r"\b(mr|mrs|ms|dr)\.? [a-z]{2,}", text), entry.id


def test_the_offer_is_covered(kb: KnowledgeBase) -> None:
    """One entry (at least) for each part of the offer the brief lists."""
    expected = {
        "no-pru",
        "seips-purpose",
        "offer-renewed",
        "seip-five-offers",
        "recruitment-caveat",
        "if-purpose",
        "if-frequency",
        "if-attendees",
        "if-bring-case",
        "if-consent",
        "if-expect",
        "referral-money",
        "referral-who",
        "referral-before",
        "referral-how",
        "referral-po",
        "referral-information",
        "referral-process",
        "core-group-dates",
        "referral-outcomes",
        "iss-offer",
        "engagement-officer",
        "managed-moves",
        "ap-advice",
        "iss-staff",
        "iss-how",
        "iss-cost",
        "ks3-offer",
        "ks3-goals",
        "ks3-specialist",
        "ks3-places",
        "ks3-length",
        "ks4-offer",
        "ks4-goals",
        "ks4-places",
        "ks4-length",
        "staffing",
        "school-role",
        "school-ofsted",
        "school-attendance",
        "school-visits",
        "school-send",
        "school-safeguarding",
        "cost-place",
        "contact-partnership",
        "websites",
    }
    assert expected <= {entry.id for entry in kb.entries}


def test_glossary_covers_the_acronyms_staff_use(kb: KnowledgeBase) -> None:
    terms = {
        "SEMH",
        "SEND",
        "SENCO",
        "SENA",
        "DSL",
        "AP",
        "PRU",
        "PO",
        "AWPU",
        "PP",
        "EHCP",
        "KS3",
        "KS4",
        "fte",
        "HLTA",
        "TA",
        "CFWS",
        "LCC",
        "EP",
        "LNCIP",
    }
    for term in terms:
        reply = kb.reply(f"what does {term} mean?")
        assert reply.kind == "answer" and reply.entry is not None and reply.entry.is_glossary, term


# -- bad data is stopped at load, with the file and field named ---------------------------------


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(DATA_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


def _edit(path: Path, edit: Edit) -> None:
    items = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(items)
    path.write_text(yaml.safe_dump(items, sort_keys=False), encoding="utf-8")


def test_a_copy_of_the_data_loads(data_copy: Path) -> None:
    assert KnowledgeBase.load(data_copy).entry("ks3-places").answer


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda items: items[0].pop("answer"), r"about\.yaml: entry 'no-pru': field 'answer'"),
        (lambda items: items[0].update(link="https://example.com/x"), r"about\.yaml: entry 'no-pru': field 'link'"),
        (lambda items: items[0].update(related=["nope"]), r"about\.yaml: entry 'no-pru': field 'related'.*'nope'"),
        (lambda items: items[1].update(id="no-pru"), r"about\.yaml: entry 'no-pru': field 'id' is already used"),
        (lambda items: items[0].update(key_stage="ks5"), r"about\.yaml: entry 'no-pru': field 'key_stage'"),
        (lambda items: items[0].update(phrasings=[]), r"about\.yaml: entry 'no-pru': field 'phrasings'"),
    ],
)
def test_bad_entries_name_the_file_and_field(data_copy: Path, edit: Edit, message: str) -> None:
    _edit(data_copy / "entries" / "about.yaml", edit)
    with pytest.raises(KnowledgeDataError, match=message):
        KnowledgeBase.load(data_copy)


def test_bad_glossary_pattern_is_named(data_copy: Path) -> None:
    _edit(data_copy / "glossary.yaml", lambda items: items[0].update(forms=["(unclosed"]))
    with pytest.raises(KnowledgeDataError, match=r"glossary\.yaml: term 'LNCIP': field 'forms'"):
        KnowledgeBase.load(data_copy)


def test_missing_file_is_named(data_copy: Path) -> None:
    (data_copy / "synonyms.yaml").unlink()
    with pytest.raises(KnowledgeDataError, match=r"synonyms\.yaml: file not found"):
        KnowledgeBase.load(data_copy)


def test_bad_small_talk_pattern_is_named(data_copy: Path) -> None:
    path = data_copy / "smalltalk.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["kinds"][0]["phrases"] = ["(unclosed"]
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(KnowledgeDataError, match=r"smalltalk\.yaml: kind #1: field 'phrases'"):
        KnowledgeBase.load(data_copy)


def test_bad_gap_field_is_named(data_copy: Path) -> None:
    _edit(data_copy / "gaps.yaml", lambda items: items[0].update(pointers_only="yes"))
    with pytest.raises(KnowledgeDataError, match=r"gaps\.yaml: gap 'off_topic': field 'pointers_only'"):
        KnowledgeBase.load(data_copy)
