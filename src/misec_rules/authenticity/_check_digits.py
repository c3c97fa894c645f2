"""MRZ check digits per field and composite.

References
----------
ICAO Doc 9303 Part 3 §4.9 (check digit computation); Part 4 §4.2.2, Part 5 §4.2.2,
Part 6 §4.2.2, Part 7 §4.2.2 (check digit positions per format).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from misec_rules.authenticity._context import CheckContext, finding, mrz_value
from misec_rules.authenticity._model import Finding, Severity
from misec_rules.errors import ProfileError

__all__ = ["run"]

_WEIGHTS = (7, 3, 1)
FIELDS = ("document_number", "birth_date", "expiry_date", "optional_data", "composite")


def compute_check_digit(data: str) -> str:
    """The ICAO 9303 check digit of ``data`` (``<`` counts 0, A=10 .. Z=35)."""
    total = 0
    for i, ch in enumerate(data):
        if ch.isdigit():
            value = int(ch)
        elif "A" <= ch <= "Z":
            value = ord(ch) - 55
        else:
            value = 0
        total += value * _WEIGHTS[i % 3]
    return str(total % 10)


# (line, start, end) slices of the data and (line, position) of its check digit
_Slice = tuple[int, int, int]


@dataclass(frozen=True)
class _Spec:
    data: tuple[_Slice, ...]
    digit: tuple[int, int]


_POSITIONS: dict[str, dict[str, _Spec]] = {
    "TD3": {
        "document_number": _Spec(((1, 0, 9),), (1, 9)),
        "birth_date": _Spec(((1, 13, 19),), (1, 19)),
        "expiry_date": _Spec(((1, 21, 27),), (1, 27)),
        "optional_data": _Spec(((1, 28, 42),), (1, 42)),
        "composite": _Spec(((1, 0, 10), (1, 13, 20), (1, 21, 43)), (1, 43)),
    },
    "TD2": {
        "document_number": _Spec(((1, 0, 9),), (1, 9)),
        "birth_date": _Spec(((1, 13, 19),), (1, 19)),
        "expiry_date": _Spec(((1, 21, 27),), (1, 27)),
        "composite": _Spec(((1, 0, 10), (1, 13, 20), (1, 21, 35)), (1, 35)),
    },
    "TD1": {
        "document_number": _Spec(((0, 5, 14),), (0, 14)),
        "birth_date": _Spec(((1, 0, 6),), (1, 6)),
        "expiry_date": _Spec(((1, 8, 14),), (1, 14)),
        "composite": _Spec(((0, 5, 30), (1, 0, 7), (1, 8, 15), (1, 18, 29)), (1, 29)),
    },
    "MRVA": {
        "document_number": _Spec(((1, 0, 9),), (1, 9)),
        "birth_date": _Spec(((1, 13, 19),), (1, 19)),
        "expiry_date": _Spec(((1, 21, 27),), (1, 27)),
    },
    "MRVB": {
        "document_number": _Spec(((1, 0, 9),), (1, 9)),
        "birth_date": _Spec(((1, 13, 19),), (1, 19)),
        "expiry_date": _Spec(((1, 21, 27),), (1, 27)),
    },
}


def digit_evidence(fmt: str, lines: list[str], field: str) -> dict[str, Any] | None:
    """The printed and recomputed check digit of ``field``, or ``None`` if unknown."""
    spec = _POSITIONS.get(fmt, {}).get(field)
    if spec is None:
        return None
    try:
        data = "".join(lines[ln][a:b] for ln, a, b in spec.data)
        printed = lines[spec.digit[0]][spec.digit[1]]
    except IndexError:
        return None
    if fmt == "TD1" and field == "document_number" and printed == "<":
        return None  # long document number: the digit sits in the optional data
    return {
        "printed": printed,
        "computed": compute_check_digit(data),
        "line": spec.digit[0] + 1,
        "column": spec.digit[1] + 1,
    }


@dataclass(frozen=True)
class Deviation:
    """An issuer known to print a non-conforming check digit."""

    issuing_state: str
    document_code: str
    field: str
    note: str

    def covers(self, state: str, code: str, field: str) -> bool:
        return (
            self.issuing_state == state
            and (self.document_code in ("*", "") or code.startswith(self.document_code))
            and self.field in ("*", field)
        )


def load_deviations(path: str | Path | None = None) -> tuple[Deviation, ...]:
    """Read a check-digit deviations CSV (the shipped one when ``path`` is None)."""
    if path is None:
        text = (
            resources.files("misec_rules.authenticity") / "data" / "check_digit_deviations.csv"
        ).read_text(encoding="utf-8")
        where = "check_digit_deviations.csv"
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ProfileError(f"{path}: cannot read the check-digit deviations") from exc
        where = str(path)
    return _parse_deviations(text, where)


@lru_cache(maxsize=8)
def _parse_deviations(text: str, where: str) -> tuple[Deviation, ...]:
    rows = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    reader = csv.DictReader(rows)
    need = {"issuing_state", "document_code", "field"}
    if reader.fieldnames is None or not need <= set(reader.fieldnames):
        raise ProfileError(f"{where}: header must name {', '.join(sorted(need))}")
    out = []
    for i, row in enumerate(reader, start=2):
        fld = (row.get("field") or "").strip()
        if fld not in (*FIELDS, "*"):
            raise ProfileError(f"{where}: row {i}: field `{fld}` is not a check-digit field")
        out.append(
            Deviation(
                issuing_state=(row.get("issuing_state") or "").strip().upper(),
                document_code=(row.get("document_code") or "*").strip().upper(),
                field=fld,
                note=(row.get("note") or "").strip(),
            )
        )
    return tuple(out)


def run(ctx: CheckContext) -> list[Finding]:
    """Report each MRZ check digit that does not match its data.

    A failed digit is a ``fail``, or a ``warning`` when the issuer is listed in the
    deviations file for that field, when the reader was unsure of a character of
    the field, or when an MRZ read from pixels fails ``unreliable_read_failures``
    field checks at once (then ``mrz.unreliable`` says so, and the verdict is
    ``insufficient_quality``: an edit breaks one field's check and the composite,
    a misread print breaks many).
    """
    mrz = ctx.mrz
    checks = mrz_value(mrz, "checks") or {}
    if hasattr(checks, "model_dump"):
        checks = checks.model_dump()
    fmt = str(mrz_value(mrz, "format") or "")
    lines = list(mrz_value(mrz, "lines") or [])
    state = str(mrz_value(mrz, "issuing_state") or "")
    code = str(mrz_value(mrz, "document_code") or "")
    deviations = load_deviations(ctx.profile.checks.check_digits.deviations_file)
    region = ctx.mrz_box()
    out: list[Finding] = []
    why = ctx.misread()
    misread = why is not None
    failing = list(why["failing"]) if why else []
    if why is not None:
        out.append(
            finding(
                "mrz.unreliable",
                Severity.WARNING,
                f"the MRZ as read fails {len(failing)} check digit(s) and the reader was unsure "
                f"of {why['unsure_fraction']:.0%} of its characters: more likely a misreading "
                "of the print than an edit; a better image is needed",
                why,
                region,
            )
        )
    for field in FIELDS:
        ok = checks.get(field) if isinstance(checks, dict) else None
        if ok is not False:
            continue
        evidence: dict[str, Any] = {"field": field, "format": fmt}
        ev = digit_evidence(fmt, lines, field)
        if ev:
            evidence.update(ev)
        known = [d for d in deviations if d.covers(state, code, field)]
        label = field.replace("_", " ")
        spec = _POSITIONS.get(fmt, {}).get(field)
        unsure = (
            ctx.uncertain([*spec.data, (spec.digit[0], spec.digit[1], spec.digit[1] + 1)])
            if spec is not None
            else []
        )
        if misread and not known:
            out.append(
                finding(
                    f"mrz.check_digit.{field}",
                    Severity.WARNING,
                    f"MRZ {label} check digit does not match its data, as one of "
                    f"{len(failing)} failing checks of a likely misread",
                    evidence,
                    region,
                )
            )
        elif unsure and not known:
            evidence["uncertain_characters"] = len(unsure)
            evidence["lowest_confidence"] = round(min(unsure), 3)
            out.append(
                finding(
                    f"mrz.check_digit.{field}",
                    Severity.WARNING,
                    f"MRZ {label} check digit does not match its data; the reader was unsure "
                    f"of {len(unsure)} character(s) there",
                    evidence,
                    region,
                )
            )
        elif known:
            evidence["known_deviation"] = known[0].note
            out.append(
                finding(
                    f"mrz.check_digit.{field}",
                    Severity.WARNING,
                    f"MRZ {label} check digit does not match its data; issuer `{state}` "
                    "is listed as printing such digits",
                    evidence,
                    region,
                )
            )
        else:
            out.append(
                finding(
                    f"mrz.check_digit.{field}",
                    Severity.FAIL,
                    f"MRZ {label} check digit does not match its data",
                    evidence,
                    region,
                )
            )
    return out
