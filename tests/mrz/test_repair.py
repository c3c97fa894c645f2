"""OCR repair: accepted only when check digits confirm a unique minimal correction."""

from __future__ import annotations

from datetime import date

import pytest

from misec_rules.errors import InvalidLength, MRZError
from misec_rules.mrz import generate_mrz, parse_mrz, repair_mrz

REF = date(2010, 1, 1)
GOOD = [
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
]


def _put(line: str, col: int, ch: str) -> str:
    """``line`` with 1-based column ``col`` replaced by ``ch``."""
    return line[: col - 1] + ch + line[col:]


def test_clean_text_is_left_alone() -> None:
    m = repair_mrz(GOOD, reference_date=REF)
    assert m.repairs == []
    assert m.lines == GOOD
    assert m.valid
    assert "repair_ambiguous" not in m.warning_codes


def test_letter_o_in_birth_date_is_repaired_and_confirmed() -> None:
    read = [GOOD[0], _put(GOOD[1], 16, "O")]  # 740812 -> 74O812
    m = repair_mrz(read, reference_date=REF)
    assert m.lines == GOOD
    assert m.valid
    assert [(r.line, r.column, r.read, r.corrected) for r in m.repairs] == [(2, 16, "O", "0")]


def test_letter_o_in_document_number_needs_candidates() -> None:
    # O and 0 are both allowed in a document number and one check digit cannot say
    # which position is wrong, so without the engine's alternatives nothing changes
    read = [GOOD[0], _put(GOOD[1], 6, "O")]  # L898902C3 -> L8989O2C3
    m = repair_mrz(read, reference_date=REF)
    assert m.lines == read
    assert not m.valid
    assert "repair_ambiguous" in m.warning_codes
    cands: list[list[list[tuple[str, float]] | None]] = [[None] * 44, [None] * 44]
    cands[1][5] = [("O", 0.6), ("0", 0.4)]
    m = repair_mrz(read, candidates=cands, reference_date=REF)
    assert m.lines == GOOD
    assert m.document_number == "L898902C3"
    assert [(r.line, r.column, r.read, r.corrected) for r in m.repairs] == [(2, 6, "O", "0")]


def test_ambiguous_digit_swap_is_kept_and_reported() -> None:
    # 3 -> 8 in the document number: 8 -> 3 at either column 2 or 9 satisfies both
    # the document number check and the composite, so no correction is unique.
    read = [GOOD[0], _put(GOOD[1], 9, "8")]
    m = repair_mrz(read, reference_date=REF)
    assert m.lines == read
    assert m.repairs == []
    assert not m.valid
    assert "repair_ambiguous" in m.warning_codes


def test_unrepairable_text_stays_invalid() -> None:
    read = [GOOD[0], _put(GOOD[1], 18, "B")]  # a 1 misread as B: B -> 8 does not fit
    m = repair_mrz(read, reference_date=REF)
    assert not m.valid
    assert m.repairs == []
    assert "repair_ambiguous" in m.warning_codes


def test_candidates_are_preferred() -> None:
    # 3 -> 8 is ambiguous without candidates (see above); the engine's second choice
    # at the misread position makes one correction much likelier.
    read = [GOOD[0], _put(GOOD[1], 9, "8")]
    cands: list[list[list[tuple[str, float]] | None]] = [[None] * 44, [None] * 44]
    cands[1][8] = [("8", 0.55), ("3", 0.45)]
    cands[1][1] = [("8", 0.99), ("3", 0.01)]
    m = repair_mrz(read, candidates=cands, reference_date=REF)
    assert m.lines == GOOD
    assert m.valid
    assert [(r.column, r.corrected) for r in m.repairs] == [(9, "3")]


def test_fillers_read_as_k_in_line_two_and_name_tail() -> None:
    read = [line.replace("<", "K") for line in GOOD]
    m = repair_mrz(read, reference_date=REF)
    # line 2: every K there stands for a filler (check digits cannot see K/<)
    assert m.lines[1] == GOOD[1]
    assert m.optional_data == "ZE184226B"
    # the name's tail padding is restored; the separators inside the name cannot be
    assert m.lines[0].endswith("MARIA<<<<<<<<<<<<<<<<<<<")
    assert m.document_code == "P"
    assert "repair_name_uncertain" in m.warning_codes
    assert "repair_unconfirmed" in m.warning_codes


def test_k_between_fillers_in_name_tail_becomes_filler() -> None:
    read = [GOOD[0][:30] + "<<K<<<<K<<<<KK", GOOD[1]]
    m = repair_mrz(read, reference_date=REF)
    assert m.lines == GOOD
    assert m.given_names == "ANNA MARIA"


def test_name_ending_in_k_followed_by_true_fillers_is_kept() -> None:
    lines = generate_mrz(
        "TD3",
        document_code="P",
        issuing_state="SWE",
        surname="Lind",
        given_names="Erik",
        document_number="AB1234567",
        nationality="SWE",
        birth_date=date(1980, 1, 2),
        sex="M",
        expiry_date=date(2030, 1, 2),
    )
    m = repair_mrz(lines, reference_date=REF)
    assert m.given_names == "ERIK"
    assert m.repairs == []
    assert m.warnings == []


def test_initial_k_in_name_tail_is_flagged() -> None:
    lines = generate_mrz(
        "TD3",
        document_code="P",
        issuing_state="SWE",
        surname="Lind",
        given_names="Erik K",
        document_number="AB1234567",
        nationality="SWE",
        birth_date=date(1980, 1, 2),
        sex="M",
        expiry_date=date(2030, 1, 2),
    )
    assert "ERIK<K<<" in lines[0]
    m = repair_mrz(lines, reference_date=REF)
    assert "repair_name_uncertain" in m.warning_codes


