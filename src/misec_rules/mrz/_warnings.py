"""The stable codes of the warnings an MRZ may carry.

A warning never makes an MRZ invalid by itself (``valid`` is about check digits);
it tells the caller what the parser noticed.  Codes are stable snake_case strings;
messages may change.  docs/mrz.md explains each one.
"""

from __future__ import annotations

__all__ = ["WARNING_CODES"]

#: Warning code -> what it means.
WARNING_CODES: dict[str, str] = {
    "unexpected_document_code": (
        "the document code's first letter is not one ICAO 9303 assigns to this format "
        "(P for TD3, V for visas, A/C/I for TD1 and TD2)"
    ),
    "unknown_issuing_state": "the issuing state is not an ISO 3166-1 or ICAO 9303 code",
    "unknown_nationality": "the nationality is not an ISO 3166-1 or ICAO 9303 code",
    "invalid_character_for_field": (
        "a character that the field cannot hold (a letter in a date or check digit, "
        "a digit in a code or name); the message names the position"
    ),
    "birth_date_unknown": "the birth date is all fillers (unknown); birth_date is null",
    "birth_date_partly_unknown": (
        "part of the birth date is written with fillers; birth_date is null"
    ),
    "birth_date_invalid": "the birth date is not a calendar date; birth_date is null",
    "expiry_date_unknown": "the expiry date is all fillers; expiry_date is null",
    "expiry_date_partly_unknown": (
        "part of the expiry date is written with fillers; expiry_date is null"
    ),
    "expiry_date_invalid": "the expiry date is not a calendar date; expiry_date is null",
    "document_expired": "the expiry date is before the reference date",
    "expiry_before_birth": "the expiry date is before the birth date",
    "invalid_sex": "the sex field is not M, F, X or `<`; sex is null",
    "name_possibly_truncated": (
        "the name fills its whole field, so the issuer may have truncated it"
    ),
    "name_irregular_fillers": (
        "the name starts with a filler, holds `<<<`, or has a second `<<`: ICAO 9303 puts "
        "one `<` between name parts and one `<<` between surname and given names, so "
        "something there is misread or stray"
    ),
    "name_missing_separator": (
        "the name has no `<<` between primary and secondary identifiers; "
        "all of it is taken as the surname"
    ),
    "document_number_overflow_malformed": (
        "the document number's check digit is `<` (a long TD1/TD2 number) but the "
        "optional data does not hold the rest of the number and its check digit"
    ),
    "check_digit_filler": (
        "a check digit is `<` where ICAO 9303 requires a digit; the check fails"
    ),
    "repair_ambiguous": (
        "OCR repair found more than one correction the check digits accept, or none; "
        "the text was kept as read"
    ),
    "repair_unconfirmed": (
        "a character outside the names was changed by position rules alone (a `K` in a "
        "filler run, the sex field or the document code's filler), which no check digit "
        "can confirm"
    ),
    "repair_name_uncertain": (
        "a name character was changed by position rules alone (no check digit covers "
        "names) or looks like a misread filler; confirm the name against the visual zone"
    ),
}
