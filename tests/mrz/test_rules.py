"""The real-world rules of issue 2, one test (or a few) each."""

from __future__ import annotations

from datetime import date

import pytest

from misec_rules.errors import InvalidCharacter, InvalidLength, MRZError, UnknownFormat
from misec_rules.mrz import (
    FORMATS,
    WARNING_CODES,
    check_digit,
    country_codes,
    generate_mrz,
    is_known_code,
    parse_mrz,
)
from misec_rules.mrz._countries import CountryListError, load_country_codes

REF = date(2026, 1, 1)
TD3 = [
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
]


def _td3(**kw: object) -> list[str]:
    args: dict[str, object] = {
        "document_code": "P",
        "issuing_state": "FIN",
        "surname": "Virtanen",
        "given_names": "Aino",
        "document_number": "XP1234567",
        "nationality": "FIN",
        "birth_date": date(1990, 5, 17),
        "sex": "F",
        "expiry_date": date(2030, 5, 16),
    }
    args.update(kw)
    return generate_mrz("TD3", **args)  # type: ignore[arg-type]


# --- TD1 long document numbers (ICAO 9303 Part 5 4.2.2 note j) ------------------------


def test_td1_long_document_number_by_hand() -> None:
    number = "SPECI20141"  # 10 characters
    cd = check_digit(number)
    line1 = f"IDNLD{number[:9]}<{number[9:]}{cd}<".ljust(30, "<")
    line2_body = "6503101M2903091NLD<<<<<<<<<<<"
    comp = check_digit(line1[5:30] + line2_body[0:7] + line2_body[8:15] + line2_body[18:29])
    lines = [line1, line2_body + comp, "DE<VRIES<<JAN".ljust(30, "<")]
    m = parse_mrz(lines, reference_date=REF)
    assert m.document_number == number
    assert m.checks.document_number is True
    assert m.optional_data == ""
    assert m.valid


@pytest.mark.parametrize(("fmt", "number"), [("TD1", "AB12345678901"), ("TD2", "AB123456789")])
def test_long_document_number_round_trip_with_optional_data(fmt: str, number: str) -> None:
    lines = generate_mrz(
        fmt,
        document_code="ID",
        issuing_state="NLD",
        surname="Jansen",
        given_names="Piet",
        document_number=number,
        nationality="NLD",
        birth_date=date(1970, 1, 1),
        sex="M",
        expiry_date=date(2030, 1, 1),
        optional_data="X1",
    )
    m = parse_mrz(lines, reference_date=REF)
    assert m.document_number == number
    assert m.optional_data == "X1"
    assert m.valid


def test_long_document_number_with_wrong_check_digit_fails() -> None:
    lines = generate_mrz(
        "TD1",
        document_code="ID",
        issuing_state="NLD",
        surname="Jansen",
        given_names="Piet",
        document_number="SPECI20141",
        nationality="NLD",
        birth_date=date(1970, 1, 1),
        sex="M",
        expiry_date=date(2030, 1, 1),
    )
    cd = lines[0][16]
    bad = lines[0][:16] + str((int(cd) + 1) % 10) + lines[0][17:]
    m = parse_mrz([bad, *lines[1:]], reference_date=REF)
    assert m.checks.document_number is False
    assert not m.valid


def test_malformed_overflow_is_reported() -> None:
    line1 = "I<UTOD23145890<<<<<<<<<<<<<<<<"  # `<` check digit, nothing continues
    line2 = "7408122F1204159UTO<<<<<<<<<<<"
    comp = check_digit(line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29])
    m = parse_mrz([line1, line2 + comp, "ERIKSSON<<ANNA".ljust(30, "<")], reference_date=REF)
    assert m.checks.document_number is False
    assert "document_number_overflow_malformed" in m.warning_codes


def test_td3_has_no_overflow() -> None:
    with pytest.raises(InvalidLength):
        _td3(document_number="AB12345678901")


# --- empty optional data with `<` check digit -------------------------------------------


