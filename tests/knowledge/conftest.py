"""Fixtures for the knowledge tests: one loaded knowledge base, and the eval question files."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from knowledge import KnowledgeBase
from tests.fixtures.bot_server import shared_knowledge
from tests.fixtures.ci import missing

REPO_ROOT = Path(__file__).resolve().parents[2]
EXTRA_EVAL = Path(__file__).resolve().parent / "qa_extra.yaml"
# Held-out measures: written by an outside examiner (blind) and before studying any failure (holdout).
# Fixes follow the cause of a failure, never its wording: no entry phrasing copies these questions.
BLIND_EVAL = Path(__file__).resolve().parent / "qa_blind.yaml"
HOLDOUT_EVAL = Path(__file__).resolve().parent / "qa_holdout.yaml"
# Questions written in rounds after the holdout, each measured once and then studied: a regression set.
DEV_EVAL = Path(__file__).resolve().parent / "qa_dev.yaml"
# Issue 18: a second held-out set (first-contact score in its header) and the fifty-question style check.
HOLDOUT_2_EVAL = Path(__file__).resolve().parent / "qa_holdout_2.yaml"
STYLE_50_EVAL = Path(__file__).resolve().parent / "qa_style_50.yaml"
# The shared folder sits beside the checkout (here and in CI); LNCIP_SHARED_DIR can point elsewhere.
SHARED_DIR = Path(os.environ.get("LNCIP_SHARED_DIR", REPO_ROOT.parent / "shared"))
PUBLIC_EVAL = SHARED_DIR / "eval" / "qa_public.yaml"
EVAL_FILES = (PUBLIC_EVAL, EXTRA_EVAL, BLIND_EVAL, HOLDOUT_EVAL, DEV_EVAL, HOLDOUT_2_EVAL, STYLE_50_EVAL)


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return shared_knowledge()


def eval_items(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        missing(f"{path} is not here (set LNCIP_SHARED_DIR to the shared folder)")
    items = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(items, list)
    return items
