"""Labelled manipulations of generated documents, for the authenticity checks.

Each manipulation starts from a genuine render of :func:`render_document`,
"captured" like a scan (slight blur, sensor noise), and changes it the way a
forger would; the truth record's ``manipulation`` field names it:

``viz_digits``
    digits of the visual zone's document number or birth date changed, the MRZ
    left alone;
``mrz_recomputed``
    the MRZ's document number or birth date changed with every check digit
    recomputed, the visual zone left alone;
``portrait_swap``
    another person's portrait pasted over the holder's;
``copy_move``
    a block of the document copied over another place of it;
``screen_recapture``
    the document shown on a screen and photographed (sub-pixel grid, moiré);
``grey_copy``
    a grey photocopy;
``jpeg_edit``
    a visual-zone field edited in a separately saved JPEG patch, pasted back and
    the whole saved again.

Edited text is drawn by re-rendering the document with the changed identity and
the same random state, so fonts, sizes and positions are exactly the genuine
ones: only the values differ.

References
----------
ICAO Doc 9303 Part 3 §4.9 (check digits, recomputed in ``mrz_recomputed``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from misec_rules.samples import (
    KINDS,
    Regions,
    RenderedDocument,
    TruthRecord,
    random_identity,
    render_document,
    transform_box,
    transform_points,
)

__all__ = [
    "MANIPULATIONS",
    "Manipulated",
    "generate_manipulated",
    "make_manipulated",
]

Image8 = NDArray[np.uint8]

MANIPULATIONS: dict[str, str] = {
    "viz_digits": "visual-zone digits changed, MRZ unchanged",
    "mrz_recomputed": "MRZ changed with recomputed check digits, visual zone unchanged",
    "portrait_swap": "portrait replaced by another person's",
    "copy_move": "a block of the document copied over another place",
    "screen_recapture": "photographed from a screen",
    "grey_copy": "grey photocopy",
    "jpeg_edit": "a field edited in a separately saved JPEG patch",
}


@dataclass(frozen=True)
class Manipulated:
    """A manipulated image, its truth record and the box that was changed (or None)."""

    image: Image8
    truth: TruthRecord
    changed: list[int] | None


def _renders(
    kind: str, seed: int, index: int, change: Callable[..., object] | None = None
) -> tuple[RenderedDocument, RenderedDocument | None]:
    """The genuine render and, when ``change`` is given, the same page with changed data."""
    rng = np.random.default_rng([seed, index, 7919])
    ident = random_identity(rng, kind)
    state = rng.bit_generator.state
    genuine = render_document(kind, identity=ident, rng=rng)
    if change is None:
        return genuine, None
    other = change(ident, np.random.default_rng([seed, index, 104729]))
    rng2 = np.random.default_rng()
    rng2.bit_generator.state = state
    return genuine, render_document(kind, identity=other, rng=rng2)  # type: ignore[arg-type]


def _capture(image: Image8, rng: np.random.Generator) -> Image8:
    """A light scan: slight blur and sensor noise."""
    out = np.asarray(cv2.GaussianBlur(image, (0, 0), float(rng.uniform(0.5, 0.8))), np.float32)
    out += rng.normal(0.0, float(rng.uniform(2.0, 3.5)), out.shape).astype(np.float32)
    return np.clip(out, 0, 255).astype(np.uint8)


def _change_digit(text: str, rng: np.random.Generator) -> str:
    pos = [i for i, c in enumerate(text) if c.isdigit()]
    i = int(rng.choice(pos))
    new = str((int(text[i]) + int(rng.integers(1, 10))) % 10)
    return text[:i] + new + text[i + 1 :]


def _shift_birth(d: date, rng: np.random.Generator) -> date:
    years = int(rng.choice([-10, -5, -3, -2, -1, 1, 2, 3, 5]))
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def _change_number_or_birth(field: str) -> Callable[..., object]:
    def change(ident: object, rng: np.random.Generator) -> object:
        if field == "document_number":
            number = ident.document_number  # type: ignore[attr-defined]
            return replace(ident, document_number=_change_digit(number, rng))  # type: ignore[type-var]
        birth = _shift_birth(ident.birth_date, rng)  # type: ignore[attr-defined]
        return replace(ident, birth_date=birth)  # type: ignore[type-var]

    return change


def _pad(box: Sequence[int], pad: int, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    x, y, w, h = box
    x0, y0 = max(0, x - pad), max(0, y - pad)
    x1, y1 = min(shape[1], x + w + pad), min(shape[0], y + h + pad)
    return x0, y0, x1 - x0, y1 - y0


def _paste(dst: Image8, src: Image8, box: Sequence[int]) -> None:
    x, y, w, h = box
    dst[y : y + h, x : x + w] = src[y : y + h, x : x + w]


def _regions(
    doc: RenderedDocument, matrix: NDArray[np.float64] | None, shape: tuple[int, ...]
) -> Regions:
    m = np.eye(3) if matrix is None else matrix
    viz: dict[str, list[int]] = {}
    for name, box in doc.viz_boxes().items():
        mapped = transform_box(box, m, shape)
        if mapped is not None:
            viz[name] = mapped
    return Regions(
        mrz=transform_points(doc.mrz_polygon, m),
        portrait=transform_box(doc.portrait, m, shape),
        viz=viz,
        document=transform_points(doc.document_polygon, m),
    )


def _jpeg(image: Image8, quality: int) -> Image8:
    ok, enc = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:  # pragma: no cover
        raise ValueError("jpeg encoding failed")
    return np.asarray(cv2.imdecode(enc, cv2.IMREAD_COLOR), np.uint8)


def _recapture(image: Image8, rng: np.random.Generator) -> tuple[Image8, NDArray[np.float64]]:
    """Show ``image`` on a simulated RGB-stripe screen and photograph it."""
    h, w = image.shape[:2]
    up = 3
    big = cv2.resize(image, (w * up, h * up), interpolation=cv2.INTER_LINEAR).astype(np.float32)
    # the screen's sub-pixels: R, G, B columns and a dark gap every third row
    mask = np.zeros((h * up, w * up, 3), np.float32)
    for c, channel in enumerate((2, 1, 0)):
        mask[:, c::3, channel] = 1.0
    mask[2::3] *= 0.35
    screen = big * (0.35 + 0.65 * mask) * 1.6
    angle = float(rng.uniform(1.0, 4.0)) * float(rng.choice([-1, 1]))
    scale = float(rng.uniform(0.88, 0.97)) / up
    centre = (w * up / 2, h * up / 2)
    rot = cv2.getRotationMatrix2D(centre, angle, scale)
    rot[0, 2] += w / 2 - centre[0]
    rot[1, 2] += h / 2 - centre[1]
    shot = cv2.warpAffine(
        cv2.GaussianBlur(screen, (0, 0), float(rng.uniform(0.6, 1.0))),
        rot,
        (w, h),
        flags=cv2.INTER_LINEAR,
        borderValue=(30, 30, 30),
    )
    shot = shot * float(rng.uniform(0.85, 1.0)) + rng.normal(0, 2.5, shot.shape)
    # the photographed pixels keep the original scale: map points from the render
    matrix = np.vstack([rot @ np.diag([up, up, 1.0]), [0.0, 0.0, 1.0]])
    return np.clip(shot, 0, 255).astype(np.uint8), matrix


def _grey(image: Image8, rng: np.random.Generator) -> Image8:
    g = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)
    g = (g - 128.0) * float(rng.uniform(1.05, 1.3)) + 128.0 + float(rng.uniform(-10, 15))
    g += rng.normal(0, 3.0, g.shape)
    g = np.clip(g, 0, 255).astype(np.uint8)
    return np.asarray(cv2.cvtColor(g, cv2.COLOR_GRAY2BGR), np.uint8)


def make_manipulated(kind: str, manipulation: str, *, seed: int = 0, index: int = 0) -> Manipulated:
    """Render one document of ``kind`` and apply ``manipulation`` (or ``"none"``).

    ``"none"`` gives the genuine captured page the manipulations start from.  The
    result depends only on ``(kind, manipulation, seed, index)``.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown document kind `{kind}`")
    if manipulation not in MANIPULATIONS and manipulation != "none":
        raise ValueError(f"unknown manipulation `{manipulation}`")
    rng = np.random.default_rng([seed, index, 31])
    matrix: NDArray[np.float64] | None = None
    changed: list[int] | None = None
    if manipulation in ("viz_digits", "mrz_recomputed", "jpeg_edit"):
        if manipulation == "jpeg_edit":
            # a field no other check compares with the MRZ, so that only the
            # pixels can show the edit
            field = {"td3_passport": "place_of_birth", "td2_id": "authority"}.get(
                kind, "issue_date"
            )

            def change(ident: object, r: np.random.Generator) -> object:
                if field == "issue_date":
                    issued = ident.issue_date  # type: ignore[attr-defined]
                    days = int(r.integers(20, 300)) * int(r.choice([-1, 1]))
                    return replace(ident, issue_date=issued + timedelta(days=days))  # type: ignore[type-var]
                old = getattr(ident, field)
                options = [c for c in ("ROVANIEMI", "KUOPIO", "TURKU", "OULU", "VAASA") if c != old]
                return replace(ident, **{field: str(r.choice(options))})  # type: ignore[type-var]

            genuine, other = _renders(kind, seed, index, change)
        else:
            field = str(rng.choice(["document_number", "birth_date"]))
            genuine, other = _renders(kind, seed, index, _change_number_or_birth(field))
        assert other is not None
        page = genuine.image.copy()
        if manipulation == "mrz_recomputed":
            xs = [p[0] for p in genuine.mrz_polygon]
            ys = [p[1] for p in genuine.mrz_polygon]
            pad = int(genuine.mrz_layout.cap_height * 0.4)
            box = _pad(
                [int(min(xs)), int(min(ys)), int(max(xs) - min(xs)), int(max(ys) - min(ys))],
                pad,
                page.shape,
            )
            _paste(page, other.image, box)
            mrz_lines = other.mrz
        else:
            box = _pad(genuine.fields[field].box, 4, page.shape)
            _paste(page, other.image, box)
            mrz_lines = genuine.mrz
        changed = list(box)
        if manipulation == "jpeg_edit":
            cap = _capture(genuine.image, rng)
            base = _jpeg(cap, 85)
            patch_src = _jpeg(_capture(other.image, rng), int(rng.integers(50, 73)))
            x, y, w, h = _pad(genuine.fields[field].box, 10, page.shape)
            base[y : y + h, x : x + w] = patch_src[y : y + h, x : x + w]
            image = base
            changed = [x, y, w, h]
        else:
            image = _capture(page, rng)
        doc = genuine
        viz = genuine.viz
    else:
        genuine, _ = _renders(kind, seed, index)
        doc, mrz_lines, viz = genuine, genuine.mrz, genuine.viz
        image = _capture(genuine.image, rng)
        if manipulation == "portrait_swap":
            donor, _ = _renders(kind, seed + 1, index + 1000)
            x, y, w, h = genuine.portrait
            dx, dy, dw, dh = donor.portrait
            face = donor.image[dy : dy + dh, dx : dx + dw]
            # the pasted photo: a little larger than the slot, cut to fit, clean
            z = float(rng.uniform(1.03, 1.12))
            face = np.asarray(
                cv2.resize(face, (int(w * z), int(h * z)), interpolation=cv2.INTER_CUBIC), np.uint8
            )
            ox, oy = (face.shape[1] - w) // 2, (face.shape[0] - h) // 2
            image[y : y + h, x : x + w] = face[oy : oy + h, ox : ox + w]
            changed = [x, y, w, h]
        elif manipulation == "copy_move":
            h_img, w_img = image.shape[:2]
            mrz_top = int(min(p[1] for p in genuine.mrz_polygon))
            side = int(min(h_img, w_img) * float(rng.uniform(0.14, 0.2)))
            for _ in range(100):
                sx = int(rng.integers(0, w_img - side))
                sy = int(rng.integers(0, max(1, mrz_top - side)))
                tx = int(rng.integers(0, w_img - side))
                ty = int(rng.integers(0, max(1, mrz_top - side)))
                if abs(sx - tx) > side * 1.1 or abs(sy - ty) > side * 1.1:
                    patch = image[sy : sy + side, sx : sx + side]
                    if float(patch.std()) > 20:
                        break
            image[ty : ty + side, tx : tx + side] = image[sy : sy + side, sx : sx + side].copy()
            changed = [tx, ty, side, side]
        elif manipulation == "screen_recapture":
            image, matrix = _recapture(genuine.image, rng)
        elif manipulation == "grey_copy":
            image = _grey(image, rng)
    truth = TruthRecord(
        file="",
        kind=kind,
        format=doc.format,
        mrz=list(mrz_lines),
        viz=dict(viz),
        degradation=None,
        manipulation=None if manipulation == "none" else manipulation,
        regions=_regions(doc, matrix, image.shape),
    )
    return Manipulated(image=image, truth=truth, changed=changed)


