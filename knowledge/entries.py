"""The curated entries of the LNCIP offer 2023-24: loading and validating the data files.

Data lives next to this module: `entries/*.yaml` (one curated entry per fact of the offer),
`glossary.yaml` (acronyms; each term becomes an entry and a concept rule) and `synonyms.yaml`
(text-speak, synonyms, stopwords). A bad file stops the load with a `KnowledgeDataError` that
names the file, the entry and the field, so a typo in the data never reaches staff.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from knowledge.text import Lexicon, Rule, stem

DATA_DIR = Path(__file__).resolve().parent

# The only pages the offer links to; an entry may point to one of these or to none.
ALLOWED_LINKS: frozenset[str] = frozenset(
    {
        "https://www.leicsseips.org/inclusion-forums",
        "https://www.leicsseips.org/making-a-referral",
        "https://www.leicsseips.org/meeting-dates",
        "https://www.leicsseips.org/links-to-ap-lists-and-reports",
        "https://www.leicsseips.org/schools-advice",
        "https://www.leicsseips.org/schools",
        "https://www.leicsseips.org/",
        "https://www.leicsseips.org/about_us",
        "https://www.lncip-cit.co.uk/",
    }
)
CONTACT_PAGE = "https://www.leicsseips.org/about_us"
LNCIP_SITE = "https://www.lncip-cit.co.uk/"

# none: not about a key stage. ks3/ks4: that key stage only. shared: applies to both and names
# neither's figures. compare: gives both key stages' figures, so only for questions naming neither.
KEY_STAGES = ("none", "ks3", "ks4", "shared", "compare")
GLOSSARY_SECTION = "Glossary"
_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class KnowledgeDataError(ValueError):
    """A data file is missing or malformed; the message names the file and field."""


@dataclass(frozen=True)
class Entry:
    """One answer staff can get: a fact (or a few close facts) of the offer, in our own words."""

    id: str
    title: str
    answer: str
    audience: str
    section: str
    link: str | None
    phrasings: tuple[str, ...]
    related: tuple[str, ...]
    key_stage: str = "none"
    source_file: str = ""
    overview: bool = False  # the topic's overview: it wins a tie with the narrower entries

    @property
    def question(self) -> str:
        """The entry's canonical question (its first phrasing), used on follow-up buttons."""
        return self.phrasings[0]

    @property
    def is_glossary(self) -> bool:
        return self.section == GLOSSARY_SECTION


@dataclass(frozen=True)
class KnowledgeData:
    """Everything the data files hold, validated."""

    entries: tuple[Entry, ...]
    lexicon: Lexicon
    glossary_tokens: Mapping[str, str]  # concept token -> glossary entry id


class _Fields:
    """Typed access to one YAML mapping, with errors that say where the problem is."""

    def __init__(self, raw: Any, where: str) -> None:
        if not isinstance(raw, dict):
            raise KnowledgeDataError(f"{where}: expected a mapping, got {type(raw).__name__}")
        self.raw, self.where = raw, where

    def text(self, name: str, *, required: bool = True) -> str | None:
        value = self.raw.get(name)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            raise KnowledgeDataError(f"{self.where}: field '{name}' must be non-empty text")
        return value.strip()

    def req(self, name: str) -> str:
        value = self.text(name)
        assert value is not None  # text() raises when a required field is missing
        return value

    def texts(self, name: str, *, required: bool = True) -> tuple[str, ...]:
        value = self.raw.get(name)
        if value is None and not required:
            return ()
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
            raise KnowledgeDataError(f"{self.where}: field '{name}' must be a non-empty list of text")
        return tuple(v.strip() for v in value)


# libyaml's parser when PyYAML has it (several times faster at load), else the pure-Python one.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str) -> Any:
    """`yaml.safe_load`, with libyaml when available."""
    return yaml.load(text, Loader=_YAML_LOADER)


