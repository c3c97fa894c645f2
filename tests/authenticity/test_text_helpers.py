"""Transliteration, OCR folding and date extraction (no OCR engine needed)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from misec_rules.authenticity import transliterations
from misec_rules.authenticity._ocr import Word
from misec_rules.authenticity._transliterate import skeleton
from misec_rules.authenticity._viz import _group_lines, extract_dates, fold


def test_icao_transliterations_offer_each_alternative() -> None:
    assert transliterations("Häkkinen") == ["HAEKKINEN", "HAKKINEN"]
    assert transliterations("Åström") == ["AASTROEM", "AASTROM", "ASTROEM", "ASTROM"]
    assert "MUELLER" in transliterations("Müller")
    assert transliterations("Weiß") == ["WEISS"]
    assert transliterations("Ørsted") == ["OERSTED", "ORSTED"]
    assert transliterations("Łukasz") == ["LUKASZ"]


def test_skeleton_folds_digraphs() -> None:
    assert skeleton("HAEMAELAEINEN") == skeleton("HAMALAINEN") == "HAMALAINEN"


@given(st.text(max_size=12))
def test_transliterations_use_only_mrz_letters(text: str) -> None:
    for v in transliterations(text, limit=8):
        assert set(v) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ")
        assert v == v.strip()


def test_fold_tolerates_ocr_confusions_but_not_digit_changes() -> None:
    assert fold("XO12-3456") == fold("X012 3456")
    assert fold("S8") == fold("58")
    assert fold("X0123456") != fold("X0123457")


def test_extract_dates_in_visual_zone_formats() -> None:
    assert extract_dates("12 MAR 1985") == [(12, 3, 1985, 4, "12 MAR 1985")]
    assert extract_dates("Date 03 JUN/JUIN 2010")[0][:4] == (3, 6, 2010, 4)
    assert extract_dates("12.03.1985")[0][:4] == (12, 3, 1985, 4)
    assert extract_dates("1985-03-12")[0][:4] == (12, 3, 1985, 4)
    assert extract_dates("O1 OCT 2O2O")[0][:4] == (1, 10, 2020, 4)
    assert extract_dates("no date here 1234") == []
    assert extract_dates("45.13.2020") == []


def test_words_group_into_lines_by_geometry() -> None:
    w = [
        Word("ZDENKA", 90, (300, 101, 80, 20), (1, 1, 1)),
        Word("JIRI", 90, (200, 103, 50, 20), (2, 1, 1)),
        Word("FAR", 90, (900, 100, 40, 20), (3, 1, 1)),
        Word("NEXT", 90, (200, 160, 60, 20), (4, 1, 1)),
    ]
    lines = [ln.text for ln in _group_lines(w)]
    assert "JIRI ZDENKA" in lines
    assert "FAR" in lines
    assert "NEXT" in lines


def test_words_under_a_label_stay_on_the_value_line() -> None:
    # tesseract's sparse-text boxes: the day and the year stretched up over the
    # small label above them, the month not; all three end on the same bottom
    w = [
        Word("Date", 90, (640, 227, 30, 8), (1, 1, 1)),
        Word("birth", 90, (680, 227, 40, 8), (1, 1, 1)),
        Word("11", 77, (639, 227, 30, 41), (2, 1, 1)),
        Word("MAR", 96, (681, 249, 56, 19), (3, 1, 1)),
        Word("2005", 88, (741, 227, 73, 41), (4, 1, 1)),
        Word("15", 90, (686, 292, 30, 20), (5, 1, 1)),
    ]
    lines = [ln.text for ln in _group_lines(w)]
    assert "11 MAR 2005" in lines
    assert "Date birth" in lines
    assert "15" in lines


def test_month_split_by_ocr_is_joined() -> None:
    assert extract_dates("15 AU UG 2023")[0][:4] == (15, 8, 2023, 4)
    assert extract_dates("5 MAI/MAY 1990")[0][:4] == (5, 5, 1990, 4)
    assert extract_dates("11 DE 2005") == []