def test_empty_personal_number_with_filler_check_digit() -> None:
    lines = _td3(optional_data="")
    assert lines[1][42] == "<"
    m = parse_mrz(lines, reference_date=REF)
    assert m.checks.optional_data is True
    assert m.optional_data == ""
    assert m.valid


def test_empty_personal_number_with_zero_check_digit() -> None:
    lines = _td3(optional_data="")
    line2 = lines[1][:42] + "0" + lines[1][43:]
    m = parse_mrz([lines[0], line2], reference_date=REF)
    assert m.checks.optional_data is True
    assert m.checks.composite is True  # `<` and `0` both count 0


def test_filler_check_digit_on_non_empty_personal_number_fails() -> None:
    lines = _td3(optional_data="ABC123")
    line2 = lines[1][:42] + "<" + lines[1][43:]
    m = parse_mrz([lines[0], line2], reference_date=REF)
    assert m.checks.optional_data is False
    assert "check_digit_filler" in m.warning_codes


# --- state codes --------------------------------------------------------------------------


def test_germany_d_filler() -> None:
    m = parse_mrz(_td3(issuing_state="D", nationality="D"), reference_date=REF)
    assert (m.issuing_state, m.nationality) == ("D", "D")
    assert m.lines[0][2:5] == "D<<"
    assert m.warnings == []


@pytest.mark.parametrize(
    "code",
    [
        "UNO", "UNA", "UNK", "XOM", "XPO", "XXA", "XXB", "XXC", "XXX", "EUE", "RKS",
        "GBD", "GBN", "GBO", "GBP", "GBS", "XBA", "XCC", "XCE", "XCO", "XDC", "XEC",
        "XES", "XIM", "XMP",
    ],
)  # fmt: skip
def test_icao_special_codes_are_known(code: str) -> None:
    m = parse_mrz(_td3(issuing_state=code, nationality=code), reference_date=REF)
    assert m.issuing_state == code
    assert "unknown_issuing_state" not in m.warning_codes
    assert "unknown_nationality" not in m.warning_codes


def test_unknown_codes_warn_not_crash() -> None:
    m = parse_mrz(_td3(issuing_state="QQQ", nationality="ZZ"), reference_date=REF)
    assert m.valid
    assert {"unknown_issuing_state", "unknown_nationality"} <= set(m.warning_codes)
    assert m.nationality == "ZZ"


def test_country_list_is_complete_and_validated() -> None:
    codes = country_codes()
    assert sum(1 for c in codes.values() if c.kind == "iso") == 249
    for code in ("FIN", "SWE", "DEU", "D", "UTO"[:0] or "GBR"):
        assert is_known_code(code)
    assert not is_known_code("UTO")  # ICAO's specimen state is fictional
    assert not is_known_code("")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("# c\nfoo,bar\n", "header"),
        ("code,kind,name\nFI1,iso,X\n", "capital letters"),
        ("code,kind,name\nFIN,xx,Finland\n", "kind"),
        ("code,kind,name\nFIN,iso,\n", "no name"),
        ("code,kind,name\nFIN,iso,Finland\nFIN,iso,Finland\n", "duplicate"),
        ("code,kind,name\nFIN,iso\n", "3 columns"),
    ],
)
def test_bad_country_lists_are_rejected(text: str, problem: str) -> None:
    with pytest.raises(CountryListError, match=problem):
        load_country_codes(text, source="bad.csv")


# --- unknown dates --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "code"),
    [("<<<<<<", "birth_date_unknown"), ("90<<<<", "birth_date_partly_unknown"),
     ("9005<<", "birth_date_partly_unknown"), ("<<0517", "birth_date_partly_unknown")],
)  # fmt: skip
def test_unknown_birth_dates_are_null_with_warning(raw: str, code: str) -> None:
    m = parse_mrz(_td3(birth_date=raw), reference_date=REF)
    assert m.birth_date is None
    assert code in m.warning_codes
    assert m.checks.birth_date is True
    assert m.valid


def test_all_filler_birth_date_with_filler_check_digit() -> None:
    lines = _td3(birth_date=None)
    line2 = lines[1][:19] + "<" + lines[1][20:]
    m = parse_mrz([lines[0], line2], reference_date=REF)
    assert m.birth_date is None
    assert m.checks.birth_date is True


