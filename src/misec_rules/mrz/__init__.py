"""ICAO 9303 machine-readable zones (MRZ) from text: parse, check, repair, generate.

Text only: this subpackage imports nothing from the rest of misec_rules except
the error tree, and nothing to do with images.

References
----------
ICAO Doc 9303, 8th ed. (2021), Parts 3-7.
"""

from __future__ import annotations

from misec_rules.errors import InvalidCharacter, InvalidLength, MRZError, UnknownFormat
from misec_rules.mrz._checkdigit import check_digit
from misec_rules.mrz._countries import CountryCode, country_codes, is_known_code
from misec_rules.mrz._formats import FORMAT_NAMES, FORMATS, Field, FieldKind, Format, FormatName
from misec_rules.mrz._generate import generate_mrz
from misec_rules.mrz._model import MRZ, Checks, MRZWarning, Repair
from misec_rules.mrz._parse import parse_mrz
from misec_rules.mrz._repair import CONFUSABLE, repair_mrz
from misec_rules.mrz._warnings import WARNING_CODES

__all__ = [
    "CONFUSABLE",
    "FORMATS",
    "FORMAT_NAMES",
    "MRZ",
    "WARNING_CODES",
    "Checks",
    "CountryCode",
    "Field",
    "FieldKind",
    "Format",
    "FormatName",
    "InvalidCharacter",
    "InvalidLength",
    "MRZError",
    "MRZWarning",
    "Repair",
    "UnknownFormat",
    "check_digit",
    "country_codes",
    "generate_mrz",
    "is_known_code",
    "parse_mrz",
    "repair_mrz",
]
