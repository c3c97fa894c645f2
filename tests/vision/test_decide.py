"""The decisions after OCR: check-digit-blind look-alikes, priors on merged reads, visa or passport."""

from __future__ import annotations

from datetime import date

import numpy as np

from misec_rules.mrz import FORMATS, generate_mrz, repair_mrz
from misec_rules.vision import _ocrb
from misec_rules.vision._read import (
    _align,
    _constrain,
    _erasures,
    _flag_blind,
    _flag_unsure_repairs,
    _merged_number_prior,
    _Oriented,
    _other_format,
)

REF = date(2026, 1, 1)


def _lines(fmt: str, number: str = "X4K09S281", code: str = "P") -> list[str]:
    return generate_mrz(
        fmt,
        document_code=code,
        issuing_state="FIN",
        surname="VIRTANEN",
        given_names="AINO",
        document_number=number,
        nationality="FIN",
        birth_date=date(1990, 4, 1),
        sex="F",
        expiry_date=date(2030, 4, 1),
    )


def _sure(lines: list[str]) -> list[list[list[tuple[str, float]]]]:
    return [[[(c, 0.99)] for c in line] for line in lines]


def _line_read(text: str, first: dict[str, float] | None = None) -> _ocrb.LineRead:
    """A LineRead whose probabilities put 0.97 on each character of ``text``."""
    probs = np.full((len(text), len(_ocrb.ALPHABET)), 0.03 / 36, dtype=np.float32)
    for i, c in enumerate(text):
        probs[i, _ocrb.ALPHABET.index(c)] = 0.97
    if first:
        probs[0] = 0.001
        for c, p in first.items():
            probs[0, _ocrb.ALPHABET.index(c)] = p
    return _ocrb.decode(probs, 20.0)


def test_blind_runner_up_in_document_number_is_flagged() -> None:
    lines = _lines("TD3")
    mrz = repair_mrz(lines, reference_date=REF)
    assert mrz.valid
    cands = _sure(lines)
    assert _flag_blind(mrz, cands).warnings == mrz.warnings  # sure reads: nothing
    col = lines[1].index("S")  # `S` and `8` weigh the same in the check digit
    cands[1][col] = [("S", 0.7), ("8", 0.3)]
    flagged = _flag_blind(mrz, cands)
    new = [w for w in flagged.warnings if w not in mrz.warnings]
    assert [w.code for w in new] == ["repair_unconfirmed"]
    assert f"line 2 column {col + 1}" in new[0].message and "`8`" in new[0].message


def test_unlikely_or_visible_runner_up_is_not_flagged() -> None:
    lines = _lines("TD3")
    mrz = repair_mrz(lines, reference_date=REF)
    cands = _sure(lines)
    col = lines[1].index("S")
    cands[1][col] = [("S", 0.98), ("8", 0.02)]  # negligible
    cands[1][col + 1] = [("2", 0.6), ("7", 0.4)]  # the check digit would see this one
    assert _flag_blind(mrz, cands).warnings == mrz.warnings


def test_number_prior_applies_after_merging() -> None:
    lines = _lines("TD3", number="X4K098281")
    col = 4  # `9` in X4K098281, read as `J` with `9` the runner-up
    text = lines[1][:col] + "J" + lines[1][col + 1 :]
    cands = _sure([text])[0]
    cands[col] = [("J", 0.55), ("9", 0.45)]
    fixed, ranked = _merged_number_prior(text, cands, FORMATS["TD3"], 1)
    assert fixed == lines[1]
    assert ranked[col][0][0] == "9"
    # a confident letter between digits stays
    cands[col] = [("J", 0.9), ("9", 0.1)]
    kept, _ = _merged_number_prior(text, cands, FORMATS["TD3"], 1)
    assert kept == text


