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


# ---- a dialog only talks ------------------------------------------------------------------
# Dialogs and card actions call `domain/<feature>/service.py` and queries; the service is the
# transaction and the one place that checks access, audits and queues notices.
DIALOG_FORBIDDEN_MODULES = ("sqlalchemy", "db.models", "domain.audit", "domain.outbox", "domain.notifier")
DIALOG_FORBIDDEN_CALLS = ("session", "transaction", "record_audit", "enqueue_to_person", "enqueue_to_channel", "queue")


def dialog_files() -> list[Path]:
    return sorted((ROOT / "dialogs").rglob("*.py"))


def reaches_past_the_service(path: Path) -> list[str]:
    """What in `path` opens a unit of work, audits or touches the outbox itself."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = [
        f"imports {m}"
        for m in sorted(imported_modules(path))
        if any(m == bad or m.startswith(bad + ".") for bad in DIALOG_FORBIDDEN_MODULES)
    ]
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute | ast.Name):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
            if name in DIALOG_FORBIDDEN_CALLS:
                found.append(f"calls {name}() on line {node.lineno}")
    return found


@pytest.mark.parametrize("path", dialog_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_a_dialog_only_talks(path: Path) -> None:
    found = reaches_past_the_service(path)
    assert not found, f"{path.relative_to(ROOT)} {found}: go through the feature's domain service"


@pytest.mark.parametrize(
    "source",
    [
        "async def f(db):\n    async with db.session() as s:\n        pass\n",
        "from domain.audit import record_audit\n",
        "async def f(notifier):\n    await notifier.enqueue_to_person(1, {}, '', 'k')\n",
        "from sqlalchemy import select\n",
    ],
)
def test_the_dialog_check_catches_each_way_past_the_service(tmp_path: Path, source: str) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(source, encoding="utf-8")
    assert reaches_past_the_service(sample)


def test_there_are_dialogs_to_check() -> None:
    assert len(dialog_files()) >= 3
