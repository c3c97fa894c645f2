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
    "ela",
    "grey_copy",
    "locate_portrait",
    "metadata",
    "portrait_seam",
    "recapture",
    "run",
]

F32 = npt.NDArray[np.float32]
Image8 = npt.NDArray[np.uint8]


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
#
# A copied region equals its source pixel for pixel, capture noise included, up to
# the noise of the final JPEG save.  Printed documents repeat content too (labels,
# letters, guilloche, background lattices, the same emblem on two pages), but a
# captured page never repeats its noise, and repeated print differs around the
# repeat (other words, other lines) or repeats at several shifts.  Three stages:
# anchors matched at full resolution propose shifts; cells of 16x16 pixels are
# compared at each shift; the largest area of equal cells must be two-dimensional,
# free of differing cells, and found at that one shift only.

_CELL = 16
# anchors: extrema of a difference of Gaussians (sigma 1.5 - 3) over 7x7
# neighbours, at least this strong (grey levels)
_ANCHOR_MIN_DOG = 4.0
# descriptor: 4x4 means of 4x4 pixels around the anchor; a pair matches when no
# mean differs by more than this (grey levels)
_ANCHOR_TOLERANCE = 3.0
_ANCHOR_SORT_WINDOW = 8
_DESCRIPTOR_OFFSETS = np.array([(4 * i - 6, 4 * j - 6) for j in range(4) for i in range(4)])
_SHIFT_BIN = 3
_MAX_SHIFTS = 6
# cells: "structured" when either side's grey-level variance reaches this; equal when
# the squared difference is under 6 % of the two variances (a copy re-saved as JPEG:
# 0-4 %), different above 40 %.  Flat cells compare the band-pass noise
# (grey minus Gaussian sigma 2.5): equal under 70 % (copied noise: 30-65 %),
# different above 90 % (independent noise: ~100 %)
_STRUCTURE_VAR = 30.0
_STRUCTURE_EQUAL, _STRUCTURE_DIFFERENT = 0.06, 0.4
_NOISE_MIN_ENERGY = 0.3
_NOISE_EQUAL, _NOISE_DIFFERENT = 0.7, 0.9
# the copied area: at least this many cells, at most this share of differing cells
# inside it, no longer than this many times its width
_MIN_CELLS = 12
# equal noise alone is weak evidence (smooth shading agrees too): this many of the
# area's equal cells must hold print or texture (our copies: 12-105)
_MIN_STRUCTURED_CELLS = 8
_MIN_EQUAL_SHARE = 0.8
_MAX_ELONGATION = 4.0
_MIN_SIDE_PX = 64
_FULL_RESOLUTION_PIXELS = 4_000_000
_MAX_COMPARE_PIXELS = 1_000_000
# a copy keeps its colour: the equal cells' mean blue, green and red agree within this
_MAX_COLOUR_DIFFERENCE = 6.0

Mask = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]