def test_merged_candidates_lose_characters_the_field_cannot_hold() -> None:
    lines = _lines("TD3")
    cands = _sure([lines[1]])[0]
    birth = 13
    cands[birth] = [("O", 0.6), ("9", 0.4)]  # Tesseract's `O` in a date
    text = lines[1][:birth] + "O" + lines[1][birth + 1 :]
    fixed, ranked = _merged_number_prior(text, cands, FORMATS["TD3"], 1)
    assert fixed[birth] == "9" and [c for c, _p in ranked[birth]] == ["9"]


def _oriented(reads: list[_ocrb.LineRead]) -> _Oriented:
    return _Oriented(None, 0, False, 44, [], reads, [])  # type: ignore[arg-type]


def test_visa_whose_v_reads_as_p_is_taken_as_visa_with_a_warning() -> None:
    lines = _lines("MRVA", code="V")
    reads = [_line_read(lines[0], {"P": 0.6, "V": 0.39}), _line_read(lines[1])]
    as_read = _constrain(reads, 44)
    first = repair_mrz([r.text for r in as_read], reference_date=REF)
    assert first.format == "TD3" and not first.valid
    other = _other_format(_oriented(as_read), first, REF)
    assert other is not None
    mrz = other[0]
    assert mrz.format == "MRVA" and mrz.valid and mrz.lines == lines
    assert "repair_unconfirmed" in mrz.warning_codes


def test_passport_is_not_turned_into_a_visa_without_evidence() -> None:
    lines = _lines("TD3")
    reads = [_line_read(lines[0], {"P": 0.999, "V": 0.0001}), _line_read(lines[1])]
    first = repair_mrz([r.text for r in reads], reference_date=REF)
    assert first.valid
    assert _other_format(_oriented(reads), first, REF) is None
    # a valid passport stays a passport even when `V` is likely: its composite passes
    reads = [_line_read(lines[0], {"P": 0.5, "V": 0.49}), _line_read(lines[1])]
    assert _other_format(_oriented(reads), first, REF) is None


def test_prior_weighs_against_an_unsure_filler_for_sex_and_inside_names() -> None:
    from misec_rules.vision._read import _irregular_fillers, _number_prior

    assert _irregular_fillers("CERNY<<JIRI<ANNA<<<<<<") == []
    assert _irregular_fillers("IB<<EZ<<KERTTU<<<<") == [2, 3, 6, 7]  # which is the separator?
    assert _irregular_fillers("<AB<<<C<<D") == [0, 3, 4, 5]
    lines = _lines("MRVB", number="AB1234567", code="V")
    sex = FORMATS["MRVB"]["sex"].start
    line2 = lines[1][:sex] + "<" + lines[1][sex + 1 :]
    w = _number_prior(line2, FORMATS["MRVB"], 1)
    assert w is not None and w[sex, _ocrb.ALPHABET.index("<")] < 1.0
    assert (np.delete(w, sex, axis=0) == 1.0).all()
    assert _number_prior(lines[1], FORMATS["MRVB"], 1) is None
    # an unsure `<` for F gives way; a sure one stays
    cands = _sure([line2])[0]
    cands[sex] = [("<", 0.6), ("F", 0.4)]
    fixed, _ = _merged_number_prior(line2, cands, FORMATS["MRVB"], 1)
    assert fixed == lines[1]
    cands[sex] = [("<", 0.95), ("F", 0.05)]
    kept, _ = _merged_number_prior(line2, cands, FORMATS["MRVB"], 1)
    assert kept == line2


def _confident(text: str) -> _ocrb.LineRead:
    probs = np.full((len(text), len(_ocrb.ALPHABET)), 0.002, dtype=np.float32)
    for j, c in enumerate(text):
        probs[j, _ocrb.ALPHABET.index(c)] = 0.9
    return _ocrb.decode(probs, 10.0)