def test_impossible_birth_date_is_null_with_warning() -> None:
    m = parse_mrz(_td3(birth_date="901332"), reference_date=REF)
    assert m.birth_date is None
    assert "birth_date_invalid" in m.warning_codes


# --- two-digit years ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("yymmdd", "ref", "expected"),
    [
        ("740812", date(2026, 1, 1), date(1974, 8, 12)),
        ("251231", date(2026, 1, 1), date(2025, 12, 31)),
        ("260101", date(2026, 1, 1), date(2026, 1, 1)),  # not after the reference date
        ("260102", date(2026, 1, 1), date(1926, 1, 2)),
        ("000229", date(2026, 1, 1), date(2000, 2, 29)),
        ("991231", date(2000, 1, 1), date(1999, 12, 31)),
    ],
)
def test_birth_year_is_most_recent_not_after_reference(
    yymmdd: str, ref: date, expected: date
) -> None:
    assert parse_mrz(_td3(birth_date=yymmdd), reference_date=ref).birth_date == expected


@pytest.mark.parametrize(
    ("yymmdd", "ref", "expected"),
    [
        ("760101", date(2026, 6, 1), date(1976, 1, 1)),  # 50 years before
        ("751231", date(2026, 6, 1), date(2075, 12, 31)),  # 49 years after
        ("300516", date(2026, 1, 1), date(2030, 5, 16)),
        ("120415", date(2010, 1, 1), date(2012, 4, 15)),
    ],
)
def test_expiry_year_window(yymmdd: str, ref: date, expected: date) -> None:
    assert parse_mrz(_td3(expiry_date=yymmdd), reference_date=ref).expiry_date == expected


def test_reference_date_defaults_to_today() -> None:
    m = parse_mrz(_td3(expiry_date=date(2000, 1, 1)))
    assert "document_expired" in m.warning_codes


# --- sex --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("mrz", "json"), [("M", "M"), ("F", "F"), ("<", "X"), ("X", "X")])
def test_sex_values(mrz: str, json: str) -> None:
    m = parse_mrz(_td3(sex=mrz), reference_date=REF)
    assert m.sex == json
    assert m.to_json()["sex"] == json


def test_invalid_sex_is_null_with_warning() -> None:
    lines = _td3()
    m = parse_mrz([lines[0], lines[1][:20] + "Q" + lines[1][21:]], reference_date=REF)
    assert m.sex is None
    assert "invalid_sex" in m.warning_codes


# --- names ------------------------------------------------------------------------------------


def test_names_split_and_fillers_become_spaces() -> None:
    m = parse_mrz(_td3(surname="van der Berg", given_names="Anna-Lena Marie"), reference_date=REF)
    assert m.lines[0][5:].startswith("VAN<DER<BERG<<ANNA<LENA<MARIE<")
    assert m.surname == "VAN DER BERG"
    assert m.given_names == "ANNA LENA MARIE"


def test_name_without_secondary_identifier() -> None:
    m = parse_mrz(_td3(surname="Madonna", given_names=""), reference_date=REF)
    assert (m.surname, m.given_names) == ("MADONNA", "")
    assert "name_missing_separator" not in m.warning_codes


def test_name_filling_its_field_is_flagged() -> None:
    m = parse_mrz(_td3(surname="A" * 30, given_names="B" * 20), reference_date=REF)
    assert "name_possibly_truncated" in m.warning_codes
    assert m.given_names == "B" * 7


def test_name_just_fitting_is_not_flagged() -> None:
    m = parse_mrz(_td3(surname="A" * 30, given_names="B" * 6), reference_date=REF)
    assert "name_possibly_truncated" not in m.warning_codes


def test_digit_in_name_is_warned() -> None:
    lines = _td3()
    m = parse_mrz([lines[0].replace("AINO", "A1NO"), lines[1]], reference_date=REF)
    assert "invalid_character_for_field" in m.warning_codes
    assert "line 1, column 17" in " ".join(w.message for w in m.warnings)


# --- lenient parsing, strict checking -----------------------------------------------------------


