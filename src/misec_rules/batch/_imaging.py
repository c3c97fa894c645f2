"""Per-document image helpers for the batch: thumbnails, the portrait region, a pHash.

The portrait region is found from the MRZ's position: the MRZ spans a known share
of the document's width at a known character pitch (ICAO 9303 Part 3, 4.3: 2.54 mm
per character), so its bounding box gives the document's scale and left edge; the
portrait zone lies at the left of the visual zone, just above the MRZ (ICAO 9303
Part 4, 7 and Figure 6 for TD3; Part 5 and Part 6 for TD1 and TD2).  A processor
that knows the portrait's region better (a face detector, the authenticity checks)
returns it and that region is used instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np

__all__ = ["estimate_portrait", "phash", "portrait_hash", "thumbnail"]

# format -> (characters per MRZ line, document width mm, portrait w mm, portrait h mm)
_LAYOUT: dict[str, tuple[int, float, float, float]] = {
    "TD3": (44, 125.0, 35.0, 45.0),
    "MRVA": (44, 125.0, 35.0, 45.0),
    "TD2": (36, 105.0, 28.0, 35.0),
    "MRVB": (36, 105.0, 28.0, 35.0),
    "TD1": (30, 85.6, 22.0, 28.0),
}
_PITCH_MM = 2.54
_LEFT_MARGIN_MM = 4.0
_GAP_MM = 2.0


def thumbnail(image: np.ndarray[Any, Any], *, max_side: int = 360) -> tuple[bytes, float]:
    """A JPEG thumbnail of ``image`` (rows, cols[, 3]) and its scale (thumbnail / original)."""
    h, w = image.shape[:2]
    scale = min(1.0, max_side / float(max(h, w)))
    small = image
    if scale < 1.0:
        small = cv2.resize(
            image,
            (max(1, round(w * scale)), max(1, round(h * scale))),
            interpolation=cv2.INTER_AREA,
        )
    ok, buf = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 72])
    if not ok:  # pragma: no cover - cv2 encodes any uint8 array
        raise ValueError("cannot encode thumbnail")
    return bytes(buf.tobytes()), scale


def estimate_portrait(
    shape: Sequence[int], mrz_polygon: Sequence[Sequence[float]] | None, fmt: str | None
) -> list[int] | None:
    """The portrait's likely region ``[x, y, w, h]`` from the MRZ's polygon and format.

    Returns None when the MRZ's position or format is unknown or the region falls
    outside the image.

    References
    ----------
    ICAO 9303 Part 3, 4.3 (character pitch); Part 4, 7 (TD3 visual zone layout);
    Part 5 (TD1) and Part 6 (TD2).
    """
    if not mrz_polygon or fmt not in _LAYOUT:
        return None
    nchars, doc_w, pw, ph = _LAYOUT[fmt]
    xs = [float(p[0]) for p in mrz_polygon]
    ys = [float(p[1]) for p in mrz_polygon]
    mrz_left, mrz_right, mrz_top = min(xs), max(xs), min(ys)
    mm = (mrz_right - mrz_left) / (nchars * _PITCH_MM)
    if mm <= 0:
        return None
    doc_left = mrz_left - (doc_w - nchars * _PITCH_MM) / 2.0 * mm
    x0 = doc_left + _LEFT_MARGIN_MM * mm
    y1 = mrz_top - _GAP_MM * mm
    x, y, w, h = x0, y1 - ph * mm, pw * mm, ph * mm
    rows, cols = int(shape[0]), int(shape[1])
    xa, ya = max(0.0, x), max(0.0, y)
    xb, yb = min(float(cols), x + w), min(float(rows), y + h)
    if xb - xa < 8 or yb - ya < 8:
        return None
    return [round(xa), round(ya), round(xb - xa), round(yb - ya)]


def phash(gray: np.ndarray[Any, Any]) -> int | None:
    """A 64-bit DCT perceptual hash of a grayscale region, or None for a flat region.

    The region is reduced to 32x32, its 2-D DCT taken, and the 8x8 lowest
    frequencies compared with their median (the DC term excluded from the median).
    """
    if gray.size == 0:
        return None
    small = cv2.resize(gray, (32, 32), interpolation=cv2.INTER_AREA).astype(np.float32)
    if float(small.std()) < 2.0:
        return None
    low = cv2.dct(small)[:8, :8].flatten()
    med = float(np.median(low[1:]))
    value = 0
    for bit in low > med:
        value = (value << 1) | int(bit)
    return value


def portrait_hash(image: np.ndarray[Any, Any], box: Sequence[int]) -> int | None:
    """The pHash of ``image``'s region ``box`` = ``[x, y, w, h]`` (None if empty or flat)."""
    x, y, w, h = (int(v) for v in box)
    region = image[max(0, y) : y + h, max(0, x) : x + w]
    if region.size == 0:
        return None
    if region.ndim == 3:
        region = cv2.cvtColor(region, cv2.COLOR_BGR2GRAY)
    return phash(region)
