"""Copy-move: a region equal, pixel for pixel, to another region of the same image.

Copies are found on generated pages (the labelled ``copy_move`` manipulation and
hand-made copies); repeated content that is not a copy (a tiled background, the
same pattern at several places, flat paper) is not reported.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from misec_rules.authenticity import Severity, check_document
from misec_rules.authenticity._context import CheckContext
from misec_rules.authenticity._integrity import copy_move
from misec_rules.authenticity._profile import load_profile
from misec_rules.samples.manipulations import make_manipulated

REF = date(2026, 11, 27)
Image = npt.NDArray[np.uint8]


def _jpeg(image: Image, quality: int) -> Image:
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return np.asarray(cv2.imdecode(buf, cv2.IMREAD_COLOR), np.uint8)


def _check(image: Image, polygon: Any = None) -> dict[str, Any]:
    ctx = CheckContext(image=image, profile=load_profile(None), reference_date=REF, polygon=polygon)
    return copy_move(ctx)


def _source_of(image: Image, box: list[int]) -> tuple[int, int]:
    """Where the pasted block ``box`` was copied from (its exact twin elsewhere)."""
    x, y, w, h = box
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)
    err = cv2.matchTemplate(gray, gray[y : y + h, x : x + w], cv2.TM_SQDIFF)
    err[max(0, y - h // 2) : y + h // 2 + 1, max(0, x - w // 2) : x + w // 2 + 1] = np.inf
    sy, sx = np.unravel_index(int(np.argmin(err)), err.shape)
    # the source: the one other place where the block's pixels are all equal
    sx, sy = int(sx), int(sy)
    assert np.array_equal(image[sy : sy + h, sx : sx + w], image[y : y + h, x : x + w])
    return sx, sy


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kind", "index"),
    [("td3_passport", 0), ("td1_id", 1), ("td2_id", 2), ("mrva_visa", 3), ("mrvb_visa", 4)],
)
def test_generated_copy_is_found_at_its_shift(kind: str, index: int) -> None:
    s = make_manipulated(kind, "copy_move", seed=404, index=index)
    assert s.changed is not None
    sx, sy = _source_of(s.image, s.changed)
    tx, ty = s.changed[:2]
    out = _check(_jpeg(s.image, 88), s.truth.regions.mrz)
    assert out["side_px"] > out["threshold_px"], out
    dx, dy = out["shift"]
    assert {(dx, dy), (-dx, -dy)} & {(tx - sx, ty - sy)}, (out["shift"], (tx - sx, ty - sy))
    # the reported pair of areas is the copied block and its source
    boxes = [out["source"], out["target"]]
    for px, py in ((sx, sy), (tx, ty)):
        cx, cy = px + s.changed[2] / 2, py + s.changed[3] / 2
        assert any(bx <= cx <= bx + bw and by <= cy <= by + bh for bx, by, bw, bh in boxes)
    assert out["differing_cells"] <= 0.25 * out["cells"]


@pytest.mark.slow
def test_copy_saved_again_at_lower_quality_is_found() -> None:
    s = make_manipulated("td3_passport", "copy_move", seed=404, index=5)
    out = _check(_jpeg(_jpeg(s.image, 88), 75), s.truth.regions.mrz)
    assert out["side_px"] > out["threshold_px"], out


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["td3_passport", "td1_id", "td2_id", "mrva_visa", "mrvb_visa"])
def test_genuine_capture_has_no_copy(kind: str) -> None:
    s = make_manipulated(kind, "none", seed=404, index=0)
    out = _check(_jpeg(s.image, 88), s.truth.regions.mrz)
    assert out["side_px"] <= out["threshold_px"], out
    assert out["region"] is None


def _tiled_page(rng: np.random.Generator) -> Image:
    """A digital page whose background is one tile repeated (pixel-identical repeats)."""
    tile = cv2.GaussianBlur(rng.integers(60, 250, (61, 97, 3)).astype(np.uint8), (0, 0), 1.2)
    page = np.tile(tile, (12, 10, 1))[:700, :960].copy()
    for i in range(6):  # text-like bars that differ between places
        y, x = 80 + 100 * i, int(rng.integers(40, 400))
        cv2.rectangle(page, (x, y), (x + int(rng.integers(100, 400)), y + 14), (20, 20, 20), -1)
    return page


def test_tiled_background_is_not_a_copy() -> None:
    page = _tiled_page(np.random.default_rng(1))
    out = _check(page)
    assert out["side_px"] <= out["threshold_px"], out
    # repeats were seen, and set aside as repeated print
    assert out["candidates"] >= 1
    assert out.get("repeated"), out


def test_flat_paper_without_noise_is_not_a_copy() -> None:
    page = np.full((700, 1000, 3), 228, np.uint8)
    cv2.putText(page, "SAME SAME SAME", (60, 200), cv2.FONT_HERSHEY_SIMPLEX, 2.0, (0, 0, 0), 4)
    out = _check(page)
    assert out["side_px"] <= out["threshold_px"], out


def test_small_image_is_not_measured() -> None:
    out = _check(np.full((120, 400, 3), 200, np.uint8))
    assert "not_measured" in out and out["side_px"] == 0.0


def test_copy_smaller_than_the_threshold_is_not_reported() -> None:
    rng = np.random.default_rng(3)
    page = np.clip(rng.normal(200, 3, (800, 1100, 3)), 0, 255).astype(np.uint8)
    blob = rng.integers(0, 255, (40, 40, 3)).astype(np.uint8)
    page[100:140, 100:140] = blob
    page[500:540, 700:740] = blob  # 40 px: under 8 % of 800 px
    out = _check(_jpeg(page, 90))
    assert out["side_px"] <= out["threshold_px"], out
    big = np.clip(rng.normal(200, 3, (800, 1100, 3)), 0, 255).astype(np.uint8)
    patch = cv2.GaussianBlur(rng.integers(0, 255, (140, 140, 3)).astype(np.uint8), (0, 0), 1.0)
    big[100:240, 100:240] = patch
    big[450:590, 650:790] = big[100:240, 100:240]
    out = _check(_jpeg(big, 90))
    assert out["side_px"] > out["threshold_px"], out
    assert out["shift"] in ([550, 350], [-550, -350])


@pytest.mark.slow
def test_block_copied_inside_the_page_is_reported_by_check_document(tmp_path: Any) -> None:
    s = make_manipulated("td2_id", "none", seed=5, index=0)
    page = s.image.copy()
    viz = s.truth.regions.viz or {}
    sx, sy = viz["surname"][0] - 10, viz["surname"][1] - 10
    page[sy + 330 : sy + 530, sx + 420 : sx + 620] = page[sy : sy + 200, sx : sx + 200]
    ok, buf = cv2.imencode(".jpg", page, [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    profile = tmp_path / "pixels.yaml"
    profile.write_text(
        "schema_version: 1\nname: pixels\nversion: '1'\nchecks:\n  viz: {enabled: false}\n",
        encoding="utf-8",
    )
    kw: dict[str, Any] = {
        "mrz": s.truth.mrz,
        "mrz_polygon": s.truth.regions.mrz,
        "reference_date": REF,
        "profile": profile,
    }
    report = check_document(buf.tobytes(), **kw)
    f = next(f for f in report.findings if f.id == "integrity.copy_move")
    assert f.severity is Severity.FAIL
    assert f.evidence["shift"] == [420, 330]
    tx, ty, tw, th = f.evidence["target"]
    assert sx + 410 <= tx and tx + tw <= sx + 630
    assert sy + 320 <= ty and ty + th <= sy + 540
    assert f.region is not None
    assert "pixel for pixel" in f.message and "\n" not in f.message
    ok, clean = cv2.imencode(".jpg", s.image, [cv2.IMWRITE_JPEG_QUALITY, 90])
    report = check_document(clean.tobytes(), **kw)
    assert not any(f.id == "integrity.copy_move" for f in report.findings)


def test_copy_move_settings_are_validated(tmp_path: Any) -> None:
    from misec_rules.errors import ProfileError

    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "schema_version: 1\nname: bad\nversion: '1'\nchecks:\n"
        "  integrity: {copy_move_min_side: 0}\n",
        encoding="utf-8",
    )
    with pytest.raises(ProfileError, match="copy_move_min_side"):
        load_profile(bad)


def test_shapes_of_equal_grey_but_other_colours_are_not_a_copy() -> None:
    page = np.full((700, 1000, 3), 235, np.uint8)
    rng = np.random.default_rng(5)
    page = np.clip(page + rng.normal(0, 2.5, page.shape), 0, 255).astype(np.uint8)
    blue, red = (200, 90, 60), (60, 90, 200)  # BGR; grey levels 0.11/0.59/0.30 weights differ
    grey = cv2.cvtColor(np.array([[blue, red]], np.uint8), cv2.COLOR_BGR2GRAY)[0]
    assert abs(int(grey[0]) - int(grey[1])) > 3  # shift the red's brightness onto the blue's
    red = tuple(int(v) for v in np.clip(np.array(red) + (int(grey[0]) - int(grey[1])), 0, 255))
    texture = rng.integers(0, 60, (120, 120, 1)).astype(np.int16)
    for (x, y), colour in (((100, 100), blue), ((600, 400), red)):
        block = np.clip(np.array(colour, np.int16) + texture, 0, 255).astype(np.uint8)
        page[y : y + 120, x : x + 120] = block
    out = _check(page)
    assert out["side_px"] <= out["threshold_px"], out
    assert any("colours differ" in r["because"] for r in out.get("repeated", [])), out