def _cell_sums(x: F32) -> F32:
    h, w = x.shape[0] // _CELL * _CELL, x.shape[1] // _CELL * _CELL
    return np.asarray(
        x[:h, :w].reshape(h // _CELL, _CELL, w // _CELL, _CELL).sum(axis=(1, 3)), np.float32
    )


def _shift_votes(gray: Image8, keep: Mask, min_shift: float) -> Ints:
    """Pairs of anchors with equal surroundings: rows ``(dx, dy, x, y)``, ``dy >= 0``.

    Anchors are the extrema of a difference of Gaussians over their 7x7
    neighbourhood; they depend on the content only, so a copied region holds
    the same anchors as its source.  Each is described by the 4x4 means of 4x4
    pixels around it (a 16x16 window), sorted on its central means, and compared
    with its neighbours in that order.  Integer images throughout: this runs
    over every pixel at full resolution.
    """
    # sixteenths of a grey level in 16-bit integers: fast, and few ties between neighbours
    g16 = gray.astype(np.int16) * np.int16(16)
    dog = np.asarray(cv2.GaussianBlur(g16, (0, 0), 1.5), np.int16)
    dog -= np.asarray(cv2.GaussianBlur(g16, (0, 0), 3.0), np.int16)
    k = np.ones((7, 7), np.uint8)
    m = dog >= cv2.dilate(dog, k)
    m |= dog <= cv2.erode(dog, k)
    m &= np.abs(dog) >= int(16 * _ANCHOR_MIN_DOG)
    m &= keep
    m[:10], m[-10:], m[:, :10], m[:, -10:] = False, False, False, False
    ys, xs = np.nonzero(m)
    if len(xs) < 2:
        return np.zeros((0, 4), np.int64)
    means = cv2.blur(gray, (4, 4))
    desc = means[
        ys[:, None] + _DESCRIPTOR_OFFSETS[None, :, 1], xs[:, None] + _DESCRIPTOR_OFFSETS[None, :, 0]
    ].astype(np.float32)
    bright = (dog[ys, xs] > 0).astype(np.int32)
    q = np.floor(desc[:, [5, 6, 9, 10]] / 6.0).astype(np.int32)
    order = np.lexsort((q[:, 3], q[:, 2], q[:, 1], q[:, 0], bright))
    out = []
    for j in range(1, _ANCHOR_SORT_WINDOW + 1):
        a, b = order[:-j], order[j:]
        same = (np.abs(desc[a] - desc[b]).max(axis=1) <= _ANCHOR_TOLERANCE) & (
            bright[a] == bright[b]
        )
        a, b = a[same], b[same]
        dx, dy = xs[b] - xs[a], ys[b] - ys[a]
        flip = (dy < 0) | ((dy == 0) & (dx < 0))
        px, py = np.where(flip, xs[b], xs[a]), np.where(flip, ys[b], ys[a])
        dx, dy = np.where(flip, -dx, dx), np.where(flip, -dy, dy)
        far = dx * dx + dy * dy >= min_shift * min_shift
        out.append(np.stack([dx[far], dy[far], px[far], py[far]], axis=1))
    return np.concatenate(out).astype(np.int64)


def _ranked_shifts(votes: Ints, width: int, size: int) -> list[tuple[int, int, int]]:
    """Shifts most pairs share, best first: ``(dx, dy, pairs)``.

    Shifts are binned ``size`` px wide; a bin counts its pairs and those of the
    eight bins around it (a shift between bins, or jittering anchors, is not split).
    """
    w = width
    cols = (2 * w) // size + 4
    keys = (votes[:, 1] // size + 1) * cols + (votes[:, 0] + w) // size + 1
    uniq, counts = np.unique(keys, return_counts=True)
    near = np.zeros(len(uniq), np.int64)
    for oy in (-1, 0, 1):
        for ox in (-1, 0, 1):
            want = uniq + oy * cols + ox
            i = np.minimum(np.searchsorted(uniq, want), len(uniq) - 1)
            near += np.where(uniq[i] == want, counts[i], 0)
    order = np.argsort(-near, kind="stable")[: 4 * _MAX_SHIFTS * 9]
    out = []
    for i in order:
        row, col = divmod(int(uniq[i]), cols)
        out.append(((col - 1) * size - w, (row - 1) * size, int(near[i])))
    return out


def _compare_box(group: Ints, shape: tuple[int, int]) -> list[int]:
    """Where to compare cells for one shift: around its pairs' anchors, at most 1 MP."""
    pad = 96
    lo = np.percentile(group[:, 2:4], 2, axis=0) - pad
    hi = np.percentile(group[:, 2:4], 98, axis=0) + pad
    x0, y0 = max(0, int(lo[0])), max(0, int(lo[1]))
    x1, y1 = min(shape[1], int(hi[0])), min(shape[0], int(hi[1]))
    if (x1 - x0) * (y1 - y0) > _MAX_COMPARE_PIXELS:
        # repeated print spread over a large page: the part around the median pair
        cx, cy = (int(v) for v in np.median(group[:, 2:4], axis=0))
        side = int(np.sqrt(_MAX_COMPARE_PIXELS))
        bw, bh = min(x1 - x0, side), min(y1 - y0, side)
        x0 = min(max(x0, cx - bw // 2), x1 - bw)
        y0 = min(max(y0, cy - bh // 2), y1 - bh)
        x1, y1 = x0 + bw, y0 + bh
    return [x0, y0, x1 - x0, y1 - y0]


def _refine(g: Image8, votes: Ints, radius: int) -> tuple[int, int]:
    """The integer shift within ``radius`` px of the pairs' median that best aligns them."""
    dx, dy = (int(v) for v in np.median(votes[:, :2], axis=0))
    h, w = g.shape
    pts = votes[:: max(1, len(votes) // 24), 2:4]
    r = np.arange(-6, 7)
    best, best_err = (dx, dy), float("inf")
    for ox in range(-radius, radius + 1):
        for oy in range(-radius, radius + 1):
            sx, sy = dx + ox, dy + oy
            ok = (
                (pts[:, 0] >= 6 + max(0, -sx))
                & (pts[:, 1] >= 6 + max(0, -sy))
                & (pts[:, 0] + 7 + max(0, sx) <= w)
                & (pts[:, 1] + 7 + max(0, sy) <= h)
            )
            if not ok.any():
                continue
            x = pts[ok, 0][:, None, None] + r[None, None, :]
            y = pts[ok, 1][:, None, None] + r[None, :, None]
            err = float(np.abs(g[y, x].astype(np.int16) - g[y + sy, x + sx]).mean())
            if err < best_err:
                best, best_err = (sx, sy), err
    return best


def _band(g: Image8, x: int, y: int, w: int, h: int) -> F32:
    """Band-pass noise (grey minus Gaussian sigma 2.5) of the ``w`` x ``h`` area at ``(x, y)``."""
    m = 8
    x0, y0 = max(0, x - m), max(0, y - m)
    crop = g[y0 : min(g.shape[0], y + h + m), x0 : min(g.shape[1], x + w + m)].astype(np.float32)
    band = crop - cv2.GaussianBlur(crop, (0, 0), 2.5)
    return np.asarray(band[y - y0 : y - y0 + h, x - x0 : x - x0 + w], np.float32)


def _compare_cells(
    g: Image8, keep: Mask, dx: int, dy: int, box: list[int]
) -> tuple[Mask, Mask, Mask, int, int] | None:
    """Per 16x16 cell of ``box``: equal to the cell ``(dx, dy)`` away, different, structured.

    Returns the three cell masks and the grid's origin in pixels, or None when
    ``box`` and its shifted copy share less than one cell.
    """
    h, w = g.shape
    x0, y0 = max(0, -dx, box[0]), max(0, -dy, box[1])
    x1, y1 = min(w, w - dx, box[0] + box[2]), min(h, h - dy, box[1] + box[3])
    if x1 - x0 < _CELL or y1 - y0 < _CELL:
        return None
    a = g[y0:y1, x0:x1].astype(np.float32)
    b = g[y0 + dy : y1 + dy, x0 + dx : x1 + dx].astype(np.float32)
    ra = _band(g, x0, y0, x1 - x0, y1 - y0)
    rb = _band(g, x0 + dx, y0 + dy, x1 - x0, y1 - y0)
    k = (keep[y0:y1, x0:x1] & keep[y0 + dy : y1 + dy, x0 + dx : x1 + dx]).astype(np.float32)
    n = _cell_sums(k)
    nn = np.maximum(n, 1.0)
    ma, mb = _cell_sums(a * k) / nn, _cell_sums(b * k) / nn
    va = _cell_sums(a * a * k) / nn - ma * ma
    vb = _cell_sums(b * b * k) / nn - mb * mb
    ea, eb = _cell_sums(ra * ra * k) / nn, _cell_sums(rb * rb * k) / nn
    q_struct = _cell_sums((a - b) ** 2 * k) / nn / np.maximum(va + vb, 1e-6)
    q_noise = _cell_sums((ra - rb) ** 2 * k) / nn / np.maximum(ea + eb, 1e-6)
    full = n >= 0.75 * _CELL * _CELL
    structured = full & (np.maximum(va, vb) >= _STRUCTURE_VAR)
    noisy = full & ~structured & (ea >= _NOISE_MIN_ENERGY) & (eb >= _NOISE_MIN_ENERGY)
    equal = (structured & (q_struct < _STRUCTURE_EQUAL)) | (noisy & (q_noise < _NOISE_EQUAL))
    different = (structured & (q_struct > _STRUCTURE_DIFFERENT)) | (
        noisy & (q_noise > _NOISE_DIFFERENT)
    )
    return equal, different, structured, x0, y0


def _equal_area(g: Image8, keep: Mask, dx: int, dy: int, box: list[int]) -> dict[str, Any] | None:
    """The largest connected area of equal cells at ``(dx, dy)`` inside ``box``.

    Equal cells are joined across single neutral cells (flat paper without noise
    tells nothing), never across different ones.  ``differing`` counts the
    different cells inside the area's box, its outer ring of cells left out
    (cells there straddle the copy's edge).
    """
    cells = _compare_cells(g, keep, dx, dy, box)
    if cells is None:
        return None
    equal, different, structured, x0, y0 = cells
    joined = cv2.morphologyEx(equal.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    joined[different] = 0
    n, labels = cv2.connectedComponents(joined, connectivity=8)
    if n < 2:
        return None
    counts = np.bincount(labels[equal], minlength=n)
    i = 1 + int(np.argmax(counts[1:]))
    ys, xs = np.nonzero(equal & (labels == i))
    if len(xs) == 0:
        return None
    cx0, cx1, cy0, cy1 = int(xs.min()), int(xs.max()) + 1, int(ys.min()), int(ys.max()) + 1
    inner = different[cy0:cy1, cx0:cx1]
    if cx1 - cx0 >= 4 and cy1 - cy0 >= 4:
        inner = inner[1:-1, 1:-1]
    differing = int(inner.sum())
    return {
        "cells": len(xs),
        "cell_origins": np.stack([x0 + xs * _CELL, y0 + ys * _CELL], axis=1),
        "structured_cells": int(structured[ys, xs].sum()),
        "differing_cells": differing,
        "equal_share": round(len(xs) / (len(xs) + differing), 3),
        "source": [x0 + cx0 * _CELL, y0 + cy0 * _CELL, (cx1 - cx0) * _CELL, (cy1 - cy0) * _CELL],
    }


def _boxes_overlap(a: list[int], b: list[int]) -> float:
    """Intersection over the smaller box's area."""
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    return max(0, x1 - x0) * max(0, y1 - y0) / max(1, min(a[2] * a[3], b[2] * b[3]))


def _two_dimensional(a: dict[str, Any], min_side: float) -> bool:
    """An area at least ``min_side`` across both ways, at most four times longer than wide."""
    bw, bh = a["source"][2:]
    cells = int(a["cells"])
    return (
        cells >= _MIN_CELLS
        and int(a["structured_cells"]) >= _MIN_STRUCTURED_CELLS
        and _CELL * float(np.sqrt(cells)) > min_side
        and min(bw, bh) >= min_side
        and max(bw, bh) <= _MAX_ELONGATION * min(bw, bh)
    )


def copy_move(ctx: CheckContext) -> dict[str, Any]:
    """A region of the image equal, pixel for pixel, to another region of it.

    Anchor pairs with equal surroundings (at full resolution) propose the shifts
    that many pairs share (at least ``copy_move_min_matches``, at most six
    shifts).  At each, 16x16 cells are compared with the cells that far away:
    structured cells are equal when their squared difference is under 6 % of
    their variance, flat cells when their band-pass noise agrees (under 70 %).
    The statistic is the side (``16 * sqrt(cells)``) of the largest connected
    area of equal cells; it counts when it exceeds ``copy_move_min_side`` times
    the image's smaller side (and 64 px), the area's box is at least that wide
    both ways and at most four times longer than wide, at least 8 of its cells
    hold print or texture, at least 80 % of the cells inside it are equal
    rather than different, the two areas' colours agree, and the area is found
    at that one shift only: not also at twice or half of it, not before the
    source, and no other proposed shift's area overlaps it (print repeated
    three times or more: a lattice, a column of holes, a row of letters).  The
    MRZ band is left out (its fillers repeat).  Above 4 MP the anchors are
    found on an image reduced k times; the cells are still compared at full
    resolution.
    """
    cfg = ctx.profile.checks.integrity
    g = ctx.gray
    h, w = g.shape
    min_side = max(float(_MIN_SIDE_PX), cfg.copy_move_min_side * min(h, w))
    out: dict[str, Any] = {
        "side_px": 0.0,
        "threshold_px": round(min_side, 1),
        "candidates": 0,
        "region": None,
    }
    if min(h, w) < 3 * _MIN_SIDE_PX:
        out["not_measured"] = f"image under {3 * _MIN_SIDE_PX} px on its smaller side"
        return out
    keep = _mask_out(ctx)
    min_shift = max(float(cfg.copy_move_min_shift), min_side)
    # anchors at full resolution up to 4 MP; above, on an image reduced k times
    # (a photo that large is not sharp to the pixel), still compared at full size
    k = int(np.ceil(np.sqrt(h * w / _FULL_RESOLUTION_PIXELS)))
    if k == 1:
        votes = _shift_votes(ctx.gray, keep, min_shift)
    else:
        small = np.asarray(
            cv2.resize(ctx.gray, (w // k, h // k), interpolation=cv2.INTER_AREA), np.uint8
        )
        votes = _shift_votes(small, keep[::k, ::k][: h // k, : w // k], min_shift / k) * k
    out["anchor_scale"] = k
    if len(votes) == 0:
        return out
    areas: list[dict[str, Any]] = []
    tried: list[tuple[int, int]] = []
    size = _SHIFT_BIN * k
    for dx, dy, count in _ranked_shifts(votes, w, size):
        if count < cfg.copy_move_min_matches or len(tried) >= _MAX_SHIFTS:
            break
        if any(abs(dx - tx) <= 2 * size and abs(dy - ty) <= 2 * size for tx, ty in tried):
            continue
        tried.append((dx, dy))
        near = (
            (votes[:, 0] >= dx - size)
            & (votes[:, 0] < dx + 2 * size)
            & (votes[:, 1] >= dy - size)
            & (votes[:, 1] < dy + 2 * size)
        )
        group = votes[near]
        sx, sy = _refine(g, group, 2 if k == 1 else k + 1)
        box = _compare_box(group, (h, w))
        area = _equal_area(g, keep, sx, sy, box)
        if area is None:
            continue
        bx, by, bw, bh = area["source"]
        area.update(shift=[sx, sy], matches=count, target=[bx + sx, by + sy, bw, bh])
        areas.append(area)
    out["candidates"] = len(areas)

    best: dict[str, Any] | None = None
    for a in sorted(areas, key=lambda a: -a["cells"]):
        if not _two_dimensional(a, min_side) or a["equal_share"] < _MIN_EQUAL_SHARE:
            continue
        why = _repeated(g, keep, a, areas, min_side)
        colour = _colour_difference(ctx.image, a)
        a["colour_difference"] = round(colour, 1)
        if why is None and colour > _MAX_COLOUR_DIFFERENCE:
            why = f"the areas' colours differ by {colour:.0f} levels"
        if why is not None:
            out.setdefault("repeated", []).append({"shift": a["shift"], "because": why})
            continue
        best = a
        break
    if best is None:
        return out
    bx, by, bw, bh = best["source"]
    dx, dy = best["shift"]
    out.update(
        {
            "side_px": round(_CELL * float(np.sqrt(best["cells"])), 1),
            **{
                k: best[k]
                for k in (
                    "cells",
                    "structured_cells",
                    "differing_cells",
                    "colour_difference",
                    "matches",
                    "shift",
                )
            },
            "source": best["source"],
            "target": best["target"],
            "region": [min(bx, bx + dx), min(by, by + dy), bw + abs(dx), bh + abs(dy)],
        }
    )
    return out


def _colour_difference(image: Image8, a: dict[str, Any]) -> float:
    """The largest mean difference of one colour channel between the equal cells' pairs.

    The comparison runs on grey levels; two areas of different colours can share
    them (two flat shapes in colours of equal brightness).  A copy carries its
    colour: each cell's mean blue, green and red equal its counterpart's.
    """
    dx, dy = a["shift"]
    diffs = [
        np.abs(
            image[y : y + _CELL, x : x + _CELL].reshape(-1, 3).mean(axis=0)
            - image[y + dy : y + dy + _CELL, x + dx : x + dx + _CELL].reshape(-1, 3).mean(axis=0)
        )
        for x, y in a["cell_origins"]
    ]
    return float(np.mean(diffs, axis=0).max()) if diffs else 0.0


def _repeated(
    g: Image8,
    keep: Mask,
    a: dict[str, Any],
    areas: list[dict[str, Any]],
    min_side: float,
) -> str | None:
    """Why area ``a`` is repeated print rather than a copy, or None.

    Repeated print recurs: another proposed shift's two-dimensional area overlaps
    this one (a row of equal letters inside a copied block does not count), or
    the area is equal at twice or half its shift, or the area before its source
    equals the source.  A copy is found once.
    """
    for o in areas:
        if o is a or o["cells"] < a["cells"] / 4 or not _two_dimensional(o, min_side):
            continue
        if any(
            _boxes_overlap(a[s], o[t]) > 0.3
            for s in ("source", "target")
            for t in ("source", "target")
        ):
            return f"an area also repeats at shift {o['shift']}"
    dx, dy = a["shift"]
    bx, by, bw, bh = a["source"]
    margin = [bx - _CELL, by - _CELL, bw + 2 * _CELL, bh + 2 * _CELL]
    for what, (sx, sy), box in (
        ("twice the shift", (2 * dx, 2 * dy), margin),
        ("half the shift", (dx // 2, dy // 2), margin),
        ("before the source", (dx, dy), [margin[0] - dx, margin[1] - dy, margin[2], margin[3]]),
    ):
        if sx * sx + sy * sy < _CELL * _CELL:
            continue
        other = _equal_area(g, keep, sx, sy, box)
        if other is not None and other["cells"] >= a["cells"] / 4:
            return f"also equal at {what}"
    return None


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
    absolute high-pass residual.  It is not judged (``ratio`` None) when the page
    around the portrait measures outside ``portrait_page_noise_range``: above,
    the residual is micro-print, which real printed portraits never share either;
    below, the image carries no capture noise (digital artwork).
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
    cfg = ctx.profile.checks.integrity
    out: dict[str, Any] = {
        "inside_noise": a,
        "outside_noise": b,
        "ratio": max(a / b, b / a),
        "threshold": cfg.portrait_max_seam_ratio,
        "region": box,
    }
    lo, hi = cfg.portrait_page_noise_range
    if not lo <= b <= hi:
        # above: the "noise" around the portrait is micro-print or guilloche, which a
        # printed photo never shares; below: a digital image without capture noise,
        # where any photo is noisier than the page.  Neither tells pasted from printed
        out["ratio"] = None
        out["not_judged"] = (
            f"the page around the portrait measures {b:.2f} grey levels, outside "
            f"{lo:g}-{hi:g}: {'printed texture' if b > hi else 'no capture noise'}"
        )
    return out


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
        c = copy_move(ctx)
        stats["copy_move"] = c
        if c["side_px"] > c["threshold_px"]:
            out.append(
                finding(
                    "integrity.copy_move",
                    Severity.FAIL,
                    f"an area of {c['side_px']:.0f} px equals, pixel for pixel, another area "
                    f"of the image shifted by {c['shift']} (threshold {c['threshold_px']:g} px)",
                    {
                        k: c[k]
                        for k in (
                            "side_px",
                            "threshold_px",
                            "cells",
                            "structured_cells",
                            "differing_cells",
                            "colour_difference",
                            "matches",
                            "shift",
                            "source",
                            "target",
                        )
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
    if p is not None and p["ratio"] is None:
        out.append(
            finding(
                "integrity.portrait_not_judged",
                Severity.INFO,
                f"pasted-portrait comparison not made: {p['not_judged']}",
                {k: p[k] for k in ("inside_noise", "outside_noise")},
                p["region"],
            )
        )
    if p is not None and p["ratio"] is not None and p["ratio"] > cfg.portrait_max_seam_ratio:
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
