"""Image integrity: JPEG error levels, copy-move, screen recapture, grey copy,
pasted portrait and editing software in the metadata.

Each detector returns a statistic and compares it with the profile's threshold;
the finding carries both.  They look at pixels only; none of them reads text.
"""

from __future__ import annotations

import io
import re
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from misec_rules.authenticity._context import CheckContext, finding, mrz_value
from misec_rules.authenticity._model import Finding, Severity

__all__ = [
    "copy_move",
    "copy_move_noise",
    "ela",
    "grey_copy",
    "locate_portrait",
    "metadata",
    "portrait_seam",
    "recapture",
    "run",
]

F32 = npt.NDArray[np.float32]


def _is_jpeg(raw: bytes | None) -> bool:
    return raw is not None and raw[:3] == b"\xff\xd8\xff"


def _mask_out(ctx: CheckContext) -> npt.NDArray[np.bool_]:
    """True where detectors may look: everything but the MRZ band."""
    keep = np.ones(ctx.gray.shape, dtype=bool)
    box = ctx.mrz_box()
    if box is not None:
        x, y, w, h = box
        pad = max(4, h // 6)
        keep[max(0, y - pad) : y + h + pad, max(0, x - pad) : x + w + pad] = False
    return keep


# --- JPEG error level ----------------------------------------------------------


def ela(ctx: CheckContext) -> dict[str, Any] | None:
    """JPEG error levels across re-save qualities ("JPEG ghosts").

    The grey image is saved again at each quality of ``ela_qualities`` and the
    squared error is averaged per block.  For each block the errors are scaled to
    0-1 across the qualities.  A page saved once at quality Q errs less and less
    as the re-save quality rises; a patch saved earlier at a lower quality q
    (edited separately and pasted back) errs least near q, where the rest of the
    page still errs much.  The statistic is the size, in blocks, of the largest
    connected group of textured blocks whose scaled error at some quality is
    below 0.1 while the page's median there is above 0.5.  ``None`` when the
    input is not a JPEG file.
    """
    if not _is_jpeg(ctx.raw):
        return None
    cfg = ctx.profile.checks.integrity
    gray = ctx.gray
    b = cfg.ela_block
    rows, cols = gray.shape[0] // b, gray.shape[1] // b
    if rows < 4 or cols < 4:
        return None
    g = gray[: rows * b, : cols * b].astype(np.float32)
    errors = []
    for q in cfg.ela_qualities:
        ok, enc = cv2.imencode(".jpg", gray, [cv2.IMWRITE_JPEG_QUALITY, int(q)])
        if not ok:  # pragma: no cover - encoding a valid array does not fail
            return None
        again = np.asarray(cv2.imdecode(enc, cv2.IMREAD_GRAYSCALE), np.float32)[
            : rows * b, : cols * b
        ]
        errors.append(((g - again) ** 2).reshape(rows, b, cols, b).mean(axis=(1, 3)))
    err = np.asarray(errors)
    lo, hi = err.min(axis=0), err.max(axis=0)
    scaled = (err - lo) / np.maximum(hi - lo, 1e-6)
    keep = _mask_out(ctx)[: rows * b, : cols * b].reshape(rows, b, cols, b).all(axis=(1, 3))
    blocks = g.reshape(rows, b, cols, b)
    mean, std = blocks.mean(axis=(1, 3)), blocks.std(axis=(1, 3))
    # textured, unclipped blocks: flat or white areas (a scanner bed) carry no history
    valid = keep & (hi - lo > 2.0) & (mean < 240.0) & (std > 4.0)
    n_valid = int(valid.sum())
    out: dict[str, Any] = {
        "blocks": 0,
        "threshold": cfg.ela_min_blocks,
        "quality": None,
        "region": None,
    }
    if n_valid < 20:
        return out
    for i, q in enumerate(cfg.ela_qualities[:-1]):
        page = float(np.median(scaled[i][valid]))
        if page <= 0.5:
            continue
        low = (valid & (scaled[i] < 0.1)).astype(np.uint8)
        n, _, stats, _ = cv2.connectedComponentsWithStats(low, connectivity=8)
        for k in range(1, n):
            area = int(stats[k, cv2.CC_STAT_AREA])
            if area > out["blocks"] and area < 0.2 * n_valid:
                x, y, w, h = (int(stats[k, j]) for j in range(4))
                out.update(
                    {
                        "blocks": area,
                        "quality": int(q),
                        "page_median": round(page, 3),
                        "region": [x * b, y * b, w * b, h * b],
                    }
                )
    return out


# --- copy-move -----------------------------------------------------------------


def _verify_shift(
    gray: npt.NDArray[np.uint8],
    keep: npt.NDArray[np.bool_],
    box: list[int],
    dx: int,
    dy: int,
) -> tuple[int, list[int] | None]:
    """Structure inside ``box`` identical to itself shifted by ``(dx, dy)`` pixels.

    Returns the count of structured pixels (local contrast above 20 grey levels)
    that match within 3 grey levels, in the largest connected area, and that
    area's box (source side).  Repeated labels match on their glyphs only, not
    on the structure around them, so they give sparse areas (under half of the
    area's structure), which are dropped; a copied block matches solidly.
    """
    h, w = gray.shape
    x0, y0, bw, bh = box
    x0, y0 = max(0, x0, -dx), max(0, y0, -dy)
    x1, y1 = min(w, box[0] + bw, w - dx), min(h, box[1] + bh, h - dy)
    if x1 - x0 < 16 or y1 - y0 < 16:
        return 0, None
    a = gray[y0:y1, x0:x1].astype(np.float32)
    b = gray[y0 + dy : y1 + dy, x0 + dx : x1 + dx].astype(np.float32)
    ka = keep[y0:y1, x0:x1] & keep[y0 + dy : y1 + dy, x0 + dx : x1 + dx]
    diff = cv2.blur(np.abs(a - b), (7, 7))
    mean = cv2.blur(a, (7, 7))
    tex = np.sqrt(np.maximum(cv2.blur(a * a, (7, 7)) - mean * mean, 0))
    # strong structure only (print, portrait), not faint background lines, which
    # may repeat by design (guilloche lattices)
    textured = tex > 20.0
    raw = textured & (diff < 6.0) & ka
    if raw.sum() < 50:
        return 0, None
    same = cv2.morphologyEx(raw.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(same, connectivity=8)
    if n < 2:
        return 0, None
    counts = np.bincount(labels[raw], minlength=n)
    i = 1 + int(np.argmax(counts[1:]))
    sx, sy, sw, sh = (int(stats[i, k]) for k in range(4))
    inside = textured[sy : sy + sh, sx : sx + sw] & ka[sy : sy + sh, sx : sx + sw]
    fill = counts[i] / max(1, int(inside.sum()))
    if fill < 0.5:
        return 0, None
    return int(counts[i]), [sx + x0, sy + y0, sw, sh]


def _overlap(a: list[int], b: list[int]) -> float:
    """Intersection over the smaller box's area."""
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0, x1 - x0) * max(0, y1 - y0)
    return inter / max(1, min(a[2] * a[3], b[2] * b[3]))


def _best_offset(
    gray: npt.NDArray[np.uint8], box: list[int], dx: float, dy: float
) -> tuple[int, int]:
    """The integer shift near ``(dx, dy)`` that best aligns ``box`` with its copy."""
    h, w = gray.shape
    best, best_err = (round(dx), round(dy)), float("inf")
    x0, y0, bw, bh = box
    for ox in range(-2, 3):
        for oy in range(-2, 3):
            sx, sy = round(dx) + ox, round(dy) + oy
            xa, ya = max(0, x0, -sx), max(0, y0, -sy)
            xb, yb = min(w, x0 + bw, w - sx), min(h, y0 + bh, h - sy)
            if xb - xa < 8 or yb - ya < 8:
                continue
            a = gray[ya:yb, xa:xb].astype(np.int16)
            b = gray[ya + sy : yb + sy, xa + sx : xb + sx].astype(np.int16)
            err = float(np.abs(a - b).mean())
            if err < best_err:
                best, best_err = (sx, sy), err
    return best


def copy_move(ctx: CheckContext) -> dict[str, Any]:
    """A block of structure (print, portrait) repeated elsewhere in the image.

    ORB keypoints matched against the image itself (at most 800 px wide) propose
    displacements that several pairs share; each proposal is verified at full
    resolution around its keypoints: the structured pixels that equal their
    counterpart at that displacement, in one solid area.  The statistic is the
    square root of that pixel count ("side", px), compared with
    ``copy_move_min_side`` times the image's smaller side.  Displacements that
    also match at twice their length (periodic backgrounds), and the MRZ band
    (repeated fillers), are left out.
    """
    cfg = ctx.profile.checks.integrity
    gray = ctx.gray
    H, W = gray.shape
    keep_full = _mask_out(ctx)
    min_side = cfg.copy_move_min_side * min(H, W)
    out: dict[str, Any] = {
        "side_px": 0.0,
        "threshold_px": round(min_side, 1),
        "candidates": 0,
        "region": None,
    }
    scale = min(1.0, 800.0 / max(gray.shape))
    small = cv2.resize(gray, (0, 0), fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    keep = cv2.resize(
        keep_full.astype(np.uint8),
        (small.shape[1], small.shape[0]),
        interpolation=cv2.INTER_NEAREST,
    )
    orb = cv2.ORB_create(nfeatures=2500, fastThreshold=10)  # type: ignore[attr-defined]
    kps, desc = orb.detectAndCompute(small, keep * 255)
    if desc is None or len(kps) < 20:
        return out
    knn = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(desc, desc, k=3)
    pts = np.array([k.pt for k in kps], dtype=np.float32) / scale
    pairs: list[tuple[float, float, float, float]] = []
    for cand in knn:
        for m in cand[1:]:
            if m.trainIdx == m.queryIdx or m.distance > 32:
                continue
            p, q = pts[m.queryIdx], pts[m.trainIdx]
            d = q - p
            if np.hypot(*d) < cfg.copy_move_min_shift:
                continue
            if d[1] < 0 or (d[1] == 0 and d[0] < 0):
                p, q = q, p
            pairs.append((float(p[0]), float(p[1]), float(q[0] - p[0]), float(q[1] - p[1])))
            break
    if not pairs:
        return out
    arr = np.array(pairs)
    binned = np.round(arr[:, 2:] / 6.0).astype(int)
    _, inverse, counts = np.unique(binned, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    order = np.argsort(-counts)[:5]
    out["candidates"] = int((counts >= cfg.copy_move_min_matches).sum())
    verified: list[tuple[float, int, int, list[int], int]] = []
    for k in order:
        if counts[k] < cfg.copy_move_min_matches:
            break
        group = arr[inverse == k]
        dx, dy = (float(v) for v in np.median(group[:, 2:], axis=0))
        pad = 60
        gx0, gy0 = group[:, :2].min(axis=0) - pad
        gx1, gy1 = group[:, :2].max(axis=0) + pad
        box = [int(max(0, gx0)), int(max(0, gy0)), int(gx1 - max(0, gx0)), int(gy1 - max(0, gy0))]
        sx, sy = _best_offset(gray, box, dx, dy)
        count, area = _verify_shift(gray, keep_full, box, sx, sy)
        if area is None:
            continue
        side = float(np.sqrt(count))
        # a copied block is two-dimensional; a thin strip is a repeated border or rule
        if side >= min_side and min(area[2], area[3]) >= min_side:
            verified.append((side, sx, sy, area, int(counts[k])))
    for side, dx, dy, box, count in sorted(verified, key=lambda v: -v[0]):
        # a periodic background matches itself at twice the shift as well
        c2, _ = _verify_shift(gray, keep_full, box, 2 * dx, 2 * dy)
        c0, _ = _verify_shift(gray, keep_full, [box[0] - dx, box[1] - dy, box[2], box[3]], dx, dy)
        if max(c2, c0) >= 0.25 * side * side:
            out["periodic_shift"] = [dx, dy]
            continue
        bx, by, bw, bh = box
        out.update(
            {
                "side_px": round(side, 1),
                "matches": count,
                "shift": [dx, dy],
                "source": [bx, by, bw, bh],
                "target": [bx + dx, by + dy, bw, bh],
                "region": [min(bx, bx + dx), min(by, by + dy), bw + abs(dx), bh + abs(dy)],
            }
        )
        break
    return out


_CELL = 16


def _cell_sums(x: F32) -> F32:
    h, w = x.shape[0] // _CELL * _CELL, x.shape[1] // _CELL * _CELL
    return np.asarray(
        x[:h, :w].reshape(h // _CELL, _CELL, w // _CELL, _CELL).sum(axis=(1, 3)), np.float32
    )


def _noise_residual(
    gray: npt.NDArray[np.uint8], keep: npt.NDArray[np.bool_]
) -> tuple[F32, npt.NDArray[np.bool_]]:
    """High-pass residual (sensor noise and grain) on flat pixels only, and the flat mask.

    Flat: the image smoothed beyond its noise (Gaussian, sigma 2) varies by less
    than 3 grey levels (std) in 9x9.  Print, guilloche lines and portrait
    contours are left out, so what remains is the capture's own noise, which a
    genuine page never repeats and a copied block carries along.
    """
    g = gray.astype(np.float32)
    r = g - cv2.GaussianBlur(g, (0, 0), 1.0)
    sm = cv2.GaussianBlur(g, (0, 0), 2.0)
    var = cv2.blur(sm * sm, (9, 9)) - cv2.blur(sm, (9, 9)) ** 2
    flat = (var < 9.0) & keep
    r[~flat] = 0.0
    return np.asarray(r, np.float32), flat


def _noise_match(
    res: F32, flat: npt.NDArray[np.bool_], box: list[int], dx: int, dy: int
) -> tuple[int, list[int] | None, float]:
    """Cells (16x16) of ``box`` whose noise correlates with the noise ``(dx, dy)`` away.

    Returns the largest 4-connected group of cells with a normalised correlation
    above 0.3 (count, its box on the source side, its mean correlation).  Cells
    with too few flat pixels or no measurable noise are not counted.
    """
    h, w = res.shape
    x0, y0 = max(0, box[0], -dx), max(0, box[1], -dy)
    x1, y1 = min(w, box[0] + box[2], w - dx), min(h, box[1] + box[3], h - dy)
    if x1 - x0 < 2 * _CELL or y1 - y0 < 2 * _CELL:
        return 0, None, 0.0
    a = res[y0:y1, x0:x1]
    b = res[y0 + dy : y1 + dy, x0 + dx : x1 + dx]
    both = flat[y0:y1, x0:x1] & flat[y0 + dy : y1 + dy, x0 + dx : x1 + dx]
    a = a * both
    b = b * both
    n = _cell_sums(both.astype(np.float32))
    saa, sbb = _cell_sums(a * a), _cell_sums(b * b)
    ok = (n >= 48) & (saa >= 0.3 * n) & (sbb >= 0.3 * n)
    corr = np.where(ok, _cell_sums(a * b) / np.sqrt(np.maximum(saa * sbb, 1e-6)), 0.0)
    hit = (corr > 0.3).astype(np.uint8)
    num, labels, stats, _ = cv2.connectedComponentsWithStats(hit, connectivity=4)
    if num < 2:
        return 0, None, 0.0
    i = 1 + int(np.argmax(stats[1:, 4]))
    cx, cy, cw, ch, cnt = (int(v) for v in stats[i])
    area = [x0 + cx * _CELL, y0 + cy * _CELL, cw * _CELL, ch * _CELL]
    return cnt, area, float(corr[labels == i].mean())


def _best_shift(res: F32, box: list[int], dx: float, dy: float) -> tuple[int, int]:
    """The integer shift within 2 px of ``(dx, dy)`` whose noise agrees best (centre of box)."""
    h, w = res.shape
    cx, cy = box[0] + box[2] // 2, box[1] + box[3] // 2
    bw, bh = min(box[2], 240), min(box[3], 240)
    bx, by = cx - bw // 2, cy - bh // 2
    best, best_s = (round(dx), round(dy)), 0.0
    for ox in range(-2, 3):
        for oy in range(-2, 3):
            sx, sy = round(dx) + ox, round(dy) + oy
            x0, y0 = max(0, bx, -sx), max(0, by, -sy)
            x1, y1 = min(w, bx + bw, w - sx), min(h, by + bh, h - sy)
            if x1 - x0 < 16 or y1 - y0 < 16:
                continue
            s = float((res[y0:y1:2, x0:x1] * res[y0 + sy : y1 + sy : 2, x0 + sx : x1 + sx]).sum())
            if s > best_s:
                best, best_s = (sx, sy), s
    return best


def _shift_proposals(
    gray: npt.NDArray[np.uint8], keep: npt.NDArray[np.bool_], min_shift: int, min_matches: int
) -> list[tuple[list[int], float, float, int]]:
    """Displacements shared by several ORB keypoint pairs (at most 16, most shared first).

    Keypoints are FAST corners on the image scaled to at most 1000 px, at most 40
    per cell of an 8x10 grid (40) so that plain areas get keypoints too (a global
    cap spends them all on print); each is matched with its 4 nearest
    descriptors (Hamming distance <= 40).  Shifts are binned at 6 px.
    """
    scale = min(1.0, 1000.0 / max(gray.shape))
    small = cv2.resize(gray, (0, 0), fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    k = cv2.resize(
        keep.astype(np.uint8), (small.shape[1], small.shape[0]), interpolation=cv2.INTER_NEAREST
    )
    h, w = small.shape
    fast = cv2.FastFeatureDetector_create(threshold=8, nonmaxSuppression=True)  # type: ignore[attr-defined]
    found = fast.detect(small, k * 255)
    if len(found) < 20:
        return []
    xy = np.array([p.pt for p in found])
    resp = np.array([p.response for p in found])
    rows, cols = 8, 10
    cell = (xy[:, 1] * rows // h).astype(int) * cols + (xy[:, 0] * cols // w).astype(int)
    order = np.lexsort((-resp, cell))
    rank = np.zeros(len(order), dtype=int)
    sorted_cells = cell[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_cells)) + 1]
    for a, b in zip(starts, np.r_[starts[1:], len(order)], strict=True):
        rank[order[a:b]] = np.arange(b - a)
    kps = [found[i] for i in np.flatnonzero(rank < 40)]
    for p in kps:
        p.size = 15.0
    orb = cv2.ORB_create(edgeThreshold=15, patchSize=15)  # type: ignore[attr-defined]
    kps, desc = orb.compute(small, kps)
    if desc is None or len(kps) < 20:
        return []
    knn = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(desc, desc, k=5)
    match = np.array(
        [(m.queryIdx, m.trainIdx, m.distance) for cand in knn for m in cand[1:]], dtype=np.float64
    ).reshape(-1, 3)
    match = match[(match[:, 0] != match[:, 1]) & (match[:, 2] <= 40)]
    pts = np.array([p.pt for p in kps], dtype=np.float64) / scale
    p, q = pts[match[:, 0].astype(int)], pts[match[:, 1].astype(int)]
    d = q - p
    far = np.hypot(d[:, 0], d[:, 1]) >= min_shift
    p, q, d = p[far], q[far], d[far]
    # one orientation per pair: the displacement points down (or right)
    flip = (d[:, 1] < 0) | ((d[:, 1] == 0) & (d[:, 0] < 0))
    p = np.where(flip[:, None], q, p)
    d = np.where(flip[:, None], -d, d)
    if len(d) == 0:
        return []
    arr = np.hstack([p, d])
    binned = np.round(arr[:, 2:] / 6.0).astype(int)
    _, inverse, counts = np.unique(binned, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    out: list[tuple[list[int], float, float, int]] = []
    for i in np.argsort(-counts)[:16]:
        if counts[i] < min_matches:
            break
        group = arr[inverse == i]
        dx, dy = (float(v) for v in np.median(group[:, 2:], axis=0))
        gx0, gy0 = np.maximum(group[:, :2].min(axis=0) - 80, 0)
        gx1, gy1 = group[:, :2].max(axis=0) + 80
        out.append(([int(gx0), int(gy0), int(gx1 - gx0), int(gy1 - gy0)], dx, dy, int(counts[i])))
    return out


def copy_move_noise(ctx: CheckContext) -> dict[str, Any]:
    """A block of the image repeated elsewhere in it, capture noise included.

    Keypoint pairs (ORB descriptors on FAST corners spread over the page)
    propose displacements that several pairs share.  Each proposal is verified
    on the **noise** of flat pixels (the high-pass residual where no print is):
    per 16x16 cell, the normalised correlation between the cell and the cell
    at that displacement (best integer shift within 2 px).  A genuine page
    repeats print (labels, guilloche, fillers) but never its capture noise; a
    copied block carries its noise along, so its cells correlate (0.4-0.98 on
    our copies, ~0 elsewhere).  The statistic is the side of the largest
    connected group of correlating cells (``16 * sqrt(cells)``), compared with
    ``copy_move_min_side`` times the image's smaller side.  A group that also
    correlates at twice or half the shift, before the source, or 2 px beside the shift
    is left out: periodic or smooth structure that slipped into the flat mask,
    not copied noise.
    """
    cfg = ctx.profile.checks.integrity
    gray = ctx.gray
    keep = _mask_out(ctx)
    min_side = cfg.copy_move_noise_min_side * min(gray.shape)
    out: dict[str, Any] = {
        "method": "noise",
        "side_px": 0.0,
        "threshold_px": round(min_side, 1),
        "candidates": 0,
        "region": None,
    }
    if min(gray.shape) < _COPY_MOVE_MIN_IMAGE_SIDE:
        out["not_measured"] = f"image under {_COPY_MOVE_MIN_IMAGE_SIDE} px on its smaller side"
        return out
    min_shift = max(cfg.copy_move_min_shift, int(_COPY_MOVE_MIN_SHIFT_RATIO * min(gray.shape)))
    proposals = _shift_proposals(gray, keep, min_shift, 3)
    out["candidates"] = len(proposals)
    if not proposals:
        return out
    res, flat = _noise_residual(gray, keep)
    best: tuple[int, int, int, list[int], float, int] | None = None
    for box, dx, dy, count in proposals:
        sx, sy = _best_shift(res, box, dx, dy)
        cells, area, corr = _noise_match(res, flat, box, sx, sy)
        if area is None or (best is not None and cells <= best[0]):
            continue
        if _CELL * np.sqrt(cells) <= min_side or cells < _COPY_MOVE_MIN_CELLS:
            # below the threshold: the statistic only, without the costly exclusions
            out["unconfirmed_side_px"] = max(
                out.get("unconfirmed_side_px", 0.0), round(_CELL * float(np.sqrt(cells)), 1)
            )
            continue
        others = [
            _noise_match(res, flat, area, 2 * sx, 2 * sy)[0],
            _noise_match(res, flat, area, sx // 2, sy // 2)[0],
            _noise_match(res, flat, [area[0] - sx, area[1] - sy, area[2], area[3]], sx, sy)[0],
        ]
        others += [_noise_match(res, flat, area, sx + ox, sy + oy)[0] for ox, oy in _BESIDE]
        if max(others) >= 0.25 * cells:
            out["periodic_shift"] = [sx, sy]
            continue
        best = (cells, sx, sy, area, corr, count)
    if best is None:
        return out
    cells, dx, dy, (bx, by, bw, bh), corr, count = best
    out.update(
        {
            "side_px": round(_CELL * float(np.sqrt(cells)), 1),
            "cells": cells,
            "noise_correlation": round(corr, 2),
            "matches": count,
            "shift": [dx, dy],
            "source": [bx, by, bw, bh],
            "target": [bx + dx, by + dy, bw, bh],
            "region": [min(bx, bx + dx), min(by, by + dy), bw + abs(dx), bh + abs(dy)],
        }
    )
    return out


_BESIDE = ((2, 0), (-2, 0), (0, 2), (0, -2))
# Real specimen pages repeat background patterns at short periods (28-61 px, 5-14 %
# of the smaller side) closely enough to correlate; small images hold too little
# noise to tell.  Copies over a shorter distance, or in smaller images, are not
# looked for.
_COPY_MOVE_MIN_SHIFT_RATIO = 0.12
_COPY_MOVE_MIN_CELLS = 12
_COPY_MOVE_MIN_IMAGE_SIDE = 600


# --- screen recapture ----------------------------------------------------------


def _document_tiles(ctx: CheckContext, size: int) -> list[tuple[int, int]]:
    """Top-left corners of tiles surely on the document: above the MRZ, within its width."""
    h, w = ctx.gray.shape
    box = ctx.mrz_box()
    if box is None:
        x0, x1, y0, y1 = w // 8, w - w // 8, h // 8, h - h // 8
    else:
        bx, by, bw, _ = box
        x0, x1 = bx, bx + bw
        y1 = by
        y0 = max(0, int(by - 0.3 * bw))
    keep = _mask_out(ctx)
    out = []
    for y in range(y0, y1 - size + 1, size):
        for x in range(x0, x1 - size + 1, size):
            if keep[y : y + size, x : x + size].all():
                out.append((x, y))
    return out


def recapture(ctx: CheckContext) -> dict[str, Any]:
    """The strongest isolated peak in the averaged colour-difference spectrum.

    A screen's red, green and blue sub-pixels photographed through a camera's
    own colour filter leave colour moiré: periodic bands where the colour
    differences (R-G, B-G) oscillate.  Print, paper and tablecloths vary mostly in
    brightness.  The spectra of the colour differences of tiles on the document
    (above the MRZ) are averaged; the statistic is the highest peak over the
    median of its neighbourhood, in decibels, away from the lowest frequencies.
    """
    size = 128
    img = ctx.image.astype(np.float32)
    diffs = (img[..., 2] - img[..., 1], img[..., 0] - img[..., 1])
    win = np.outer(np.hanning(size), np.hanning(size)).astype(np.float32)
    tiles = _document_tiles(ctx, size)[:48]
    thr = ctx.profile.checks.integrity.recapture_max_peak
    if len(tiles) < 3:
        return {"peak_db": 0.0, "tiles": len(tiles), "threshold": thr}
    c = size // 2
    yy, xx = np.mgrid[0:size, 0:size]
    r = np.hypot(yy - c, xx - c)
    valid = (r > 5) & (r < c - 2)
    excesses = []
    for chan in diffs:
        acc = np.zeros((size, size), np.float64)
        for x, y in tiles:
            tile = chan[y : y + size, x : x + size]
            tile = tile - float(tile.mean())
            acc += np.abs(np.fft.fftshift(np.fft.fft2(tile * win))) ** 2
        logp = (10 * np.log10(acc / len(tiles) + 1e-3)).astype(np.float32)
        excesses.append(logp - cv2.medianBlur(logp, 5))
    # a screen's sub-pixel grid modulates both colour differences at the same
    # frequency; a printed colour pattern rarely does
    both = np.minimum(excesses[0], excesses[1])
    masked = np.where(valid, both, -np.inf)
    iy, ix = np.unravel_index(int(np.argmax(masked)), masked.shape)
    best: dict[str, Any] = {
        "peak_db": float(masked[iy, ix]),
        "frequency": [int(ix - c), int(iy - c)],
    }
    return {**best, "tiles": len(tiles), "threshold": thr}


# --- grey copy -----------------------------------------------------------------


def grey_copy(ctx: CheckContext) -> dict[str, Any]:
    """Chroma of the image in CIELAB (0 for a grey image): mean and 99th percentile.

    The 99th percentile is compared: a genuine document has at least some
    coloured print (emblem, background, stamp), a grey copy has none.
    """
    small = cv2.resize(ctx.image, (0, 0), fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    if small.size == 0:
        small = ctx.image
    lab = cv2.cvtColor(small, cv2.COLOR_BGR2LAB).astype(np.float32)
    chroma = np.hypot(lab[..., 1] - 128.0, lab[..., 2] - 128.0)
    return {
        "mean_chroma": float(chroma.mean()),
        "p99_chroma": float(np.percentile(chroma, 99)),
        "threshold": ctx.profile.checks.integrity.grey_max_chroma,
    }


# --- pasted portrait -----------------------------------------------------------


# where the portrait sits relative to the MRZ, in mm: (characters per line, left edge
# from the MRZ's left edge, gap above the MRZ, width, height).  ICAO 9303 Part 4 §7
# (TD3), Parts 5-6 (TD1, TD2), Part 7 (visas) place the portrait at the left of the
# visual zone, above the MRZ; the figures are those of the generated ICAO layouts,
# and real documents sit within a few mm, which the inner margin absorbs.
_PORTRAIT_MM: dict[str, tuple[int, float, float, float, float]] = {
    "TD3": (44, -1.1, 13.3, 33.0, 43.0),
    "TD1": (30, -1.7, 2.5, 21.0, 27.0),
    "TD2": (36, -1.3, 13.2, 26.0, 34.0),
    "MRVA": (44, -0.4, 16.4, 28.0, 36.0),
    "MRVB": (36, -1.1, 15.9, 25.0, 32.0),
}


def locate_portrait(ctx: CheckContext) -> list[int] | None:
    """The portrait's box ``[x, y, w, h]``: the hint when given, else from the MRZ.

    The MRZ's polygon gives the scale (2.54 mm per character, ICAO 9303 Part 3
    §4.3) and the reading direction; the portrait's place follows from the
    format's layout.  Only upright documents (MRZ roughly horizontal, at the
    bottom) are placed; otherwise None.
    """
    if ctx.portrait_hint is not None:
        return list(ctx.portrait_hint)
    fmt = str(mrz_value(ctx.mrz, "format") or "")
    if not ctx.polygon or fmt not in _PORTRAIT_MM:
        return None
    nchars, dx, gap, pw, ph = _PORTRAIT_MM[fmt]
    p = np.asarray(ctx.polygon, dtype=float)
    along = p[1] - p[0]
    length = float(np.hypot(*along))
    if length < 50 or abs(along[1]) > 0.1 * abs(along[0]) or along[0] <= 0:
        return None
    mm = length / (nchars * 2.54)
    x = p[0][0] + dx * mm
    bottom = min(p[0][1], p[1][1]) - gap * mm
    box = [round(x), round(bottom - ph * mm), round(pw * mm), round(ph * mm)]
    if box[0] < 0 or box[1] < 0 or box[0] + box[2] > ctx.width or box[3] < 20:
        return None
    return box


def _noise(gray: F32) -> tuple[F32, npt.NDArray[np.bool_]]:
    """High-pass residual and the mask of flat pixels where it measures noise.

    Flat: the image smoothed beyond its noise varies by under 0.8 grey levels in a
    9x9 window (no line, no edge, no shading step nearby).
    """
    smooth = cv2.GaussianBlur(gray, (0, 0), 2.0)
    res = np.abs(gray - cv2.GaussianBlur(gray, (0, 0), 1.0))
    mean = cv2.blur(smooth, (9, 9))
    var = cv2.blur(smooth * smooth, (9, 9)) - mean * mean
    flat = np.asarray(var < 0.64, dtype=bool)
    return np.asarray(res, np.float32), flat


def portrait_seam(ctx: CheckContext) -> dict[str, Any] | None:
    """Noise and sharpness inside the portrait against a ring around it.

    A portrait pasted from another picture keeps that picture's noise and
    resampling blur; a printed portrait shares the page's.  The statistic is the
    larger of the two ratios (inside/outside or outside/inside) of the median
    absolute high-pass residual.
    """
    box = locate_portrait(ctx)
    if box is None:
        return None
    char_h = ctx.cache.get("quality", {}).get("mrz_char_height", 0.0)
    if 0 < char_h < ctx.profile.checks.integrity.portrait_min_char_height_px:
        return None  # too coarse: aliased print looks like noise
    x, y, w, h = box
    gray = ctx.gray.astype(np.float32)
    H, W = gray.shape
    res, flat = _noise(gray)
    # the central part of the portrait, and a ring clear of its edge: the box may be
    # a few mm off on a real document
    m = max(3, min(w, h) // 5)
    inner_mask = np.zeros(gray.shape, dtype=bool)
    inner_mask[y + m : y + h - m, x + m : x + w - m] = True
    inner_mask &= flat
    inner = res[inner_mask]
    ring_mask = np.zeros(gray.shape, dtype=bool)
    gap, r = max(4, min(w, h) // 8), max(10, min(w, h) // 3)
    ring_mask[
        max(0, y - gap - r) : min(H, y + h + gap + r), max(0, x - gap - r) : min(W, x + w + gap + r)
    ] = True
    ring_mask[max(0, y - gap) : y + h + gap, max(0, x - gap) : x + w + gap] = False
    ring_mask &= _mask_out(ctx) & flat
    if inner.size < 100 or int(ring_mask.sum()) < 100:
        return None
    # noise level: the median absolute residual of flat pixels (sparse lines and
    # edges that pass the flatness test do not move a median)
    a = float(np.median(inner)) + 0.15
    b = float(np.median(res[ring_mask])) + 0.15
    ratio = max(a / b, b / a)
    return {
        "inside_noise": a,
        "outside_noise": b,
        "ratio": ratio,
        "threshold": ctx.profile.checks.integrity.portrait_max_seam_ratio,
        "region": box,
    }


# --- metadata ------------------------------------------------------------------

_EXIF_TAGS = {305: "Software", 11: "ProcessingSoftware", 315: "Artist", 270: "ImageDescription"}


def metadata(ctx: CheckContext) -> dict[str, Any] | None:
    """Editing software named in EXIF, XMP or PNG text chunks."""
    raw = ctx.raw
    if not raw:
        return None
    cfg = ctx.profile.checks.integrity
    found: dict[str, str] = {}
    try:
        from PIL import Image

        with Image.open(io.BytesIO(raw)) as im:
            exif = im.getexif()
            for tag, name in _EXIF_TAGS.items():
                if tag in exif:
                    found[f"exif.{name}"] = str(exif[tag])[:120]
            for key, value in im.info.items():
                if isinstance(value, str | bytes) and str(key).lower() in (
                    "software",
                    "comment",
                    "xml:com.adobe.xmp",
                    "xmp",
                    "description",
                ):
                    text = value.decode("latin-1") if isinstance(value, bytes) else value
                    found[f"info.{key}"] = text[:400]
    except Exception:
        pass
    head = raw[:131072].decode("latin-1", errors="ignore")
    m = re.search(r"(CreatorTool|xmp:CreatorTool)[=>\"]+([^<\"]{1,80})", head)
    if m:
        found["xmp.CreatorTool"] = m.group(2)
    hits = []
    for where, text in found.items():
        low = text.lower()
        for editor in cfg.editors:
            if editor.lower() in low:
                hits.append({"field": where, "value": text[:120], "editor": editor})
    return {"fields": found, "editors": hits}


# --- the family ------------------------------------------------------------------


def run(ctx: CheckContext) -> list[Finding]:
    """Run every image-integrity detector the profile enables."""
    cfg = ctx.profile.checks.integrity
    out: list[Finding] = []
    stats: dict[str, Any] = {}

    e = ela(ctx)
    stats["ela"] = e
    if e is not None and e["blocks"] >= cfg.ela_min_blocks:
        out.append(
            finding(
                "integrity.jpeg_error_level",
                Severity.FAIL,
                f"an area of {e['blocks']} blocks keeps the JPEG error level of an earlier save "
                f"at quality {e['quality']} that the rest of the page lacks "
                f"(threshold {cfg.ela_min_blocks} blocks)",
                {k: e[k] for k in ("blocks", "threshold", "quality", "page_median")},
                e["region"],
            )
        )
    if cfg.copy_move:
        c = copy_move_noise(ctx) if cfg.copy_move_method == "noise" else copy_move(ctx)
        stats["copy_move"] = c
        if c["side_px"] > c["threshold_px"]:
            what = (
                "an area, capture noise included,"
                if c.get("method") == "noise"
                else "a textured area"
            )
            out.append(
                finding(
                    "integrity.copy_move",
                    Severity.FAIL,
                    f"{what} of {c['side_px']:.0f} px repeats elsewhere in the image "
                    f"shifted by {c['shift']} (threshold {c['threshold_px']:g} px)",
                    {
                        k: c[k]
                        for k in (
                            "method",
                            "side_px",
                            "threshold_px",
                            "cells",
                            "noise_correlation",
                            "matches",
                            "shift",
                            "source",
                            "target",
                        )
                        if k in c
                    },
                    c["region"],
                )
            )
    rc = recapture(ctx)
    stats["recapture"] = rc
    if rc["peak_db"] > cfg.recapture_max_peak:
        out.append(
            finding(
                "integrity.screen_recapture",
                Severity.FAIL,
                f"periodic spectral peak {rc['peak_db']:.1f} dB above its surroundings "
                f"(threshold {cfg.recapture_max_peak:g} dB), as a screen's pixel grid leaves",
                rc,
            )
        )
    g = grey_copy(ctx)
    stats["grey"] = g
    if g["p99_chroma"] < cfg.grey_max_chroma:
        out.append(
            finding(
                "integrity.grey_copy",
                Severity.FAIL,
                f"image carries almost no colour (99th percentile chroma {g['p99_chroma']:.1f}, "
                f"threshold {cfg.grey_max_chroma:g}), as a grey photocopy does",
                g,
            )
        )
    p = portrait_seam(ctx)
    stats["portrait"] = p
    if p is not None and p["ratio"] > cfg.portrait_max_seam_ratio:
        out.append(
            finding(
                "integrity.portrait_seam",
                Severity.FAIL,
                f"noise inside the portrait differs {p['ratio']:.1f}x from around it "
                f"(threshold {cfg.portrait_max_seam_ratio:g})",
                {k: p[k] for k in ("inside_noise", "outside_noise", "ratio", "threshold")},
                p["region"],
            )
        )
    md = metadata(ctx)
    stats["metadata"] = md
    if md and md["editors"]:
        hit = md["editors"][0]
        out.append(
            finding(
                "integrity.editing_software",
                Severity.WARNING,
                f"file metadata names editing software `{hit['value'][:60]}`",
                {"editors": md["editors"]},
            )
        )
    ctx.cache["integrity"] = stats
    return out
