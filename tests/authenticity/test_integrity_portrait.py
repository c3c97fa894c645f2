"""Pasted portrait: noise inside the portrait against the page around it, judged only
where the page carries capture noise (not micro-print, not a noise-free digital image)."""

from __future__ import annotations

from datetime import date
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from misec_rules.authenticity._context import CheckContext
from misec_rules.authenticity._integrity import portrait_seam
from misec_rules.authenticity._profile import load_profile
from misec_rules.mrz import parse_mrz
from misec_rules.samples.manipulations import make_manipulated

REF = date(2026, 11, 27)


def _seam(image: npt.NDArray[np.uint8], truth: Any) -> dict[str, Any] | None:
    ctx = CheckContext(
        image=image,
        profile=load_profile(None),
        reference_date=REF,
        mrz=parse_mrz(truth.mrz, reference_date=REF),
        polygon=truth.regions.mrz,
    )
    return portrait_seam(ctx)


def _jpeg(image: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 88])
    assert ok
    return np.asarray(cv2.imdecode(buf, cv2.IMREAD_COLOR), np.uint8)


@pytest.mark.slow
def test_pasted_portrait_is_judged_and_genuine_capture_is_not_flagged() -> None:
    swap = make_manipulated("td3_passport", "portrait_swap", seed=8, index=0)
    out = _seam(_jpeg(swap.image), swap.truth)
    assert out is not None and out["ratio"] is not None
    assert out["ratio"] > out["threshold"]
    genuine = make_manipulated("td3_passport", "none", seed=8, index=0)
    out = _seam(_jpeg(genuine.image), genuine.truth)
    assert out is not None and out["ratio"] is not None
    assert out["ratio"] < out["threshold"]


@pytest.mark.slow
def test_micro_printed_page_around_a_smooth_portrait_is_not_judged() -> None:
    s = make_manipulated("td3_passport", "none", seed=8, index=1)
    page = s.image.astype(np.float32)
    # fine line texture (period 3 px, 20 grey levels) everywhere but the portrait:
    # what micro-print and guilloche leave in the high-pass residual
    yy, xx = np.mgrid[0 : page.shape[0], 0 : page.shape[1]]
    texture = 20.0 * np.sin(2 * np.pi * (xx + 0.5 * yy) / 3.0)
    x, y, w, h = s.truth.regions.portrait or [0, 0, 0, 0]
    texture[y : y + h, x : x + w] = 0.0
    page = np.clip(page + texture[..., None], 0, 255).astype(np.uint8)
    out = _seam(_jpeg(page), s.truth)
    assert out is not None
    assert out["outside_noise"] > 2.0
    assert out["ratio"] is None and "printed texture" in out["not_judged"]


@pytest.mark.slow
def test_noise_free_digital_page_is_not_judged() -> None:
    from misec_rules.samples import render_document

    doc = render_document("td3_passport", rng=np.random.default_rng(4))
    page = doc.image.copy()
    x, y, w, h = doc.portrait
    rng = np.random.default_rng(5)
    noisy = page[y : y + h, x : x + w].astype(np.float32) + rng.normal(0, 4, (h, w, 3))
    page[y : y + h, x : x + w] = np.clip(noisy, 0, 255).astype(np.uint8)
    ctx = CheckContext(
        image=page,
        profile=load_profile(None),
        reference_date=REF,
        mrz=parse_mrz(doc.mrz, reference_date=REF),
        polygon=doc.mrz_polygon,
    )
    out = portrait_seam(ctx)
    assert out is not None
    assert out["outside_noise"] < 0.25
    assert out["ratio"] is None and "no capture noise" in out["not_judged"]
