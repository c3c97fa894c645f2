"""Conditions on a request's context: a small mapping language, never ``eval``.

A condition is a YAML mapping.  Each key is either a field path starting with
``context.`` or one of the combinators ``all``, ``any`` and ``not``; several keys
in one mapping must all hold::

    when:
      context.open_case: {in: [residence_permit, asylum]}
      context.quota_refugee: true
      any:
        - {context.age: {ge: 18}}
        - {not: {context.minor_consent: {exists: true}}}

A field compares with a plain value (equality) or with one operator mapping:
``eq``, ``ne``, ``in``, ``not_in``, ``lt``, ``le``, ``gt``, ``ge``, ``exists``.
A missing field is ``None``: it equals nothing and orders with nothing (the test is
false).  Ordering two values of different types is an evaluation error, which the
decision reports as ``indeterminate``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["ConditionError", "ConditionSyntaxError", "Predicate", "compile_condition"]

Predicate = Callable[[Mapping[str, Any]], bool]

_FIELD = re.compile(r"^context(\.[A-Za-z_][A-Za-z0-9_]*)+$")
_OPERATORS = ("eq", "ne", "in", "not_in", "lt", "le", "gt", "ge", "exists")
_MISSING = object()


class ConditionSyntaxError(ValueError):
    """A condition that does not parse; ``path`` is relative to the condition."""

    def __init__(self, message: str, path: Sequence[str | int]) -> None:
        super().__init__(message)
        self.path = tuple(path)


class ConditionError(RuntimeError):
    """A condition that could not be evaluated on a given context."""


def _getter(field: str) -> Callable[[Mapping[str, Any]], Any]:
    parts = field.split(".")[1:]
    if len(parts) == 1:
        key = parts[0]

        def get1(ctx: Mapping[str, Any]) -> Any:
            return ctx.get(key, _MISSING)

        return get1

    def get(ctx: Mapping[str, Any]) -> Any:
        value: Any = ctx
        for part in parts:
            if not isinstance(value, Mapping):
                return _MISSING
            value = value.get(part, _MISSING)
        return value

    return get


def _scalar(value: Any, path: Sequence[str | int]) -> Any:
    if isinstance(value, dict | list):
        raise ConditionSyntaxError("expected a plain value, not a list or mapping", path)
    return value


def _kind(value: Any) -> str:
    """A value's kind in words, for messages (never a Python type name)."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return "a value of another kind"


def _ordered(get: Callable[[Mapping[str, Any]], Any], op: str, ref: Any, field: str) -> Predicate:
    def test(ctx: Mapping[str, Any]) -> bool:
        value = get(ctx)
        if value is _MISSING or value is None:
            return False
        try:
            if op == "lt":
                return bool(value < ref)
            if op == "le":
                return bool(value <= ref)
            if op == "gt":
                return bool(value > ref)
            return bool(value >= ref)
        except TypeError as exc:
            raise ConditionError(f"cannot compare `{field}` ({_kind(value)}) with `{ref}`") from exc

    return test


def _field_test(field: str, spec: Any, path: tuple[str | int, ...]) -> Predicate:
    get = _getter(field)
    if not isinstance(spec, dict):
        ref = _scalar(spec, path)
        return lambda ctx: bool(get(ctx) == ref)
    if len(spec) != 1:
        raise ConditionSyntaxError(
            "an operator mapping takes exactly one of " + ", ".join(f"`{o}`" for o in _OPERATORS),
            path,
        )
    ((op, arg),) = spec.items()
    where = (*path, op)
    if op in ("in", "not_in"):
        if not isinstance(arg, list) or not arg:
            raise ConditionSyntaxError(f"`{op}` takes a non-empty list", where)
        values = [_scalar(a, (*where, i)) for i, a in enumerate(arg)]
        try:
            members: frozenset[Any] | list[Any] = frozenset(values)
        except TypeError:  # pragma: no cover - scalars are hashable
            members = values
        if op == "in":
            return lambda ctx: get(ctx) in members
        return lambda ctx: (v := get(ctx)) is not _MISSING and v not in members
    if op == "eq":
        ref = _scalar(arg, where)
        return lambda ctx: bool(get(ctx) == ref)
    if op == "ne":
        ref = _scalar(arg, where)
        return lambda ctx: (v := get(ctx)) is not _MISSING and bool(v != ref)
    if op == "exists":
        if not isinstance(arg, bool):
            raise ConditionSyntaxError("`exists` takes true or false", where)
        return lambda ctx: (get(ctx) is not _MISSING) is arg
    if op in ("lt", "le", "gt", "ge"):
        ref = _scalar(arg, where)
        if ref is None or isinstance(ref, bool):
            raise ConditionSyntaxError(f"`{op}` takes a number, date or text", where)
        return _ordered(get, op, ref, field)
    raise ConditionSyntaxError(
        f"unknown operator `{op}`; use one of " + ", ".join(f"`{o}`" for o in _OPERATORS), path
    )


def _all(parts: tuple[Predicate, ...]) -> Predicate:
    return lambda ctx: all(t(ctx) for t in parts)


def _any(parts: tuple[Predicate, ...]) -> Predicate:
    return lambda ctx: any(t(ctx) for t in parts)


def _not(inner: Predicate) -> Predicate:
    return lambda ctx: not inner(ctx)


def _compile(spec: Any, path: tuple[str | int, ...]) -> Predicate:
    if not isinstance(spec, dict) or not spec:
        raise ConditionSyntaxError("a condition is a non-empty mapping", path)
    tests: list[Predicate] = []
    for key, value in spec.items():
        where = (*path, key)
        if key in ("all", "any"):
            if not isinstance(value, list) or not value:
                raise ConditionSyntaxError(f"`{key}` takes a non-empty list of conditions", where)
            parts = tuple(_compile(v, (*where, i)) for i, v in enumerate(value))
            tests.append(_all(parts) if key == "all" else _any(parts))
        elif key == "not":
            tests.append(_not(_compile(value, where)))
        elif isinstance(key, str) and _FIELD.match(key):
            tests.append(_field_test(key, value, where))
        else:
            raise ConditionSyntaxError(
                f"unknown condition key `{key}`; use `context.<field>`, `all`, `any` or `not`",
                where,
            )
    if len(tests) == 1:
        return tests[0]
    return _all(tuple(tests))


def compile_condition(spec: Any) -> Predicate:
    """Compile a condition mapping into a predicate on the request's context.

    Parameters
    ----------
    spec
        The ``when`` mapping of a rule, as read from YAML.

    Returns
    -------
    Predicate
        A function of the context mapping; it may raise :class:`ConditionError`.

    Raises
    ------
    ConditionSyntaxError
        The mapping is not a valid condition; ``path`` says where.

    Examples
    --------
    >>> test = compile_condition({"context.open_case": {"in": ["asylum"]}})
    >>> test({"open_case": "asylum"}), test({})
    (True, False)
    """
    return _compile(spec, ())
