"""The quality gate: resolution, blur and glare.

When the gate fails, the image is too poor to judge and the verdict is
``insufficient_quality`` whatever the other checks found: a blurred or washed-out
picture makes pixel statistics and OCR unreliable, so their findings are not
evidence.

References
----------
ICAO Doc 9303 Part 3 §4.2 (OCR-B character size in the MRZ).
"""

from __future__ import annotations

import cv2
import numpy as np

from misec_rules.authenticity._context import CheckContext, finding, mrz_value
from misec_rules.authenticity._model import Finding, Severity

__all__ = ["measure", "run"]


def _mrz_char_height(ctx: CheckContext) -> float | None:
    box = ctx.mrz_box()
    if box is None:
        return None
    lines = mrz_value(ctx.mrz, "lines") or []
    n = len(lines) or 2
    # the MRZ box holds n lines of characters with about 0.5-0.7 of a character's
    # height between them and around them
    poly = np.asarray(ctx.polygon, dtype=float)
    side = (np.linalg.norm(poly[3] - poly[0]) + np.linalg.norm(poly[2] - poly[1])) / 2
    return float(side) / (n * 1.6)


def measure(ctx: CheckContext) -> dict[str, float]:
    """The statistics the gate looks at (also used by the benchmark).

    ``sharpness`` is the character height divided by the width of its edges
    (contrast over the steepest gradient): about 6-12 for a sharp print, below 1.5
    when the edges spread over most of a character.
    """
    if "quality" in ctx.cache:
        return dict(ctx.cache["quality"])
    gray = ctx.gray
    box = ctx.mrz_box()
    char_h = _mrz_char_height(ctx)
    if box is not None:
        x, y, w, h = box
        roi = gray[y : y + h, x : x + w]
    else:
        roi = gray
    roi_f = roi.astype(np.float32)
    gx = np.asarray(cv2.Sobel(roi_f, cv2.CV_32F, 1, 0, ksize=3), np.float32) / np.float32(8.0)
    gy = np.asarray(cv2.Sobel(roi_f, cv2.CV_32F, 0, 1, ksize=3), np.float32) / np.float32(8.0)
    mag = cv2.magnitude(gx, gy)
    contrast = float(np.percentile(roi_f, 95) - np.percentile(roi_f, 5))
    steep = float(np.percentile(mag, 99.5))
    edge_width = contrast / steep if steep > 1e-3 else float("inf")
    ref_h = char_h if char_h else max(8.0, min(gray.shape) / 40.0)
    sharpness = ref_h / edge_width if np.isfinite(edge_width) and edge_width > 0 else 0.0
    # glare: clipped highlights on a page whose paper is not itself white
    page = cv2.resize(gray, (0, 0), fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    paper = float(np.percentile(page, 60))
    glare = float(np.mean(page >= max(240.0, paper + 12.0)))
    out = {
        "width": float(ctx.width),
        "height": float(ctx.height),
        "mrz_char_height": float(char_h) if char_h else 0.0,
        "contrast": contrast,
        "edge_width": float(edge_width) if np.isfinite(edge_width) else 999.0,
        "sharpness": float(sharpness) / 10.0,
        "glare_fraction": glare,
        "paper_level": paper,
    }
    ctx.cache["quality"] = out
    return dict(out)


def run(ctx: CheckContext) -> list[Finding]:
    """Report an image too small, too blurred or too washed out to judge."""
    cfg = ctx.profile.checks.quality
    m = measure(ctx)
    out: list[Finding] = []
    if m["width"] < cfg.min_width_px:
        out.append(
            finding(
                "quality.resolution",
                Severity.FAIL,
                f"image is {m['width']:.0f} px wide, below {cfg.min_width_px} px",
                {"width": m["width"], "threshold": cfg.min_width_px},
            )
        )
    elif m["mrz_char_height"] and m["mrz_char_height"] < cfg.min_mrz_char_height_px:
        out.append(
            finding(
                "quality.resolution",
                Severity.FAIL,
                f"MRZ characters are about {m['mrz_char_height']:.1f} px high, below "
                f"{cfg.min_mrz_char_height_px:g} px",
                {"mrz_char_height": m["mrz_char_height"], "threshold": cfg.min_mrz_char_height_px},
                ctx.mrz_box(),
            )
        )
    if m["contrast"] < 25 or m["sharpness"] < cfg.min_sharpness:
        out.append(
            finding(
                "quality.blur",
                Severity.FAIL,
                f"text edges are {m['edge_width']:.1f} px wide (sharpness {m['sharpness']:.2f}, "
                f"minimum {cfg.min_sharpness:g})",
                {
                    "sharpness": m["sharpness"],
                    "edge_width_px": m["edge_width"],
                    "contrast": m["contrast"],
                    "threshold": cfg.min_sharpness,
                },
                ctx.mrz_box(),
            )
        )
    if m["glare_fraction"] > cfg.max_glare_fraction:
        out.append(
            finding(
                "quality.glare",
                Severity.FAIL,
                f"{m['glare_fraction']:.0%} of the image is brighter than its paper, above "
                f"{cfg.max_glare_fraction:.0%}",
                {"glare_fraction": m["glare_fraction"], "threshold": cfg.max_glare_fraction},
            )
        )
    return out
