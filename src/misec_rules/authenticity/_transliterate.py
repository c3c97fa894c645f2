"""ICAO 9303 transliteration of names printed in the visual zone.

The MRZ carries only ``A-Z``; national characters in the visual zone are written
in the MRZ by the recommended transliterations of ICAO 9303 Part 3 §6 (some with
alternatives: Ä as AE or A, Ö as OE or O, Ü as UE, UXX or U, Å as AA or A, Ñ as N
or NXX).  :func:`variants` gives every MRZ spelling of a visual-zone name.

References
----------
ICAO Doc 9303 Part 3 §6.A (transliteration of multinational Latin-based characters).
"""

from __future__ import annotations

import itertools
import unicodedata

__all__ = ["TRANSLITERATION", "skeleton", "variants"]

TRANSLITERATION: dict[str, tuple[str, ...]] = {
    "Ä": ("AE", "A"),
    "Å": ("AA", "A"),
    "Æ": ("AE",),
    "Ö": ("OE", "O"),
    "Ø": ("OE", "O"),
    "Œ": ("OE",),
    "Ü": ("UE", "UXX", "U"),
    "ß": ("SS",),
    "Ñ": ("N", "NXX"),
    "Þ": ("TH",),
    "Ð": ("D",),
    "Đ": ("D",),
    "Ł": ("L",),
    "Ħ": ("H",),
    "Ĳ": ("IJ",),
    "Ŋ": ("N",),
    "ı": ("I",),
}


def _one(ch: str) -> tuple[str, ...]:
    up = ch.upper() if ch != "ß" else ch
    if up in TRANSLITERATION:
        return TRANSLITERATION[up]
    base = "".join(c for c in unicodedata.normalize("NFKD", up) if not unicodedata.combining(c))
    if base and all("A" <= c <= "Z" or "0" <= c <= "9" for c in base):
        return (base,)
    return (" ",)


def variants(name: str, *, limit: int = 32) -> list[str]:
    """Every MRZ spelling of ``name`` (at most ``limit``), fillers as spaces.

    >>> variants("Häkkinen")
    ['HAEKKINEN', 'HAKKINEN']
    >>> variants("Weiß")
    ['WEISS']
    """
    options = [_one(ch) for ch in name]
    out: list[str] = []
    for combo in itertools.product(*options):
        text = " ".join("".join(combo).split())
        if text not in out:
            out.append(text)
        if len(out) >= limit:
            break
    return out


def skeleton(mrz_name: str) -> str:
    """An MRZ name with the transliteration digraphs folded (AE->A, OE->O, UE->U, AA->A).

    Used to compare a name whose national characters OCR may have lost.

    >>> skeleton("HAEMAELAEINEN")
    'HAMALAINEN'
    """
    text = " ".join(mrz_name.upper().replace("<", " ").split())
    for a, b in (("UXX", "U"), ("NXX", "N"), ("AE", "A"), ("OE", "O"), ("UE", "U"), ("AA", "A")):
        text = text.replace(a, b)
    return text
