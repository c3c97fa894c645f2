"""Find the MRZ band in a document image and cut out its text lines.

The stages are pure functions on arrays, each returning a new value:

1. :func:`find_bands` works on a grayscale copy scaled so its longer side is
   :data:`WORK_SIDE` pixels.  For a few guesses of the character pitch it
   takes the black-hat transform (dark strokes on a lighter ground, which
   removes photos and dark areas wider than a character), keeps the columns of
   strong horizontal change (vertical strokes), closes horizontally so the
   characters of one line merge into one long blob, and thresholds.  Each
   long thin blob is a candidate text line; two or three parallel, equally
   long, evenly spaced lines with nothing else of that length around them
   form a candidate MRZ band.  Bands are scored by how well the lines agree in
   length, angle and spacing and by the length-to-height ratio an MRZ line of
   30, 36 or 44 characters has.
2. :func:`cut_lines` warps each line of a band out of the full-resolution
   image into a straight strip of :data:`LINE_HEIGHT` pixels (so small skew
   and mild perspective are removed line by line).
3. :func:`split_cells` finds the fixed pitch of a line strip that has ``n``
   characters (ICAO 9303-3 s4.2: MRZ characters are spaced at a constant
   pitch) and cuts it into ``n`` character cells.

Rotations by 90, 180 and 270 degrees are handled by the caller
(:mod:`misec_rules.vision._pipeline`): a band is searched for in the image as
given and turned by 90 degrees, and the reading direction of the band is
decided by the recogniser.

References
----------
ICAO Doc 9303 part 3, section 4 (OCR-B, character pitch), part 4 s4.2, part 5
s4.2 and part 7 s4.2 (position of the MRZ on TD3, TD1 and TD2/MRV documents).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
from numpy.typing import NDArray

__all__ = [
    "LINE_HEIGHT",
    "WORK_SIDE",
    "Band",
    "TextLine",
    "cut_lines",
    "find_bands",
    "split_cells",
    "to_gray",
]

WORK_SIDE = 1200
"""Longer side, in pixels, of the copy the band search works on."""

LINE_HEIGHT = 40
"""Height, in pixels, of a rectified line strip (characters are ~26 px tall)."""

_PITCHES = (16.0, 10.0, 26.0, 6.5)
"""Character pitch guesses, in working pixels, tried in this order."""

Gray = NDArray[np.uint8]
Points = NDArray[np.float64]


@dataclass(frozen=True)
class TextLine:
    """One candidate text line, in working-image pixels.

    ``p0``/``p1`` are the centre points of its left and right ends,
    ``thickness`` its height across the line direction.  ``periodicity`` (0
    to 1) is how regular its character spacing is, ``chars`` the number of
    characters that spacing implies.
    """

    p0: tuple[float, float]
    p1: tuple[float, float]
    thickness: float
    periodicity: float = 0.0
    chars: float = 0.0

    @property
    def length(self) -> float:
        """Distance between the two ends."""
        return float(np.hypot(self.p1[0] - self.p0[0], self.p1[1] - self.p0[1]))

    @property
    def angle(self) -> float:
        """Direction from left to right end, in degrees (image y down)."""
        return float(np.degrees(np.arctan2(self.p1[1] - self.p0[1], self.p1[0] - self.p0[0])))

    @property
    def center(self) -> tuple[float, float]:
        """Midpoint of the line."""
        return ((self.p0[0] + self.p1[0]) / 2, (self.p0[1] + self.p1[1]) / 2)


@dataclass(frozen=True)
class Band:
    """A candidate MRZ band: its lines top to bottom and its score.

    ``scale`` maps working pixels to the pixels of the image it was found in.
    """

    lines: tuple[TextLine, ...]
    score: float
    scale: float
    pitch: float
    notes: tuple[str, ...] = field(default=())

    def polygon(self) -> Points:
        """The band's corners (tl, tr, br, bl) in the searched image's pixels."""
        first, last = self.lines[0], self.lines[-1]
        ux, uy = _unit(first)
        nx, ny = -uy, ux
        h0 = first.thickness * 0.75
        h1 = last.thickness * 0.75
        pad = self.pitch * 0.8
        left = min(first.p0[0] * ux + first.p0[1] * uy, last.p0[0] * ux + last.p0[1] * uy) - pad
        right = max(first.p1[0] * ux + first.p1[1] * uy, last.p1[0] * ux + last.p1[1] * uy) + pad
        top = first.center[0] * nx + first.center[1] * ny - h0
        bottom = last.center[0] * nx + last.center[1] * ny + h1
        pts = [
            (left * ux + top * nx, left * uy + top * ny),
            (right * ux + top * nx, right * uy + top * ny),
            (right * ux + bottom * nx, right * uy + bottom * ny),
            (left * ux + bottom * nx, left * uy + bottom * ny),
        ]
        return np.asarray(pts, dtype=np.float64) * self.scale


def _unit(line: TextLine) -> tuple[float, float]:
    dx, dy = line.p1[0] - line.p0[0], line.p1[1] - line.p0[1]
    n = float(np.hypot(dx, dy)) or 1.0
    return dx / n, dy / n


def to_gray(image: NDArray[np.uint8], /) -> Gray:
    """A grayscale copy of a BGR image that keeps dark ink dark on any colour ground.

    The darkest channel is blended with luminance: black MRZ print stays black,
    while coloured backgrounds (a red or blue security print) come out lighter.
    """
    if image.ndim == 2:
        return image.copy()
    lum = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    b, g, r = cv2.split(image)
    mx = cv2.max(cv2.max(b, g), r)
    # Ink is dark in every channel; a colour ground is bright in at least one.
    out = cv2.addWeighted(lum, 0.5, mx, 0.5, 0.0)
    return np.asarray(out, dtype=np.uint8)


def _work_copy(gray: Gray) -> tuple[Gray, float]:
    """``gray`` resized so its longer side is WORK_SIDE; returns it and the scale back."""
    h, w = gray.shape[:2]
    s = WORK_SIDE / max(h, w)
    interp = cv2.INTER_AREA if s < 0.6 else cv2.INTER_LINEAR
    small = cv2.resize(gray, (max(1, round(w * s)), max(1, round(h * s))), interpolation=interp)
    return np.asarray(small, dtype=np.uint8), 1.0 / s


def _odd(x: float) -> int:
    v = max(1, round(x))
    return v if v % 2 else v + 1


def line_mask(small: Gray, pitch: float) -> Gray:
    """Binary mask of text lines for characters of about ``pitch`` working pixels."""
    ch = pitch * 1.0  # OCR-B MRZ characters are about one pitch tall
    k_bh = cv2.getStructuringElement(cv2.MORPH_RECT, (_odd(pitch * 1.6), _odd(ch * 1.4)))
    # black-hat relative to the local paper brightness, so print in a shadow
    # counts as much as print in full light
    closed = cv2.morphologyEx(small, cv2.MORPH_CLOSE, k_bh).astype(np.float32)
    bh = (closed - small.astype(np.float32)) / (closed + 24.0) * 255.0
    gx = cv2.Sobel(bh, cv2.CV_32F, 1, 0, ksize=3)
    gx = np.abs(gx)
    hi = float(np.percentile(gx[::3, ::3], 99.5)) or 1.0
    g8 = np.clip(gx * (255.0 / hi), 0, 255).astype(np.uint8)
    k_close = cv2.getStructuringElement(cv2.MORPH_RECT, (_odd(pitch * 1.6), _odd(ch * 0.25)))
    joined = cv2.morphologyEx(g8, cv2.MORPH_CLOSE, k_close)
    joined = cv2.GaussianBlur(joined, (_odd(pitch * 0.6), _odd(ch * 0.2)), 0)
    _, th = cv2.threshold(joined, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    # Break thin bridges between lines, then close remaining gaps along lines.
    th = cv2.morphologyEx(
        th,
        cv2.MORPH_OPEN,
        cv2.getStructuringElement(cv2.MORPH_RECT, (_odd(pitch * 0.8), _odd(ch * 0.45))),
    )
    th = cv2.morphologyEx(
        th, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (_odd(pitch * 2.0), 1))
    )
    return np.asarray(th, dtype=np.uint8)


def _periodicity(
    small: Gray, p0: tuple[float, float], p1: tuple[float, float], thick: float
) -> tuple[float, float]:
    """Regularity of the character spacing along a line, and the implied count."""
    length = float(np.hypot(p1[0] - p0[0], p1[1] - p0[1]))
    if length < 20:
        return 0.0, 0.0
    ux, uy = (p1[0] - p0[0]) / length, (p1[1] - p0[1]) / length
    nx, ny = -uy, ux
    hh = thick * 0.6
    out_h = 24
    out_w = max(16, round(length * out_h / (2 * hh)))
    src = np.array(
        [
            [p0[0] - nx * hh, p0[1] - ny * hh],
            [p1[0] - nx * hh, p1[1] - ny * hh],
            [p1[0] + nx * hh, p1[1] + ny * hh],
        ],
        dtype=np.float32,
    )
    dst = np.array([[0, 0], [out_w, 0], [out_w, out_h]], dtype=np.float32)
    strip = cv2.warpAffine(
        small,
        cv2.getAffineTransform(src, dst),
        (out_w, out_h),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
    prof = 255.0 - strip.astype(np.float32).mean(axis=0)
    prof = prof - prof.mean()
    size = 1
    while size < 2 * prof.size:
        size *= 2
    f = np.fft.rfft(prof, size)
    ac = np.fft.irfft(f * np.conj(f), size)[: prof.size]
    if ac[0] <= 0:
        return 0.0, 0.0
    lo = max(2, int(out_w / 52))
    hi = min(prof.size - 1, int(out_w / 24) + 1)
    if hi <= lo:
        return 0.0, 0.0
    k = lo + int(np.argmax(ac[lo:hi]))
    # unbiased estimate: correct for the shrinking overlap at larger lags
    strength = float(ac[k] / ac[0]) * prof.size / max(prof.size - k, 1)
    return max(0.0, min(1.0, strength)), out_w / k


def _lines_from_mask(mask: Gray, pitch: float, small: Gray) -> list[TextLine]:
    ch = pitch * 1.0
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    out: list[TextLine] = []
    for c in contours:
        if len(c) < 4:
            continue
        (cx, cy), (w, h), ang = cv2.minAreaRect(c)
        if w < h:
            w, h = h, w
            ang += 90.0
        if w < 4 * pitch or h < 0.45 * ch or h > 3.0 * ch or w / max(h, 1.0) < 3:
            continue
        a = np.radians(ang)
        ux, uy = float(np.cos(a)), float(np.sin(a))
        if ux < 0:
            ux, uy = -ux, -uy
        # Only near-horizontal lines here; the caller turns the image for the rest.
        if abs(np.degrees(np.arctan2(uy, ux))) > 25:
            continue
        fill = cv2.contourArea(c) / max(w * h, 1.0)
        if fill < 0.55:
            continue
        half = w / 2
        p0 = (cx - ux * half, cy - uy * half)
        p1 = (cx + ux * half, cy + uy * half)
        per, chars = _periodicity(small, p0, p1, float(h))
        out.append(TextLine(p0=p0, p1=p1, thickness=float(h), periodicity=per, chars=chars))
    return out


def _merge_fragments(lines: list[TextLine], pitch: float, small: Gray) -> list[TextLine]:
    """Join pieces of one text row split by glare, a redaction box or a fold."""
    out = sorted(lines, key=lambda t: t.p0[0])
    merged = True
    while merged:
        merged = False
        for i in range(len(out)):
            for j in range(len(out)):
                a, b = out[i], out[j]
                if i == j or b.p0[0] < a.p0[0]:
                    continue
                ux, uy = _unit(a)
                dx, dy = b.center[0] - a.center[0], b.center[1] - a.center[1]
                across = abs(-uy * dx + ux * dy)
                gap = (b.p0[0] - a.p1[0]) * ux + (b.p0[1] - a.p1[1]) * uy
                t = max(a.thickness, b.thickness)
                if across > 0.35 * t or abs(a.angle - b.angle) > 4 or gap > 12 * pitch:
                    continue
                if gap < -0.5 * min(a.length, b.length):
                    continue
                p0, p1 = a.p0, b.p1 if b.p1[0] > a.p1[0] else a.p1
                per, chars = _periodicity(small, p0, p1, t)
                joined = TextLine(p0=p0, p1=p1, thickness=t, periodicity=per, chars=chars)
                out = [x for k, x in enumerate(out) if k not in (i, j)] + [joined]
                out.sort(key=lambda q: q.p0[0])
                merged = True
                break
            if merged:
                break
    return out


def _group(lines: list[TextLine], pitch: float, scale: float) -> list[Band]:
    """Groups of 2 or 3 parallel, equal, evenly spaced lines, scored."""
    lines = sorted(lines, key=lambda t: t.center[1])
    bands: list[Band] = []
    n = len(lines)
    for i in range(n):
        a = lines[i]
        ux, uy = _unit(a)
        chain = [a]
        for j in range(i + 1, n):
            b = lines[j]
            last = chain[-1]
            # distance across the line direction and overlap along it
            dx, dy = b.center[0] - last.center[0], b.center[1] - last.center[1]
            across = -uy * dx + ux * dy
            along = ux * dx + uy * dy
            if across <= 0:
                continue
            mean_t = (b.thickness + last.thickness) / 2
            if across > 3.2 * mean_t:
                if across > 6 * mean_t:
                    break
                continue
            if across < 1.1 * mean_t:
                continue
            if abs(along) > 0.12 * max(a.length, b.length):
                continue
            if abs(b.length - a.length) > 0.12 * max(a.length, b.length):
                continue
            if abs(b.angle - a.angle) > 4:
                continue
            if len(chain) == 2:
                gap0 = _across(chain[0], chain[1])
                if abs(across - gap0) > 0.35 * gap0:
                    continue
            chain.append(b)
            if len(chain) == 3:
                break
        for k in (2, 3):
            if len(chain) >= k:
                sub = tuple(chain[:k])
                bands.append(Band(sub, _score(sub, lines), scale, pitch))
    return bands


def _across(a: TextLine, b: TextLine) -> float:
    ux, uy = _unit(a)
    dx, dy = b.center[0] - a.center[0], b.center[1] - a.center[1]
    return -uy * dx + ux * dy


def _score(band: tuple[TextLine, ...], all_lines: list[TextLine]) -> float:
    lengths = np.array([t.length for t in band])
    thick = np.array([t.thickness for t in band])
    ratio = float(lengths.mean() / thick.mean())
    # MRZ line length / line-blob height: TD1 30 chars ~ 25, TD3 44 chars ~ 38.
    expect = (24.0, 48.0) if len(band) == 2 else (18.0, 34.0)
    if ratio < expect[0]:
        r_score = ratio / expect[0]
    elif ratio > expect[1]:
        r_score = expect[1] / ratio
    else:
        r_score = 1.0
    len_agree = 1.0 - float(lengths.std() / lengths.mean())
    angles = np.array([t.angle for t in band])
    ang_agree = 1.0 - min(1.0, float(angles.std()) / 4)
    thick_agree = 1.0 - min(1.0, float(thick.std() / thick.mean()))
    # An MRZ has at most three lines: a same-length line at the same spacing
    # above or below makes the group a block of body text.
    gap = _across(band[0], band[1])
    extra = 0.0
    for t in all_lines:
        if t in band:
            continue
        below, above = _across(band[-1], t), _across(t, band[0])
        near = 0.6 * gap < below < 1.4 * gap or 0.6 * gap < above < 1.4 * gap
        if not near:
            continue
        if abs(t.length - band[0].length) <= 0.15 * band[0].length:
            extra = 0.5
        elif len(band) == 2 and t.length > 0.3 * band[0].length and t.periodicity > 0.08:
            # probably the third line of a TD1 cut short at this pitch
            extra = max(extra, 0.45)
    per = float(np.mean([t.periodicity for t in band]))
    chars = float(np.median([t.chars for t in band]))
    want = (30.0,) if len(band) == 3 else (36.0, 44.0)
    c_err = min(abs(chars - w) / w for w in want)
    c_score = max(0.0, 1.0 - 2.5 * max(0.0, c_err - 0.06))
    size = min(1.0, float(lengths.mean()) / (0.25 * WORK_SIDE))
    base = 2.0 if len(band) == 3 else 1.8
    shape = r_score * len_agree * ang_agree * thick_agree * (0.7 + 0.3 * size)
    return base * shape * (0.5 + 0.5 * min(1.0, per / 0.4)) * (0.5 + 0.5 * c_score) - extra


def find_bands(gray: Gray, /, *, max_bands: int = 4) -> list[Band]:
    """Candidate MRZ bands in a grayscale image, best first.

    Parameters
    ----------
    gray
        (rows, cols) ``uint8`` image.
    max_bands
        How many candidates to return at most.

    Returns
    -------
    list of Band
        Coordinates in ``gray``'s pixels through :meth:`Band.polygon`; empty
        when nothing MRZ-like is found.
    """
    small, scale = _work_copy(gray)
    bands: list[Band] = []
    tried: list[float] = []
    queue = list(_PITCHES)
    while queue:
        pitch = queue.pop(0)
        if any(abs(pitch / t - 1) < 0.2 for t in tried):
            continue
        tried.append(pitch)
        pieces = _lines_from_mask(line_mask(small, pitch), pitch, small)
        lines = [
            t
            for t in _merge_fragments(pieces, pitch, small)
            if t.length >= 18 * pitch and t.length / t.thickness >= 10
        ]
        found = _group(lines, pitch, scale)
        bands.extend(found)
        if found:
            top = max(found, key=lambda b: b.score)
            # the pitch the band itself implies; search again there if far off
            chars = float(np.median([t.chars for t in top.lines]))
            implied = float(np.mean([t.length for t in top.lines])) / max(chars, 1.0)
            if top.score > 0.6 and abs(implied / pitch - 1) > 0.3 and 4.0 < implied < 45.0:
                queue.insert(0, implied)
                continue
        if bands and max(b.score for b in bands) > 1.4:
            break
    bands.sort(key=lambda b: -b.score)
    # drop near-duplicates (same first line found at two pitches)
    kept: list[Band] = []
    for b in bands:
        c = b.lines[0].center
        if any(
            abs(c[0] - k.lines[0].center[0]) < 10
            and abs(c[1] - k.lines[0].center[1]) < 10
            and len(k.lines) == len(b.lines)
            for k in kept
        ):
            continue
        kept.append(b)
        if len(kept) >= max_bands:
            break
    return kept


def cut_lines(gray: Gray, band: Band, /) -> list[Gray]:
    """Warp each line of ``band`` out of ``gray`` into a straight strip.

    Returns one (LINE_HEIGHT, cols) ``uint8`` strip per line, top to bottom,
    with the characters about 0.65 of the strip tall and some margin at both
    ends.
    """
    strips: list[Gray] = []
    s = band.scale
    for t in band.lines:
        ux, uy = _unit(t)
        nx, ny = -uy, ux
        half_h = t.thickness * 0.85 * s
        own_pitch = t.length / t.chars if t.chars > 0 else band.pitch
        pad = max(band.pitch, min(own_pitch, 2 * band.pitch)) * 1.2 * s
        x0, y0 = t.p0[0] * s - ux * pad, t.p0[1] * s - uy * pad
        x1, y1 = t.p1[0] * s + ux * pad, t.p1[1] * s + uy * pad
        src = np.array(
            [
                [x0 - nx * half_h, y0 - ny * half_h],
                [x1 - nx * half_h, y1 - ny * half_h],
                [x1 + nx * half_h, y1 + ny * half_h],
            ],
            dtype=np.float32,
        )
        length = float(np.hypot(x1 - x0, y1 - y0))
        out_h = LINE_HEIGHT
        out_w = max(8, round(length * out_h / (2 * half_h)))
        dst = np.array([[0, 0], [out_w, 0], [out_w, out_h]], dtype=np.float32)
        m = cv2.getAffineTransform(src, dst)
        interp = cv2.INTER_AREA if out_h < 2 * half_h else cv2.INTER_CUBIC
        strip = cv2.warpAffine(
            gray, m, (out_w, out_h), flags=interp, borderMode=cv2.BORDER_REPLICATE
        )
        strips.append(np.asarray(strip, dtype=np.uint8))
    return strips


def ink(strip: Gray, /) -> NDArray[np.float32]:
    """Ink density in [0, 1] of a line strip (dark print on a lighter ground)."""
    k = cv2.getStructuringElement(cv2.MORPH_RECT, (_odd(LINE_HEIGHT * 0.9), _odd(LINE_HEIGHT)))
    bh = cv2.morphologyEx(strip, cv2.MORPH_BLACKHAT, k).astype(np.float32)
    hi = float(np.percentile(bh, 99)) or 1.0
    out: NDArray[np.float32] = np.clip(bh / hi, 0.0, 1.0).astype(np.float32)
    return out


def tighten(strip: Gray, /) -> Gray:
    """Re-centre a line strip vertically on its text row (same size)."""
    density = ink(strip)
    rows = density.mean(axis=1)
    if rows.max() <= 0:
        return strip
    rows = np.convolve(rows, np.ones(5) / 5, mode="same")
    thr = 0.35 * rows.max()
    on = np.flatnonzero(rows > thr)
    top, bot = int(on[0]), int(on[-1])
    # the longest run of rows above the threshold is the text row
    best = (top, bot)
    run_start = on[0]
    longest = 0
    for a, b in zip(on, [*on[1:], -10], strict=True):
        if b != a + 1:
            if a - run_start > longest:
                longest = a - run_start
                best = (int(run_start), int(a))
            run_start = b
    top, bot = best
    height = bot - top + 1
    if height < 6:
        return strip
    want = LINE_HEIGHT * 0.62
    s = want / height
    cy = (top + bot) / 2
    m = np.array([[s, 0, 0], [0, s, LINE_HEIGHT / 2 - cy * s]], dtype=np.float32)
    w = max(8, round(strip.shape[1] * s))
    out = cv2.warpAffine(
        strip, m, (w, LINE_HEIGHT), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return np.asarray(out, dtype=np.uint8)


def split_cells(
    strip: Gray,
    n: int,
    /,
    *,
    density: NDArray[np.float32] | None = None,
    bend: float = 0.2,
) -> tuple[list[tuple[float, float]], float]:
    """Cut a line strip into ``n`` fixed-pitch character cells.

    Returns
    -------
    cells, pitch
        ``cells`` as (x0, x1) column ranges of each character, left to right,
        and the pitch in strip pixels.  The pitch is first taken from the
        autocorrelation of the column ink profile (MRZ characters sit at a
        constant pitch), then pitch and start are refined together so that
        the cell borders fall on the gaps between characters and the ``n``
        cells hold as much of the ink as possible.

    ``bend`` bounds how much the pitch may change from one end of the line
    to the other (perspective), as a share of the pitch, either way.

    References
    ----------
    ICAO Doc 9303 part 3, s4.2.2 (constant character pitch).
    """
    if density is None:
        density = ink(strip)
    mid = density[int(LINE_HEIGHT * 0.15) : int(LINE_HEIGHT * 0.85)]
    cols = mid.mean(axis=0).astype(np.float64)
    # Columns with ink well above and below the text row are not characters
    # (a page edge, a fold, a frame line): leave them out of the profile.
    band = max(2, int(LINE_HEIGHT * 0.1))
    outer = np.minimum(density[:band].mean(axis=0), density[-band:].mean(axis=0))
    tall = outer > 0.3
    if tall.any():
        tall = np.convolve(tall.astype(np.float64), np.ones(5), mode="same") > 0
        cols = np.where(tall, 0.0, cols)
    # background print (guilloche) leaves a floor of ink everywhere
    cols = np.clip(cols - float(np.percentile(cols, 20)), 0.0, None)
    w = cols.size
    if w < n or float(cols.max()) <= 0:
        p = w / n
        return [(i * p, (i + 1) * p) for i in range(n)], p
    # pitch from the autocorrelation, within what the strip's width allows
    prof = cols - cols.mean()
    size = 1
    while size < 2 * w:
        size *= 2
    f = np.fft.rfft(prof, size)
    ac = np.fft.irfft(f * np.conj(f), size)[:w]
    lo = max(2, int(w / (n + 6)))
    hi = min(w - 1, int(np.ceil(w / max(n - 3, 1))) + 1)
    if hi > lo + 1:
        lags = np.arange(lo, hi)
        k = int(lags[np.argmax(ac[lo:hi] * w / (w - lags))])
        # sub-sample peak position
        if 0 < k < w - 1:
            a, b, c = ac[k - 1], ac[k], ac[k + 1]
            den = a - 2 * b + c
            p_ac = k + (0.5 * (a - c) / den if den < 0 else 0.0)
        else:
            p_ac = float(k)
    else:
        p_ac = w / (n + 2.4)
    cum = np.concatenate([[0.0], np.cumsum(cols)])
    total = cum[-1]
    best = (np.inf, p_ac, 0.0, 0.0)
    steps = np.arange(n + 1, dtype=np.float64)
    for dp in np.linspace(-0.04, 0.04, 17):
        p = p_ac * (1 + dp)
        span = n * p
        if span > w + p:
            continue
        starts = np.arange(-0.5 * p, max(w - span + 0.5 * p, -0.5 * p + 1e-3), p / 10)
        if starts.size == 0:
            continue
        # a quadratic term lets the pitch change along the line (perspective);
        # every bend and start at once: (bends, starts, n + 1) cell edges
        qs = np.linspace(-bend, bend, 2 * int(np.ceil(bend / 0.02)) + 1) * p / n
        pos = p * steps[None, :] + qs[:, None] * (steps * (steps - n))[None, :]
        edges = starts[None, :, None] + pos[:, None, :]
        idx = np.clip(np.round(edges).astype(int), 0, w - 1)
        border = cols[idx].sum(axis=2)
        ends = np.clip(np.round(edges[:, :, [0, -1]]).astype(int), 0, w)
        inside = cum[ends[:, :, 1]] - cum[ends[:, :, 0]]
        cost = border + 2.0 * (total - inside) + (0.02 * n / p * total) * np.abs(qs)[:, None]
        qi, j = np.unravel_index(int(np.argmin(cost)), cost.shape)
        if cost[qi, j] < best[0]:
            best = (float(cost[qi, j]), p, float(starts[j]), float(qs[qi]))
    _, p, start, q = best
    edges_f = start + p * steps + q * steps * (steps - n)
    cells = [(float(edges_f[i]), float(edges_f[i + 1])) for i in range(n)]
    return cells, p
