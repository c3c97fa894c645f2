"""The parsed MRZ: a pydantic model whose JSON form is DESIGN.md's MRZ object."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

from misec_rules.mrz._formats import FormatName

__all__ = ["MRZ", "Checks", "MRZWarning", "Repair", "Sex", "fast_construct"]

Sex = Literal["M", "F", "X"]
_M = TypeVar("_M", bound=BaseModel)
_setattr = object.__setattr__


_FIELDS_SET: dict[type[BaseModel], set[str]] = {}


def fast_construct(cls: type[_M], values: dict[str, Any]) -> _M:
    """Build a model from values the caller guarantees are complete and well typed.

    What :meth:`pydantic.BaseModel.model_construct` does for a model without
    defaults, aliases or private attributes, at a fraction of its cost; the
    parser's hot path uses it (its values come from the field tables, never
    straight from the user).  ``values`` must name every field.  The models are
    frozen, so instances of one class share one fields-set (pydantic copies it
    in ``model_copy``).
    """
    fields_set = _FIELDS_SET.get(cls)
    if fields_set is None:
        fields_set = _FIELDS_SET[cls] = set(cls.model_fields)
    obj = cls.__new__(cls)
    _setattr(obj, "__dict__", values)
    _setattr(obj, "__pydantic_fields_set__", fields_set)
    _setattr(obj, "__pydantic_extra__", None)
    _setattr(obj, "__pydantic_private__", None)
    return obj


class MRZWarning(BaseModel):
    """Something the parser noticed that does not by itself make the MRZ invalid.

    ``code`` is one of :data:`misec_rules.mrz.WARNING_CODES`; ``message`` is one
    lowercase line and names the position where there is one.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str
    message: str


class Repair(BaseModel):
    """One accepted OCR correction; ``line`` and ``column`` are 1-based."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    line: int
    column: int
    read: str
    corrected: str


class Checks(BaseModel):
    """Result of each check digit: true, false, or None where the format has none.

    References
    ----------
    ICAO Doc 9303, Part 3 section 4.9; Parts 4-7 section 4.2 (which fields each
    format protects, and the composite check digit).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    document_number: bool | None
    birth_date: bool | None
    expiry_date: bool | None
    optional_data: bool | None
    composite: bool | None


class MRZ(BaseModel):
    """A parsed machine-readable zone.

    Fields are DESIGN.md's MRZ object: ``format``; ``document_code``,
    ``issuing_state`` and ``nationality`` with fillers stripped; ``surname`` and
    ``given_names`` with fillers turned into single spaces; ``document_number``
    (the whole number, also for a long TD1/TD2 number); ``birth_date`` and
    ``expiry_date`` (None when unknown or not a date); ``sex`` (``M``, ``F``,
    ``X``; None when the field holds something else); ``optional_data`` and
    ``optional_data_2`` (TD1 line 2 only; None for other formats); ``lines`` as
    read (after accepted repairs); ``checks``; ``valid`` (every present check
    passes); ``warnings``; ``repairs``.

    References
    ----------
    ICAO Doc 9303, 8th ed. (2021), Parts 3-7.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: FormatName
    document_code: str
    issuing_state: str
    nationality: str
    surname: str
    given_names: str
    document_number: str
    birth_date: date | None
    expiry_date: date | None
    sex: Sex | None
    optional_data: str
    optional_data_2: str | None
    lines: list[str]
    checks: Checks
    valid: bool
    warnings: list[MRZWarning]
    repairs: list[Repair]

    def to_json(self) -> dict[str, Any]:
        """The MRZ as DESIGN.md's JSON object (dates as ``YYYY-MM-DD``)."""
        return self.model_dump(mode="json")

    @property
    def warning_codes(self) -> list[str]:
        """The codes of :attr:`warnings`, in order."""
        return [w.code for w in self.warnings]
