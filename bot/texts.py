"""Short texts users read, kept in reviewable files: `bot/templates/texts.yaml` for the bot
as a whole and `dialogs/<feature>/texts.yaml` for each feature (its keys start with the
feature's name; a key defined twice is a bug and stops the start)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, StrictUndefined, Template

TEXTS_FILE = Path(__file__).parent / "templates" / "texts.yaml"
FEATURE_TEXTS = sorted((Path(__file__).parent.parent / "dialogs").glob("*/texts.yaml"))
_env = Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


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
