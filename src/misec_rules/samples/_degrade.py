"""Degradations that turn a clean render into a scan or a phone photo.

Each degradation is a pure function ``f(image, /, *, rng, ...) -> Degraded``: the
input (BGR uint8, shape (rows, cols, 3)) is never modified, all randomness comes
from ``rng``, and the result carries the 3x3 homography that maps input pixel
coordinates to output pixel coordinates (``None`` where the geometry is unknown),
so that regions known on the clean render can be carried into the final image.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw

from misec_rules.samples._fonts import load_font, viz_font_path

__all__ = [
    "DEGRADATIONS",
    "Degraded",
    "blur",
    "cluttered_background",
    "flatbed_scan",
    "glare",
    "jpeg",
    "low_resolution",
    "noise",
    "perspective",
    "rotate_90",
    "rotate_180",
    "rotate_270",
    "rotate_small",
    "transform_box",
    "transform_points",
    "uneven_light",
]

Image8 = NDArray[np.uint8]
Matrix = NDArray[np.float64]


@dataclass(frozen=True)
class Degraded:
    """A degraded image and the homography from input to output pixels (or ``None``)."""

    image: Image8
    transform: Matrix | None


def _check(image: Image8) -> tuple[int, int]:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3:
        raise ValueError("`image` must be a (rows, cols, 3) uint8 array")
    return int(image.shape[0]), int(image.shape[1])


def _u8(array: Any) -> Image8:
    """``array`` typed as a uint8 image (OpenCV's stubs return untyped arrays)."""
    return np.asarray(array, dtype=np.uint8)


def _continuous(matrix: Any) -> Matrix:
    """Convert a homography used by ``cv2.warp*`` (pixel centres at integers) to the
    convention of the regions (pixel ``i`` spans ``[i, i + 1)``)."""
    m = np.asarray(matrix, np.float64)
    if m.shape == (2, 3):
        m = np.vstack([m, [0.0, 0.0, 1.0]])
    shift, unshift = np.eye(3), np.eye(3)
    shift[:2, 2] = 0.5
    unshift[:2, 2] = -0.5
    return np.asarray(shift @ m @ unshift, np.float64)


def _identity() -> Matrix:
    return np.eye(3, dtype=np.float64)


def transform_points(points: list[list[float]], matrix: Matrix) -> list[list[float]]:
    """Map ``[x, y]`` points through a 3x3 homography."""
    pts = np.asarray(points, np.float64).reshape(-1, 1, 2)
    out = cv2.perspectiveTransform(pts, matrix).reshape(-1, 2)
    return [[round(float(x), 1), round(float(y), 1)] for x, y in out]


def transform_box(
    box: tuple[int, int, int, int] | list[int], matrix: Matrix, shape: tuple[int, ...]
) -> list[int] | None:
    """The axis-aligned ``[x, y, w, h]`` box around ``box`` mapped through ``matrix``,
    clipped to an image of ``shape``; ``None`` when nothing of it is left inside."""
    x, y, w, h = box
    pts = transform_points([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], matrix)
    arr = np.asarray(pts)
    rows, cols = shape[0], shape[1]
    x0, y0 = max(0.0, float(arr[:, 0].min())), max(0.0, float(arr[:, 1].min()))
    x1, y1 = min(float(cols), float(arr[:, 0].max())), min(float(rows), float(arr[:, 1].max()))
    if x1 - x0 < 1 or y1 - y0 < 1:
        return None
    return [
        math.floor(x0),
        math.floor(y0),
        math.ceil(x1 - math.floor(x0)),
        math.ceil(y1 - math.floor(y0)),
    ]


def _border(rng: np.random.Generator) -> tuple[int, int, int]:
    """A scanner-lid or table colour for areas outside the document."""
    if rng.random() < 0.6:
        v = int(rng.integers(200, 250))
        return (v, v, v)
    return tuple(int(c) for c in rng.integers(20, 90, 3))  # type: ignore[return-value]


def rotate_small(
    image: Image8, /, *, rng: np.random.Generator, min_angle: float = 1.0, max_angle: float = 10.0
) -> Degraded:
    """Rotate by a random angle of ``min_angle``..``max_angle`` degrees either way.

    The canvas grows so that no part of the document is cut off.
    """
    h, w = _check(image)
    angle = float(rng.uniform(min_angle, max_angle)) * (1 if rng.random() < 0.5 else -1)
    rot = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    cos, sin = abs(rot[0, 0]), abs(rot[0, 1])
    nw, nh = math.ceil(h * sin + w * cos), math.ceil(h * cos + w * sin)
    rot[0, 2] += nw / 2 - w / 2
    rot[1, 2] += nh / 2 - h / 2
    out = cv2.warpAffine(
        image, rot, (nw, nh), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
        borderValue=_border(rng),
    )  # fmt: skip
    return Degraded(_u8(out), _continuous(rot))


def _rot(image: Image8, code: int, matrix: Matrix) -> Degraded:
    _check(image)
    return Degraded(np.ascontiguousarray(cv2.rotate(image, code)), matrix)


def rotate_90(image: Image8, /, *, rng: np.random.Generator) -> Degraded:
    """Turn the image a quarter turn clockwise (``rng`` is unused, kept for a uniform API)."""
    h, _ = _check(image)
    m = np.array([[0.0, -1.0, h], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    return _rot(image, cv2.ROTATE_90_CLOCKWISE, m)


def rotate_180(image: Image8, /, *, rng: np.random.Generator) -> Degraded:
    """Turn the image upside down (``rng`` is unused)."""
    h, w = _check(image)
    m = np.array([[-1.0, 0.0, w], [0.0, -1.0, h], [0.0, 0.0, 1.0]])
    return _rot(image, cv2.ROTATE_180, m)


def rotate_270(image: Image8, /, *, rng: np.random.Generator) -> Degraded:
    """Turn the image a quarter turn counter-clockwise (``rng`` is unused)."""
    _, w = _check(image)
    m = np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, w], [0.0, 0.0, 1.0]])
    return _rot(image, cv2.ROTATE_90_COUNTERCLOCKWISE, m)


