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

__all__ = [
    "box_quad",
    "estimate_portrait",
    "phash",
    "portrait_hashes",
    "portrait_quad",
    "thumbnail",
]

# format -> (characters per MRZ line, portrait's left edge from the MRZ's left edge,
# gap between the portrait's bottom and the MRZ's top, portrait width, portrait height),
# lengths in mm.  Measured on the sample generator's ICAO-style layouts; a real
# document's portrait may sit a few mm off, which the hash tolerates because it is
# taken over the central part of the region only.
_LAYOUT: dict[str, tuple[int, float, float, float, float]] = {
    "TD3": (44, -0.6, 13.6, 33.0, 43.0),
    "MRVA": (44, -0.7, 15.2, 28.0, 36.0),
    "TD2": (36, -0.8, 13.5, 26.0, 34.0),
    "MRVB": (36, -0.8, 15.6, 25.0, 32.0),
    "TD1": (30, -1.2, 2.3, 21.0, 27.0),
}
_PITCH_MM = 2.54
_CROP_W, _CROP_H = 96, 120
_INNER = 0.8


def thumbnail(image: np.ndarray[Any, Any], *, max_side: int = 300) -> tuple[bytes, float]:
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
    ok, buf = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 68])
    if not ok:  # pragma: no cover - cv2 encodes any uint8 array
        raise ValueError("cannot encode thumbnail")
    return bytes(buf.tobytes()), scale


def portrait_quad(
    mrz_polygon: Sequence[Sequence[float]] | None, fmt: str | None
) -> np.ndarray[Any, Any] | None:
    """The portrait's likely corners (4x2: top-left, top-right, bottom-right, bottom-left)
    from the MRZ's polygon (the same order, in reading direction) and format.

    Works whatever the document's rotation in the image: the MRZ's top edge gives the
    reading direction and, with the character pitch, the scale in pixels per mm.

    References
    ----------
    ICAO 9303 Part 3, 4.3 (character pitch); Part 4, 7 (TD3 layout); Parts 5 and 6
    (TD1, TD2); Part 7 (MRV-A, MRV-B).
    """
    if not mrz_polygon or len(mrz_polygon) != 4 or fmt not in _LAYOUT:
        return None
    nchars, dx, gap, pw, ph = _LAYOUT[fmt]
    p = np.asarray(mrz_polygon, dtype=np.float64)
    along = p[1] - p[0]
    length = float(np.hypot(*along))
    if length < 1.0:
        return None
    u = along / length
    v = np.array([-u[1], u[0]])  # 90 degrees clockwise in image coordinates: "down"
    if float(np.dot(p[3] - p[0], v)) < 0:
        v = -v
    mm = length / (nchars * _PITCH_MM)
    bottom_left = p[0] + u * dx * mm - v * gap * mm
    tl = bottom_left - v * ph * mm
    return np.array([tl, tl + u * pw * mm, bottom_left + u * pw * mm, bottom_left])


def estimate_portrait(
    shape: Sequence[int], mrz_polygon: Sequence[Sequence[float]] | None, fmt: str | None
) -> list[int] | None:
    """The portrait's likely region ``[x, y, w, h]`` (its bounding box, clipped to the
    image) from the MRZ's polygon and format; None when unknown or outside the image."""
    quad = portrait_quad(mrz_polygon, fmt)
    if quad is None:
        return None
    rows, cols = int(shape[0]), int(shape[1])
    xa, ya = max(0.0, float(quad[:, 0].min())), max(0.0, float(quad[:, 1].min()))
    xb, yb = min(float(cols), float(quad[:, 0].max())), min(float(rows), float(quad[:, 1].max()))
    if xb - xa < 8 or yb - ya < 8:
        return None
    return [round(xa), round(ya), round(xb - xa), round(yb - ya)]


def box_quad(box: Sequence[int]) -> np.ndarray[Any, Any]:
    """The corners of an axis-aligned box ``[x, y, w, h]``."""
    x, y, w, h = (float(v) for v in box)
    return np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]])


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


#: Zooms at which extra hashes are taken, so a portrait reprinted or pasted a little
#: larger or smaller still matches (a pasted photo is often cut a few per cent larger).
ZOOMS = (1.04, 1.08, 1.12)


def portrait_hashes(image: np.ndarray[Any, Any], quad: np.ndarray[Any, Any]) -> list[int] | None:
    """pHashes of the portrait with corners ``quad`` (see :func:`portrait_quad`): first
    as found, then zoomed in by each of :data:`ZOOMS` about its centre.

    The region is warped upright to a fixed size, so a rotated or rescaled scan of
    the same portrait hashes alike; only its central part is hashed, so an estimate a
    little off still covers the same face.  None when the region leaves the image or
    is flat.
    """
    rows, cols = image.shape[:2]
    if (
        quad[:, 0].min() < -0.05 * cols
        or quad[:, 1].min() < -0.05 * rows
        or quad[:, 0].max() > 1.05 * cols
        or quad[:, 1].max() > 1.05 * rows
    ):
        return None
    src = np.asarray(quad[[0, 1, 3]], dtype=np.float32)
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    centre = np.array([_CROP_W / 2, _CROP_H / 2], dtype=np.float32)
    base = np.array([[0, 0], [_CROP_W, 0], [0, _CROP_H]], dtype=np.float32)
    mx, my = round(_CROP_W * (1 - _INNER) / 2), round(_CROP_H * (1 - _INNER) / 2)
    out: list[int] = []
    for zoom in (1.0, *ZOOMS):
        dst = ((base - centre) * zoom + centre).astype(np.float32)
        crop = cv2.warpAffine(
            gray, cv2.getAffineTransform(src, dst), (_CROP_W, _CROP_H), flags=cv2.INTER_AREA
        )
        value = phash(crop[my : _CROP_H - my, mx : _CROP_W - mx])
        if value is None:
            return None
        out.append(value)
    return out
