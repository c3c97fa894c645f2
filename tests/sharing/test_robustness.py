"""Junk in, only our own errors out: nothing from PyYAML or pydantic leaks."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from misec_rules.errors import RequestError
from misec_rules.sharing import RulesetLoadError, RulesetRegistry, load_rulesets

from .conftest import FIXTURES

GOOD = (FIXTURES / "bad" / "good" / "ruleset.yaml").read_text(encoding="utf-8")
LINES = GOOD.splitlines()
JUNK = st.sampled_from(
    [
        "",
        "-",
        ":",
        "{",
        "]",
        "&a",
        "*a",
        "!!binary x",
        "'",
        "€",
        "\t",
        "null",
        "2010-99-99",
        "- id: r1",
        "  from: [",
        "<<: *a",
        "   x: 1",
        "\x00",
    ]
)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["drop", "dup", "junk", "cut"]))
        if action == "drop":
            del lines[i]
        elif action == "dup":
            lines.insert(i, lines[i])
        elif action == "junk":
            lines[i] = lines[i] + draw(JUNK)
        else:
            lines[i] = lines[i][: draw(st.integers(0, max(0, len(lines[i]) - 1)))]
    return "\n".join(lines) + "\n"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=mutated())
def test_mutated_rulesets_load_or_fail_with_located_errors(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "ruleset.yaml").write_text(text, encoding="utf-8")
        try:
            load_rulesets(tmp)
        except RulesetLoadError as exc:
            for err in exc.errors:
                assert err.file is not None
                assert "\n" not in str(err)


values = st.one_of(
    st.none(),
    st.integers(),
    st.text(max_size=5),
    st.lists(st.text(max_size=3), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@settings(max_examples=300, deadline=None)
@given(
    data=st.one_of(
        values,
        st.dictionaries(
            st.sampled_from(
                ["from", "to", "categories", "purpose", "at", "initiative", "context", "x"]
            ),
            values,
        ),
    )
)
def test_junk_requests_raise_request_error_or_decide(mini: RulesetRegistry, data: Any) -> None:
    try:
        d = mini.decide(data)
    except RequestError as exc:
        assert "\n" not in str(exc)
    else:
        assert d.outcome in {"prohibited", "indeterminate", "not_covered", "permitted", "required"}