def perspective(image: Image8, /, *, rng: np.random.Generator, strength: float = 0.08) -> Degraded:
    """A keystone distortion: each corner moves by up to ``strength`` of the image size."""
    h, w = _check(image)
    margin = strength * max(w, h)
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    jitter = rng.uniform(-strength, strength, (4, 2)) * np.array([w, h])
    dst = (src + margin + jitter).astype(np.float32)
    m = cv2.getPerspectiveTransform(src, dst).astype(np.float64)
    size = (int(w + 2 * margin), int(h + 2 * margin))
    out = cv2.warpPerspective(
        image, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
        borderValue=_border(rng),
    )  # fmt: skip
    return Degraded(_u8(out), _continuous(m))


def blur(image: Image8, /, *, rng: np.random.Generator, max_sigma: float = 2.2) -> Degraded:
    """Defocus (Gaussian, sigma 0.8..``max_sigma`` px) or a short motion blur."""
    _check(image)
    if rng.random() < 0.5:
        sigma = float(rng.uniform(0.8, max_sigma))
        out = cv2.GaussianBlur(image, (0, 0), sigma)
    else:
        length = int(rng.integers(4, 10))
        kernel = np.zeros((length * 2 + 1, length * 2 + 1), np.float32)
        kernel[length, :] = 1.0
        rot = cv2.getRotationMatrix2D((length, length), float(rng.uniform(0, 180)), 1.0)
        kernel = np.asarray(cv2.warpAffine(kernel, rot, kernel.shape[::-1]), np.float32)
        kernel /= kernel.sum()
        out = cv2.filter2D(image, -1, kernel)
    return Degraded(_u8(out), _identity())


def jpeg(
    image: Image8, /, *, rng: np.random.Generator, min_quality: int = 12, max_quality: int = 35
) -> Degraded:
    """Compress as JPEG at a low quality and decode again."""
    _check(image)
    quality = int(rng.integers(min_quality, max_quality + 1))
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:  # pragma: no cover - OpenCV always encodes a valid uint8 image
        raise ValueError("jpeg encoding failed")
    return Degraded(_u8(cv2.imdecode(buf, cv2.IMREAD_COLOR)), _identity())


def noise(image: Image8, /, *, rng: np.random.Generator, max_sigma: float = 16.0) -> Degraded:
    """Sensor noise: Gaussian (sigma 5..``max_sigma``) plus a little salt and pepper."""
    _check(image)
    sigma = float(rng.uniform(5.0, max_sigma))
    noisy = image.astype(np.float32) + rng.normal(0, sigma, image.shape).astype(np.float32)
    mask = rng.random(image.shape[:2])
    noisy[mask < 0.002] = 0
    noisy[mask > 0.998] = 255
    return Degraded(np.clip(noisy, 0, 255).astype(np.uint8), _identity())


