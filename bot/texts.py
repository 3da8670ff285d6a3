"""Short texts users read, kept in reviewable files: `bot/templates/texts.yaml` for the bot
as a whole and `dialogs/<feature>/*texts.yaml` for each feature (its keys start with the
feature's name; a key defined twice is a bug and stops the start).

Teams shows these texts as markdown, so every value filled into one is made inert (`md`, the
environment's `finalize`: it applies to every `{{ value }}` without being asked): a name like
`[click](https://example.org)`, `**x**` or `<b>` reads as typed, not as a link, bold or HTML.
A text's own markdown, in the template, is kept."""

from __future__ import annotations

import html
import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, StrictUndefined, Template

TEXTS_FILE = Path(__file__).parent / "templates" / "texts.yaml"
FEATURE_TEXTS = sorted((Path(__file__).parent.parent / "dialogs").glob("*/*texts.yaml"))
# Inline markdown; `<`, `>` and `&` are written as HTML entities instead.
_MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]~|])")
# What starts a heading, quote, list or rule when it opens a line ("1." too, escaped after the digits).
_MARKDOWN_LINE_START = re.compile(r"^([#>+=-])")
_MARKDOWN_NUMBERED = re.compile(r"^(\d+)([.)])")


def md(value: Any) -> str:
    """`value` as text that markdown shows as it is: on one line, HTML special characters as
    entities, markdown's punctuation escaped with a backslash."""
    text = html.escape(" ".join(str(value).split()), quote=False)
    text = _MARKDOWN_INLINE.sub(r"\\\1", text)
    text = _MARKDOWN_LINE_START.sub(r"\\\1", text)
    return _MARKDOWN_NUMBERED.sub(r"\1\\\2", text)


_env = Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False, finalize=md)


@cache
def _templates() -> dict[str, Template]:
    templates: dict[str, Template] = {}
    for path in (TEXTS_FILE, *FEATURE_TEXTS):
        for key, value in yaml.safe_load(path.read_text(encoding="utf-8")).items():
            if key in templates:
                raise ValueError(f"text {key!r} is defined twice (again in {path.parent.name}/{path.name})")
            templates[key] = _env.from_string(str(value).strip())
    return templates


def text(key: str, **context: Any) -> str:
    """The text for `key`, filled in; a missing key or value is a bug, so it raises."""
    return _templates()[key].render(**context)