def generate_manipulated(
    out_dir: str | Path,
    *,
    per_manipulation: int = 2,
    seed: int = 0,
    kinds: Sequence[str] | None = None,
    manipulations: Sequence[str] | None = None,
    genuine: int = 0,
    jpeg_quality: int = 88,
) -> list[TruthRecord]:
    """Write manipulated samples as JPEG files and ``out_dir/truth.jsonl``.

    Parameters
    ----------
    per_manipulation
        Images per manipulation; kinds rotate through ``kinds``.
    genuine
        Genuine captured pages to add (``manipulation`` null), as controls.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    kinds = list(kinds or KINDS)
    names = list(manipulations or MANIPULATIONS)
    plan = [("none", i) for i in range(genuine)]
    plan += [(m, i) for m in names for i in range(per_manipulation)]
    records: list[TruthRecord] = []
    with (out / "truth.jsonl").open("w", encoding="utf-8") as fh:
        for n, (name, i) in enumerate(plan):
            kind = kinds[(n + i) % len(kinds)]
            sample = make_manipulated(kind, name, seed=seed, index=n)
            file = f"{n:04d}_{kind}_{name}.jpg"
            quality = 85 if name == "jpeg_edit" else jpeg_quality
            ok, buf = cv2.imencode(".jpg", sample.image, [cv2.IMWRITE_JPEG_QUALITY, quality])
            if not ok:  # pragma: no cover
                raise ValueError(f"could not encode `{file}`")
            (out / file).write_bytes(buf.tobytes())
            record = sample.truth.model_copy(update={"file": file})
            records.append(record)
            fh.write(json.dumps(record.model_dump(), ensure_ascii=False) + "\n")
    return records