def low_resolution(
    image: Image8,
    /,
    *,
    rng: np.random.Generator,
    dpi: float = 300.0,
    min_dpi: float = 150.0,
    max_dpi: float = 220.0,
) -> Degraded:
    """Resample to a lower resolution, between ``min_dpi`` and ``max_dpi`` for a ``dpi`` input."""
    h, w = _check(image)
    scale = float(rng.uniform(min_dpi, max_dpi)) / dpi
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    out = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA)
    m = np.diag([nw / w, nh / h, 1.0])
    return Degraded(_u8(out), m)


def uneven_light(image: Image8, /, *, rng: np.random.Generator) -> Degraded:
    """Light falling off across the page: a gradient and a vignette, with a colour cast."""
    h, w = _check(image)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    xx, yy = xx / w - 0.5, yy / h - 0.5
    angle = rng.uniform(0, 2 * math.pi)
    grad = (math.cos(angle) * xx + math.sin(angle) * yy) * float(rng.uniform(0.4, 0.9))
    cx, cy = rng.uniform(-0.3, 0.3, 2)
    vignette = ((xx - cx) ** 2 + (yy - cy) ** 2) * float(rng.uniform(0.4, 1.2))
    field = np.clip(1.0 + grad - vignette, 0.35, 1.2)
    cast = rng.uniform(0.9, 1.05, 3).astype(np.float32)
    out = image.astype(np.float32) * field[..., None] * cast[None, None, :]
    return Degraded(np.clip(out, 0, 255).astype(np.uint8), _identity())


