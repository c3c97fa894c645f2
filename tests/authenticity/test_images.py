"""Checks over pixels, on genuine and manipulated generated documents.

The MRZ and its polygon are taken from the generator's truth so that these tests
measure the authenticity checks alone, whatever the MRZ reader does.
"""

from __future__ import annotations

import io
from datetime import date
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from misec_rules.authenticity import (
    AuthenticityReport,
    Severity,
    Verdict,
    check_document,
    render_html,
)
from misec_rules.errors import ImageError
from misec_rules.samples.manipulations import MANIPULATIONS, make_manipulated

REF = date(2026, 11, 27)


def _jpeg(image: np.ndarray, quality: int) -> bytes:
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return buf.tobytes()


@lru_cache(maxsize=32)
def run(kind: str, manipulation: str, index: int = 0) -> AuthenticityReport:
    s = make_manipulated(kind, manipulation, seed=11, index=index)
    data = _jpeg(s.image, 85 if manipulation == "jpeg_edit" else 88)
    return check_document(
        data, mrz=s.truth.mrz, mrz_polygon=s.truth.regions.mrz, reference_date=REF
    )


def fails(report: AuthenticityReport) -> set[str]:
    return {f.id for f in report.findings if f.severity is Severity.FAIL}


def test_manipulations_are_labelled_and_change_the_page() -> None:
    genuine = make_manipulated("td1_id", "none", seed=3, index=0)
    assert genuine.truth.manipulation is None
    for name in ("viz_digits", "mrz_recomputed", "copy_move"):
        m = make_manipulated("td1_id", name, seed=3, index=0)
        assert m.truth.manipulation == name
        assert m.changed is not None
        x, y, w, h = m.changed
        a = genuine.image[y : y + h, x : x + w].astype(int)
        b = m.image[y : y + h, x : x + w].astype(int)
        assert np.abs(a - b).mean() > 1.0
    recomputed = make_manipulated("td1_id", "mrz_recomputed", seed=3, index=0)
    assert recomputed.truth.mrz != genuine.truth.mrz
    with pytest.raises(ValueError, match="unknown manipulation"):
        make_manipulated("td1_id", "erase", seed=0)
    assert set(MANIPULATIONS) == {
        "viz_digits",
        "mrz_recomputed",
        "portrait_swap",
        "copy_move",
        "screen_recapture",
        "grey_copy",
        "jpeg_edit",
    }


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["td3_passport", "td1_id", "mrvb_visa"])
def test_genuine_capture_is_consistent(kind: str) -> None:
    report = run(kind, "none")
    assert report.verdict is not Verdict.SUSPICIOUS, fails(report)
    compared = next(f for f in report.findings if f.id == "viz.compared")
    assert "document_number" in compared.evidence["matched"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("manipulation", "kind", "expected"),
    [
        ("viz_digits", "td3_passport", "viz."),
        ("viz_digits", "td2_id", "viz."),
        ("mrz_recomputed", "td1_id", "viz."),
        ("mrz_recomputed", "mrva_visa", "viz."),
        ("grey_copy", "td3_passport", "integrity.grey_copy"),
        ("screen_recapture", "td2_id", "integrity.screen_recapture"),
        ("jpeg_edit", "td3_passport", "integrity.jpeg_error_level"),
        ("copy_move", "td1_id", "integrity.copy_move"),
        ("portrait_swap", "td2_id", "integrity.portrait_seam"),
    ],
)
def test_manipulation_is_found_by_its_check(manipulation: str, kind: str, expected: str) -> None:
    report = run(kind, manipulation)
    assert report.verdict is Verdict.SUSPICIOUS
    hits = [f for f in report.findings if f.severity is Severity.FAIL and f.id.startswith(expected)]
    assert hits, fails(report)
    assert hits[0].evidence, "a finding carries its evidence"
    if expected.startswith("viz."):
        assert hits[0].region is not None
        assert hits[0].evidence["mrz"] != hits[0].evidence["viz"]


