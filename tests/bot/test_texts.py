"""Values filled into the texts users read are inert markdown: a name cannot become a link,
bold text or HTML, in any text."""

from __future__ import annotations

import functools

import pytest
import yaml
from jinja2 import meta

from bot import texts
from bot.texts import text

HOSTILE = ["[click](https://example.org)", "**x**", "<b>", "`code`", "_em_", "~~gone~~"]


@functools.cache
def _sources() -> dict[str, str]:
    sources: dict[str, str] = {}
    for path in (texts.TEXTS_FILE, *texts.FEATURE_TEXTS):
        sources.update({key: str(value) for key, value in yaml.safe_load(path.read_text(encoding="utf-8")).items()})
    return sources


@pytest.mark.parametrize("key", sorted(_sources()))
@pytest.mark.parametrize("hostile", HOSTILE)
def test_every_value_in_every_text_comes_out_inert(key: str, hostile: str) -> None:
    names = meta.find_undeclared_variables(texts._env.parse(_sources()[key]))
    rendered = text(key, **{name: hostile for name in names})
    assert hostile not in rendered


def test_the_me_reply_keeps_its_own_bold_and_shows_the_name_as_typed() -> None:
    said = text("me", name="[click](https://example.org)", school="**x**", roles="<b>")
    assert said == r"You are **\[click\](https://example.org)** at \*\*x\*\*. Your roles: &lt;b&gt;."


def test_added_to_the_directory_shows_the_name_as_typed() -> None:
    said = text("people_saved", name="[click](https://example.org) <b>**x**</b>", outcome="added")
    assert said == r"Added \[click\](https://example.org) &lt;b&gt;\*\*x\*\*&lt;/b&gt; to the directory."


@pytest.mark.parametrize(
    "value, shown",
    [("# Heading", r"\# Heading"), ("1. First", r"1\. First"), ("- item", r"\- item"), ("two\nlines", "two lines")],
)
def test_a_value_cannot_start_a_block(value: str, shown: str) -> None:
    assert texts.md(value) == shown