def glare(image: Image8, /, *, rng: np.random.Generator, max_strength: float = 0.85) -> Degraded:
    """Specular glare: one or two bright soft ellipses, as from a lamp on a laminate."""
    h, w = _check(image)
    out = image.astype(np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    for _ in range(int(rng.integers(1, 3))):
        cx, cy = rng.uniform(0.1, 0.9) * w, rng.uniform(0.1, 0.9) * h
        sx, sy = rng.uniform(0.05, 0.22) * w, rng.uniform(0.04, 0.15) * h
        theta = rng.uniform(0, math.pi)
        dx, dy = xx - cx, yy - cy
        u = (dx * math.cos(theta) + dy * math.sin(theta)) / sx
        v = (-dx * math.sin(theta) + dy * math.cos(theta)) / sy
        blob = np.exp(-(u**2 + v**2)) * float(rng.uniform(0.45, max_strength))
        out = out + (255.0 - out) * blob[..., None]
    return Degraded(np.clip(out, 0, 255).astype(np.uint8), _identity())


def _table(rng: np.random.Generator, h: int, w: int) -> Image8:
    """A table top: wood grain, fabric or a plain painted surface."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = rng.integers(40, 180, 3).astype(np.float32)
    style = int(rng.integers(3))
    if style == 0:  # wood grain
        f = float(rng.uniform(0.02, 0.06))
        warp = 25 * np.sin(xx / float(rng.uniform(80, 200)))
        tex = 0.75 + 0.25 * np.sin(f * (yy + warp)) ** 2
    elif style == 1:  # fabric weave
        tex = 0.85 + 0.08 * np.sin(xx * 0.9) * np.sin(yy * 0.9)
    else:
        tex = np.ones_like(xx)
    small = rng.normal(1.0, 0.05, (max(1, h // 16), max(1, w // 16))).astype(np.float32)
    tex = tex * np.asarray(cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC), np.float32)
    return _u8(np.clip(base[None, None, :] * tex[..., None], 0, 255))


def _clutter(canvas: Image8, rng: np.random.Generator) -> Image8:
    """Papers with text, coins, a pen and a cup rim on ``canvas`` (copied)."""
    h, w = canvas.shape[:2]
    pil = Image.fromarray(cv2.cvtColor(canvas, cv2.COLOR_BGR2RGB))
    draw = ImageDraw.Draw(pil)
    font = load_font(str(viz_font_path("sans")), max(12, h // 60))
    words = ("INVOICE", "Receipt", "Total 12,50", "Tampere", "Meeting 14:00", "Ref. 2231", "kiitos")
    for _ in range(int(rng.integers(2, 5))):  # papers
        pw, ph = rng.uniform(0.2, 0.45) * w, rng.uniform(0.25, 0.55) * h
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        ang = rng.uniform(0, math.pi)
        corners = [
            (
                cx + dx * math.cos(ang) - dy * math.sin(ang),
                cy + dx * math.sin(ang) + dy * math.cos(ang),
            )
            for dx, dy in (
                (-pw / 2, -ph / 2),
                (pw / 2, -ph / 2),
                (pw / 2, ph / 2),
                (-pw / 2, ph / 2),
            )
        ]
        tone = int(rng.integers(215, 250))
        draw.polygon(corners, fill=(tone, tone, int(tone * 0.97)))
        for k in range(int(rng.integers(3, 9))):
            draw.text(
                (corners[0][0] + 20, corners[0][1] + 20 + k * font.size * 1.6),
                str(rng.choice(words)), font=font, fill=(60, 60, 70),
            )  # fmt: skip
    for _ in range(int(rng.integers(1, 4))):  # coins
        r = rng.uniform(0.02, 0.04) * w
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        col = tuple(int(c) for c in rng.integers(120, 210, 3))
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=col, outline=(80, 80, 80), width=2)
    x0, y0 = rng.uniform(0, w), rng.uniform(0, h)  # a pen
    ang = rng.uniform(0, math.pi)
    length = rng.uniform(0.2, 0.35) * w
    draw.line(
        (x0, y0, x0 + length * math.cos(ang), y0 + length * math.sin(ang)),
        fill=tuple(int(c) for c in rng.integers(0, 120, 3)), width=max(4, w // 150),
    )  # fmt: skip
    r = rng.uniform(0.08, 0.14) * w  # cup rim
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=(240, 240, 240), width=max(6, w // 80))
    return _u8(cv2.cvtColor(np.asarray(pil), cv2.COLOR_RGB2BGR))


def cluttered_background(
    image: Image8, /, *, rng: np.random.Generator, fill: tuple[float, float] = (0.55, 0.75)
) -> Degraded:
    """The document photographed on a cluttered table.

    The document covers ``fill`` (a range) of the photo's width, is turned up to
    about 15 degrees and seen slightly in perspective, casts a shadow, and the photo
    gets a little defocus, light fall-off and noise.
    """
    h, w = _check(image)
    frac = float(rng.uniform(*fill))
    doc_scale = float(rng.uniform(0.55, 0.85))  # phone photos hold fewer pixels per mm
    dw, dh = w * doc_scale, h * doc_scale
    sw = int(dw / frac)
    sh = int(sw * float(rng.uniform(0.7, 0.8)))
    sh = max(sh, int(dh * 1.25))
    scene = _clutter(_table(rng, sh, sw), rng)
    # document corners in the scene: centred, rotated, with keystone jitter
    ang = math.radians(float(rng.uniform(-15, 15)))
    cx, cy = sw / 2 + rng.uniform(-0.05, 0.05) * sw, sh / 2 + rng.uniform(-0.05, 0.05) * sh
    corners = []
    for dx, dy in ((-dw / 2, -dh / 2), (dw / 2, -dh / 2), (dw / 2, dh / 2), (-dw / 2, dh / 2)):
        jx, jy = rng.uniform(-0.04, 0.04) * dw, rng.uniform(-0.04, 0.04) * dh
        corners.append(
            [cx + (dx + jx) * math.cos(ang) - (dy + jy) * math.sin(ang),
             cy + (dx + jx) * math.sin(ang) + (dy + jy) * math.cos(ang)]
        )  # fmt: skip
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    m = cv2.getPerspectiveTransform(src, np.array(corners, np.float32)).astype(np.float64)
    warped = cv2.warpPerspective(image, m, (sw, sh), flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.full((h, w), 255, np.uint8), m, (sw, sh), flags=cv2.INTER_LINEAR)
    # shadow
    off = (int(rng.integers(6, 20)), int(rng.integers(6, 20)))
    shadow = np.roll(mask, off, axis=(0, 1)).astype(np.float32) / 255.0
    shadow = cv2.GaussianBlur(shadow, (0, 0), 8) * 0.45
    out = scene.astype(np.float32) * (1.0 - shadow[..., None])
    alpha = mask.astype(np.float32)[..., None] / 255.0
    out = out * (1.0 - alpha) + warped.astype(np.float32) * alpha
    out_u8 = np.clip(out, 0, 255).astype(np.uint8)
    out_u8 = cv2.GaussianBlur(out_u8, (0, 0), float(rng.uniform(0.4, 0.9)))
    lit = uneven_light(out_u8, rng=rng).image.astype(np.float32)
    lit += rng.normal(0, float(rng.uniform(2, 5)), lit.shape).astype(np.float32)
    return Degraded(np.clip(lit, 0, 255).astype(np.uint8), _continuous(m))


def _facing_page(rng: np.random.Generator, h: int, w: int, dpi: float) -> Image8:
    """The passport page facing the data page: pattern, printed lines and a stamp."""
    from misec_rules.samples._render import _guilloche

    paper = tuple(int(v) for v in rng.integers(225, 248, 3))
    ink = tuple(int(v) for v in rng.integers(90, 200, 3))
    page = np.empty((h, w, 3), np.uint8)
    page[:] = paper
    _guilloche(page, rng, paper, ink, dpi / 25.4)  # type: ignore[arg-type]
    pil = Image.fromarray(page)
    draw = ImageDraw.Draw(pil)
    px_mm = dpi / 25.4
    font = load_font(str(viz_font_path("sans")), max(8, round(1.4 * px_mm / 0.729)))
    lines = ("OBSERVATIONS / REMARQUES", "ENDORSEMENTS", "THIS PASSPORT CONTAINS 32 PAGES")
    for k in range(int(rng.integers(1, 4))):
        draw.text(
            (8 * px_mm, (6 + 6 * k) * px_mm), lines[k % len(lines)], font=font, fill=(70, 70, 90)
        )
    if rng.random() < 0.7:  # an entry stamp
        cx, cy = rng.uniform(0.3, 0.8) * w, rng.uniform(0.4, 0.8) * h
        r = rng.uniform(9, 14) * px_mm
        col = ((40, 60, 150), (150, 40, 60), (40, 110, 60))[int(rng.integers(3))]
        draw.ellipse(
            (cx - r, cy - r, cx + r, cy + r), outline=col, width=max(2, round(0.5 * px_mm))
        )
        draw.text((cx, cy), f"{int(rng.integers(1, 29)):02d}.0{int(rng.integers(1, 10))}", font=font, fill=col, anchor="mm")  # fmt: skip
    return _u8(np.asarray(pil))


def flatbed_scan(
    image: Image8,
    /,
    *,
    rng: np.random.Generator,
    facing_page: bool = False,
    dpi: float = 300.0,
) -> Degraded:
    """A flatbed scan: the document on a white bed, a little askew, with the scanner's
    light fall-off and, for a passport or a visa page, the booklet's facing page above.
    """
    h, w = _check(image)
    gutter = round(h * 0.02)
    if facing_page:
        page = cv2.cvtColor(_facing_page(rng, h, w, dpi), cv2.COLOR_RGB2BGR)
        page = cv2.rotate(page, cv2.ROTATE_180) if rng.random() < 0.5 else page
        fold = np.full((gutter, w, 3), 200, np.uint8)
        item = np.vstack([page, fold, image])
        top = h + gutter
    else:
        item, top = image, 0
    ih, iw = item.shape[:2]
    margin_x = round(iw * float(rng.uniform(0.03, 0.25)))
    margin_y = round(ih * float(rng.uniform(0.03, 0.2)))
    bed_w, bed_h = iw + margin_x + round(iw * 0.1), ih + margin_y + round(ih * 0.1)
    angle = float(rng.uniform(-3, 3))
    rot = cv2.getRotationMatrix2D((iw / 2, ih / 2), angle, 1.0)
    rot[0, 2] += margin_x
    rot[1, 2] += margin_y
    bed = int(rng.integers(238, 256))
    out = cv2.warpAffine(
        item, rot, (bed_w, bed_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
        borderValue=(bed, bed, bed),
    )  # fmt: skip
    # the lid's shadow along one edge of the item and a light fall-off across the bed
    falloff = np.linspace(float(rng.uniform(0.88, 0.97)), 1.0, bed_w, dtype=np.float32)
    if rng.random() < 0.5:
        falloff = falloff[::-1]
    scanned = out.astype(np.float32) * falloff[None, :, None]
    scanned = np.asarray(
        cv2.GaussianBlur(scanned, (0, 0), float(rng.uniform(0.3, 0.7))), np.float32
    )
    scanned += rng.normal(0, 2.0, scanned.shape).astype(np.float32)
    to_doc = np.eye(3)
    to_doc[1, 2] = top
    matrix = _continuous(rot) @ to_doc
    return Degraded(_u8(np.clip(scanned, 0, 255)), matrix)


DEGRADATIONS: dict[str, Callable[..., Degraded]] = {
    "rotate_small": rotate_small,
    "rotate_90": rotate_90,
    "rotate_180": rotate_180,
    "rotate_270": rotate_270,
    "perspective": perspective,
    "blur": blur,
    "jpeg": jpeg,
    "noise": noise,
    "low_resolution": low_resolution,
    "uneven_light": uneven_light,
    "glare": glare,
    "cluttered_background": cluttered_background,
    "flatbed_scan": flatbed_scan,
}
"""Every degradation by name, in the generator's order."""