@pytest.mark.slow
def test_jpeg_edit_region_covers_the_edit() -> None:
    s = make_manipulated("td1_id", "jpeg_edit", seed=11, index=0)
    report = run("td1_id", "jpeg_edit")
    f = next(f for f in report.findings if f.id == "integrity.jpeg_error_level")
    assert f.region is not None and s.changed is not None
    fx, fy, fw, fh = f.region
    cx, cy = s.changed[0] + s.changed[2] / 2, s.changed[1] + s.changed[3] / 2
    assert fx - 16 <= cx <= fx + fw + 16 and fy - 16 <= cy <= fy + fh + 16


@pytest.mark.slow
def test_findings_never_accuse() -> None:
    words = ("forged", "fake", "fraud", "counterfeit", "falsified")
    for name in ("viz_digits", "grey_copy", "screen_recapture"):
        for f in run("td3_passport", name).findings:
            assert not any(w in f.message.lower() for w in words), f.message
            assert "\n" not in f.message


def test_editing_software_in_metadata_is_reported() -> None:
    img = np.zeros((300, 400, 3), np.uint8)
    img[:] = (30, 120, 200)
    pil = Image.fromarray(img)
    exif = pil.getexif()
    exif[305] = "Adobe Photoshop 25.0"
    buf = io.BytesIO()
    pil.save(buf, format="JPEG", exif=exif)
    report = check_document(buf.getvalue(), reference_date=REF)
    f = next(f for f in report.findings if f.id == "integrity.editing_software")
    assert f.severity is Severity.WARNING
    assert "photoshop" in f.evidence["editors"][0]["editor"]


def test_no_mrz_gives_unreadable_or_quality(blank_image: np.ndarray) -> None:
    report = check_document(blank_image, reference_date=REF)
    assert report.verdict in (Verdict.UNREADABLE, Verdict.INSUFFICIENT_QUALITY)
    assert report.mrz is None
    assert any(f.id == "mrz.unreadable" for f in report.findings)


def test_tiny_image_is_insufficient_quality() -> None:
    s = make_manipulated("td3_passport", "none", seed=1, index=0)
    small = cv2.resize(s.image, (0, 0), fx=0.2, fy=0.2, interpolation=cv2.INTER_AREA)
    poly = [[x * 0.2, y * 0.2] for x, y in s.truth.regions.mrz]  # type: ignore[union-attr]
    report = check_document(small, mrz=s.truth.mrz, mrz_polygon=poly, reference_date=REF)
    assert report.verdict is Verdict.INSUFFICIENT_QUALITY
    assert "quality.resolution" in fails(report)


def test_heavy_blur_is_insufficient_quality() -> None:
    s = make_manipulated("td1_id", "none", seed=1, index=0)
    blurred = cv2.GaussianBlur(s.image, (0, 0), 9.0)
    report = check_document(
        blurred, mrz=s.truth.mrz, mrz_polygon=s.truth.regions.mrz, reference_date=REF
    )
    assert report.verdict is Verdict.INSUFFICIENT_QUALITY
    assert "quality.blur" in fails(report)


def test_undecodable_bytes_raise_image_error() -> None:
    with pytest.raises(ImageError):
        check_document(b"not an image at all", reference_date=REF)


@pytest.mark.slow
def test_html_report_embeds_image_mrz_and_findings(tmp_path: Path) -> None:
    s = make_manipulated("td3_passport", "viz_digits", seed=11, index=0)
    report = run("td3_passport", "viz_digits")
    out = tmp_path / "r.html"
    html = render_html([("doc.jpg", report, s.image)], out)
    assert out.read_text(encoding="utf-8") == html
    assert "data:image/jpeg;base64," in html
    assert s.truth.mrz[0].replace("<", "&lt;") in html
    for f in report.findings:
        assert f.id in html


@pytest.mark.slow
def test_pasted_portrait_is_found_where_the_mrz_places_it() -> None:
    report = run("td3_passport", "portrait_swap")
    f = next(f for f in report.findings if f.id == "integrity.portrait_seam")
    assert f.severity is Severity.FAIL
    assert f.evidence["ratio"] > f.evidence["threshold"]
    genuine = run("td3_passport", "none")
    assert "integrity.portrait_seam" not in fails(genuine)
