"""Issuing state, nationality and document code.

References
----------
ICAO Doc 9303 Part 3 §5 (three-letter codes); Part 4 §4.2.2 (P), Part 5 and 6 §4.2.2
(A, C, I), Part 7 §4.2.2 (V) document codes.
"""

from __future__ import annotations

from misec_rules.authenticity._context import CheckContext, finding, mrz_value
from misec_rules.authenticity._model import Finding, Severity
from misec_rules.mrz import is_known_code

__all__ = ["run"]

# the first letter of the document code each format allows
_FORMAT_CODES: dict[str, tuple[str, ...]] = {
    "TD3": ("P",),
    "TD1": ("I", "A", "C"),
    "TD2": ("I", "A", "C", "P"),
    "MRVA": ("V",),
    "MRVB": ("V",),
}


# where the codes sit: (line, start, end) per format
_SPANS: dict[str, dict[str, list[tuple[int, int, int]]]] = {
    "TD1": {"issuing_state": [(0, 2, 5)], "nationality": [(1, 15, 18)]},
    **{
        f: {"issuing_state": [(0, 2, 5)], "nationality": [(1, 10, 13)]}
        for f in ("TD2", "TD3", "MRVA", "MRVB")
    },
}


def run(ctx: CheckContext) -> list[Finding]:
    """Report codes missing from the ICAO list and a document code unfit for the format."""
    region = ctx.mrz_box()
    out: list[Finding] = []
    specimen_states = {"UTO"}
    fmt = str(mrz_value(ctx.mrz, "format") or "")
    for field in ("issuing_state", "nationality"):
        value = str(mrz_value(ctx.mrz, field) or "")
        if value in specimen_states:
            continue  # reported by the specimen check
        if not is_known_code(value):
            unsure = ctx.uncertain(_SPANS.get(fmt, {}).get(field, []))
            out.append(
                finding(
                    f"codes.{field}_unknown",
                    Severity.WARNING if unsure else Severity.FAIL,
                    f"MRZ {field.replace('_', ' ')} `{value}` is not on the ICAO 9303 code list",
                    {"value": value, "list": "ICAO 9303 Part 3 §5 / ISO 3166-1 alpha-3"},
                    region,
                )
            )
    code = str(mrz_value(ctx.mrz, "document_code") or "")
    allowed = _FORMAT_CODES.get(fmt)
    if allowed and (not code or code[0] not in allowed):
        unsure = ctx.uncertain([(0, 0, 2)])
        out.append(
            finding(
                "codes.document_code_format",
                Severity.WARNING if unsure else Severity.FAIL,
                f"document code `{code}` is not one the {fmt} format uses",
                {"document_code": code, "format": fmt, "expected_first_letter": list(allowed)},
                region,
            )
        )
    return ctx.soften_if_misread(out)