def _read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return parse_yaml(handle.read())
    except FileNotFoundError:
        raise KnowledgeDataError(f"{path}: file not found") from None
    except yaml.YAMLError as error:
        raise KnowledgeDataError(f"{path}: not valid YAML ({error})") from None


def _entry(raw: Any, path: Path, index: int) -> Entry:
    where = f"{path.name}: entry #{index + 1}"
    fields = _Fields(raw, where)
    entry_id = fields.req("id")
    fields.where = where = f"{path.name}: entry '{entry_id}'"
    if not _ID.match(entry_id):
        raise KnowledgeDataError(f"{where}: field 'id' must be lower-case words joined by '-'")
    link = raw.get("link")
    if link is not None and link not in ALLOWED_LINKS:
        raise KnowledgeDataError(f"{where}: field 'link' {link!r} is not a page the offer links to")
    overview = raw.get("overview", False)
    if not isinstance(overview, bool):
        raise KnowledgeDataError(f"{where}: field 'overview' must be true or false")
    key_stage = raw.get("key_stage", "none")
    if key_stage not in KEY_STAGES:
        raise KnowledgeDataError(f"{where}: field 'key_stage' must be one of {', '.join(KEY_STAGES)}")
    return Entry(
        id=entry_id,
        title=fields.req("title"),
        answer=fields.req("answer"),
        audience=fields.req("audience"),
        section=fields.req("section"),
        link=link,
        phrasings=fields.texts("phrasings"),
        related=fields.texts("related"),
        key_stage=key_stage,
        source_file=path.name,
        overview=overview,
    )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _glossary_phrasings(term: str, stands_for: str) -> tuple[str, ...]:
    # Short names first: "What does SENA stand for?" is the button text other entries link with.
    # ("What is SENA?" and "what does it mean" need no phrasing: the policy spots definitions itself.)
    short = re.sub(r"\s*\(.*?\)", "", term).strip()
    names = list(dict.fromkeys([short, stands_for, *re.findall(r"\((.*?)\)", term)]))
    phrasings = [f"What does {short} stand for?"]
    for name in names:
        phrasings += [f"meaning of {name}", f"{name} explained", f"define {name}", f"what's {name} short for"]
    return tuple(dict.fromkeys(phrasings))


def _glossary(path: Path) -> tuple[list[Entry], list[Rule], list[Rule], dict[str, str]]:
    raw_items = _read_yaml(path)
    if not isinstance(raw_items, list):
        raise KnowledgeDataError(f"{path}: expected a list of glossary terms")
    entries: list[Entry] = []
    rules: list[Rule] = []
    case_rules: list[Rule] = []
    tokens: dict[str, str] = {}
    for index, raw in enumerate(raw_items):
        fields = _Fields(raw, f"{path.name}: term #{index + 1}")
        term = fields.req("term")
        fields.where = where = f"{path.name}: term '{term}'"
        token = fields.req("token")
        stands_for = fields.req("stands_for")
        entry_id = f"glossary-{_slug(term)}"
        link = raw.get("link")
        if link is not None and link not in ALLOWED_LINKS:
            raise KnowledgeDataError(f"{where}: field 'link' {link!r} is not a page the offer links to")
        for field_name, target in (("forms", rules), ("case_forms", case_rules)):
            for form in fields.texts(field_name, required=field_name == "forms"):
                try:
                    target.append(Rule.of(form, token))
                except re.error as error:
                    message = f"{where}: field '{field_name}' has a bad pattern {form!r} ({error})"
                    raise KnowledgeDataError(message) from None
        tokens[token] = entry_id
        title = term if stands_for.lower() in term.lower() else f"{term} ({stands_for})"
        entries.append(
            Entry(
                id=entry_id,
                title=title,
                answer=fields.req("answer"),
                audience="all school staff",
                section=GLOSSARY_SECTION,
                link=link,
                phrasings=_glossary_phrasings(term, stands_for),
                related=fields.texts("related"),
                key_stage=token if token in ("ks3", "ks4") else "none",
                source_file=path.name,
            )
        )
    return entries, rules, case_rules, tokens