def test_tesseract_text_shifted_by_a_speck_is_put_back_on_its_cells() -> None:
    read = _confident("MUNOZ<<INIGO<RAMON<<<<<<<<<<<<")
    # Tesseract took a speck before the line for an `S`; its text was then
    # fitted to 30 characters by dropping a filler
    placed = _align("SMUNOZ<<INIGO<RAMON<<<<<<<<<<<", read)
    assert len(placed) == 30
    assert "".join(c or "" for c in placed[:18]) == "MUNOZ<<INIGO<RAMON"
    assert "S" not in placed


def test_aligned_text_keeps_a_disagreement_in_place() -> None:
    read = _confident("MUNOZ<<INIGO<RAMON<<<<<<<<<<<<")
    placed = _align("MUNOZ<<IMIGO<RAMON<<<<<<<<<<<<", read)
    assert "".join(c or "_" for c in placed) == "MUNOZ<<IMIGO<RAMON<<<<<<<<<<<<"


def _td3(given: str, sex: str) -> list[str]:
    return generate_mrz(
        "TD3",
        document_code="P",
        issuing_state="ESP",
        surname="MUNOZ",
        given_names=given,
        document_number="N2945644",
        nationality="ESP",
        birth_date=date(2009, 4, 24),
        sex=sex,
        expiry_date=date(2021, 6, 7),
    )


def test_erasures_count_what_a_washed_out_character_reads_as() -> None:
    clean = _td3("RAMON RAGNHILD", "F")
    m = repair_mrz(clean, candidates=_sure(clean), reference_date=REF)
    assert m.valid and _erasures(m, _sure(clean)) == 0
    # `RAGNHILD` with `GNH` washed out into fillers, and the sex into `<`
    washed = [clean[0].replace("RAGNHILD", "RA<<<ILD"), clean[1][:20] + "<" + clean[1][21:]]
    assert clean[1][20] == "F"
    m = repair_mrz(washed, candidates=_sure(washed), reference_date=REF)
    assert m.valid  # no check digit covers the name or the sex
    assert _erasures(m, _sure(washed)) == 3 + 1


def _unsure_warnings(m: object) -> list[str]:
    return [
        w.message
        for w in m.warnings  # type: ignore[attr-defined]
        if w.code == "repair_unconfirmed" and "may confirm a misread" in w.message
    ]


def test_a_repair_that_leans_on_an_unsure_check_digit_is_flagged() -> None:
    clean = _td3("RAMON", "F")
    # glare washed out the last birth-date digit into a filler
    washed = [clean[0], clean[1][:18] + "<" + clean[1][19:]]
    cands = _sure(washed)
    cands[1][18] = [("<", 0.5), (clean[1][18], 0.4)]
    m = repair_mrz(washed, candidates=cands, reference_date=REF)
    assert m.valid and m.lines == clean and m.repairs
    sure = [[0.99] * 44, [0.99] * 44]
    assert _unsure_warnings(_flag_unsure_repairs(m, sure)) == []
    shaky = [[0.99] * 44, [0.99] * 19 + [0.6] + [0.99] * 24]  # the check digit
    (message,) = _unsure_warnings(_flag_unsure_repairs(m, shaky))
    assert "birth date at line 2 column 19" in message


def test_an_unsure_filler_in_a_date_is_flagged() -> None:
    clean = _td3("RAMON", "F")
    # a washed-out `0` read as `<` weighs the same in the check digit
    assert clean[1][13:19] == "090424"
    washed = [clean[0], clean[1][:13] + "<" + clean[1][14:]]
    m = repair_mrz(washed, candidates=_sure(washed), reference_date=REF)
    assert m.valid
    sure = [[0.99] * 44, [0.99] * 44]
    assert _unsure_warnings(_flag_unsure_repairs(m, sure)) == []
    shaky = [[0.99] * 44, [0.99] * 13 + [0.5] + [0.99] * 30]
    (message,) = _unsure_warnings(_flag_unsure_repairs(m, shaky))
    assert "birth date at line 2 column 14" in message
