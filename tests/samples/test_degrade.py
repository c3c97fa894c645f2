"""Degradations: each runs, is pure, and reports the geometry it applied."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from misec_rules.samples import DEGRADATIONS, render_document, transform_box, transform_points

GEOMETRIC = (
    "rotate_small",
    "rotate_90",
    "rotate_180",
    "rotate_270",
    "perspective",
    "low_resolution",
    "cluttered_background",
    "flatbed_scan",
)


@pytest.fixture(scope="module")
def doc():  # type: ignore[no-untyped-def]
    return render_document("td3_passport", seed=3, dpi=150)


@pytest.mark.parametrize("name", sorted(DEGRADATIONS))
def test_degradation_runs_and_is_pure(doc, name: str) -> None:  # type: ignore[no-untyped-def]
    before = doc.image.copy()
    out1 = DEGRADATIONS[name](doc.image, rng=np.random.default_rng(1))
    out2 = DEGRADATIONS[name](doc.image, rng=np.random.default_rng(1))
    assert np.array_equal(doc.image, before), "input modified in place"
    assert out1.image.dtype == np.uint8 and out1.image.ndim == 3 and out1.image.shape[2] == 3
    assert np.array_equal(out1.image, out2.image), "not deterministic for one rng state"
    assert out1.transform is not None and out1.transform.shape == (3, 3)
    if name not in ("rotate_90", "rotate_180", "rotate_270"):
        assert not np.array_equal(out1.image, doc.image) or out1.image.shape != doc.image.shape
    corners = transform_points(doc.document_polygon, out1.transform)
    rows, cols = out1.image.shape[:2]
    for x, y in corners:
        assert -1 <= x <= cols + 1 and -1 <= y <= rows + 1


@pytest.mark.parametrize("name", GEOMETRIC)
def test_transform_maps_the_mrz_onto_the_same_ink(doc, name: str) -> None:  # type: ignore[no-untyped-def]
    """Warping the degraded image back with the reported transform gives the clean MRZ."""
    options = {"facing_page": True} if name == "flatbed_scan" else {}
    out = DEGRADATIONS[name](doc.image, rng=np.random.default_rng(2), **options)
    assert out.transform is not None
    rows, cols = doc.image.shape[:2]
    # the transform uses pixel edges (pixel i spans [i, i + 1)); OpenCV warps use centres
    to_centres = np.array([[1, 0, -0.5], [0, 1, -0.5], [0, 0, 1]]) @ out.transform
    to_centres = to_centres @ np.array([[1, 0, 0.5], [0, 1, 0.5], [0, 0, 1]])
    back = cv2.warpPerspective(out.image, np.linalg.inv(to_centres), (cols, rows))
    (x0, y0), _, (x1, y1), _ = doc.mrz_polygon
    a = cv2.cvtColor(doc.image, cv2.COLOR_BGR2GRAY)[int(y0) : int(y1), int(x0) : int(x1)]
    b = cv2.cvtColor(back, cv2.COLOR_BGR2GRAY)[int(y0) : int(y1), int(x0) : int(x1)]
    corr = np.corrcoef(a.ravel().astype(float), b.ravel().astype(float))[0, 1]
    assert corr > 0.6, corr
    # a shift of half a character cell would break the match
    shift = int((x1 - x0) / 44 / 2)
    b2 = cv2.cvtColor(back, cv2.COLOR_BGR2GRAY)[
        int(y0) : int(y1), int(x0) + shift : int(x1) + shift
    ]
    corr2 = np.corrcoef(a.ravel().astype(float), b2.ravel().astype(float))[0, 1]
    assert corr > corr2


def test_transform_box_clips_and_drops() -> None:
    m = np.eye(3)
    assert transform_box((10, 10, 20, 20), m, (100, 100, 3)) == [10, 10, 20, 20]
    assert transform_box((90, 90, 20, 20), m, (100, 100, 3)) == [90, 90, 10, 10]
    assert transform_box((200, 200, 20, 20), m, (100, 100, 3)) is None


def test_bad_image_is_rejected() -> None:
    with pytest.raises(ValueError, match="image"):
        DEGRADATIONS["blur"](np.zeros((10, 10), np.uint8), rng=np.random.default_rng(0))