def test_wrong_line_length_names_the_line() -> None:
    with pytest.raises(InvalidLength) as e:
        parse_mrz([TD3[0], TD3[1][:-1]])
    assert e.value.line == 2
    assert "line 2" in str(e.value)


def test_wrong_line_count() -> None:
    with pytest.raises(InvalidLength):
        parse_mrz(TD3[0])


def test_invalid_character_names_line_and_column() -> None:
    with pytest.raises(InvalidCharacter) as e:
        parse_mrz([TD3[0], TD3[1][:5] + "a" + TD3[1][6:]])
    assert (e.value.line, e.value.column) == (2, 6)
    assert "`a`" in str(e.value)


def test_first_character_not_a_letter_is_unknown_format() -> None:
    with pytest.raises(UnknownFormat):
        parse_mrz(["1" + TD3[0][1:], TD3[1]])


def test_failing_check_does_not_raise() -> None:
    m = parse_mrz([TD3[0], TD3[1][:9] + "7" + TD3[1][10:]], reference_date=REF)
    assert m.checks.document_number is False
    assert m.checks.composite is False
    assert m.checks.birth_date is True
    assert not m.valid


def test_blank_lines_and_spaces_ignored_and_joined_line_split() -> None:
    text = "\n\n  " + TD3[0] + "  \r\n\n" + TD3[1] + "\n\n"
    assert parse_mrz(text, reference_date=REF).lines == TD3
    assert parse_mrz(TD3[0] + TD3[1], reference_date=REF).lines == TD3


def test_letter_in_date_fails_the_check() -> None:
    # B (11) and 1 weigh the same modulo 10, so the check digit alone would pass
    line2 = TD3[1][:17] + "B" + TD3[1][18:]
    m = parse_mrz([TD3[0], line2], reference_date=REF)
    assert m.checks.birth_date is False
    assert not m.valid
    assert "birth_date_invalid" in m.warning_codes


def test_every_warning_code_is_documented() -> None:
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "mrz.md").read_text(encoding="utf-8")
    for code in WARNING_CODES:
        assert f"`{code}`" in doc, code


def test_format_tables_cover_every_position() -> None:
    for fmt in FORMATS.values():
        assert len(fmt.kinds) == fmt.lines
        assert all(len(row) == fmt.length for row in fmt.kinds)


def test_generate_refuses_bad_input() -> None:
    with pytest.raises(MRZError):
        _td3(surname="Müller")
    with pytest.raises(MRZError):
        _td3(sex="Q")
    with pytest.raises(MRZError):
        generate_mrz(
            "TD4",
            document_code="P",
            issuing_state="FIN",
            surname="A",
            given_names="B",
            document_number="1",
            nationality="FIN",
            birth_date=None,
            sex="M",
            expiry_date=None,
        )


@pytest.mark.parametrize(
    "name",
    ["<ERIKSSON<<ANNA", "ERIKSSON<<<ANNA", "ERIKSSON<<ANNA<<MARIA", "ERIKSSON<<ANNA<<<<<<<<<<B"],
)
def test_irregular_fillers_in_name_are_flagged(name: str) -> None:
    lines = _td3()
    line1 = (lines[0][:5] + name).ljust(44, "<")
    m = parse_mrz([line1, lines[1]], reference_date=REF)
    assert "name_irregular_fillers" in m.warning_codes
    assert m.valid  # names have no check digit; the warning is the signal


def test_public_names_are_pinned() -> None:
    import misec_rules.mrz as mrz

    assert set(mrz.__all__) == {
        "CONFUSABLE", "FORMATS", "FORMAT_NAMES", "MRZ", "WARNING_CODES", "Checks",
        "CountryCode", "Field", "FieldKind", "Format", "FormatName", "InvalidCharacter",
        "InvalidLength", "MRZError", "MRZWarning", "Repair", "UnknownFormat", "check_digit",
        "country_codes", "generate_mrz", "is_known_code", "parse_mrz", "repair_mrz",
    }  # fmt: skip
    for name in mrz.__all__:
        assert hasattr(mrz, name)
