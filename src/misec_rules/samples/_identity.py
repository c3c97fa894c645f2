"""Invented identities for the synthetic specimens, and their MRZ lines.

Nothing here is a real person or an ICAO specimen value: names are drawn from
common given names and surnames of many languages, document numbers are random.
Names keep their diacritics in the visual zone and are transliterated for the
MRZ as ICAO 9303 Part 3 recommends.

References
----------
ICAO 9303 Part 3, section 6 (transliteration of national characters) and
Appendix B (Latin-alphabet transliteration table); Part 3, section 5 (codes,
including the non-ISO codes D, EUE, UNO, UNA, UNK, XOM, XXA, XXB, XXC, XXX).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from misec_rules.mrz import generate_mrz

__all__ = [
    "KINDS",
    "KIND_FORMATS",
    "STATES",
    "Identity",
    "mrz_lines",
    "random_identity",
    "transliterate",
    "viz_date",
]

KINDS: tuple[str, ...] = ("td3_passport", "td1_id", "td2_id", "mrva_visa", "mrvb_visa")
KIND_FORMATS: dict[str, str] = {
    "td3_passport": "TD3",
    "td1_id": "TD1",
    "td2_id": "TD2",
    "mrva_visa": "MRVA",
    "mrvb_visa": "MRVB",
}

# ICAO code -> (English name for the VIZ header, name in a national language or None).
STATES: dict[str, tuple[str, str | None]] = {
    "FIN": ("REPUBLIC OF FINLAND", "SUOMEN TASAVALTA"),
    "SWE": ("KINGDOM OF SWEDEN", "KONUNGARIKET SVERIGE"),
    "NOR": ("KINGDOM OF NORWAY", "KONGERIKET NORGE"),
    "DNK": ("KINGDOM OF DENMARK", "KONGERIGET DANMARK"),
    "ISL": ("ICELAND", "ÍSLAND"),
    "EST": ("REPUBLIC OF ESTONIA", "EESTI VABARIIK"),
    "D": ("FEDERAL REPUBLIC OF GERMANY", "BUNDESREPUBLIK DEUTSCHLAND"),
    "FRA": ("FRENCH REPUBLIC", "RÉPUBLIQUE FRANÇAISE"),
    "ESP": ("KINGDOM OF SPAIN", "REINO DE ESPAÑA"),
    "POL": ("REPUBLIC OF POLAND", "RZECZPOSPOLITA POLSKA"),
    "TUR": ("REPUBLIC OF TÜRKİYE", "TÜRKİYE CUMHURİYETİ"),
    "SOM": ("FEDERAL REPUBLIC OF SOMALIA", None),
    "IRQ": ("REPUBLIC OF IRAQ", None),
    "VNM": ("SOCIALIST REPUBLIC OF VIET NAM", None),
    "NLD": ("KINGDOM OF THE NETHERLANDS", "KONINKRIJK DER NEDERLANDEN"),
    "CZE": ("CZECH REPUBLIC", "ČESKÁ REPUBLIKA"),
    "IRL": ("IRELAND", "ÉIRE"),
    "PRT": ("PORTUGUESE REPUBLIC", "REPÚBLICA PORTUGUESA"),
    "UNK": ("KOSOVO (UNMIK)", None),
    "EUE": ("EUROPEAN UNION", None),
    "UNO": ("UNITED NATIONS", None),
    "XOM": ("SOVEREIGN MILITARY ORDER OF MALTA", None),
    "GBD": ("BRITISH OVERSEAS TERRITORIES", None),
}
# Codes that appear as nationality only (no document issued under them here).
NATIONALITY_ONLY: tuple[str, ...] = ("XXA", "XXB", "XXC", "XXX")

_GIVEN: dict[str, tuple[str, ...]] = {
    "nordic": (
        "Äinö",
        "Aapo",
        "Jönne",
        "Väinö",
        "Sölvi",
        "Åsa",
        "Björn",
        "Märta",
        "Örjan",
        "Aino",
        "Eetu",
        "Pihla",
        "Kalle",
        "Linnéa",
        "Måns",
        "Sigrún",
        "Þórdís",
        "Ragnhild",
        "Øystein",
        "Anna-Liisa",
        "Jussi",
        "Helmi",
        "Tuomas",
        "Kerttu",
    ),
    "german": ("Jürgen", "Lüder", "Käthe", "Günther", "Elke", "Maximilian", "Hannelore", "Jörg"),
    "french": ("Élodie", "François", "Hélène", "Jérôme", "Noël", "Zoé", "Anaïs", "Loïc"),
    "spanish": ("José", "María José", "Íñigo", "Begoña", "Martín", "Lucía", "Ramón"),
    "polish": ("Łukasz", "Małgorzata", "Wojciech", "Żaneta", "Jędrzej", "Agnieszka"),
    "turkish": ("Çağlar", "Şükrü", "Gülşen", "İlker", "Özlem", "Ümit", "Ayşe"),
    "arabic": ("Abdullahi", "Fatima", "Mohamed", "Hodan", "Yusuf", "Amina", "Khalid", "Nour"),
    "vietnamese": ("Thị Lan", "Văn Minh", "Quốc Bảo", "Ngọc Anh", "Đức"),
    "czech": ("Jiří", "Zdeňka", "Tomáš", "Kateřina", "Přemysl"),
    "english": ("Siobhán", "Declan", "Megan", "Oliver", "Grace", "Conor"),
}
_SURNAMES: dict[str, tuple[str, ...]] = {
    "nordic": (
        "Mäkelä",
        "Häkkinen",
        "Öhman",
        "Åström",
        "Sjöberg",
        "Kärkkäinen",
        "Lindqvist",
        "Väisänen",
        "Østergård",
        "Ægidius",
        "Þorvaldsdóttir",
        "Pääkkönen",
        "Ylönen",
        "Björklund-Ähtäri",
        "Nyström",
        "Heikkilä",
        "Rautiainen",
        "Kivelä",
    ),
    "german": ("Groß", "Müller-Lüdenscheidt", "Schäfer", "Weiß", "Köhler", "Bäcker"),
    "french": ("Lefèvre", "Dubois-Gérard", "Benoît", "Mercier", "Faure"),
    "spanish": ("Núñez García", "Muñoz", "Peña", "Ibáñez", "Castaño"),
    "polish": ("Wójcik", "Łęcki", "Szczęsny", "Kowalczyk", "Żółkiewski"),
    "turkish": ("Çelik", "Şahin", "Öztürk", "Yıldırım", "Güneş"),
    "arabic": ("Al-Rashid", "Abdi Warsame", "Hassan", "El Amrani", "Nur", "Al-Jaziri"),
    "vietnamese": ("Nguyễn", "Trần", "Phạm", "Lê", "Võ"),
    "czech": ("Dvořák", "Novotná", "Černý", "Procházka"),
    "english": ("O'Connell", "MacAlister", "Fitzgerald", "Okafor", "Whitfield"),
}
# Where a name group is likely to come from (issuing state / nationality choices).
_GROUP_STATES: dict[str, tuple[str, ...]] = {
    "nordic": ("FIN", "SWE", "NOR", "DNK", "ISL", "EST"),
    "german": ("D", "D", "FIN", "NLD"),
    "french": ("FRA", "FRA", "FIN"),
    "spanish": ("ESP", "ESP", "PRT"),
    "polish": ("POL", "POL", "D"),
    "turkish": ("TUR", "TUR", "D"),
    "arabic": ("SOM", "IRQ", "FIN", "SWE", "XXA", "XXB"),
    "vietnamese": ("VNM", "VNM", "FIN", "CZE"),
    "czech": ("CZE", "CZE"),
    "english": ("IRL", "IRL", "GBD", "FIN"),
}
_INTERNATIONAL = ("EUE", "UNO", "XOM", "UNK")

# ICAO 9303 Part 3, Appendix B: the recommended transliterations that are not a
# plain removal of the diacritic.  Everything else loses its diacritic (NFKD).
_TRANSLIT = {
    "Ä": "AE",
    "Å": "AA",
    "Æ": "AE",
    "Ö": "OE",
    "Ø": "OE",
    "Œ": "OE",
    "Ü": "UE",
    "ß": "SS",
    "ẞ": "SS",
    "Þ": "TH",
    "Ð": "D",
    "Đ": "D",
    "Ł": "L",
    "Ĳ": "IJ",
}

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


def transliterate(name: str) -> str:
    """Transliterate a printed name into MRZ characters (``A-Z`` and ``<``).

    Spaces and hyphens become ``<``; apostrophes and other punctuation are dropped.

    >>> transliterate("Björklund-Ähtäri")
    'BJOERKLUND<AEHTAERI'
    >>> transliterate("O'Connell")
    'OCONNELL'

    References
    ----------
    ICAO 9303 Part 3, section 6.1 and Appendix B to Part 3.
    """
    out: list[str] = []
    for ch in name.upper():
        if ch in _TRANSLIT:
            out.append(_TRANSLIT[ch])
        elif "A" <= ch <= "Z":
            out.append(ch)
        elif ch in " -":
            out.append("<")
        else:
            base = unicodedata.normalize("NFKD", ch)
            out.append("".join(c for c in base if "A" <= c <= "Z"))
    return "".join(out)


def viz_date(d: date) -> str:
    """A date as printed in the visual zone: ``DD MMM YYYY`` (English month abbreviations)."""
    return f"{d.day:02d} {_MONTHS[d.month - 1]} {d.year:04d}"


@dataclass(frozen=True)
class Identity:
    """The data printed on one invented document.

    Names are as printed in the visual zone (upper case, with diacritics).
    ``document_code`` is the MRZ document code (``P``, ``ID``, ``I``, ``V``...).
    """

    kind: str
    document_code: str
    issuing_state: str
    nationality: str
    surname: str
    given_names: str
    document_number: str
    birth_date: date
    sex: str
    issue_date: date
    expiry_date: date
    optional_data: str = ""
    optional_data_2: str = ""
    place_of_birth: str = ""
    authority: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def format(self) -> str:
        """The MRZ format of the document kind (``TD1``, ``TD2``, ``TD3``, ``MRVA``, ``MRVB``)."""
        return KIND_FORMATS[self.kind]

    def viz(self) -> dict[str, str]:
        """The visual-zone truth fields (dates ISO 8601, names as printed)."""
        return {
            "surname": self.surname,
            "given_names": self.given_names,
            "document_number": self.document_number,
            "birth_date": self.birth_date.isoformat(),
            "expiry_date": self.expiry_date.isoformat(),
            "sex": self.sex,
            "nationality": self.nationality,
            "issuing_state": self.issuing_state,
        }


def _pick(rng: np.random.Generator, items: tuple[str, ...] | list[str]) -> str:
    return str(items[int(rng.integers(len(items)))])


def _rand_date(rng: np.random.Generator, start: date, end: date) -> date:
    return start + timedelta(days=int(rng.integers((end - start).days + 1)))


def _digits(rng: np.random.Generator, n: int) -> str:
    return "".join(str(int(d)) for d in rng.integers(0, 10, n))


def _alnum(rng: np.random.Generator, n: int, *, letters: str = "ABCDEFGHJKLMNPRSTUVWXYZ") -> str:
    alphabet = letters + "0123456789"
    return "".join(alphabet[int(i)] for i in rng.integers(0, len(alphabet), n))


def _document_number(rng: np.random.Generator, kind: str) -> str:
    style = int(rng.integers(4))
    letters = "ABCDEFGHJKLMNPRSTVWXYZ"
    if kind == "td1_id" and rng.random() < 0.35:
        # ICAO 9303 Part 5, 4.2.4: numbers longer than 9 characters continue in optional data.
        return _alnum(rng, 1, letters=letters)[0] + _digits(rng, int(rng.integers(10, 14)))
    if style == 0:
        return "".join(letters[int(i)] for i in rng.integers(0, len(letters), 2)) + _digits(rng, 7)
    if style == 1:
        return _digits(rng, 9)
    if style == 2:
        return letters[int(rng.integers(len(letters)))] + _digits(rng, 7)  # 8 characters
    return _alnum(rng, 9)


def _names(rng: np.random.Generator, group: str) -> tuple[str, str]:
    surname = _pick(rng, _SURNAMES[group])
    n_given = 1 + int(rng.random() < 0.55) + int(rng.random() < 0.2)
    given: list[str] = []
    while len(given) < n_given:
        g = _pick(rng, _GIVEN[group] if rng.random() < 0.85 else _GIVEN["nordic"])
        if g not in given:
            given.append(g)
    return surname.upper(), " ".join(given).upper()


def random_identity(rng: np.random.Generator, kind: str, *, today: date | None = None) -> Identity:
    """Draw an invented identity for a document of ``kind``.

    Parameters
    ----------
    rng
        The random generator (its state advances).
    kind
        One of :data:`KINDS`.
    today
        The reference date for issue and expiry dates (default 2026-01-01, fixed so
        that a seed always gives the same documents).
    """
    if kind not in KIND_FORMATS:
        raise ValueError(f"unknown document kind `{kind}`")
    today = today or date(2026, 1, 1)
    group = _pick(rng, list(_GIVEN))
    surname, given = _names(rng, group)
    home = _pick(rng, _GROUP_STATES[group])
    is_visa = kind.endswith("_visa")
    if is_visa:
        issuing = _pick(rng, ("FIN", "FIN", "SWE", "D", "EST", "NOR", "FRA"))
        nationality = home if home != issuing else _pick(rng, ("SOM", "VNM", "TUR", "IRQ", "XXA"))
    elif home in NATIONALITY_ONLY:
        issuing = _pick(rng, ("FIN", "SWE", "D"))  # travel document for a stateless person
        nationality = home
    elif rng.random() < 0.08:
        issuing = _pick(rng, _INTERNATIONAL)
        nationality = _pick(rng, ("FIN", "D", "FRA", "ESP", "UNK"))
    else:
        issuing = home
        nationality = home
    birth = _rand_date(rng, date(1941, 1, 1), date(2019, 12, 31))
    if is_visa:
        issue = _rand_date(rng, date(2023, 1, 1), today)
        expiry = issue + timedelta(days=int(rng.choice([30, 90, 180, 365, 730])))
    else:
        issue = _rand_date(rng, date(2016, 1, 1), today)
        years = 5 if (today - birth).days < 18 * 365 else int(rng.choice([5, 10]))
        try:
            expiry = issue.replace(year=issue.year + years) - timedelta(days=1)
        except ValueError:  # 29 February
            expiry = issue.replace(year=issue.year + years, day=28)
    sex = "X" if rng.random() < 0.05 else ("F" if rng.random() < 0.5 else "M")
    # an unspecified sex is printed `X` or, on older documents, a filler
    extra = {"mrz_sex": "<"} if sex == "X" and rng.random() < 0.5 else {}
    optional, optional2 = "", ""
    fmt = KIND_FORMATS[kind]
    number = _document_number(rng, kind)
    if fmt == "TD3" and rng.random() < 0.4:
        optional = _digits(rng, int(rng.integers(8, 15)))
    elif fmt == "TD1":
        if rng.random() < 0.3 and len(number) <= 9:
            optional = _digits(rng, int(rng.integers(6, 12)))
        if rng.random() < 0.25:
            optional2 = _alnum(rng, int(rng.integers(3, 11)))
    elif fmt == "TD2" and rng.random() < 0.3:
        optional = _digits(rng, int(rng.integers(3, 8)))
    elif fmt in ("MRVA", "MRVB") and rng.random() < 0.3:
        optional = _alnum(rng, 8 if fmt == "MRVB" else int(rng.integers(6, 17)))
    if fmt == "TD3":
        code = "P" if rng.random() < 0.85 else _pick(rng, ("PD", "PS", "PO"))
    elif fmt in ("TD1", "TD2"):
        code = _pick(rng, ("ID", "I", "IR", "ID"))
    else:
        code = "V" if rng.random() < 0.5 else _pick(rng, ("VC", "VD"))
    cities = ("HELSINKI", "TAMPERE", "OULU", "UPPSALA", "KÖLN", "LYON", "MOGADISHU", "HUẾ")
    return Identity(
        kind=kind,
        document_code=code,
        issuing_state=issuing,
        nationality=nationality,
        surname=surname,
        given_names=given,
        document_number=number,
        birth_date=birth,
        sex=sex,
        issue_date=issue,
        expiry_date=expiry,
        optional_data=optional,
        optional_data_2=optional2,
        place_of_birth=_pick(rng, cities),
        authority=_pick(rng, ("POLICE", "MIN. INTERIOR", "EMBASSY", "CITY OFFICE")),
        extra=extra,
    )


def mrz_lines(identity: Identity) -> list[str]:
    """The MRZ lines of ``identity``, made by :func:`misec_rules.mrz.generate_mrz`.

    Names are transliterated first (:func:`transliterate`).

    References
    ----------
    ICAO 9303 Parts 4 (TD3), 5 (TD1), 6 (TD2) and 7 (MRV-A, MRV-B).
    """
    return generate_mrz(
        identity.format,
        document_code=identity.document_code,
        issuing_state=identity.issuing_state,
        surname=transliterate(identity.surname),
        given_names=transliterate(identity.given_names),
        document_number=identity.document_number,
        nationality=identity.nationality,
        birth_date=identity.birth_date,
        sex=identity.extra.get("mrz_sex", identity.sex),
        expiry_date=identity.expiry_date,
        optional_data=identity.optional_data,
        optional_data_2=identity.optional_data_2,
    )
