"""Motion blur: estimating the smear, undoing it, and reading through it; perspective cells."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from misec_rules.vision import read_mrz
from misec_rules.vision._deblur import MotionBlur, deblur, estimate_motion

from .conftest import TD3_SPEC, render_mrz_page

TD1 = [
    "I<UTOD231458907<<<<<<<<<<<<<<<",
    "7408122F1204159UTO<<<<<<<<<<<6",
    "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
]


def smear(image: np.ndarray, length: int, angle: float) -> np.ndarray:
    """Blur ``image`` along a straight segment (``angle`` degrees, x right, y up)."""
    size = length + 4
    k = np.zeros((size, size), np.float32)
    c = size / 2 - 0.5
    dx = (length - 1) / 2 * np.cos(np.deg2rad(angle))
    dy = -(length - 1) / 2 * np.sin(np.deg2rad(angle))
    p0 = (round((c - dx) * 16), round((c - dy) * 16))
    p1 = (round((c + dx) * 16), round((c + dy) * 16))
    cv2.line(k, p0, p1, 1.0, 1, cv2.LINE_AA, shift=4)
    k /= k.sum()
    return np.asarray(cv2.filter2D(image, -1, k, borderType=cv2.BORDER_REFLECT), np.uint8)


def mrz_patch(image: np.ndarray) -> np.ndarray:
    """The gray lower part of a rendered page: the MRZ with some margin."""
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    return np.ascontiguousarray(gray[int(gray.shape[0] * 0.7) :, :])


def angle_diff(a: float, b: float) -> float:
    """Difference of two undirected angles in degrees (0..90)."""
    d = abs(a - b) % 180
    return min(d, 180 - d)


@pytest.fixture(scope="module")
def page() -> np.ndarray:
    return render_mrz_page(TD3_SPEC)


@pytest.mark.parametrize(("length", "angle"), [(9, 0.0), (15, 45.0), (13, 90.0), (17, 150.0)])
def test_estimate_finds_length_and_direction(page: np.ndarray, length: int, angle: float) -> None:
    blur = estimate_motion(mrz_patch(smear(page, length, angle)), max_length=40)
    assert blur is not None
    assert abs(blur.length - length) <= 2
    assert angle_diff(blur.angle, angle) <= 8


def test_no_motion_blur_is_found_where_there_is_none(page: np.ndarray) -> None:
    rng = np.random.default_rng(3)
    sharp = mrz_patch(page)
    defocus = np.asarray(cv2.GaussianBlur(sharp, (0, 0), 2.0), np.uint8)
    noisy = np.clip(sharp + rng.normal(0, 14, sharp.shape), 0, 255).astype(np.uint8)
    _, jpg = cv2.imencode(".jpg", sharp, [cv2.IMWRITE_JPEG_QUALITY, 15])
    compressed = cv2.imdecode(jpg, cv2.IMREAD_GRAYSCALE)
    for patch in (sharp, defocus, noisy, compressed):
        assert estimate_motion(patch, max_length=40) is None
    assert estimate_motion(sharp[:20, :20]) is None  # too small to tell


def test_deblur_brings_the_patch_back_towards_the_sharp_one(page: np.ndarray) -> None:
    sharp = mrz_patch(page).astype(np.float32)
    blurred = mrz_patch(smear(page, 15, 30.0))
    restored = deblur(blurred, MotionBlur(length=15, angle=30.0, depth=2.0))
    assert restored.shape == blurred.shape and restored.dtype == np.uint8
    before = float(np.mean((blurred.astype(np.float32) - sharp) ** 2))
    after = float(np.mean((restored.astype(np.float32) - sharp) ** 2))
    assert after < 0.6 * before


@pytest.mark.slow
@pytest.mark.parametrize(
    ("lines", "length", "angle"), [(TD3_SPEC, 13, 120.0), (TD1, 17, 80.0), (TD3_SPEC, 11, 10.0)]
)
def test_motion_blurred_documents_are_read_exactly(
    lines: list[str], length: int, angle: float
) -> None:
    img = smear(render_mrz_page(lines), length, angle)
    r = read_mrz(img, engine="ocrb")
    assert r.mrz is not None
    assert r.mrz.lines == lines
    assert r.mrz.valid


@pytest.mark.slow
def test_a_blurred_look_alike_in_the_document_number_is_flagged() -> None:
    # under this smear the `C` of `L898902C3` may read as `2`, which has the same
    # check-digit value: the reading is then valid but must say where it may be wrong
    r = read_mrz(smear(render_mrz_page(TD3_SPEC), 15, 120.0), engine="auto")
    assert r.mrz is not None and r.mrz.valid
    flagged = [
        w.message
        for w in r.mrz.warnings
        if w.code == "repair_unconfirmed" and "document number at line 2 column 8" in w.message
    ]
    assert r.mrz.lines == TD3_SPEC or flagged


def keystone(image: np.ndarray, shrink: float) -> np.ndarray:
    """Photograph ``image`` at an angle: its left edge ``shrink`` times as tall as the right."""
    h, w = image.shape[:2]
    d = h * (1 - shrink) / 2
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = np.float32([[40, 40 + d], [w + 40, 40], [w + 40, h + 40], [40, h + 40 - d]])
    m = cv2.getPerspectiveTransform(src, dst)
    out = cv2.warpPerspective(image, m, (w + 80, h + 80), borderValue=(90, 80, 70))
    return np.asarray(out, np.uint8)


@pytest.mark.slow
@pytest.mark.parametrize("shrink", [0.85, 0.8])
def test_cells_follow_the_pitch_of_a_line_seen_at_an_angle(shrink: float) -> None:
    # the characters at the far end are 15-20% smaller than at the near end: with
    # a pitch fixed along the line the cells drifted by one
    r = read_mrz(keystone(render_mrz_page(TD3_SPEC), shrink), engine="ocrb")
    assert r.mrz is not None
    assert r.mrz.lines == TD3_SPEC