def _lexicon(path: Path, glossary_rules: list[Rule], case_rules: list[Rule]) -> Lexicon:
    raw = _Fields(_read_yaml(path), path.name).raw
    textspeak = raw.get("textspeak")
    if not isinstance(textspeak, dict):
        raise KnowledgeDataError(f"{path.name}: field 'textspeak' must be a mapping")
    rules = list(glossary_rules)
    concepts = raw.get("concepts")
    if not isinstance(concepts, list):
        raise KnowledgeDataError(f"{path.name}: field 'concepts' must be a list")
    for index, item in enumerate(concepts):
        fields = _Fields(item, f"{path.name}: concept #{index + 1}")
        token = item.get("token") if isinstance(item, dict) else None
        if not isinstance(token, str):  # '' is allowed: the words are dropped
            raise KnowledgeDataError(f"{path.name}: concept #{index + 1}: field 'token' must be text")
        for form in fields.texts("forms"):
            try:
                rules.append(Rule.of(form, token))
            except re.error as error:
                raise KnowledgeDataError(f"{path.name}: concept '{token}': bad pattern {form!r} ({error})") from None
    words: dict[str, frozenset[str]] = {}
    for name in ("stopwords", "known_words", "weak_words"):
        values = raw.get(name)
        if not isinstance(values, list):
            raise KnowledgeDataError(f"{path.name}: field '{name}' must be a list of words")
        words[name] = frozenset(str(v).lower() for v in values)
    return Lexicon(
        textspeak={str(k).lower(): str(v or "").lower() for k, v in textspeak.items()},
        case_rules=tuple(case_rules),
        rules=tuple(rules),
        stopwords=words["stopwords"],
        known_words=words["known_words"],
        # Tokens are stemmed ("where" -> "wher"), so a weak word is weak in its stemmed form too.
        weak_words=words["weak_words"] | frozenset(stem(w) for w in words["weak_words"]),
    )


def validate(entries: Iterable[Entry]) -> None:
    """Cross-entry checks: unique ids, related ids that exist, usable follow-up questions."""
    seen: dict[str, Entry] = {}
    for entry in entries:
        if entry.id in seen:
            raise KnowledgeDataError(
                f"{entry.source_file}: entry '{entry.id}': field 'id' is already used in {seen[entry.id].source_file}"
            )
        seen[entry.id] = entry
    for entry in seen.values():
        for related in entry.related:
            if related not in seen:
                raise KnowledgeDataError(
                    f"{entry.source_file}: entry '{entry.id}': field 'related' names unknown entry '{related}'"
                )
            if related == entry.id:
                raise KnowledgeDataError(f"{entry.source_file}: entry '{entry.id}': field 'related' names itself")


def load(data_dir: Path | None = None) -> KnowledgeData:
    """Load and validate every data file under `data_dir` (default: this package)."""
    root = Path(data_dir) if data_dir is not None else DATA_DIR
    files = sorted((root / "entries").glob("*.yaml"))
    if not files:
        raise KnowledgeDataError(f"{root / 'entries'}: no entry files (*.yaml) found")
    entries: list[Entry] = []
    for path in files:
        raw_items = _read_yaml(path)
        if not isinstance(raw_items, list):
            raise KnowledgeDataError(f"{path.name}: expected a list of entries")
        entries += [_entry(raw, path, index) for index, raw in enumerate(raw_items)]
    glossary_entries, rules, case_rules, tokens = _glossary(root / "glossary.yaml")
    entries += glossary_entries
    validate(entries)
    return KnowledgeData(
        entries=tuple(entries),
        lexicon=_lexicon(root / "synonyms.yaml", rules, case_rules),
        glossary_tokens=tokens,
    )
