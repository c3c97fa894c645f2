"""The examples in the mrz modules' docstrings are true."""

from __future__ import annotations

import doctest
from datetime import date, datetime

import pytest

from misec_rules.errors import MRZError
from misec_rules.mrz import _checkdigit, _generate, _parse, parse_mrz


@pytest.mark.parametrize("module", [_checkdigit, _generate, _parse], ids=lambda m: m.__name__)
def test_docstring_examples(module: object) -> None:
    result = doctest.testmod(module, verbose=False)  # type: ignore[arg-type]
    assert result.attempted > 0
    assert result.failed == 0


def test_reference_date_may_be_a_datetime() -> None:
    lines = [
        "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
        "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
    ]
    a = parse_mrz(lines, reference_date=datetime(2010, 1, 1, 12, 0))
    b = parse_mrz(lines, reference_date=date(2010, 1, 1))
    assert a == b
    with pytest.raises(MRZError):
        parse_mrz(lines, reference_date="2010-01-01")  # type: ignore[arg-type]
