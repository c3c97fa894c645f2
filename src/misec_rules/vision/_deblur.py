"""Motion blur: find a straight-line blur in a patch and undo it (Wiener filter).

A phone moved during the exposure smears every point of the page into a short
straight segment.  Printed text then shows each stroke twice (at both ends of
the segment) with a grey ramp between, which neither the cell splitter nor
the glyph classifier can read.  Such a blur multiplies the spectrum by a sinc
whose zeros repeat along the direction of motion, every ``1/L`` for a
segment ``L`` pixels long; in the cepstrum (the inverse transform of the log
spectrum) that regular ripple becomes a sharp negative peak at distance ``L``
in that direction.  Text, paper texture, noise, JPEG and defocus (a Gaussian
has no zeros) do not make such a peak, so its depth relative to the
cepstrum's spread near the origin says whether there is a motion blur at all.

With the segment known, a Wiener filter (the inverse of the blur, damped
where the blur leaves little signal) restores the strokes.

References
----------
Rom, R. (1975). On the cepstrum of two-dimensional functions. IEEE Trans.
Inf. Theory 21(2); Gonzalez and Woods, Digital Image Processing, s5.8
(Wiener filtering).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

__all__ = ["MotionBlur", "deblur", "estimate_motion"]

# A cepstral dip this many standard deviations deep means a line blur.
_MIN_DEPTH = 1.2
# Shorter segments are left alone (mild smear reads as it is; the estimate is
# unreliable below this).
_MIN_LENGTH = 6
# Wiener noise-to-signal ratio: small enough to restore strokes, large enough
# not to blow up noise at the blur's spectral zeros.
_NSR = 0.01
# Angles searched, degrees (a segment has no sense of direction: 0-180).
_ANGLES = np.arange(0.0, 180.0, 2.0)
# The largest patch side the estimate looks at (a larger patch is cropped to its centre).
_MAX_SIDE = 1024


@dataclass(frozen=True)
class MotionBlur:
    """A straight-line blur: ``length`` pixels along ``angle`` degrees (x right, y up)."""

    length: int
    angle: float
    depth: float


def _cepstrum(patch: NDArray[np.float32]) -> NDArray[np.float64]:
    h, w = patch.shape
    win = np.outer(np.hanning(h), np.hanning(w))
    g = (patch - float(patch.mean())) * win
    spectrum = np.abs(np.fft.rfft2(g))
    c = np.fft.irfft2(np.log1p(spectrum), s=(h, w))
    out: NDArray[np.float64] = np.fft.fftshift(c)
    return out


def estimate_motion(patch: NDArray[np.uint8], /, *, max_length: float = 30.0) -> MotionBlur | None:
    """The straight-line motion blur of a gray patch, or None when there is none.

    Parameters
    ----------
    patch
        A gray ``uint8`` patch around the text (at least 32 x 32 pixels).
    max_length
        The longest segment looked for, in pixels (about a character's pitch).
    """
    h, w = patch.shape[:2]
    if h < 32 or w < 32:
        return None
    if h > _MAX_SIDE or w > _MAX_SIDE:
        y0, x0 = max(0, (h - _MAX_SIDE) // 2), max(0, (w - _MAX_SIDE) // 2)
        patch = patch[y0 : y0 + _MAX_SIDE, x0 : x0 + _MAX_SIDE]
        h, w = patch.shape[:2]
    c = _cepstrum(patch.astype(np.float32))
    cy, cx = h // 2, w // 2
    r_max = int(min(max_length, cy - 2, cx - 2))
    if r_max <= _MIN_LENGTH:
        return None
    radii = np.arange(3, r_max + 1, dtype=np.float32)
    theta = np.deg2rad(_ANGLES).astype(np.float32)
    xs = cx + np.outer(np.cos(theta), radii)
    ys = cy - np.outer(np.sin(theta), radii)
    vals = cv2.remap(c.astype(np.float32), xs, ys, cv2.INTER_LINEAR)
    k = int(np.argmin(vals))
    ai, ri = divmod(k, len(radii))
    spread = float(np.std(c[max(0, cy - 40) : cy + 40, max(0, cx - 40) : cx + 40])) or 1.0
    depth = -float(vals[ai, ri]) / spread
    length = round(float(radii[ri]))
    if depth < _MIN_DEPTH or length < _MIN_LENGTH:
        return None
    return MotionBlur(length=length, angle=float(_ANGLES[ai]), depth=depth)


def _psf(blur: MotionBlur, shape: tuple[int, int]) -> NDArray[np.float32]:
    """The blur's point-spread function, centred in an array of ``shape``."""
    h, w = shape
    k = np.zeros((h, w), dtype=np.float32)
    cy, cx = h // 2, w // 2
    th = np.deg2rad(blur.angle)
    half = (blur.length - 1) / 2
    for s in np.linspace(-half, half, 4 * blur.length):
        x, y = cx + s * np.cos(th), cy - s * np.sin(th)
        x0, y0 = int(np.floor(x)), int(np.floor(y))
        fx, fy = x - x0, y - y0
        k[y0, x0] += (1 - fx) * (1 - fy)
        k[y0, x0 + 1] += fx * (1 - fy)
        k[y0 + 1, x0] += (1 - fx) * fy
        k[y0 + 1, x0 + 1] += fx * fy
    out: NDArray[np.float32] = k / k.sum()
    return out


def deblur(
    patch: NDArray[np.uint8], blur: MotionBlur, /, *, nsr: float = _NSR
) -> NDArray[np.uint8]:
    """Undo ``blur`` in a gray patch with a Wiener filter (same shape, ``uint8``)."""
    pad = 2 * blur.length
    g = cv2.copyMakeBorder(patch.astype(np.float32), pad, pad, pad, pad, cv2.BORDER_REFLECT)
    h, w = g.shape
    otf = np.fft.rfft2(np.fft.ifftshift(_psf(blur, (h, w))))
    spectrum = np.fft.rfft2(g)
    restored = np.fft.irfft2(spectrum * np.conj(otf) / (np.abs(otf) ** 2 + nsr), s=(h, w))
    out: NDArray[np.uint8] = np.clip(restored[pad:-pad, pad:-pad], 0, 255).astype(np.uint8)
    return out
