"""The condition language: parsing, evaluation, and its refusal of anything else."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from misec_rules.sharing import compile_condition
from misec_rules.sharing._conditions import ConditionError, ConditionSyntaxError


@pytest.mark.parametrize(
    ("cond", "ctx", "expected"),
    [
        ({"context.case": "asylum"}, {"case": "asylum"}, True),
        ({"context.case": "asylum"}, {"case": "visa"}, False),
        ({"context.case": {"in": ["asylum", "visa"]}}, {"case": "visa"}, True),
        ({"context.case": {"not_in": ["asylum"]}}, {"case": "visa"}, True),
        ({"context.case": {"not_in": ["asylum"]}}, {}, False),
        ({"context.case": {"ne": "asylum"}}, {}, False),
        ({"context.age": {"ge": 18}}, {"age": 18}, True),
        ({"context.age": {"gt": 18}}, {"age": 18}, False),
        ({"context.age": {"lt": 18}}, {}, False),
        ({"context.age": {"le": 18}}, {"age": None}, False),
        ({"context.case": {"exists": True}}, {"case": None}, True),
        ({"context.case": {"exists": False}}, {}, True),
        ({"context.a.b": 1}, {"a": {"b": 1}}, True),
        ({"context.a.b": 1}, {"a": 5}, False),
        ({"all": [{"context.x": 1}, {"context.y": 2}]}, {"x": 1, "y": 2}, True),
        ({"any": [{"context.x": 1}, {"context.y": 2}]}, {"x": 0, "y": 2}, True),
        ({"not": {"context.x": 1}}, {"x": 1}, False),
        ({"context.x": 1, "context.y": 2}, {"x": 1, "y": 3}, False),
    ],
)
def test_evaluation(cond: dict[str, Any], ctx: dict[str, Any], expected: bool) -> None:
    assert compile_condition(cond)(ctx) is expected


@pytest.mark.parametrize(
    ("cond", "words", "path"),
    [
        ({}, "non-empty mapping", ()),
        ([1], "non-empty mapping", ()),
        ({"case": 1}, "unknown condition key `case`", ("case",)),
        ({"context.": 1}, "unknown condition key", ("context.",)),
        ({"context.x": {"like": 1}}, "unknown operator `like`", ("context.x",)),
        ({"context.x": {"in": []}}, "non-empty list", ("context.x", "in")),
        ({"context.x": {"in": "abc"}}, "non-empty list", ("context.x", "in")),
        ({"context.x": {"in": [[1]]}}, "plain value", ("context.x", "in", 0)),
        ({"context.x": {"eq": 1, "ne": 2}}, "exactly one", ("context.x",)),
        ({"context.x": {"exists": "yes"}}, "true or false", ("context.x", "exists")),
        ({"context.x": {"ge": None}}, "number, date or text", ("context.x", "ge")),
        ({"all": []}, "non-empty list", ("all",)),
        ({"not": {"any": [{"x": 1}]}}, "unknown condition key `x`", ("not", "any", 0, "x")),
        ({"__import__('os')": 1}, "unknown condition key", ("__import__('os')",)),
    ],
)
def test_syntax_errors_name_the_place(cond: Any, words: str, path: tuple[Any, ...]) -> None:
    with pytest.raises(ConditionSyntaxError) as info:
        compile_condition(cond)
    assert words in str(info.value)
    assert info.value.path == path


def test_type_mismatch_is_an_evaluation_error() -> None:
    test = compile_condition({"context.age": {"ge": 18}})
    with pytest.raises(ConditionError, match="cannot compare"):
        test({"age": "adult"})


def test_field_names_only_read_mapping_keys() -> None:
    class Sneaky(dict[str, Any]):
        pass

    test = compile_condition({"context.get": {"exists": True}})
    assert test({"x": 1}) is False
    assert test(Sneaky(get=1)) is True


scalars = st.one_of(st.integers(-5, 5), st.text(max_size=3), st.booleans(), st.none())


@given(value=scalars, options=st.lists(scalars, min_size=1, max_size=4))
def test_in_matches_python_membership(value: Any, options: list[Any]) -> None:
    test = compile_condition({"context.v": {"in": options}})
    assert test({"v": value}) == (value in options)
    negated = compile_condition({"not": {"context.v": {"in": options}}})
    assert negated({"v": value}) != test({"v": value})


@given(a=st.integers(-100, 100), b=st.integers(-100, 100))
def test_ordering_matches_python(a: int, b: int) -> None:
    for op, fn in (("lt", a < b), ("le", a <= b), ("gt", a > b), ("ge", a >= b)):
        assert compile_condition({"context.v": {op: b}})({"v": a}) is fn
