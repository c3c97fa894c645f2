"""ICAO 9303 check digits (weights 7, 3, 1).

References
----------
ICAO Doc 9303, 8th ed. (2021), Part 3 section 4.9: characters are valued
``0``-``9`` as themselves, ``A``-``Z`` as 10-35 and the filler ``<`` as 0; each
value is multiplied by the weights 7, 3, 1 repeated, and the check digit is the
sum modulo 10.
"""

from __future__ import annotations

from operator import mul

from misec_rules.errors import InvalidCharacter

__all__ = ["VALUES", "check_digit", "check_value", "show_char"]

#: The numeric value of every MRZ character.
VALUES: dict[str, int] = {
    **{str(d): d for d in range(10)},
    **{chr(ord("A") + i): 10 + i for i in range(26)},
    "<": 0,
}
_WEIGHTS = (7, 3, 1) * 40  # long enough for the longest composite (TD1: 59 characters)
_get = VALUES.__getitem__


def show_char(ch: str) -> str:
    """``ch`` as it may appear in an error message: printable ASCII as is, else escaped."""
    return ch if " " <= ch <= "~" and ch != "`" else ascii(ch)[1:-1]


def check_value(data: str) -> int:
    """The check digit of ``data`` as an int; ``data`` must hold only MRZ characters.

    The fast path used by the parser, which has already validated the characters.
    """
    total: int = sum(map(mul, map(_get, data), _WEIGHTS))
    return total % 10


def check_digit(data: str) -> str:
    """Compute the ICAO 9303 check digit of ``data``.

    Parameters
    ----------
    data
        MRZ characters (``A``-``Z``, ``0``-``9``, ``<``).

    Returns
    -------
    str
        One digit, ``"0"`` to ``"9"``.

    Raises
    ------
    InvalidCharacter
        When ``data`` holds a character outside the MRZ set (its 1-based column
        is in the exception's ``column``).

    References
    ----------
    ICAO Doc 9303, Part 3 section 4.9.

    Examples
    --------
    >>> check_digit("L898902C3")
    '6'
    >>> check_digit("740812")
    '2'
    >>> check_digit("<<<<<<<<<<<<<<")
    '0'
    """
    if not isinstance(data, str):
        raise InvalidCharacter(f"check digit data must be text, not `{type(data).__name__}`")
    if len(data) > len(_WEIGHTS):
        raise InvalidCharacter(f"check digit data too long ({len(data)} characters)")
    for i, ch in enumerate(data):
        if ch not in VALUES:
            raise InvalidCharacter(
                f"character `{show_char(ch)}` at column {i + 1} is not an mrz character",
                column=i + 1,
            )
    return str(check_value(data))
