"""A submit is checked against its declared shape before anything in it is used."""

from __future__ import annotations

from typing import Any

import pytest

from bot.submit_shapes import MAX_ID, MAX_INTEGER_ID, Choices, Flag, Guid, Id, ShapeProblem, Text, check

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


def test_an_id_may_have_a_ceiling_and_words_beside_numbers() -> None:
    shape = {"school": Id(maximum=MAX_INTEGER_ID, words=frozenset({"partnership"}))}
    assert check(shape, {"school": "partnership"}) == {"school": "partnership"}
    assert check(shape, {"school": "12"}) == {"school": 12}
    assert check(shape, {"school": str(MAX_INTEGER_ID + 1)}) == ShapeProblem("school", "out_of_range")
    assert check(shape, {"school": "\u00b2"}) == ShapeProblem("school", "bad_format")  # "²" is a digit to str.isdigit
    assert check(shape, {"school": "1" * 40}) == ShapeProblem("school", "too_long")
    assert check(shape, {"school": "Partnership"}) == ShapeProblem("school", "bad_format")


def test_choices_are_a_comma_list_of_known_values() -> None:
    shape = {"roles": Choices(choices=frozenset({"dsl", "senco", "teacher"}), max_items=3)}
    assert check(shape, {"roles": "teacher,dsl"}) == {"roles": ("dsl", "teacher")}
    assert check(shape, {"roles": ""}) == ShapeProblem("roles", "missing")
    assert check(shape, {"roles": "dsl,dsl"}) == ShapeProblem("roles", "bad_format")
    assert check(shape, {"roles": "dsl,head"}) == ShapeProblem("roles", "bad_format")
    assert check(shape, {"roles": ["dsl"]}) == ShapeProblem("roles", "wrong_type")
    assert check(shape, {"roles": "dsl," * 500}) == ShapeProblem("roles", "too_long")


def test_a_guid_is_checked_and_blank_is_told_apart_from_absent() -> None:
    shape = {"aad": Guid()}
    guid = "6F9619FF-8B86-D011-B42D-00C04FC964FF"
    assert check(shape, {"aad": guid}) == {"aad": guid.lower()}
    assert check(shape, {}) == {"aad": None}  # not sent: the caller keeps what it has
    assert check(shape, {"aad": " "}) == {"aad": ""}  # sent empty: the person emptied it
    assert check(shape, {"aad": "not-a-guid <b>"}) == ShapeProblem("aad", "bad_format")
    assert check(shape, {"aad": {"id": guid}}) == ShapeProblem("aad", "wrong_type")


def test_a_required_flag_is_neither_absent_nor_blank_nor_any_other_word() -> None:
    shape = {"active": Flag(required=True)}
    assert check(shape, {"active": "false"}) == {"active": False}
    assert check(shape, {"active": True}) == {"active": True}
    assert check(shape, {}) == ShapeProblem("active", "missing")
    assert check(shape, {"active": ""}) == ShapeProblem("active", "missing")
    assert check(shape, {"active": "yes"}) == ShapeProblem("active", "wrong_type")
