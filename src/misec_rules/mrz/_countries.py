"""State and organisation codes for the issuing-state and nationality fields.

The codes live in ``countries.csv`` beside this module (ISO 3166-1 alpha-3 plus
the ICAO 9303 Part 3 special codes); the file is validated when first loaded.

References
----------
ICAO Doc 9303, 8th ed. (2021), Part 3 section 5 (three-letter codes).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

from misec_rules.errors import MisecError

__all__ = ["CountryCode", "country_codes", "is_known_code", "load_country_codes"]

CodeKind = Literal["iso", "icao", "other"]
_CODE = re.compile(r"[A-Z]{1,3}")
_KINDS: frozenset[str] = frozenset({"iso", "icao", "other"})


@dataclass(frozen=True, slots=True)
class CountryCode:
    """One accepted code: ``code`` as written in the MRZ without fillers."""

    code: str
    kind: CodeKind
    name: str


class CountryListError(MisecError, ValueError):
    """The bundled country-code list does not validate (names the row)."""


def load_country_codes(text: str, *, source: str = "countries.csv") -> dict[str, CountryCode]:
    """Parse and validate a country-code list.

    Lines starting with ``#`` are comments; then a header ``code,kind,name`` and one
    row per code.

    Raises
    ------
    CountryListError
        A missing header, a malformed code, an unknown kind, an empty name or a
        duplicate code; the message names ``source`` and the line.
    """
    rows = [(n, line) for n, line in enumerate(text.splitlines(), 1) if not line.startswith("#")]
    if not rows or rows[0][1].strip() != "code,kind,name":
        raise CountryListError(f"{source}: expected the header `code,kind,name`")
    out: dict[str, CountryCode] = {}
    reader = csv.reader([line for _, line in rows[1:]])
    for (lineno, _), rec in zip(rows[1:], reader, strict=True):
        where = f"{source}:{lineno}"
        if len(rec) != 3:
            raise CountryListError(f"{where}: expected 3 columns, got {len(rec)}")
        code, kind, name = rec
        if not _CODE.fullmatch(code):
            raise CountryListError(f"{where}: code `{code}` is not 1-3 capital letters")
        if kind not in _KINDS:
            raise CountryListError(f"{where}: kind `{kind}` is not one of iso, icao, other")
        if not name.strip():
            raise CountryListError(f"{where}: code `{code}` has no name")
        if code in out:
            raise CountryListError(f"{where}: duplicate code `{code}`")
        out[code] = CountryCode(code, kind, name)  # type: ignore[arg-type]
    return out


@cache
def country_codes() -> dict[str, CountryCode]:
    """The bundled code list (loaded and validated once)."""
    text = resources.files("misec_rules.mrz").joinpath("countries.csv").read_text("utf-8")
    return load_country_codes(text)


@cache
def _known() -> frozenset[str]:
    return frozenset(country_codes())


def is_known_code(code: str) -> bool:
    """Whether ``code`` (fillers already stripped) is on the bundled list."""
    return code in _known()
