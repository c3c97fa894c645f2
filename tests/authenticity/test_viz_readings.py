"""Visual zone against MRZ: several readings, upright pages, soft prints.

Unit tests of the reading comparison, and regressions on generated documents
the check used to miss (a document number whose tesseract word confidence was
low, a birth date printed under its label) or could not read (a page turned
sideways).  The MRZ and its polygon come from the generator's truth, so these
tests measure the visual-zone check alone.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import cv2
import numpy as np
import pytest

from misec_rules.authenticity import Severity, Verdict, check_document
from misec_rules.authenticity._profile import load_profile
from misec_rules.authenticity._viz import _confirmed, substitutions
from misec_rules.samples.manipulations import make_manipulated

REF = date(2026, 11, 27)
KINDS = ("td3_passport", "td1_id", "td2_id", "mrva_visa", "mrvb_visa")


def test_substitution_is_a_digit_where_another_digit_should_be() -> None:
    assert substitutions("L70TJJLVS", "L78TJJLVS") == {(2, "0")}
    # OCR confusions are not substitutions: O for 0, S for 5, I for 1
    assert substitutions("L7OTJJLVS", "L70TJJLVS") == set()
    assert substitutions("S5I2", "55I2") == set()
    # a dropped or an added character is OCR noise, and leaves the rest aligned
    assert substitutions("6616167", "S9616167") == {(1, "6")}
    assert substitutions("S96161677", "S9616167") == set()
    # a letter where the MRZ has a letter is not counted (only digits are)
    assert substitutions("XA1234", "XB1234") == set()


def test_two_agreeing_readings_confirm_and_one_contrary_reading_vetoes() -> None:
    mrz = "T7113388"
    assert _confirmed(["77111388", "T7111388", "T7111388"], mrz) == [(4, "1")]
    # only one reading shows the difference
    assert _confirmed(["T7111388", "T7113388", ""], mrz) == []
    # two show it, a third reads the MRZ's digit there: not confirmed
    assert _confirmed(["T7111388", "T7111388", "T7113388"], mrz) == []
    # two readings that differ in different places confirm nothing
    assert _confirmed(["T7111388", "T7113368", "T711338"], mrz) == []


def _check(image: np.ndarray, truth_mrz: list[str], polygon: object, **kw: object) -> object:
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 88])
    assert ok
    return check_document(
        buf.tobytes(), mrz=truth_mrz, mrz_polygon=polygon, reference_date=REF, **kw
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("manipulation", "index", "field"),
    [
        # the page read `L70TJLVS` at confidence 54, the field alone `L70TJJLVS` at 70
        ("viz_digits", 8, "document_number"),
        ("mrz_recomputed", 8, "document_number"),
        # `11 MAR 2005` under `Date of birth / Date de naissance`: tesseract's boxes
        # for 11 and 2005 stretched over the label
        ("viz_digits", 21, "birth_date"),
    ],
)
def test_formerly_missed_differences_are_found(manipulation: str, index: int, field: str) -> None:
    s = make_manipulated(KINDS[index % 5], manipulation, seed=2026, index=index)
    report = _check(s.image, s.truth.mrz, s.truth.regions.mrz)
    assert report.verdict is Verdict.SUSPICIOUS
    hit = next(f for f in report.findings if f.id == f"viz.{field}.mismatch")
    assert hit.severity is Severity.FAIL
    assert hit.evidence["mrz"] != hit.evidence["viz"]
    assert len(hit.evidence["readings"]) == 3
    assert hit.region is not None and s.changed is not None
    if manipulation == "mrz_recomputed":
        return  # the page changed in the MRZ; the region is the visual-zone field
    # the region is where the generator changed the page
    fx, fy, fw, fh = hit.region
    cx, cy = s.changed[0] + s.changed[2] / 2, s.changed[1] + s.changed[3] / 2
    assert fx - 8 <= cx <= fx + fw + 8 and fy - 8 <= cy <= fy + fh + 8


def _turn(points: list[list[float]], width: int, height: int, quarter: int) -> list[list[float]]:
    """Where points go when the image turns as ``np.rot90(image, quarter)``."""
    out = [list(p) for p in points]
    for _ in range(quarter):
        # a quarter turn counter-clockwise: (x, y) -> (y, width - 1 - x)
        out = [[y, width - 1 - x] for x, y in out]
        width, height = height, width
    return out


@pytest.mark.slow
@pytest.mark.parametrize("quarter", [1, 2])
def test_a_turned_page_is_read_upright(quarter: int) -> None:
    s = make_manipulated("td3_passport", "viz_digits", seed=2026, index=5)
    assert s.truth.regions.mrz is not None
    turned = np.ascontiguousarray(np.rot90(s.image, quarter))
    h, w = s.image.shape[:2]
    poly = _turn(s.truth.regions.mrz, w, h, quarter)
    report = _check(turned, s.truth.mrz, poly)
    compared = next(f for f in report.findings if f.id == "viz.compared")
    assert len(compared.evidence["matched"]) >= 4, compared.evidence
    assert report.verdict is Verdict.SUSPICIOUS
    hit = next(f for f in report.findings if f.id.startswith("viz.") and f.severity.value == "fail")
    # the region is given in the turned image's pixels, around the changed field
    assert hit.region is not None and s.changed is not None
    x, y, rw, rh = hit.region
    changed = _turn(
        [[s.changed[0] + s.changed[2] / 2, s.changed[1] + s.changed[3] / 2]], w, h, quarter
    )
    cx, cy = changed[0]
    assert x - 8 <= cx <= x + rw + 8 and y - 8 <= cy <= y + rh + 8


@pytest.mark.slow
def test_an_unconfirmable_difference_gives_insufficient_quality(tmp_path: Path) -> None:
    s = make_manipulated("td3_passport", "viz_digits", seed=2026, index=0)
    strict = tmp_path / "soft.yaml"
    # a page sharpness no capture reaches: the difference cannot be confirmed
    strict.write_text("checks:\n  viz: {min_confirm_sharpness: 50}\n", encoding="utf-8")
    report = _check(s.image, s.truth.mrz, s.truth.regions.mrz, profile=strict)
    assert report.verdict is Verdict.INSUFFICIENT_QUALITY
    unresolved = next(f for f in report.findings if f.id == "viz.unresolved")
    assert unresolved.severity is Severity.WARNING
    assert unresolved.evidence["threshold"] == 50
    assert not [f for f in report.findings if f.severity is Severity.FAIL]
    # the default profile confirms the same difference
    assert _check(s.image, s.truth.mrz, s.truth.regions.mrz).verdict is Verdict.SUSPICIOUS


def test_profiles_written_with_min_fail_confidence_still_load(tmp_path: Path) -> None:
    old = tmp_path / "old.yaml"
    old.write_text("checks:\n  viz: {min_fail_confidence: 70}\n", encoding="utf-8")
    prof = load_profile(old)
    assert prof.checks.viz.min_fail_confidence == 70
    assert prof.checks.viz.min_confirm_sharpness == load_profile().checks.viz.min_confirm_sharpness


def test_a_date_differs_by_what_is_read_not_by_a_dropped_day_digit() -> None:
    from misec_rules.authenticity._viz import _difference

    birth = date(1982, 8, 21)
    # `1 AUG 1977`: the day lost its first digit, the year differs
    assert _difference(1, 8, 1977, 4, birth) == (None, None, 1977)
    # `1 AUG 1982`: only a dropped digit, no difference
    assert _difference(1, 8, 1982, 4, birth) is None
    assert _difference(21, 8, 82, 2, birth) is None
    assert _difference(12, 8, 1982, 4, birth) == (12, None, None)
