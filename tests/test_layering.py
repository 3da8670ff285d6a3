"""The Bot Framework stays at the edge: these packages must not import botbuilder."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
INNER_PACKAGES = ("knowledge", "domain", "db", "core")
FORBIDDEN = ("botbuilder", "botframework")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in (
            "import_module",
            "__import__",
        ):
            names.update(arg.value for arg in node.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str))
    return names


def inner_files() -> list[Path]:
    return sorted(p for package in INNER_PACKAGES for p in (ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("path", inner_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_inner_module_does_not_import_the_bot_framework(path: Path) -> None:
    bad = sorted(
        m for m in imported_modules(path) if m.split(".")[0] in FORBIDDEN or m.split(".")[0] in ("bot", "dialogs")
    )
    assert not bad, f"{path.relative_to(ROOT)} imports {bad}: keep the Bot Framework at the edge"


def test_the_checker_catches_a_bot_framework_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import os\nfrom botbuilder.core import TurnContext\n", encoding="utf-8")
    assert "botbuilder.core" in imported_modules(sample)


def test_inner_packages_are_not_empty() -> None:
    # Guards against the check passing because the packages moved.
    for package in INNER_PACKAGES:
        assert list((ROOT / package).glob("*.py")), package
