"""ICAO 9303 specimens of each format, check digits and generate -> parse."""

from __future__ import annotations

from datetime import date

import pytest

from misec_rules.mrz import FORMATS, MRZ, check_digit, generate_mrz, parse_mrz

REF = date(2010, 1, 1)

# The specimen MRZs printed in ICAO Doc 9303 (Utopia, "UTO").
SPECIMEN_LINES = {
    "TD1": [
        "I<UTOD231458907<<<<<<<<<<<<<<<",
        "7408122F1204159UTO<<<<<<<<<<<6",
        "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
    ],
    "TD2": [
        "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
        "D231458907UTO7408122F1204159<<<<<<<6",
    ],
    "TD3": [
        "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
        "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
    ],
    "MRVA": [
        "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
        "L8988901C4XXX4009078F96121096ZE184226B<<<<<<",
    ],
    "MRVB": [
        "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
        "L8988901C4XXX4009078F9612109<<<<<<<<",
    ],
}
SPECIMENS = {k: "\n".join(v) for k, v in SPECIMEN_LINES.items()}


@pytest.mark.parametrize("fmt", sorted(SPECIMENS))
def test_icao_specimen_parses_valid(fmt: str) -> None:
    m = parse_mrz(SPECIMENS[fmt], reference_date=REF)
    assert m.format == fmt
    assert m.valid
    assert m.surname == "ERIKSSON"
    assert m.given_names == "ANNA MARIA"
    assert m.sex == "F"
    assert m.issuing_state == "UTO"
    assert m.lines == SPECIMENS[fmt].split("\n")
    assert all(v is not False for v in m.checks.model_dump().values())


def test_td3_specimen_fields() -> None:
    m = parse_mrz(SPECIMENS["TD3"], reference_date=REF)
    assert m.document_code == "P"
    assert m.document_number == "L898902C3"
    assert m.birth_date == date(1974, 8, 12)
    assert m.expiry_date == date(2012, 4, 15)
    assert m.optional_data == "ZE184226B"
    assert m.optional_data_2 is None
    assert m.checks.model_dump() == {
        "document_number": True,
        "birth_date": True,
        "expiry_date": True,
        "optional_data": True,
        "composite": True,
    }


def test_td1_specimen_fields() -> None:
    m = parse_mrz(SPECIMENS["TD1"], reference_date=REF)
    assert (m.document_code, m.document_number) == ("I", "D23145890")
    assert m.optional_data == ""
    assert m.optional_data_2 == ""
    assert m.checks.optional_data is None
    assert m.checks.composite is True


def test_visa_specimen_has_no_composite() -> None:
    for fmt in ("MRVA", "MRVB"):
        m = parse_mrz(SPECIMENS[fmt], reference_date=date(1995, 1, 1))
        assert m.checks.composite is None
        assert m.checks.optional_data is None
        assert m.nationality == "XXX"
        assert m.birth_date == date(1940, 9, 7)
        assert m.expiry_date == date(1996, 12, 10)


def test_json_shape_is_design_md() -> None:
    out = parse_mrz(SPECIMENS["TD3"], reference_date=REF).to_json()
    assert list(out) == [
        "format",
        "document_code",
        "issuing_state",
        "nationality",
        "surname",
        "given_names",
        "document_number",
        "birth_date",
        "expiry_date",
        "sex",
        "optional_data",
        "optional_data_2",
        "lines",
        "checks",
        "valid",
        "warnings",
        "repairs",
    ]
    assert out["birth_date"] == "1974-08-12"
    assert out["warnings"][0]["code"] == "unknown_issuing_state"
    assert set(out["warnings"][0]) == {"code", "message"}


def test_parsed_model_equals_validated_model() -> None:
    """The hot path skips validation; what it builds must pass validation unchanged."""
    for text in SPECIMENS.values():
        m = parse_mrz(text, reference_date=REF)
        assert MRZ.model_validate(m.model_dump()) == m


@pytest.mark.parametrize(
    ("data", "digit"),
    [("L898902C3", "6"), ("740812", "2"), ("120415", "9"), ("ZE184226B<<<<<", "1"), ("<<<", "0")],
)
def test_check_digit(data: str, digit: str) -> None:
    assert check_digit(data) == digit


def test_check_digit_weights_7_3_1() -> None:
    assert check_digit("1") == "7"
    assert check_digit("01") == "3"
    assert check_digit("001") == "1"
    assert check_digit("A") == "0"  # A = 10
    assert check_digit("Z") == str(35 * 7 % 10)


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_generate_then_parse(fmt: str) -> None:
    code = "V" if fmt.startswith("MRV") else ("P" if fmt == "TD3" else "ID")
    lines = generate_mrz(
        fmt,
        document_code=code,
        issuing_state="FIN",
        surname="Virtanen",
        given_names="Matti Juhani",
        document_number="XP1234567",
        nationality="SWE",
        birth_date=date(1985, 2, 28),
        sex="M",
        expiry_date=date(2031, 6, 30),
        optional_data="ABC123",
    )
    f = FORMATS[fmt]  # type: ignore[index]
    assert len(lines) == f.lines
    assert all(len(line) == f.length for line in lines)
    m = parse_mrz(lines, reference_date=date(2026, 1, 1))
    assert m.valid, m.checks
    assert m.format == fmt
    assert (m.surname, m.given_names) == ("VIRTANEN", "MATTI JUHANI")
    assert (m.issuing_state, m.nationality) == ("FIN", "SWE")
    assert m.document_number == "XP1234567"
    assert m.birth_date == date(1985, 2, 28)
    assert m.expiry_date == date(2031, 6, 30)
    assert m.optional_data == "ABC123"
    assert m.warnings == []
