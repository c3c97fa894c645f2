"""Hypothesis properties: round trips, detection of substitutions, junk input."""

from __future__ import annotations

import string
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from misec_rules.errors import MRZError
from misec_rules.mrz import FORMATS, country_codes, generate_mrz, parse_mrz, repair_mrz

REF = date(2026, 1, 1)
ALNUM = string.ascii_uppercase + string.digits
MRZ_ALPHABET = ALNUM + "<"
CODES = sorted(country_codes())
OPTIONAL_WIDTH = {"TD1": 15, "TD2": 7, "TD3": 14, "MRVA": 16, "MRVB": 8}
FIRST = {"TD1": "ACI", "TD2": "ACI", "TD3": "P", "MRVA": "V", "MRVB": "V"}


def _word(max_size: int) -> st.SearchStrategy[str]:
    return st.text(string.ascii_uppercase, min_size=1, max_size=max_size)


@st.composite
def documents(draw: st.DrawFn, fmt: str | None = None) -> tuple[str, dict[str, Any]]:
    """A format and generate_mrz arguments that fit it without truncation."""
    fmt = fmt or draw(st.sampled_from(sorted(FORMATS)))
    long_number = fmt in ("TD1", "TD2") and draw(st.booleans())
    max_number = {"TD1": 14, "TD2": 13}.get(fmt, 9) if long_number else 9
    number = draw(st.text(ALNUM, min_size=1, max_size=max_number))
    width = OPTIONAL_WIDTH[fmt]
    if len(number) > 9:
        width -= len(number) - 9 + 2
    optional = draw(st.text(ALNUM, max_size=max(width, 0)))
    birth = draw(st.dates(REF - timedelta(days=365 * 99), REF))
    expiry = draw(st.dates(date(REF.year - 50, 1, 1), date(REF.year + 49, 12, 31)))
    args: dict[str, Any] = {
        "document_code": draw(st.sampled_from(FIRST[fmt]))
        + draw(st.sampled_from(["", *string.ascii_uppercase])),
        "issuing_state": draw(st.sampled_from(CODES)),
        "nationality": draw(st.sampled_from(CODES)),
        "surname": " ".join(draw(st.lists(_word(6), min_size=1, max_size=2))),
        "given_names": " ".join(draw(st.lists(_word(6), max_size=2))),
        "document_number": number,
        "birth_date": birth,
        "expiry_date": expiry,
        "sex": draw(st.sampled_from("MFX<")),
        "optional_data": optional,
    }
    if fmt == "TD1":
        args["optional_data_2"] = draw(st.text(ALNUM, max_size=11))
    return fmt, args


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@settings(max_examples=60)
@given(data=st.data())
def test_generate_parse_round_trip(fmt: str, data: st.DataObject) -> None:
    _fmt, args = data.draw(documents(fmt))
    lines = generate_mrz(fmt, **args)
    m = parse_mrz(lines, reference_date=REF)
    assert m.format == fmt
    assert m.valid, m.checks
    assert m.lines == lines
    assert m.document_code == args["document_code"]
    assert m.issuing_state == args["issuing_state"]
    assert m.nationality == args["nationality"]
    assert m.surname == args["surname"]
    assert m.given_names == args["given_names"]
    assert m.document_number == args["document_number"]
    assert m.optional_data == args["optional_data"]
    assert m.optional_data_2 == (args.get("optional_data_2", "") if fmt == "TD1" else None)
    assert m.birth_date == args["birth_date"]
    assert m.expiry_date == args["expiry_date"]
    assert m.sex == ("X" if args["sex"] == "<" else args["sex"])
    assert not any(w.code.startswith(("unknown_", "name_poss", "invalid")) for w in m.warnings)
    # repair leaves a clean reading alone, except that position rules may take a K in
    # a filler run for a misread `<` (check digits cannot tell the two apart)
    r = repair_mrz(lines, reference_date=REF)
    assert r.valid
    if "K" not in "".join(lines):
        assert r.lines == lines
        assert r.repairs == []
    assert all((x.read, x.corrected) == ("K", "<") for x in r.repairs)


@st.composite
def substitutions(draw: st.DrawFn) -> tuple[list[str], list[str], int, int]:
    fmt, args = draw(documents())
    lines = generate_mrz(fmt, **args)
    f = FORMATS[fmt]  # type: ignore[index]
    positions = [
        (fld.line, col)
        for fld in f.fields
        if fld.kind in ("date", "check")
        for col in fld.columns()
        if lines[fld.line][col].isdigit()
    ]
    line, col = draw(st.sampled_from(positions))
    new = draw(st.sampled_from([c for c in MRZ_ALPHABET if c != lines[line][col]]))
    bad = list(lines)
    bad[line] = bad[line][:col] + new + bad[line][col + 1 :]
    return lines, bad, line, col


@given(substitutions())
def test_every_substitution_in_a_digit_field_is_detected(
    case: tuple[list[str], list[str], int, int],
) -> None:
    """Detected: ``valid`` is false, or a warning names the position."""
    _lines, bad, line, col = case
    m = parse_mrz(bad, reference_date=REF)
    where = f"line {line + 1}, column {col + 1}"
    assert not m.valid or any(where in w.message for w in m.warnings), (bad, m.warnings)


def _shaped_lines() -> st.SearchStrategy[list[str]]:
    shapes = [(3, 30), (2, 36), (2, 44)]
    return st.sampled_from(shapes).flatmap(
        lambda s: st.lists(
            st.text(MRZ_ALPHABET + "K<?a ", min_size=s[1], max_size=s[1]),
            min_size=s[0],
            max_size=s[0],
        )
    )


JUNK = st.one_of(
    st.text(),
    st.lists(st.text(max_size=60), max_size=5),
    st.binary(max_size=100),
    st.none(),
    st.integers(),
    _shaped_lines(),
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(JUNK)
def test_junk_only_raises_mrz_error(junk: Any) -> None:
    try:
        m = parse_mrz(junk, reference_date=REF)
    except MRZError:
        return
    assert m.format in FORMATS
    assert isinstance(m.to_json(), dict)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    _shaped_lines(),
    st.one_of(
        st.none(),
        st.lists(
            st.lists(st.lists(st.tuples(st.text(max_size=2), st.floats()), max_size=3)),
            max_size=3,
        ),
    ),
)
def test_repair_junk_only_raises_mrz_error(lines: list[str], cands: Any) -> None:
    try:
        m = repair_mrz(lines, candidates=cands, reference_date=REF)
    except MRZError:
        return
    assert len(m.lines) == len(lines)
    for r in m.repairs:
        assert m.lines[r.line - 1][r.column - 1] == r.corrected


@settings(max_examples=200, deadline=None)
@given(
    JUNK, st.one_of(st.none(), st.dictionaries(st.integers(), st.text()), st.text(), st.integers())
)
def test_repair_any_junk_only_raises_mrz_error(junk: Any, cands: Any) -> None:
    try:
        m = repair_mrz(junk, candidates=cands, reference_date=REF)
    except MRZError:
        return
    assert m.format in FORMATS
