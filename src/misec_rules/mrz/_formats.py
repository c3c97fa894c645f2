"""The five ICAO 9303 MRZ formats as field tables.

Every position rule in this package (parsing, check digits, character classes,
error positions, OCR repair, generation) is derived from the tables below; no
other module holds slice numbers.

References
----------
ICAO Doc 9303, 8th ed. (2021): Part 4 section 4.2 (TD3), Part 5 section 4.2 (TD1),
Part 6 section 4.2 (TD2), Part 7 sections 4.2.2 (MRV-A) and 4.2.3 (MRV-B);
Part 3 section 4.9 (check digits).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "ALNUM",
    "ALPHA",
    "DIGITS",
    "FORMATS",
    "FORMAT_NAMES",
    "MRZ_CHARS",
    "Field",
    "FieldKind",
    "Format",
    "FormatName",
    "Span",
]

FormatName = Literal["TD1", "TD2", "TD3", "MRVA", "MRVB"]
FORMAT_NAMES: tuple[FormatName, ...] = ("TD1", "TD2", "TD3", "MRVA", "MRVB")

DIGITS = frozenset("0123456789")
LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
ALPHA = LETTERS | {"<"}
ALNUM = LETTERS | DIGITS | {"<"}
MRZ_CHARS = ALNUM

FieldKind = Literal["code", "state", "name", "number", "date", "sex", "optional", "check"]
"""What a field may hold.

