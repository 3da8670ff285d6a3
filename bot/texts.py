"""Short texts users read, kept in one reviewable file (`templates/texts.yaml`)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, StrictUndefined, Template

TEXTS_FILE = Path(__file__).parent / "templates" / "texts.yaml"
_env = Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


@cache
def _templates() -> dict[str, Template]:
    raw = yaml.safe_load(TEXTS_FILE.read_text(encoding="utf-8"))
    return {key: _env.from_string(str(value).strip()) for key, value in raw.items()}


def text(key: str, **context: Any) -> str:
    """The text for `key`, filled in; a missing key or value is a bug, so it raises."""
    return _templates()[key].render(**context)
