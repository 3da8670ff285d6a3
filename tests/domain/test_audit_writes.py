"""Every audit write in the code keeps personal data out of the log.

The audit log is append-only, erasure included (domain/erasure.py says why), so an entry must
never hold what erasure would have to remove. `record_audit` refuses values shaped like names,
dates and UPNs at run time; this reads every call to it in the code and checks what no run-time
check can see: that `detail` is written out key by key (never a record's dict passed through; the one dict
spread in is a requester's `audit_detail`, made for the log),
and that no argument reads a personal field of a record.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("app.py", "bot", "cli", "core", "db", "dialogs", "domain", "knowledge", "manifest")
PERSONAL_FIELDS = frozenset(
    {"first_name", "last_name", "date_of_birth", "dob", "upn", "display_name", "email", "name", "text", "message"}
)


def source_files() -> list[Path]:
    files: list[Path] = []
    for entry in PACKAGES:
        path = ROOT / entry
        files.extend([path] if path.is_file() else sorted(path.rglob("*.py")))
    return files


def audit_calls(tree: ast.AST) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "record_audit"
    ]


def problems(call: ast.Call) -> list[str]:
    found: list[str] = []
    detail = next((k.value for k in call.keywords if k.arg == "detail"), None)
    if detail is not None and not (
        isinstance(detail, ast.Dict)
        and all(
            (isinstance(key, ast.Constant) and isinstance(key.value, str))
            # `**requester.audit_detail`: a dict made for the audit log (where a request came from)
            or (key is None and isinstance(value, ast.Attribute) and value.attr == "audit_detail")
            for key, value in zip(detail.keys, detail.values, strict=True)
        )
    ):
        found.append("detail is not written out key by key")
    for argument in [*call.args, *(k.value for k in call.keywords)]:
        for node in ast.walk(argument):
            field = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None
            if field in PERSONAL_FIELDS:
                found.append(f"reads {field}")
    return found


def calls_in_code() -> list[tuple[str, ast.Call]]:
    found: list[tuple[str, ast.Call]] = []
    for path in source_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        found.extend((f"{path.relative_to(ROOT)}:{call.lineno}", call) for call in audit_calls(tree))
    return found


def test_the_scan_finds_the_audit_writes() -> None:
    # Guards against the check passing because the calls moved or were renamed.
    places = {place.split(":")[0] for place, _ in calls_in_code()}
    assert {"domain/directory/service.py", "domain/requester.py", "domain/school_calendar/service.py"} <= places


@pytest.mark.parametrize(("place", "call"), calls_in_code(), ids=lambda value: value if isinstance(value, str) else "")
def test_no_audit_write_reads_personal_data(place: str, call: ast.Call) -> None:
    assert problems(call) == [], place


@pytest.mark.parametrize(
    "source",
    [
        'record_audit(s, action="viewed", record_type="pupil", record_id="4", detail={"outcome": pupil.first_name})',
        'record_audit(s, action="viewed", record_type="pupil", record_id=pupil.upn)',
        'record_audit(s, action="changed", record_type="pupil", record_id="4", detail=changes)',
        'record_audit(s, action="changed", record_type="pupil", record_id="4", detail={**changes})',
        'record_audit(s, action="changed", record_type="pupil", record_id="4", detail={"kind": "x", **pupil.facts})',
        'record_audit(s, action="created", record_type="person", record_id="4", detail={"source": email})',
    ],
)
def test_the_check_catches_personal_data(source: str) -> None:
    [call] = audit_calls(ast.parse(source))
    assert problems(call)
