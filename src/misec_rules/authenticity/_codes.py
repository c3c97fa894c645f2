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


def run(ctx: CheckContext) -> list[Finding]:
    """Report codes missing from the ICAO list and a document code unfit for the format."""
    region = ctx.mrz_box()
    out: list[Finding] = []
    specimen_states = {"UTO"}
    for field in ("issuing_state", "nationality"):
        value = str(mrz_value(ctx.mrz, field) or "")
        if value in specimen_states:
            continue  # reported by the specimen check
        if not is_known_code(value):
            out.append(
                finding(
                    f"codes.{field}_unknown",
                    Severity.FAIL,
                    f"MRZ {field.replace('_', ' ')} `{value}` is not on the ICAO 9303 code list",
                    {"value": value, "list": "ICAO 9303 Part 3 §5 / ISO 3166-1 alpha-3"},
                    region,
                )
            )
    fmt = str(mrz_value(ctx.mrz, "format") or "")
    code = str(mrz_value(ctx.mrz, "document_code") or "")
    allowed = _FORMAT_CODES.get(fmt)
    if allowed and (not code or code[0] not in allowed):
        out.append(
            finding(
                "codes.document_code_format",
                Severity.FAIL,
                f"document code `{code}` is not one the {fmt} format uses",
                {"document_code": code, "format": fmt, "expected_first_letter": list(allowed)},
                region,
            )
        )
    return out
