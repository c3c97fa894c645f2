"""Event parsing: well-formed events round-trip, junk gives EventError naming the field."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from misec_rules.sharing.duties import EventError, check_event_file, parse_event
from misec_rules.sharing.duties._events import _parse_checked, _parse_plain

GOOD = {
    "id": "e1",
    "at": "2024-03-01T10:00:00Z",
    "type": "case_opened",
    "agency": "MIGRI",
    "subject": "S",
    "case_id": "c1",
    "case_type": "asylum",
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


@given(json_values)
def test_junk_raises_only_event_error(value):
    try:
        parse_event(value, line=7)
    except EventError as exc:
        assert str(exc).startswith("line 7: ")
        assert "\n" not in str(exc)


@given(st.sampled_from(sorted(GOOD)), json_values)
def test_a_bad_field_is_named(field, value):
    data = dict(GOOD, **{field: value})
    try:
        ev = parse_event(data)
    except EventError as exc:
        assert exc.field in (field, None)
    else:
        assert ev.to_json()["id"] == data["id"]


def test_round_trip():
    ev = parse_event(GOOD)
    again = parse_event(ev.to_json())
    assert again == ev
    assert ev.at.utcoffset() is not None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"type": "case_moved"}, "field `type`: unknown event type `case_moved`"),
        ({"case_type": "parking"}, "field `case_type`: unknown case type `parking`"),
        ({"at": "2024-13-01"}, "field `at`: not an ISO 8601 time `2024-13-01`"),
        ({"subject": ""}, "field `subject`: must be a non-empty string"),
        ({"agency": None}, "field `agency`: missing"),
    ],
)
def test_messages(change, message):
    with pytest.raises(EventError) as info:
        parse_event({**GOOD, **change}, line=3)
    assert str(info.value) == f"line 3: {message}" or str(info.value).startswith(
        f"line 3: {message}"
    )


def test_check_event_file_reports_every_bad_line(tmp_path):
    p = tmp_path / "e.jsonl"
    p.write_text(
        json.dumps(GOOD)
        + "\n\n"
        + "{oops\n"
        + json.dumps({**GOOD, "type": "x"})
        + "\n"
        + json.dumps(GOOD)
        + "\n"
    )
    errors = check_event_file(p)
    assert [e.line for e in errors] == [3, 4]


_SHAPED = {
    "case_closed": {"case_id": "c1"},
    "finding_recorded": {"finding_id": "f1", "category": "identity"},
    "finding_withdrawn": {"finding_id": "f1"},
    "duty_delivered": {"duty_id": "duty-1"},
}
_TIMES = ["2024-03-01T10:00:00Z", "2024-03-01T10:00:00+02:00", "2024-03-01", "2024-03-01t10", "x"]
_FIELDS = ["id", "at", "type", "agency", "subject", "case_id", "case_type", "finding_id"]
field_values = json_values | st.sampled_from(
    ["", " ", "\t", "asylum", "visa", "parking", "identity", *_TIMES]
)


def _base(kind: str) -> dict[str, object]:
    if kind == "case_opened":
        return dict(GOOD)
    base = {k: v for k, v in GOOD.items() if k not in ("case_id", "case_type")}
    return {**base, "type": kind, **_SHAPED[kind]}


@given(
    st.sampled_from(["case_opened", *_SHAPED]),
    st.dictionaries(st.sampled_from([*_FIELDS, "category", "duty_id"]), field_values, max_size=4),
)
def test_fast_path_agrees_with_the_field_by_field_check(kind, changes):
    """The shortcut for well-formed dicts accepts exactly what the full check accepts."""
    data = {**_base(kind), **changes}
    try:
        checked = _parse_checked(data, None)
    except EventError:
        checked = None
    fast = _parse_plain(data)
    assert fast is None or fast == checked


@pytest.mark.parametrize("kind", ["case_opened", *_SHAPED])
def test_fast_path_takes_well_formed_events(kind):
    data = _base(kind)
    assert _parse_plain(data) == _parse_checked(data, None) == parse_event(data)
    assert _parse_plain(data) is not None
