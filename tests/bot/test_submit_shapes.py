"""A submit is checked against its declared shape before anything in it is used."""

from __future__ import annotations

from typing import Any

import pytest

from bot.submit_shapes import MAX_ID, Flag, Id, ShapeProblem, Text, check

SHAPE = {
    "id": Id(),
    "note": Text(max_length=10, required=False, default=""),
    "choice": Text(choices=frozenset({"yes", "no"}), required=False),
    "urgent": Flag(),
}


def test_declared_fields_come_back_converted_and_undeclared_ones_are_dropped() -> None:
    checked = check(SHAPE, {"id": "42", "note": " seen ", "choice": "yes", "urgent": "true", "person_id": 1})
    assert checked == {"id": 42, "note": "seen", "choice": "yes", "urgent": True}


def test_absent_optional_fields_mean_their_default() -> None:
    assert check(SHAPE, {"id": 7}) == {"id": 7, "note": "", "choice": None, "urgent": False}
    assert check(SHAPE, {"id": 7, "note": "   ", "urgent": None}) == {
        "id": 7,
        "note": "",
        "choice": None,
        "urgent": False,
    }


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ({}, ShapeProblem("id", "missing")),
        ({"id": None}, ShapeProblem("id", "missing")),
        ({"id": "abc"}, ShapeProblem("id", "bad_format")),
        ({"id": "042"}, ShapeProblem("id", "bad_format")),
        ({"id": " 42"}, ShapeProblem("id", "bad_format")),
        ({"id": "4" * 5000}, ShapeProblem("id", "too_long")),
        ({"id": {"id": 42}}, ShapeProblem("id", "wrong_type")),
        ({"id": [42]}, ShapeProblem("id", "wrong_type")),
        ({"id": 4.2}, ShapeProblem("id", "wrong_type")),
        ({"id": True}, ShapeProblem("id", "wrong_type")),
        ({"id": 0}, ShapeProblem("id", "out_of_range")),
        ({"id": -1}, ShapeProblem("id", "out_of_range")),
        ({"id": MAX_ID + 1}, ShapeProblem("id", "out_of_range")),
        ({"id": 1, "note": "x" * 11}, ShapeProblem("note", "too_long")),
        ({"id": 1, "note": 5}, ShapeProblem("note", "wrong_type")),
        ({"id": 1, "choice": "maybe"}, ShapeProblem("choice", "bad_format")),
        ({"id": 1, "urgent": "yes please"}, ShapeProblem("urgent", "wrong_type")),
        ({"id": 1, "urgent": 1}, ShapeProblem("urgent", "wrong_type")),
    ],
)
def test_a_value_that_does_not_fit_names_the_field_and_why(value: dict[str, Any], problem: ShapeProblem) -> None:
    assert check(SHAPE, value) == problem


def test_required_text_may_not_be_blank_and_a_pattern_is_whole() -> None:
    shape = {"code": Text(pattern=r"[A-Z]{3}")}
    assert check(shape, {"code": "ABC"}) == {"code": "ABC"}
    assert check(shape, {"code": "  "}) == ShapeProblem("code", "missing")
    assert check(shape, {"code": "ABCD"}) == ShapeProblem("code", "bad_format")