``code``: document code, letters and fillers; ``state``: a three-letter state or
organisation code (letters and fillers); ``name``: letters and fillers;
``number``: a document number (letters, digits, fillers); ``date``: ``YYMMDD``,
digits, or fillers for an unknown part; ``sex``: ``M``, ``F``, ``X`` or ``<``;
``optional``: issuer's optional data (letters, digits, fillers); ``check``: a check
digit (a digit, or ``<`` where ICAO allows it).
"""

#: Characters each kind of field may hold (used for warnings and for OCR repair).
ALLOWED: dict[FieldKind, frozenset[str]] = {
    "code": ALPHA,
    "state": ALPHA,
    "name": ALPHA,
    "number": ALNUM,
    "date": DIGITS | {"<"},
    "sex": frozenset("MFX<"),
    "optional": ALNUM,
    "check": DIGITS | {"<"},
}


@dataclass(frozen=True, slots=True)
class Field:
    """One field of an MRZ format.

    Parameters
    ----------
    name
        The field's name (``document_number``, ``birth_date``, ...; a check digit
        is named after what it protects, with ``_check``).
    line
        0-based line index.
    start, end
        0-based column slice ``[start, end)`` on that line.
    kind
        What the field may hold (see :data:`FieldKind`).
    check
        Name of the check-digit field that protects this field, if any.
    """

    name: str
    line: int
    start: int
    end: int
    kind: FieldKind
    check: str | None = None

    @property
    def width(self) -> int:
        """Number of characters in the field."""
        return self.end - self.start

    def columns(self) -> range:
        """0-based columns of the field on its line."""
        return range(self.start, self.end)


Span = tuple[int, int, int]
"""``(line, start, end)``: one piece of the data a composite check digit covers."""


@dataclass(frozen=True, slots=True)
class Format:
    """An ICAO 9303 MRZ format: its shape and its field table.

    ``composite`` lists the spans the composite check digit covers, in order
    (empty when the format has no composite check digit).
    """

    name: FormatName
    lines: int
    length: int
    fields: tuple[Field, ...]
    composite: tuple[Span, ...] = ()
    document_codes: frozenset[str] = frozenset()
    by_name: dict[str, Field] = field(init=False, repr=False, compare=False)
    kinds: tuple[tuple[FieldKind, ...], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_name = {f.name: f for f in self.fields}
        if len(by_name) != len(self.fields):
            raise ValueError(f"duplicate field name in format `{self.name}`")
        kinds: list[list[FieldKind | None]] = [[None] * self.length for _ in range(self.lines)]
        for f in self.fields:
            if f.check is not None and f.check not in by_name:
                raise ValueError(
                    f"field `{f.name}` of `{self.name}` names unknown check `{f.check}`"
                )
            for col in f.columns():
                if kinds[f.line][col] is not None:
                    raise ValueError(f"fields overlap in `{self.name}` at {f.line + 1}:{col + 1}")
                kinds[f.line][col] = f.kind
        for i, row in enumerate(kinds):
            for col, kind in enumerate(row):
                if kind is None:
                    raise ValueError(f"`{self.name}` leaves {i + 1}:{col + 1} uncovered")
        object.__setattr__(self, "by_name", by_name)
        object.__setattr__(
            self, "kinds", tuple(tuple(k for k in row if k is not None) for row in kinds)
        )

    def __getitem__(self, name: str) -> Field:
        return self.by_name[name]

    def field_at(self, line: int, column: int) -> Field:
        """The field holding the 0-based position ``(line, column)``."""
        for f in self.fields:
            if f.line == line and f.start <= column < f.end:
                return f
        raise KeyError((line, column))  # pragma: no cover - tables cover every position


def _two_line(
    name: FormatName, length: int, codes: str, optional_check: bool, composite: bool
) -> Format:
    """TD2, TD3, MRV-A and MRV-B share one layout up to the optional data."""
    last = length - 1 if composite else length
    opt_end = last - 1 if optional_check else last
    fields = [
        Field("document_code", 0, 0, 2, "code"),
        Field("issuing_state", 0, 2, 5, "state"),
        Field("name", 0, 5, length, "name"),
        Field("document_number", 1, 0, 9, "number", check="document_number_check"),
        Field("document_number_check", 1, 9, 10, "check"),
        Field("nationality", 1, 10, 13, "state"),
        Field("birth_date", 1, 13, 19, "date", check="birth_date_check"),
        Field("birth_date_check", 1, 19, 20, "check"),
        Field("sex", 1, 20, 21, "sex"),
        Field("expiry_date", 1, 21, 27, "date", check="expiry_date_check"),
        Field("expiry_date_check", 1, 27, 28, "check"),
        Field(
            "optional_data",
            1,
            28,
            opt_end,
            "optional",
            check="optional_data_check" if optional_check else None,
        ),
    ]
    if optional_check:
        fields.append(Field("optional_data_check", 1, opt_end, last, "check"))
    spans: tuple[Span, ...] = ()
    if composite:
        fields.append(Field("composite_check", 1, last, length, "check"))
        spans = ((1, 0, 10), (1, 13, 20), (1, 21, last))
    return Format(
        name,
        2,
        length,
        tuple(fields),
        composite=spans,
        document_codes=frozenset(codes),
    )


TD1 = Format(
    "TD1",
    3,
    30,
    (
        Field("document_code", 0, 0, 2, "code"),
        Field("issuing_state", 0, 2, 5, "state"),
        Field("document_number", 0, 5, 14, "number", check="document_number_check"),
        Field("document_number_check", 0, 14, 15, "check"),
        Field("optional_data", 0, 15, 30, "optional"),
        Field("birth_date", 1, 0, 6, "date", check="birth_date_check"),
        Field("birth_date_check", 1, 6, 7, "check"),
        Field("sex", 1, 7, 8, "sex"),
        Field("expiry_date", 1, 8, 14, "date", check="expiry_date_check"),
        Field("expiry_date_check", 1, 14, 15, "check"),
        Field("nationality", 1, 15, 18, "state"),
        Field("optional_data_2", 1, 18, 29, "optional"),
        Field("composite_check", 1, 29, 30, "check"),
        Field("name", 2, 0, 30, "name"),
    ),
    composite=((0, 5, 30), (1, 0, 7), (1, 8, 15), (1, 18, 29)),
    document_codes=frozenset("ACI"),
)
TD2 = _two_line("TD2", 36, "ACI", optional_check=False, composite=True)
TD3 = _two_line("TD3", 44, "P", optional_check=True, composite=True)
MRVA = _two_line("MRVA", 44, "V", optional_check=False, composite=False)
MRVB = _two_line("MRVB", 36, "V", optional_check=False, composite=False)

#: Format name -> its field table.
FORMATS: dict[FormatName, Format] = {f.name: f for f in (TD1, TD2, TD3, MRVA, MRVB)}
