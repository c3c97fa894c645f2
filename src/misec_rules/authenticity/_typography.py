"""MRZ typography: OCR-B conformity of the printed MRZ.

The MRZ is printed in OCR-B size 1 at a fixed pitch (2.54 mm, 10 characters per
inch), every character on one baseline per line, lines a fixed distance apart.
This check rectifies the MRZ band from the reader's polygon, segments its
characters, and measures: the spread of character positions around a fixed
pitch, the spread of character bottoms around each line's baseline, the line
spacing in character heights, and the similarity of each glyph with the same
character rendered in the reference OCR-B font.

It runs only when the segmentation finds exactly one blob per character
(fillers included) on a line; otherwise the line is not measured (a degraded image says
nothing about the print).

References
----------
ICAO Doc 9303 Part 3 §4.2 (OCR-B size 1, 2.54 mm pitch), Part 4-7 §4.2 (MRZ
position and line spacing); ISO 1073-2 (OCR-B shapes).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

from misec_rules.authenticity._context import CheckContext, finding, mrz_value
from misec_rules.authenticity._model import Finding, Severity

__all__ = ["measure", "run"]

_GLYPH = 24
_FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/ocr-b/OCRB.otf",
    "/usr/share/fonts/truetype/ocr-b/OCRB.ttf",
    "/usr/share/fonts/truetype/ocr-b/ocrb.ttf",
)


@lru_cache(maxsize=1)
def _font_path() -> str | None:
    env = os.environ.get("MISEC_OCRB_FONT")
    for cand in (env, *_FONT_CANDIDATES):
        if cand and Path(cand).is_file():
            return cand
    return None


def _norm_glyph(mask: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32] | None:
    ys, xs = np.nonzero(mask)
    if len(xs) < 4:
        return None
    crop = mask[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].astype(np.float32)
    h, w = crop.shape
    side = max(h, w)
    pad = np.zeros((side, side), np.float32)
    pad[(side - h) // 2 : (side - h) // 2 + h, (side - w) // 2 : (side - w) // 2 + w] = crop
    g = cv2.resize(pad, (_GLYPH, _GLYPH), interpolation=cv2.INTER_AREA)
    g = cv2.GaussianBlur(g, (3, 3), 0.8)
    g = np.asarray(g, np.float32) - np.float32(np.mean(g))
    n = float(np.linalg.norm(g))
    return np.asarray(g / np.float32(n), np.float32) if n > 1e-6 else None


@lru_cache(maxsize=64)
def _template(ch: str) -> npt.NDArray[np.float32] | None:
    path = _font_path()
    if path is None:
        return None
    font = ImageFont.truetype(path, 64)
    im = Image.new("L", (96, 96), 0)
    ImageDraw.Draw(im).text((16, 8), ch, font=font, fill=255)
    arr = (np.asarray(im) > 127).astype(np.uint8)
    return _norm_glyph(arr)


def _rectify(ctx: CheckContext) -> npt.NDArray[np.uint8] | None:
    if not ctx.polygon or len(ctx.polygon) != 4:
        return None
    src = np.asarray(ctx.polygon, dtype=np.float32)
    w = float((np.linalg.norm(src[1] - src[0]) + np.linalg.norm(src[2] - src[3])) / 2)
    h = float((np.linalg.norm(src[3] - src[0]) + np.linalg.norm(src[2] - src[1])) / 2)
    if w < 40 or h < 10:
        return None
    # a margin around the polygon so that no character is cut
    mx, my = 0.01 * w, 0.12 * h
    out_w, out_h = int(w + 2 * mx), int(h + 2 * my)
    dst = np.asarray([[mx, my], [mx + w, my], [mx + w, my + h], [mx, my + h]], np.float32)
    m = cv2.getPerspectiveTransform(src, dst)
    band = cv2.warpPerspective(
        ctx.gray, m, (out_w, out_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return np.asarray(band, dtype=np.uint8)


def measure(ctx: CheckContext) -> dict[str, Any] | None:
    """Pitch, baseline, line-spacing and glyph statistics of the MRZ print.

    Returns None when the MRZ band cannot be segmented into its characters.
    """
    lines = [str(s) for s in (mrz_value(ctx.mrz, "lines") or [])]
    band = _rectify(ctx)
    if band is None or not lines:
        return None
    _, ink = cv2.threshold(band, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    n, labels, stats, cents = cv2.connectedComponentsWithStats(
        np.asarray(ink, np.uint8), connectivity=8
    )
    if n < 3:
        return None
    band_h = band.shape[0]
    expected = band_h / (len(lines) * 1.7)
    big = [
        i
        for i in range(1, n)
        if 0.4 * expected <= stats[i, cv2.CC_STAT_HEIGHT] <= 1.6 * expected
        and stats[i, cv2.CC_STAT_WIDTH] <= 1.5 * expected
    ]
    if len(big) < 5:
        return None
    char_h = float(np.percentile(stats[big, cv2.CC_STAT_HEIGHT], 75))
    # split components into lines by their vertical centre
    ys = np.array([cents[i][1] for i in big])
    order = np.argsort(ys)
    groups: list[list[int]] = [[big[order[0]]]]
    for k in order[1:]:
        if cents[big[k]][1] - cents[groups[-1][-1]][1] > 0.6 * char_h:
            groups.append([])
        groups[-1].append(big[k])
    if len(groups) != len(lines):
        return None
    pitch_res: list[float] = []
    base_res: list[float] = []
    baselines: list[float] = []
    scores: list[float] = []
    worst: list[tuple[float, str, int, int]] = []
    pitches: list[float] = []
    measured_lines = 0
    for li, (text, comps) in enumerate(zip(lines, groups, strict=True)):
        idx = list(range(len(text)))
        comps = sorted(comps, key=lambda c: cents[c][0])
        if len(comps) != len(idx) or len(idx) < 3:
            continue
        measured_lines += 1
        xs = np.array([stats[c, cv2.CC_STAT_LEFT] + stats[c, cv2.CC_STAT_WIDTH] / 2 for c in comps])
        a, b = np.polyfit(np.array(idx, float), xs, 1)
        pitches.append(float(a))
        pitch_res.extend(list((xs - (a * np.array(idx) + b)) / a))
        on_base = [k for k, j in enumerate(idx) if text[j] != "<"]
        if len(on_base) < 3:
            continue
        bottoms = np.array(
            [
                stats[comps[k], cv2.CC_STAT_TOP] + stats[comps[k], cv2.CC_STAT_HEIGHT]
                for k in on_base
            ],
            float,
        )
        bx = xs[on_base]
        pa, pb = np.polyfit(bx, bottoms, 1)
        base_res.extend(list((bottoms - (pa * bx + pb)) / char_h))
        baselines.append(float(np.median(bottoms)))
        for c, j in zip(comps, idx, strict=True):
            t = _template(text[j])
            x, y, w, h = (int(stats[c, k]) for k in range(4))
            g = _norm_glyph((labels[y : y + h, x : x + w] == c).astype(np.uint8))
            if t is None or g is None:
                continue
            s = float((t * g).sum())
            scores.append(s)
            worst.append((s, text[j], li + 1, j + 1))
    if measured_lines == 0:
        return None
    spacing = None
    if len(baselines) == len(lines) and len(lines) > 1:
        spacing = float(np.mean(np.diff(sorted(baselines)))) / char_h
    worst.sort()
    return {
        "lines_measured": measured_lines,
        "char_height_px": round(char_h, 2),
        "pitch_px": round(float(np.mean(pitches)), 2) if pitches else None,
        "pitch_deviation": float(np.std(pitch_res)) if pitch_res else 0.0,
        "baseline_deviation": float(np.std(base_res)) if base_res else 0.0,
        "line_spacing": spacing,
        "glyph_score": float(np.median(scores)) if scores else None,
        "glyph_score_p10": float(np.percentile(scores, 10)) if scores else None,
        "least_similar": [
            {"char": c, "line": ln, "column": col, "score": round(s, 3)}
            for s, c, ln, col in worst[:3]
        ],
    }


def run(ctx: CheckContext) -> list[Finding]:
    """Report an MRZ print that departs from OCR-B's fixed pitch, baseline and shapes."""
    cfg = ctx.profile.checks.typography
    m = measure(ctx)
    region = ctx.mrz_box()
    if m is None:
        return [
            finding(
                "typography.not_measured",
                Severity.INFO,
                "MRZ characters could not be segmented one by one; typography not measured",
                {},
                region,
            )
        ]
    out: list[Finding] = []
    if m["pitch_deviation"] > cfg.max_pitch_cv:
        out.append(
            finding(
                "typography.pitch",
                Severity.WARNING,
                f"MRZ character positions deviate from a fixed pitch by {m['pitch_deviation']:.2f} "
                f"of a pitch (threshold {cfg.max_pitch_cv:g})",
                {
                    "pitch_deviation": m["pitch_deviation"],
                    "pitch_px": m["pitch_px"],
                    "threshold": cfg.max_pitch_cv,
                },
                region,
            )
        )
    if m["baseline_deviation"] > cfg.max_baseline_dev:
        out.append(
            finding(
                "typography.baseline",
                Severity.WARNING,
                f"MRZ characters leave their baseline by {m['baseline_deviation']:.2f} of a "
                f"character height (threshold {cfg.max_baseline_dev:g})",
                {"baseline_deviation": m["baseline_deviation"], "threshold": cfg.max_baseline_dev},
                region,
            )
        )
    lo, hi = cfg.line_spacing_range
    if m["line_spacing"] is not None and not lo <= m["line_spacing"] <= hi:
        out.append(
            finding(
                "typography.line_spacing",
                Severity.WARNING,
                f"MRZ lines are {m['line_spacing']:.2f} character heights apart, outside {lo:g}-{hi:g}",
                {"line_spacing": m["line_spacing"], "range": [lo, hi]},
                region,
            )
        )
    if m["glyph_score"] is not None and m["glyph_score"] < cfg.min_glyph_score:
        out.append(
            finding(
                "typography.glyph_shape",
                Severity.WARNING,
                f"MRZ glyphs resemble OCR-B with median correlation {m['glyph_score']:.2f}, "
                f"below {cfg.min_glyph_score:g}",
                {
                    "glyph_score": m["glyph_score"],
                    "least_similar": m["least_similar"],
                    "threshold": cfg.min_glyph_score,
                },
                region,
            )
        )
    out.append(
        finding(
            "typography.measured",
            Severity.INFO,
            f"MRZ print measured on {m['lines_measured']} line(s)",
            m,
            region,
        )
    )
    return out
