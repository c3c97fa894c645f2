"""Parse MRZ text into an :class:`~misec_rules.mrz.MRZ`: lenient reading, strict checking.

Shape and character errors raise :class:`~misec_rules.errors.MRZError` subclasses
that name the line and column; everything else (a failing check digit, an unknown
country code, an unknown date) is reported in ``checks`` and ``warnings``.

References
----------
ICAO Doc 9303, 8th ed. (2021), Part 3 sections 4.2-4.9 (character set, names,
dates, check digits) and Parts 4-7 section 4.2 (the layouts in ``_formats``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime

from misec_rules.errors import InvalidCharacter, InvalidLength, MRZError, UnknownFormat
from misec_rules.mrz._checkdigit import VALUES, check_value, show_char
from misec_rules.mrz._countries import _known
from misec_rules.mrz._formats import FORMATS, LETTERS, Field, Format
from misec_rules.mrz._model import MRZ, Checks, MRZWarning, Repair, Sex, fast_construct

__all__ = ["detect_format", "normalize_lines", "parse_lines", "parse_mrz"]

_MRZ_LINE = re.compile(r"[A-Z0-9<]*")
_SEX: dict[str, Sex] = {"M": "M", "F": "F", "X": "X", "<": "X"}
_SHAPES = {3: (30,), 2: (36, 44)}
_JOINED = {90: (3, 30), 72: (2, 36), 88: (2, 44)}
_MAX_INPUT = 10_000  # characters; anything longer is not one MRZ


def _where(line: int, column: int) -> str:
    return f"line {line + 1}, column {column + 1}"


def _warning(code: str, message: str) -> MRZWarning:
    return fast_construct(MRZWarning, {"code": code, "message": message})


def normalize_lines(text: str | Sequence[str]) -> list[str]:
    """Split ``text`` into MRZ lines: surrounding whitespace and blank lines dropped.

    A single line of 90, 72 or 88 characters (an MRZ whose line breaks were lost)
    is split into 3x30, 2x36 or 2x44.

    Raises
    ------
    MRZError
        When ``text`` is neither text nor a sequence of text, or is far too long
        to be one MRZ.
    """
    if isinstance(text, str):
        if len(text) > _MAX_INPUT:
            raise InvalidLength(f"input of {len(text)} characters is too long to be one mrz")
        raw: Sequence[object] = text.splitlines()
    elif isinstance(text, Sequence):
        raw = text
        if len(raw) > 50:
            raise InvalidLength(f"expected 2 or 3 mrz lines, got {len(raw)}")
    else:
        raise MRZError(
            f"mrz text must be a string or a sequence of lines, not `{type(text).__name__}`"
        )
    lines: list[str] = []
    for i, item in enumerate(raw):
        if not isinstance(item, str):
            raise MRZError(f"line {i + 1} is `{type(item).__name__}`, not text", line=i + 1)
        if len(item) > _MAX_INPUT:
            raise InvalidLength(f"line {i + 1} is too long to be an mrz line", line=i + 1)
        s = item.strip()
        if s:
            lines.append(s)
    if len(lines) == 1 and len(lines[0]) in _JOINED:
        n, width = _JOINED[len(lines[0])]
        one = lines[0]
        lines = [one[i * width : (i + 1) * width] for i in range(n)]
    return lines


def detect_format(lines: Sequence[str]) -> Format:
    """The format whose shape ``lines`` have, after checking every character.

    Raises
    ------
    InvalidLength
        A wrong number of lines, or a line of a length no format has (names the line).
    InvalidCharacter
        A character outside ``A-Z0-9<`` (names line and column).
    UnknownFormat
        The first character, which tells formats of the same shape apart, is not a letter.
    """
    n = len(lines)
    if n not in _SHAPES:
        raise InvalidLength(f"expected 2 or 3 mrz lines, got {n}")
    widths = _SHAPES[n]
    first = len(lines[0])
    if first not in widths:
        if n == 2 and len(lines[1]) in widths:
            expected = f"{len(lines[1])}"
        else:
            expected = " or ".join(str(w) for w in widths)
        raise InvalidLength(
            f"line 1 has {first} characters, expected {expected}", line=1, column=min(first, 99) + 1
        )
    for i, line in enumerate(lines[1:], 2):
        if len(line) != first:
            raise InvalidLength(
                f"line {i} has {len(line)} characters, expected {first}",
                line=i,
                column=min(len(line), first) + 1,
            )
    for i, line in enumerate(lines):
        if not _MRZ_LINE.fullmatch(line):
            col = next(
                c
                for c, ch in enumerate(line)
                if not ("A" <= ch <= "Z" or "0" <= ch <= "9" or ch == "<")
            )
            raise InvalidCharacter(
                f"character `{show_char(line[col])}` at {_where(i, col)} is not an mrz character",
                line=i + 1,
                column=col + 1,
            )
    head = lines[0][0]
    if head not in LETTERS:
        raise UnknownFormat(
            f"document code `{show_char(head)}` at line 1, column 1 is not a letter, "
            "so no mrz format fits",
            line=1,
            column=1,
        )
    if n == 3:
        return FORMATS["TD1"]
    if first == 44:
        return FORMATS["MRVA"] if head == "V" else FORMATS["TD3"]
    return FORMATS["MRVB"] if head == "V" else FORMATS["TD2"]


def parse_mrz(text: str | Sequence[str], *, reference_date: date | None = None) -> MRZ:
    """Parse and check an MRZ.

    Parameters
    ----------
    text
        The MRZ as one string (lines separated by newlines) or as a sequence of
        lines. Blank lines and whitespace around lines are ignored.
    reference_date
        The date two-digit years are resolved against (default: today). A birth
        date is the most recent date not after it; an expiry date's year is the
        one from 50 years before to 49 years after its year.

    Returns
    -------
    MRZ
        With ``checks`` per check digit, ``valid`` and ``warnings``; a failing
        check digit does not raise.

    Raises
    ------
    MRZError
        :class:`~misec_rules.errors.InvalidLength`,
        :class:`~misec_rules.errors.InvalidCharacter` or
        :class:`~misec_rules.errors.UnknownFormat`, naming line and column.

    References
    ----------
    ICAO Doc 9303, 8th ed. (2021), Parts 3-7.

    Examples
    --------
    >>> m = parse_mrz(
    ...     "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\\n"
    ...     "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
    ...     reference_date=date(2010, 1, 1),
    ... )
    >>> m.format, m.surname, m.given_names, m.birth_date.isoformat(), m.valid
    ('TD3', 'ERIKSSON', 'ANNA MARIA', '1974-08-12', True)
    """
    lines = _clean_lines(text)
    if lines is None:
        lines = normalize_lines(text)
        fmt = detect_format(lines)
    else:
        fmt = _BY_SHAPE[len(lines[0]), lines[0][0] == "V"]
    return parse_lines(fmt, lines, reference_date=reference_date)


_BLOCK = re.compile(r"[A-Z][A-Z0-9<]*")
_BY_SHAPE = {
    (30, False): FORMATS["TD1"],
    (30, True): FORMATS["TD1"],
    (36, False): FORMATS["TD2"],
    (36, True): FORMATS["MRVB"],
    (44, False): FORMATS["TD3"],
    (44, True): FORMATS["MRVA"],
}


def _clean_lines(text: object) -> list[str] | None:
    """The lines when ``text`` is already a clean MRZ (the common case), else None.

    Clean: 2 lines of 36 or 44, or 3 of 30, characters, only ``A-Z0-9<``, starting
    with a letter.  Anything else takes the slow path, which explains what is wrong.
    """
    if type(text) is str:
        lines: Sequence[object] = text.split("\n")
    elif type(text) is list or type(text) is tuple:
        lines = text
    else:
        return None
    n = len(lines)
    if n == 2:
        a, b = lines
        if type(a) is not str or type(b) is not str:
            return None
        width = len(a)
        if (width != 44 and width != 36) or len(b) != width:
            return None
        if _BLOCK.fullmatch(a + b) is None:
            return None
        return [a, b]
    if n == 3:
        a, b, c = lines
        if type(a) is not str or type(b) is not str or type(c) is not str:
            return None
        if len(a) != 30 or len(b) != 30 or len(c) != 30:
            return None
        if _BLOCK.fullmatch(a + b + c) is None:
            return None
        return [a, b, c]
    return None


class _Plan:
    """Field positions of one format as plain ints, looked up once (the parser's hot path)."""

    __slots__ = (
        "birth",
        "birthc",
        "code",
        "codes",
        "comp",
        "comp_weights",
        "dn",
        "dnc",
        "expiry",
        "expiryc",
        "fields",
        "fmt",
        "name",
        "nat",
        "opt",
        "opt2",
        "optc",
        "overflow",
        "sex",
        "state",
    )

    def __init__(self, fmt: Format) -> None:
        def span(name: str) -> tuple[int, int, int]:
            f = fmt[name]
            return (f.line, f.start, f.end)

        def at(name: str) -> tuple[int, int] | None:
            f = fmt.by_name.get(name)
            return None if f is None else (f.line, f.start)

        self.fmt = fmt
        self.fields = fmt.by_name
        self.codes = fmt.document_codes
        self.code = span("document_code")
        self.state = span("issuing_state")
        self.dn = span("document_number")
        self.dnc = fmt["document_number_check"].start
        self.nat = span("nationality")
        self.name = span("name")
        self.birth = span("birth_date")
        self.birthc = fmt["birth_date_check"].start
        self.sex = span("sex")
        self.expiry = span("expiry_date")
        self.expiryc = fmt["expiry_date_check"].start
        self.opt = span("optional_data")
        self.optc = at("optional_data_check")
        self.opt2 = span("optional_data_2") if "optional_data_2" in fmt.by_name else None
        self.comp = at("composite_check")
        # the composite's spans with the weights of their residue classes: the
        # weighted sum of a span is w0 * sum(v[a::3]) + w1 * sum(v[a+1::3]) + ...
        pieces = []
        k = 0
        for ln, a, b in fmt.composite:
            w = tuple((7, 3, 1)[(k + r) % 3] for r in range(3))
            pieces.append((ln, a, a + 1, a + 2, b, w[0], w[1], w[2]))
            k += b - a
        self.comp_weights = tuple(pieces)
        # ICAO 9303 Part 5 4.2.2 note j and Part 6 4.2.2 note j: a document number
        # longer than 9 characters continues in the optional data.
        self.overflow = fmt.name in ("TD1", "TD2")


_PLANS = {name: _Plan(fmt) for name, fmt in FORMATS.items()}
_TBL = bytes(VALUES.get(chr(i), 0) for i in range(256))
_CHECKS: dict[tuple[bool | None, ...], Checks] = {}


def _wsum(v: bytes, a: int, e: int) -> int:
    """The 7-3-1 weighted sum of the character values ``v[a:e]``."""
    return 7 * sum(v[a:e:3]) + 3 * sum(v[a + 1 : e : 3]) + sum(v[a + 2 : e : 3])


_HAS_DIGIT = re.compile(r"[0-9]").search


def _get(lines: Sequence[str], f: Field) -> str:
    return lines[f.line][f.start : f.end]


def _digit_check(data: str, ch: str) -> bool:
    return "0" <= ch <= "9" and ord(ch) - 48 == check_value(data)


def _as_date(value: object) -> date:
    """A reference date given as a ``datetime`` (or other ``date`` subclass) as a plain date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return date(value.year, value.month, value.day)
    raise MRZError(f"reference date must be a date, not `{type(value).__name__}`")


def _resolve_birth(yy: int, mm: int, dd: int, ref: date) -> date | None:
    base = ref.year - ref.year % 100 + yy
    for year in (base, base - 100, base - 200):
        if year < 1:
            break
        try:
            d = date(year, mm, dd)
        except ValueError:
            continue
        if d <= ref:
            return d
    return None


def _resolve_expiry(yy: int, mm: int, dd: int, ref: date) -> date | None:
    low = ref.year - 50
    year = low + (yy - low) % 100
    try:
        return date(year, mm, dd)
    except ValueError:
        return None


def _parse_date(
    raw: str, f: Field, ref: date, warnings: list[MRZWarning]
) -> tuple[date | None, bool]:
    """The date, and whether the field's characters allow its check digit to pass."""
    label = f.name
    if raw.isdigit():
        yy, mm, dd = int(raw[:2]), int(raw[2:4]), int(raw[4:])
        resolved = (
            _resolve_birth(yy, mm, dd, ref)
            if label == "birth_date"
            else _resolve_expiry(yy, mm, dd, ref)
        )
        if resolved is None:
            warnings.append(
                _warning(
                    f"{label}_invalid",
                    f"{label.replace('_', ' ')} `{raw}` at {_where(f.line, f.start)} is not a calendar date",
                )
            )
        return resolved, True
    bad = [i for i, ch in enumerate(raw) if ch != "<" and not ch.isdigit()]
    if bad:
        col = f.start + bad[0]
        warnings.append(
            _warning(
                f"{label}_invalid",
                f"{label.replace('_', ' ')} holds `{raw[bad[0]]}` at {_where(f.line, col)}, "
                "where only digits or `<` may stand",
            )
        )
        return None, False
    if raw == "<<<<<<":
        warnings.append(
            _warning(f"{label}_unknown", f"{label.replace('_', ' ')} is unknown (all fillers)")
        )
    else:
        col = f.start + raw.index("<")
        warnings.append(
            _warning(
                f"{label}_partly_unknown",
                f"{label.replace('_', ' ')} `{raw}` is partly unknown (filler at {_where(f.line, col)})",
            )
        )
    return None, True


def _check_char(lines: Sequence[str], f: Field, warnings: list[MRZWarning]) -> str:
    ch = lines[f.line][f.start]
    if ch == "<":
        return ch
    if not ("0" <= ch <= "9"):
        warnings.append(
            _warning(
                "invalid_character_for_field",
                f"check digit `{ch}` at {_where(f.line, f.start)} is not a digit",
            )
        )
    return ch


def _filler_check_warning(f: Field, warnings: list[MRZWarning]) -> None:
    warnings.append(
        _warning(
            "check_digit_filler",
            f"{f.name.replace('_', ' ')} at {_where(f.line, f.start)} is `<` where a digit is required",
        )
    )


def _unknown_code(value: str, f: Field, label: str, warnings: list[MRZWarning]) -> None:
    warnings.append(
        _warning(
            f"unknown_{label}",
            f"{label.replace('_', ' ')} `{value}` at {_where(f.line, f.start)} is not an "
            "iso 3166-1 or icao 9303 code",
        )
    )


def _invalid_date(raw: str, f: Field, warnings: list[MRZWarning]) -> None:
    warnings.append(
        _warning(
            f"{f.name}_invalid",
            f"{f.name.replace('_', ' ')} `{raw}` at {_where(f.line, f.start)} is not a calendar date",
        )
    )


def _name(raw: str, f: Field, warnings: list[MRZWarning]) -> tuple[str, str]:
    """Primary and secondary identifiers: split at the first ``<<``, fillers to spaces.

    References
    ----------
    ICAO Doc 9303, Part 3 section 4.6.
    """
    if raw[-1] != "<":
        warnings.append(
            _warning(
                "name_possibly_truncated",
                f"the name fills its whole field (line {f.line + 1}), it may be truncated",
            )
        )
    body = raw.rstrip("<")
    digit = _HAS_DIGIT(body)
    if digit is not None:
        warnings.append(
            _warning(
                "invalid_character_for_field",
                f"name holds the digit `{digit.group()}` at {_where(f.line, f.start + digit.start())}",
            )
        )
    cut = body.find("<<")
    if cut >= 0:
        primary, secondary = body[:cut], body[cut + 2 :]
        if body[:1] == "<" or secondary[:1] == "<" or "<<" in secondary:
            at = 0 if body[:1] == "<" else cut
            warnings.append(
                _warning(
                    "name_irregular_fillers",
                    f"the name has fillers where icao 9303 puts none (from "
                    f"{_where(f.line, f.start + at)}): a leading `<`, `<<<`, or a second `<<`",
                )
            )
    else:
        primary, secondary = body, ""
        if body[:1] == "<":
            warnings.append(
                _warning(
                    "name_irregular_fillers",
                    f"the name starts with a filler at {_where(f.line, f.start)}",
                )
            )
        elif "<" in body:
            warnings.append(
                _warning(
                    "name_missing_separator",
                    f"the name on line {f.line + 1} has no `<<`; all of it is taken as the surname",
                )
            )
    surname = " ".join(primary.replace("<", " ").split()) if "<" in primary else primary
    given = " ".join(secondary.replace("<", " ").split()) if "<" in secondary else secondary
    return surname, given


def _date_check(raw: str, ch: str, chars_ok: bool, f: Field, warnings: list[MRZWarning]) -> bool:
    """Slow path of a date's check digit: fillers or letters somewhere."""
    if ch == "<":
        if raw == "<<<<<<":
            return True
        _filler_check_warning(f, warnings)
        return False
    if not ("0" <= ch <= "9"):
        warnings.append(
            _warning(
                "invalid_character_for_field",
                f"check digit `{ch}` at {_where(f.line, f.start)} is not a digit",
            )
        )
        return False
    return chars_ok and check_value(raw) == ord(ch) - 48


def _document_number(
    p: _Plan, lines: Sequence[str], number: str, ch: str, opt_raw: str, w: list[MRZWarning]
) -> tuple[bool, str, str]:
    """Slow path of the document number: `<` or a letter as its check digit."""
    f = p.fields["document_number_check"]
    if ch == "<" and p.overflow:
        cut = opt_raw.find("<")
        if cut == -1:
            cut = len(opt_raw)
        if cut >= 2 and "0" <= opt_raw[cut - 1] <= "9" and number[-1] != "<":
            full = number + opt_raw[: cut - 1]
            return (
                _digit_check(full, opt_raw[cut - 1]),
                full.strip("<"),
                opt_raw[cut + 1 :].strip("<"),
            )
        w.append(
            _warning(
                "document_number_overflow_malformed",
                f"document number check digit at {_where(f.line, f.start)} is `<` "
                "but the optional data does not continue the number with a check digit",
            )
        )
        return False, number.strip("<"), opt_raw.strip("<")
    _date_check(number, ch, False, f, w)  # reports the filler or letter
    return False, number.strip("<"), opt_raw.strip("<")


def parse_lines(
    fmt: Format,
    lines: Sequence[str],
    *,
    reference_date: date | None = None,
    repairs: Sequence[Repair] = (),
    warnings: Sequence[MRZWarning] = (),
) -> MRZ:
    """Parse lines already known to have ``fmt``'s shape and only MRZ characters.

    ``repairs`` and ``warnings`` (from OCR repair) are carried into the result.
    The hot path: field positions come from the format's precomputed plan, check
    digits are computed on the lines' byte values, and the result is built without
    re-validation (every value is already of its field's type).
    """
    p = _PLANS[fmt.name]
    ref = reference_date if reference_date is not None else date.today()
    if type(ref) is not date:
        ref = _as_date(ref)
    century = ref.year - ref.year % 100
    low = ref.year - 50  # the expiry window: 50 years before to 49 after
    w: list[MRZWarning] = list(warnings) if warnings else []
    known = _known()
    # only lines 1 and 2 hold checked data, in every format
    vals = (lines[0].encode("ascii").translate(_TBL), lines[1].encode("ascii").translate(_TBL))

    # document code and issuing state
    ln, a, b = p.code
    code_raw = lines[ln][a:b]
    if code_raw[0] not in p.codes:
        w.append(
            _warning(
                "unexpected_document_code",
                f"document code `{code_raw}` at line 1, column 1 is unusual for {fmt.name}",
            )
        )
    if "0" <= code_raw[1] <= "9":
        w.append(
            _warning(
                "invalid_character_for_field",
                f"document code holds the digit `{code_raw[1]}` at line 1, column 2",
            )
        )
    document_code = code_raw.rstrip("<")
    ln, a, b = p.state
    issuing_state = lines[ln][a:b].strip("<")
    if issuing_state not in known:
        _unknown_code(issuing_state, p.fields["issuing_state"], "issuing_state", w)

    # document number, with the TD1/TD2 long-number overflow
    ln, a, b = p.dn
    line = lines[ln]
    number = line[a:b]
    ch = line[p.dnc]
    o_ln, o_a, o_b = p.opt
    opt_raw = lines[o_ln][o_a:o_b]
    if "0" <= ch <= "9":
        v = vals[ln]
        doc_ok = (
            7 * sum(v[a:b:3]) + 3 * sum(v[a + 1 : b : 3]) + sum(v[a + 2 : b : 3])
        ) % 10 == ord(ch) - 48
        document_number = number.strip("<")
        optional_data = opt_raw.strip("<")
    else:
        doc_ok, document_number, optional_data = _document_number(p, lines, number, ch, opt_raw, w)

    ln, a, b = p.nat
    nationality = lines[ln][a:b].strip("<")
    if nationality not in known:
        _unknown_code(nationality, p.fields["nationality"], "nationality", w)

    # birth date
    ln, a, b = p.birth
    line = lines[ln]
    raw = line[a:b]
    ch = line[p.birthc]
    birth: date | None
    if raw.isdigit():
        n = int(raw)
        yy, mm, dd = n // 10000, n // 100 % 100, n % 100
        try:
            birth = date(century + yy, mm, dd)
            if birth > ref:
                birth = _resolve_birth(yy, mm, dd, ref)
        except ValueError:
            birth = _resolve_birth(yy, mm, dd, ref)
        if birth is None:
            _invalid_date(raw, p.fields["birth_date"], w)
        if "0" <= ch <= "9":
            v = vals[ln]
            birth_ok = (
                7 * sum(v[a:b:3]) + 3 * sum(v[a + 1 : b : 3]) + sum(v[a + 2 : b : 3])
            ) % 10 == ord(ch) - 48
        else:
            birth_ok = _date_check(raw, ch, True, p.fields["birth_date_check"], w)
    else:
        birth, chars_ok = _parse_date(raw, p.fields["birth_date"], ref, w)
        birth_ok = _date_check(raw, ch, chars_ok, p.fields["birth_date_check"], w)

    # sex
    ln, a, _b = p.sex
    sex_raw = lines[ln][a]
    sex = _SEX.get(sex_raw)
    if sex is None:
        w.append(
            _warning(
                "invalid_sex",
                f"sex `{sex_raw}` at {_where(ln, a)} is not M, F, X or `<`",
            )
        )

    # expiry date
    ln, a, b = p.expiry
    line = lines[ln]
    raw = line[a:b]
    ch = line[p.expiryc]
    expiry: date | None
    if raw.isdigit():
        n = int(raw)
        yy, mm, dd = n // 10000, n // 100 % 100, n % 100
        try:
            expiry = date(low + (yy - low) % 100, mm, dd)
        except ValueError:
            expiry = None
        if expiry is None:
            _invalid_date(raw, p.fields["expiry_date"], w)
        if "0" <= ch <= "9":
            v = vals[ln]
            expiry_ok = (
                7 * sum(v[a:b:3]) + 3 * sum(v[a + 1 : b : 3]) + sum(v[a + 2 : b : 3])
            ) % 10 == ord(ch) - 48
        else:
            expiry_ok = _date_check(raw, ch, True, p.fields["expiry_date_check"], w)
    else:
        expiry, chars_ok = _parse_date(raw, p.fields["expiry_date"], ref, w)
        expiry_ok = _date_check(raw, ch, chars_ok, p.fields["expiry_date_check"], w)
    if expiry is not None:
        if expiry < ref:
            w.append(
                _warning(
                    "document_expired",
                    f"the document expired on {expiry.isoformat()}, before {ref.isoformat()}",
                )
            )
        if birth is not None and expiry < birth:
            w.append(_warning("expiry_before_birth", "the expiry date is before the birth date"))

    # optional data check digit (TD3)
    optional_ok: bool | None = None
    if p.optc is not None:
        ln, col = p.optc
        ch = lines[ln][col]
        if "0" <= ch <= "9":
            optional_ok = _wsum(vals[o_ln], o_a, o_b) % 10 == ord(ch) - 48
        elif ch == "<":
            optional_ok = opt_raw == "<" * len(opt_raw)
            if not optional_ok:
                _filler_check_warning(p.fields["optional_data_check"], w)
        else:
            optional_ok = _date_check(opt_raw, ch, False, p.fields["optional_data_check"], w)

    optional_data_2: str | None = None
    if p.opt2 is not None:
        ln, a, b = p.opt2
        optional_data_2 = lines[ln][a:b].strip("<")

    composite_ok: bool | None = None
    if p.comp is not None:
        ln, col = p.comp
        ch = lines[ln][col]
        total = 0
        for cl, a0, a1, a2, e, w0, w1, w2 in p.comp_weights:
            v = vals[cl]
            total += w0 * sum(v[a0:e:3]) + w1 * sum(v[a1:e:3]) + w2 * sum(v[a2:e:3])
        if "0" <= ch <= "9":
            composite_ok = total % 10 == ord(ch) - 48
        else:
            composite_ok = False
            _date_check("", ch, False, p.fields["composite_check"], w)

    # name
    ln, a, b = p.name
    raw = lines[ln][a:b]
    surname, given_names = _name(raw, p.fields["name"], w)

    key = (doc_ok, birth_ok, expiry_ok, optional_ok, composite_ok)
    checks = _CHECKS.get(key)
    if checks is None:  # frozen, so one instance per combination is shared
        checks = _CHECKS[key] = Checks(
            document_number=doc_ok,
            birth_date=birth_ok,
            expiry_date=expiry_ok,
            optional_data=optional_ok,
            composite=composite_ok,
        )
    valid = (
        doc_ok and birth_ok and expiry_ok and optional_ok is not False and composite_ok is not False
    )
    return fast_construct(
        MRZ,
        {
            "format": fmt.name,
            "document_code": document_code,
            "issuing_state": issuing_state,
            "nationality": nationality,
            "surname": surname,
            "given_names": given_names,
            "document_number": document_number,
            "birth_date": birth,
            "expiry_date": expiry,
            "sex": sex,
            "optional_data": optional_data,
            "optional_data_2": optional_data_2,
            "lines": list(lines),
            "checks": checks,
            "valid": valid,
            "warnings": w,
            "repairs": list(repairs),
        },
    )