def test_germany_d_filler_read_as_k() -> None:
    lines = generate_mrz(
        "TD3",
        document_code="P",
        issuing_state="D",
        surname="Mustermann",
        given_names="Erika",
        document_number="C01X00T47",
        nationality="D",
        birth_date=date(1964, 8, 12),
        sex="F",
        expiry_date=date(2017, 10, 31),
    )
    assert lines[0].startswith("P<D<<") and lines[1][10:13] == "D<<"
    read = ["P<DKK" + lines[0][5:], lines[1][:10] + "DKK" + lines[1][13:]]
    m = repair_mrz(read, reference_date=REF)
    assert (m.issuing_state, m.nationality) == ("D", "D")
    assert m.valid


def test_digit_in_name_is_changed_but_flagged() -> None:
    read = [GOOD[0].replace("ERIKSSON", "ER1KSS0N"), GOOD[1]]
    m = repair_mrz(read, reference_date=REF)
    assert m.surname == "ERIKSSON"
    assert "repair_name_uncertain" in m.warning_codes


def test_sex_k_is_filler() -> None:
    read = [GOOD[0], _put(GOOD[1], 21, "K")]
    m = repair_mrz(read, reference_date=REF)
    assert m.sex == "X"
    assert "repair_unconfirmed" in m.warning_codes


def test_lowercase_and_spaces_are_normalised() -> None:
    read = [GOOD[0].lower().replace("<", " "), GOOD[1]]
    m = repair_mrz(read, reference_date=REF)
    assert m.lines == GOOD


def test_wrong_shape_raises() -> None:
    with pytest.raises(InvalidLength):
        repair_mrz([GOOD[0], GOOD[1][:-1]])
    with pytest.raises(MRZError):
        repair_mrz(["X" * 44])


def test_digit_misread_as_other_digit_is_not_guessed() -> None:
    """2 read as 3 in a date: every character is allowed there, so nothing says which
    one is wrong; the check fails and the text is kept."""
    read = [GOOD[0], GOOD[1][:13] + "740813" + GOOD[1][19:]]
    assert not parse_mrz(read, reference_date=REF).valid
    m = repair_mrz(read, reference_date=REF)
    assert m.repairs == []
    assert not m.valid
    assert "repair_ambiguous" in m.warning_codes


def test_unlikely_candidate_is_not_used_even_if_it_fits() -> None:
    """An engine alternative far less likely than what it read is not tried, even when
    it happens to satisfy the check digits (that would be a fit by chance)."""
    read = [GOOD[0], _put(GOOD[1], 9, "5")]  # 3 -> 5: no confusable brings it back
    fits = []
    for col in range(1, 10):
        for ch in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ":
            trial = [GOOD[0], _put(read[1], col, ch)]
            if trial != [GOOD[0], read[1]] and parse_mrz(trial, reference_date=REF).valid:
                fits.append((col, ch))
    assert fits, "some single change must satisfy both checks by chance"
    col, ch = next((c, x) for c, x in fits if c != 9)
    cands: list[list[list[tuple[str, float]] | None]] = [[None] * 44, [None] * 44]
    cands[1][col - 1] = [(read[1][col - 1], 0.97), (ch, 0.03)]
    m = repair_mrz(read, candidates=cands, reference_date=REF)
    assert m.repairs == []
    assert not m.valid
    cands[1][col - 1] = [(read[1][col - 1], 0.6), (ch, 0.4)]
    m = repair_mrz(read, candidates=cands, reference_date=REF)
    assert [(r.column, r.corrected) for r in m.repairs] == [(col, ch)]  # the engine vouched


def test_letters_in_dates_become_their_only_digit_even_beyond_max_changes() -> None:
    """Four `O` in the two dates: more than MAX_CHANGES, yet none of them is a guess."""
    lines = generate_mrz(
        "TD3",
        document_code="P",
        issuing_state="CZE",
        surname="CERNY",
        given_names="JIRI ANNA",
        document_number="VB214FC5A",
        nationality="CZE",
        birth_date=date(1985, 3, 26),
        sex="X",
        expiry_date=date(2030, 5, 8),
    )
    dates = [(1, 15), (1, 22), (1, 23), (1, 25)]  # 0-based: 850326 and 300508
    read = [lines[0], list(lines[1])]
    for _line, col in dates:
        assert read[1][col] == "0"
        read[1][col] = "O"
    m = repair_mrz([read[0], "".join(read[1])], reference_date=REF)
    assert m.lines == lines
    assert m.valid
    assert m.birth_date == date(1985, 3, 26) and m.expiry_date == date(2030, 5, 8)
    assert [(r.line, r.column, r.read, r.corrected) for r in m.repairs] == [
        (2, c + 1, "O", "0") for _l, c in dates
    ]
    assert not any(w.code == "repair_ambiguous" for w in m.warnings)


def test_letter_in_date_with_two_digit_candidates_is_left_to_the_check_digits() -> None:
    lines = generate_mrz(
        "TD3",
        document_code="P",
        issuing_state="CZE",
        surname="CERNY",
        given_names="JIRI",
        document_number="VB214FC5A",
        nationality="CZE",
        birth_date=date(1985, 3, 26),
        sex="M",
        expiry_date=date(2030, 5, 8),
    )
    read = lines[1][:15] + "O" + lines[1][16:]
    cands: list[list[list[tuple[str, float]] | None]] = [[None] * 44, [None] * 44]
    cands[1][15] = [("O", 0.5), ("8", 0.3), ("0", 0.2)]
    m = repair_mrz([lines[0], read], candidates=cands, reference_date=REF)
    # 0 and 8 are both candidates: the birth date's check digit picks 0
    assert m.lines == lines
    assert m.valid
