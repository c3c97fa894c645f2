"""Build valid MRZs of every format (for tests and the sample generator).

References
----------
ICAO Doc 9303, 8th ed. (2021), Part 3 sections 4.6 (names), 4.9 (check digits);
Parts 4-7 section 4.2 (layouts); Part 5 4.2.2 note j (long TD1 document numbers).
"""

from __future__ import annotations

import re
from datetime import date

from misec_rules.errors import InvalidCharacter, InvalidLength, MRZError
from misec_rules.mrz._checkdigit import check_digit, show_char
from misec_rules.mrz._formats import FORMATS, Field, Format, FormatName

__all__ = ["generate_mrz", "mrz_name"]

_NOT_MRZ = re.compile(r"[^A-Z0-9<]")


def _clean(value: str, what: str) -> str:
    """Upper-case ``value``, turn spaces into fillers and refuse anything else."""
    if not isinstance(value, str):
        raise MRZError(f"{what} must be text, not `{type(value).__name__}`")
    out = value.upper().replace(" ", "<")
    bad = _NOT_MRZ.search(out)
    if bad:
        raise InvalidCharacter(
            f"{what} holds `{show_char(bad.group())}` at position {bad.start() + 1}, "
            "which is not an mrz character",
            column=bad.start() + 1,
        )
    return out


def _pad(value: str, f: Field, what: str) -> str:
    if len(value) > f.width:
        raise InvalidLength(
            f"{what} has {len(value)} characters, the {f.name} field holds {f.width}"
        )
    return value + "<" * (f.width - len(value))


def mrz_name(surname: str, given_names: str, width: int) -> str:
    """The name field: ``SURNAME<<GIVEN<NAMES`` padded or truncated to ``width``.

    Hyphens and spaces become fillers and apostrophes are dropped (ICAO 9303
    Part 3 4.6); other characters must already be transliterated to A-Z.
    A name longer than the field is cut at the field's end, which the parser
    reports as ``name_possibly_truncated``.
    """

    def part(text: str, what: str) -> str:
        text = text.replace("'", "").replace("-", " ").replace(",", " ")
        return "<".join(_clean(text, what).replace("<", " ").split())

    primary = part(surname, "surname")
    secondary = part(given_names, "given names")
    body = f"{primary}<<{secondary}" if secondary else primary
    return (body + "<" * width)[:width]


def _date(value: date | str | None, what: str) -> str:
    if value is None:
        return "<<<<<<"
    if isinstance(value, date):
        return value.strftime("%y%m%d")
    text = _clean(value, what)
    if len(text) != 6 or any(ch not in "0123456789<" for ch in text):
        raise MRZError(f"{what} `{value}` is not YYMMDD (digits, `<` for unknown parts)")
    return text


def generate_mrz(
    fmt: FormatName | str,
    *,
    document_code: str,
    issuing_state: str,
    surname: str,
    given_names: str,
    document_number: str,
    nationality: str,
    birth_date: date | str | None,
    sex: str,
    expiry_date: date | str | None,
    optional_data: str = "",
    optional_data_2: str = "",
) -> list[str]:
    """Build the MRZ lines of a document with correct check digits.

    Parameters
    ----------
    fmt
        ``TD1``, ``TD2``, ``TD3``, ``MRVA`` or ``MRVB``.
    document_code, issuing_state, nationality
        As written in the MRZ without fillers (``P``, ``ID``, ``D``, ``FIN``).
    surname, given_names
        Already transliterated to A-Z; spaces and hyphens become fillers.
    document_number
        Up to 9 characters; in TD1 and TD2 a longer number continues in the
        optional data (ICAO 9303 Part 5 4.2.2 note j), with its check digit.
    birth_date, expiry_date
        A date, a ``YYMMDD`` string (``<`` for unknown parts), or None (unknown).
    sex
        ``M``, ``F``, ``X`` or ``<``.
    optional_data, optional_data_2
        Issuer's optional data; ``optional_data_2`` exists in TD1 only.

    Returns
    -------
    list[str]
        The MRZ lines.

    Raises
    ------
    MRZError
        A value that does not fit its field or holds characters outside the MRZ set.

    Examples
    --------
    >>> generate_mrz("TD3", document_code="P", issuing_state="UTO", surname="Eriksson",
    ...              given_names="Anna Maria", document_number="L898902C3", nationality="UTO",
    ...              birth_date="740812", sex="F", expiry_date="120415",
    ...              optional_data="ZE184226B")[1]
    'L898902C36UTO7408122F1204159ZE184226B<<<<<10'
    """
    if fmt not in FORMATS:
        raise MRZError(f"unknown mrz format `{fmt}`, expected one of {', '.join(FORMATS)}")
    f: Format = FORMATS[fmt]
    rows = [["<"] * f.length for _ in range(f.lines)]

    def put(name: str, value: str) -> None:
        fld = f[name]
        rows[fld.line][fld.start : fld.end] = list(value)

    def field_value(name: str) -> str:
        fld = f[name]
        return "".join(rows[fld.line][fld.start : fld.end])

    put(
        "document_code",
        _pad(_clean(document_code, "document code"), f["document_code"], "document code"),
    )
    put(
        "issuing_state",
        _pad(_clean(issuing_state, "issuing state"), f["issuing_state"], "issuing state"),
    )
    put("nationality", _pad(_clean(nationality, "nationality"), f["nationality"], "nationality"))
    put("name", mrz_name(surname, given_names, f["name"].width))

    number = _clean(document_number, "document number")
    opt = _clean(optional_data, "optional data")
    dn = f["document_number"]
    if len(number) > dn.width:
        if f.name not in ("TD1", "TD2"):
            raise InvalidLength(
                f"document number has {len(number)} characters, {f.name} holds {dn.width}"
            )
        rest = number[dn.width :]
        put("document_number", number[: dn.width])
        put("document_number_check", "<")
        opt = f"{rest}{check_digit(number)}<{opt}".rstrip("<")
    else:
        put("document_number", _pad(number, dn, "document number"))
        put("document_number_check", check_digit(field_value("document_number")))
    put("optional_data", _pad(opt, f["optional_data"], "optional data"))
    if "optional_data_check" in f.by_name:
        od = field_value("optional_data")
        put("optional_data_check", "<" if od == "<" * len(od) else check_digit(od))

    put("birth_date", _date(birth_date, "birth date"))
    put("birth_date_check", check_digit(field_value("birth_date")))
    if sex not in ("M", "F", "X", "<"):
        raise MRZError(f"sex `{sex}` is not one of M, F, X, <")
    put("sex", sex)
    put("expiry_date", _date(expiry_date, "expiry date"))
    put("expiry_date_check", check_digit(field_value("expiry_date")))

    if "optional_data_2" in f.by_name:
        put(
            "optional_data_2",
            _pad(
                _clean(optional_data_2, "optional data 2"), f["optional_data_2"], "optional data 2"
            ),
        )
    elif optional_data_2:
        raise MRZError(f"{f.name} has no second optional data field")

    if f.composite:
        lines = ["".join(r) for r in rows]
        data = "".join(lines[ln][a:b] for ln, a, b in f.composite)
        put("composite_check", check_digit(data))
    return ["".join(r) for r in rows]
