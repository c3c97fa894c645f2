"""The renderer: true sizes, MRZ pitch, regions inside the page, distinct portraits."""

from __future__ import annotations

import numpy as np
import pytest

from misec_rules.mrz import parse_mrz
from misec_rules.samples import DOCUMENT_SIZES_MM, KINDS, TRUTH_FIELDS, render_document


def _ahash(img: np.ndarray) -> np.ndarray:
    import cv2

    small = cv2.resize(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), (8, 8), interpolation=cv2.INTER_AREA)
    return np.asarray(small > small.mean())


def _inside(box: tuple[int, int, int, int], shape: tuple[int, ...]) -> bool:
    x, y, w, h = box
    return x >= 0 and y >= 0 and w > 0 and h > 0 and x + w <= shape[1] and y + h <= shape[0]


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
def test_render_geometry(kind: str) -> None:
    doc = render_document(kind, seed=11)
    w_mm, h_mm = DOCUMENT_SIZES_MM[kind]
    rows, cols = doc.image.shape[:2]
    assert abs(cols - w_mm * 300 / 25.4) <= 1 and abs(rows - h_mm * 300 / 25.4) <= 1
    assert doc.image.dtype == np.uint8 and doc.image.shape[2] == 3
    assert parse_mrz(doc.mrz).valid
    # ICAO pitch: 2.54 mm per character, i.e. 30 px at 300 dpi; cap height 2.3-2.5 mm
    assert doc.mrz_layout.pitch == pytest.approx(30.0, abs=0.01)
    assert 2.3 <= doc.mrz_layout.cap_height * 25.4 / 300 <= 2.5
    assert doc.mrz_layout.chars == len(doc.mrz[0])
    (x0, y0), _, (x1, y1), _ = doc.mrz_polygon
    assert 0 <= x0 < x1 <= cols and 0 <= y0 < y1 <= rows
    assert _inside(doc.portrait, doc.image.shape)
    boxes = doc.viz_boxes()
    assert set(boxes) == set(TRUTH_FIELDS)
    for name, box in boxes.items():
        assert _inside(box, doc.image.shape), name
        assert box[1] + box[3] <= y0, f"{name} overlaps the MRZ"
    # the MRZ zone holds dark ink, the area under the last line is lighter
    grey = doc.image.mean(axis=2)
    assert grey[int(y0) : int(y1), int(x0) : int(x1)].min() < 80
    assert doc.fields["surname"].text == doc.viz["surname"]


@pytest.mark.slow
def test_portraits_differ_between_identities() -> None:
    hashes = []
    for seed in range(10):
        doc = render_document("td3_passport", seed=seed)
        x, y, w, h = doc.portrait
        hashes.append(_ahash(doc.image[y : y + h, x : x + w]))
    for i in range(len(hashes)):
        for j in range(i + 1, len(hashes)):
            assert int((hashes[i] != hashes[j]).sum()) >= 4, (i, j)


def test_render_is_deterministic_and_rejects_unknown_kind() -> None:
    a = render_document("td1_id", seed=5, dpi=100)
    b = render_document("td1_id", seed=5, dpi=100)
    assert np.array_equal(a.image, b.image) and a.mrz == b.mrz
    with pytest.raises(ValueError, match="unknown document kind"):
        render_document("td9_scroll")


def test_background_is_the_page_without_print() -> None:
    doc = render_document("td2_id", seed=8, dpi=150)
    assert doc.background is not None and doc.background.shape == doc.image.shape
    x, y, w, h = doc.fields["surname"].box
    printed = doc.image[y : y + h, x : x + w].min()
    blank = doc.background[y : y + h, x : x + w].min()
    assert blank > printed + 60


def test_public_names_are_pinned() -> None:
    import misec_rules.samples as samples

    assert set(samples.__all__) == {
        "DEFAULT_DEGRADATIONS", "DEGRADATIONS", "DOCUMENT_SIZES_MM", "KINDS", "TRUTH_FIELDS",
        "Degraded", "FieldLayout", "FontNotFound", "Identity", "MRZLayout", "Regions",
        "RenderedDocument", "Sample", "TruthRecord", "blur", "cluttered_background", "flatbed_scan", "generate",
        "glare", "iter_samples", "jpeg", "load_truth", "low_resolution", "make_sample",
        "mrz_lines", "noise", "ocrb_font_path", "perspective", "random_identity",
        "render_document", "rotate_180", "rotate_270", "rotate_90", "rotate_small",
        "transform_box", "transform_points", "transliterate", "uneven_light", "viz_date",
        "viz_font_path",
    }  # fmt: skip
    for name in samples.__all__:
        assert hasattr(samples, name), name
