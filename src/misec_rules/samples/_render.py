"""Render synthetic specimen documents at true ICAO 9303 proportions.

The renderer draws at ``dpi`` (300 by default) with millimetre layouts per
document kind: a guilloche-like background of parametric curves, a header, a
portrait placeholder (a face-like drawing that differs per identity), the
visual-zone fields (DejaVu Sans) and the MRZ in OCR-B at the ICAO pitch of
2.54 mm per character and a cap height of about 2.4 mm.

References
----------
ICAO 9303 Part 3, section 4 (OCR-B, character pitch); Part 4, section 2
(TD3 125 x 88 mm); Part 5, section 2 (TD1 85.6 x 53.98 mm); Part 6, section 2
(TD2 105 x 74 mm); Part 7, section 2 (MRV-A 120 x 80 mm, MRV-B 105 x 74 mm).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw

from misec_rules.samples._fonts import load_font, ocrb_font_path, viz_font_path
from misec_rules.samples._identity import (
    KIND_FORMATS,
    STATES,
    Identity,
    mrz_lines,
    random_identity,
    viz_date,
)

__all__ = ["DOCUMENT_SIZES_MM", "FieldLayout", "MRZLayout", "RenderedDocument", "render_document"]

MM_PER_INCH = 25.4
MRZ_PITCH_MM = 2.54  # ICAO 9303 Part 3, 4.2.2: 10 characters per 25.4 mm
MRZ_CAP_MM = 2.4  # OCR-B size 1: cap height 2.3-2.5 mm
OCRB_CAP_PER_EM = 0.75  # measured on Debian's OCRB.otf
DEJAVU_CAP_PER_EM = 0.729

# (width, height) in mm
DOCUMENT_SIZES_MM: dict[str, tuple[float, float]] = {
    "td3_passport": (125.0, 88.0),
    "td1_id": (85.6, 53.98),
    "td2_id": (105.0, 74.0),
    "mrva_visa": (120.0, 80.0),
    "mrvb_visa": (105.0, 74.0),
}
# kind -> (characters per line, baselines in mm from the top edge, line by line)
_MRZ_GEOMETRY: dict[str, tuple[int, tuple[float, ...]]] = {
    "td3_passport": (44, (75.0, 81.2)),
    "td1_id": (30, (40.2, 44.5, 48.8)),
    "td2_id": (36, (62.0, 67.5)),
    "mrva_visa": (44, (67.5, 73.5)),
    "mrvb_visa": (36, (62.0, 67.5)),
}
_PORTRAIT_MM: dict[str, tuple[float, float, float, float]] = {
    "td3_passport": (6.0, 16.0, 33.0, 43.0),
    "td1_id": (3.5, 8.5, 21.0, 27.0),
    "td2_id": (6.0, 12.0, 26.0, 34.0),
    "mrva_visa": (4.0, 13.0, 28.0, 36.0),
    "mrvb_visa": (6.0, 12.0, 25.0, 32.0),
}
_TITLES = {
    "td3_passport": "PASSPORT / PASSEPORT",
    "td1_id": "IDENTITY CARD / CARTE D'IDENTITÉ",
    "td2_id": "IDENTITY CARD / CARTE D'IDENTITÉ",
    "mrva_visa": "VISA",
    "mrvb_visa": "VISA",
}
_LABELS = {
    "type": "Type / Type",
    "issuing_state": "Code / Code",
    "document_number": "Document No. / N° du document",
    "passport_number": "Passport No. / N° du passeport",
    "visa_number": "Visa No. / N° du visa",
    "surname": "Surname / Nom",
    "given_names": "Given names / Prénoms",
    "nationality": "Nationality / Nationalité",
    "birth_date": "Date of birth / Date de naissance",
    "sex": "Sex / Sexe",
    "place_of_birth": "Place of birth / Lieu de naissance",
    "issue_date": "Date of issue / Date de délivrance",
    "authority": "Authority / Autorité",
    "expiry_date": "Date of expiry / Date d'expiration",
    "valid_for": "Valid for / Valable pour",
    "from": "From / Du",
    "until": "Until / Au",
    "visa_type": "Type of visa / Type de visa",
    "entries": "Number of entries / Nombre d'entrées",
    "duration": "Duration of stay / Durée du séjour",
    "remarks": "Remarks / Remarques",
}
# kind -> [(field, label key, x mm, y mm)]; y is the label's top.  Fields whose key is
# a truth field (see Identity.viz) become regions; the others are decoration.
_FIELDS: dict[str, list[tuple[str, str, float, float]]] = {
    "td3_passport": [
        ("type", "type", 44, 12),
        ("issuing_state", "issuing_state", 62, 12),
        ("document_number", "passport_number", 84, 12),
        ("surname", "surname", 44, 19.5),
        ("given_names", "given_names", 44, 27),
        ("nationality", "nationality", 44, 34.5),
        ("birth_date", "birth_date", 44, 42),
        ("sex", "sex", 82, 42),
        ("place_of_birth", "place_of_birth", 94, 42),
        ("issue_date", "issue_date", 44, 49.5),
        ("authority", "authority", 82, 49.5),
        ("expiry_date", "expiry_date", 44, 57),
    ],
    "td1_id": [
        ("issuing_state", "issuing_state", 72, 1.8),
        ("surname", "surname", 28, 8),
        ("given_names", "given_names", 28, 13.5),
        ("sex", "sex", 28, 19),
        ("nationality", "nationality", 38, 19),
        ("birth_date", "birth_date", 54, 19),
        ("document_number", "document_number", 28, 24.5),
        ("expiry_date", "expiry_date", 58, 24.5),
        ("issue_date", "issue_date", 28, 30),
    ],
    "td2_id": [
        ("issuing_state", "issuing_state", 36, 11),
        ("document_number", "document_number", 58, 11),
        ("surname", "surname", 36, 17.5),
        ("given_names", "given_names", 36, 24),
        ("nationality", "nationality", 36, 30.5),
        ("sex", "sex", 62, 30.5),
        ("birth_date", "birth_date", 36, 37),
        ("authority", "authority", 70, 37),
        ("expiry_date", "expiry_date", 36, 43.5),
        ("issue_date", "issue_date", 70, 43.5),
    ],
    "mrva_visa": [
        ("valid_for", "valid_for", 36, 11),
        ("issuing_state", "issuing_state", 95, 11),
        ("issue_date", "from", 36, 17.5),
        ("expiry_date", "until", 66, 17.5),
        ("visa_type", "visa_type", 96, 17.5),
        ("entries", "entries", 36, 24),
        ("duration", "duration", 60, 24),
        ("document_number", "visa_number", 84, 24),
        ("surname", "surname", 36, 30.5),
        ("given_names", "given_names", 36, 37),
        ("birth_date", "birth_date", 36, 43.5),
        ("sex", "sex", 66, 43.5),
        ("nationality", "nationality", 80, 43.5),
        ("remarks", "remarks", 36, 50),
    ],
    "mrvb_visa": [
        ("issuing_state", "issuing_state", 36, 10.5),
        ("document_number", "visa_number", 52, 10.5),
        ("visa_type", "visa_type", 84, 10.5),
        ("issue_date", "from", 36, 17),
        ("expiry_date", "until", 66, 17),
        ("surname", "surname", 36, 23.5),
        ("given_names", "given_names", 36, 30),
        ("birth_date", "birth_date", 36, 36.5),
        ("sex", "sex", 64, 36.5),
        ("nationality", "nationality", 78, 36.5),
        ("entries", "entries", 36, 43),
        ("duration", "duration", 60, 43),
        ("remarks", "remarks", 36, 49.5),
    ],
}
TRUTH_FIELDS: tuple[str, ...] = (
    "surname",
    "given_names",
    "document_number",
    "birth_date",
    "expiry_date",
    "sex",
    "nationality",
    "issuing_state",
)

_PALETTES = (  # (paper RGB, pattern RGB, label RGB)
    ((246, 236, 238), (214, 150, 168), (120, 30, 60)),
    ((234, 240, 248), (140, 170, 214), (20, 50, 120)),
    ((236, 246, 238), (140, 196, 160), (20, 90, 50)),
    ((243, 238, 248), (176, 150, 210), (70, 40, 120)),
    ((249, 246, 232), (210, 190, 120), (110, 80, 20)),
    ((240, 242, 242), (160, 180, 186), (40, 60, 70)),
)

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class FieldLayout:
    """Where and how one visual-zone value was printed.

    ``box`` is the value's ink box ``[x, y, w, h]`` in the rendered image's pixels;
    ``origin`` is the text's left/top anchor point given to Pillow (anchor ``la``).
    """

    name: str
    text: str
    box: Box
    origin: tuple[int, int]
    font_path: str
    font_size: int
    color: tuple[int, int, int]
    label_box: Box


@dataclass(frozen=True)
class MRZLayout:
    """Where the MRZ was printed: cell ``i`` of line ``j`` spans
    ``x0 + i * pitch .. x0 + (i + 1) * pitch`` and sits on ``baselines[j]``."""

    x0: float
    pitch: float
    baselines: tuple[float, ...]
    cap_height: float
    chars: int
    font_path: str
    font_size: int


@dataclass(frozen=True)
class RenderedDocument:
    """A rendered document and everything known about it.

    ``image`` is BGR uint8, shape (rows, cols, 3).  Polygons are lists of four
    ``[x, y]`` points (top-left, top-right, bottom-right, bottom-left) and boxes
    ``[x, y, w, h]``, all in ``image`` pixels.
    """

    image: NDArray[np.uint8]
    kind: str
    format: str
    dpi: float
    identity: Identity
    mrz: list[str]
    viz: dict[str, str]
    mrz_polygon: list[list[float]]
    document_polygon: list[list[float]]
    portrait: Box
    fields: dict[str, FieldLayout]
    mrz_layout: MRZLayout
    palette: tuple[tuple[int, int, int], ...] = field(default=())
    background: NDArray[np.uint8] | None = None
    """The page before any text was printed (pattern, portrait, ghost image), BGR,
    same shape as ``image``: copy from it to erase a printed value."""

    def viz_boxes(self) -> dict[str, Box]:
        """The ink boxes of the truth fields, keyed by field name."""
        return {k: v.box for k, v in self.fields.items() if k in TRUTH_FIELDS}


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def _guilloche(
    canvas: NDArray[np.uint8],
    rng: np.random.Generator,
    paper: tuple[int, int, int],
    ink: tuple[int, int, int],
    px_mm: float,
) -> None:
    """Draw wave bands and rosettes (parametric curves) on ``canvas`` in place."""
    h, w = canvas.shape[:2]
    xs = np.linspace(-10, w + 10, max(200, w // 4))
    # Wave bands: families of phase-shifted sums of sines.
    for _family in range(2):
        color = _mix(paper, ink, float(rng.uniform(0.35, 0.7)))
        n = int(rng.integers(22, 40))
        amp1 = rng.uniform(2, 6) * px_mm
        amp2 = rng.uniform(0.5, 2) * px_mm
        f1 = rng.uniform(1.5, 4.0) * 2 * math.pi / w
        f2 = rng.uniform(6, 14) * 2 * math.pi / w
        phase = rng.uniform(0, 2 * math.pi)
        step = rng.uniform(0.2, 0.5)
        y0 = rng.uniform(0, h * 0.3)
        spacing = rng.uniform(1.6, 3.0) * px_mm
        for k in range(n):
            ys = (
                y0
                + k * spacing
                + amp1 * np.sin(f1 * xs + phase + k * step)
                + amp2 * np.sin(f2 * xs - phase * 0.7 + k * step * 1.7)
            )
            pts = np.stack([xs, ys], axis=1).round().astype(np.int32)
            cv2.polylines(canvas, [pts], False, color, 1, cv2.LINE_AA)
    # Rosettes: epitrochoids r(t) with nested scales.
    t = np.linspace(0, 2 * math.pi, 1500)
    for _ in range(int(rng.integers(1, 3))):
        cx, cy = rng.uniform(0.15 * w, 0.85 * w), rng.uniform(0.1 * h, 0.6 * h)
        big = rng.uniform(0.18, 0.35) * h
        lobes = int(rng.integers(12, 30))
        ratio = rng.uniform(0.08, 0.2)
        color = _mix(paper, ink, float(rng.uniform(0.3, 0.6)))
        for s in np.linspace(0.45, 1.0, int(rng.integers(4, 8))):
            rr = big * s * (1 + ratio * np.cos(lobes * t)) + big * s * 0.06 * np.sin(
                (lobes * 2 + 1) * t
            )
            pts = np.stack([cx + rr * np.cos(t), cy + rr * np.sin(t)], axis=1)
            cv2.polylines(canvas, [pts.round().astype(np.int32)], True, color, 1, cv2.LINE_AA)


def _portrait(rng: np.random.Generator, w: int, h: int, *, grey: bool) -> NDArray[np.uint8]:
    """A face-like drawing of size (h, w, 3) RGB whose features come from ``rng``."""
    # a studio backdrop with a lit side: differs per identity, like real photos do
    bg = rng.integers(170, 245, 3).astype(np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ang = rng.uniform(0, 2 * math.pi)
    ramp = (math.cos(ang) * (xx / w - 0.5) + math.sin(ang) * (yy / h - 0.5)) * rng.uniform(40, 110)
    mottle = cv2.resize(
        rng.uniform(-45, 45, (6, 5)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC
    )  # a mottled backdrop
    img = np.clip(bg[None, None, :] + (ramp + mottle)[..., None], 0, 255).astype(np.uint8)
    skin_choices = ((241, 205, 178), (224, 172, 138), (198, 134, 96), (141, 85, 54), (92, 58, 38))
    skin = skin_choices[int(rng.integers(len(skin_choices)))]
    hair_choices = ((30, 22, 18), (86, 56, 32), (150, 95, 40), (236, 200, 100), (120, 120, 120))
    hair = hair_choices[int(rng.integers(len(hair_choices)))]
    cloth = tuple(int(v) for v in rng.integers(10, 235, 3))
    cx = w / 2 + rng.uniform(-0.08, 0.08) * w
    head_w = rng.uniform(0.25, 0.38) * w
    head_h = head_w * rng.uniform(1.2, 1.45)
    cy = h * rng.uniform(0.36, 0.48)
    # shoulders and neck
    sh_y = int(cy + head_h * 0.95)
    cv2.ellipse(
        img, (int(cx), h + int(0.05 * h)), (int(w * 0.48), int(h - sh_y + 0.1 * h)), 0, 180, 360,
        cloth, -1, cv2.LINE_AA,
    )  # fmt: skip
    cv2.rectangle(
        img, (int(cx - head_w * 0.35), int(cy + head_h * 0.6)),
        (int(cx + head_w * 0.35), sh_y + 4), skin, -1,
    )  # fmt: skip
    style = int(rng.choice(4, p=[0.4, 0.3, 0.08, 0.22]))  # short, long, bald, long and full
    if style in (1, 3):  # long hair behind the head
        cv2.ellipse(
            img, (int(cx), int(cy + head_h * 0.25)), (int(head_w * 1.18), int(head_h * 1.05)),
            0, 0, 360, hair, -1, cv2.LINE_AA,
        )  # fmt: skip
    cv2.ellipse(
        img, (int(cx), int(cy)), (int(head_w), int(head_h)), 0, 0, 360, skin, -1, cv2.LINE_AA
    )
    ear_y = int(cy + head_h * 0.05)
    for side in (-1, 1):
        cv2.ellipse(
            img, (int(cx + side * head_w * 0.97), ear_y), (int(head_w * 0.13), int(head_h * 0.18)),
            0, 0, 360, _mix(skin, (0, 0, 0), 0.08), -1, cv2.LINE_AA,
        )  # fmt: skip
    if style != 2:  # hair on top, with a curved hairline
        volume = rng.uniform(1.02, 1.15)
        hairline = rng.uniform(0.0, 0.2)
        mask = np.zeros((h, w), np.uint8)
        cv2.ellipse(
            mask, (int(cx), int(cy - head_h * 0.12)), (int(head_w * volume), int(head_h * 0.95)),
            0, 0, 360, 255, -1, cv2.LINE_AA,
        )  # fmt: skip
        cv2.ellipse(
            mask, (int(cx), int(cy + head_h * (0.18 + hairline))),
            (int(head_w * 0.93), int(head_h * 0.98)), 0, 0, 360, 0, -1, cv2.LINE_AA,
        )  # fmt: skip
        mask[int(cy + head_h * 0.2) :] = 0  # no hair below the temples
        alpha = (mask.astype(np.float32) / 255.0)[..., None]
        img = (img * (1 - alpha) + np.array(hair, np.float32) * alpha).astype(np.uint8)
    # eyes, brows, nose, mouth
    eye_dx = head_w * rng.uniform(0.36, 0.46)
    eye_y = cy - head_h * rng.uniform(0.0, 0.12)
    eye_r = max(2, int(head_w * rng.uniform(0.09, 0.13)))
    iris = tuple(int(v) for v in rng.integers(30, 140, 3))
    for side in (-1, 1):
        ex = int(cx + side * eye_dx)
        cv2.ellipse(img, (ex, int(eye_y)), (eye_r, max(1, int(eye_r * 0.55))), 0, 0, 360,
                    (245, 245, 245), -1, cv2.LINE_AA)  # fmt: skip
        cv2.circle(img, (ex, int(eye_y)), max(1, int(eye_r * 0.5)), iris, -1, cv2.LINE_AA)
        brow_y = int(eye_y - eye_r * rng.uniform(1.4, 2.0))
        tilt = int(rng.integers(-3, 4))
        cv2.line(img, (ex - eye_r, brow_y + side * tilt), (ex + eye_r, brow_y - side * tilt),
                 _mix(hair, (0, 0, 0), 0.3), max(1, eye_r // 3), cv2.LINE_AA)  # fmt: skip
    nose_len = head_h * rng.uniform(0.25, 0.38)
    cv2.line(img, (int(cx), int(eye_y + eye_r)), (int(cx + head_w * 0.06), int(eye_y + nose_len)),
             _mix(skin, (0, 0, 0), 0.35), max(1, eye_r // 4), cv2.LINE_AA)  # fmt: skip
    mouth_y = int(eye_y + nose_len + head_h * rng.uniform(0.15, 0.25))
    mouth_w = int(head_w * rng.uniform(0.3, 0.5))
    cv2.ellipse(img, (int(cx), mouth_y), (mouth_w, max(1, int(mouth_w * rng.uniform(0.1, 0.35)))),
                0, 10, 170, (150, 60, 60), max(1, eye_r // 3), cv2.LINE_AA)  # fmt: skip
    if rng.random() < 0.3:  # beard
        cv2.ellipse(img, (int(cx), int(cy + head_h * 0.55)), (int(head_w * 0.8), int(head_h * 0.5)),
                    0, 0, 180, hair, -1, cv2.LINE_AA)  # fmt: skip
        cv2.ellipse(img, (int(cx), mouth_y), (mouth_w, max(1, mouth_w // 4)), 0, 0, 360,
                    _mix(skin, (0, 0, 0), 0.2), -1, cv2.LINE_AA)  # fmt: skip
    if rng.random() < 0.3:  # glasses
        frame = tuple(int(v) for v in rng.integers(0, 90, 3))
        for side in (-1, 1):
            cv2.circle(img, (int(cx + side * eye_dx), int(eye_y)), int(eye_r * 1.7), frame,
                       max(1, eye_r // 3), cv2.LINE_AA)  # fmt: skip
    if grey:
        g = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
        img = np.asarray(cv2.cvtColor(g, cv2.COLOR_GRAY2RGB), np.uint8)
    return np.asarray(img, np.uint8)


def _signature(
    draw: ImageDraw.ImageDraw,
    rng: np.random.Generator,
    origin: tuple[int, int],
    width: int,
    px_mm: float,
) -> None:
    """A handwritten-looking scribble (sums of sines along a slanted baseline)."""
    x0, y0 = origin[0] + 2 * px_mm, origin[1] + rng.uniform(4.5, 6.5) * px_mm
    length = width * rng.uniform(0.6, 0.95)
    t = np.linspace(0, 1, 240)
    loops = rng.uniform(5, 11)
    # the pen's amplitude swells and fades along the stroke
    swell = 0.55 + 0.45 * np.abs(np.sin(math.pi * rng.uniform(1, 3) * t + rng.uniform(0, 3)))
    xs = x0 + t * length + rng.uniform(0.8, 2.0) * px_mm * swell * np.sin(2 * math.pi * loops * t)
    ys = (
        y0
        - t * rng.uniform(-1.0, 2.5) * px_mm
        + rng.uniform(1.0, 2.5)
        * px_mm
        * swell
        * np.cos(2 * math.pi * loops * t + rng.uniform(0, 3))
        + rng.uniform(0.2, 0.8) * px_mm * np.sin(2 * math.pi * rng.uniform(1, 3) * t)
    )
    ink = ((20, 30, 110), (25, 25, 25), (30, 40, 80))[int(rng.integers(3))]
    pts = [(float(x), float(y)) for x, y in zip(xs, ys, strict=True)]
    draw.line(pts, fill=ink, width=max(1, round(0.25 * px_mm)), joint="curve")


def _fit_font(path: str, size: int, text: str, max_w: float) -> tuple[int, int]:
    """Shrink ``size`` until ``text`` fits in ``max_w`` pixels; returns (size, width)."""
    while True:
        width = load_font(path, size).getlength(text)
        if width <= max_w or size <= 8:
            return size, int(width)
        size -= 1


def _value_text(name: str, ident: Identity, rng: np.random.Generator) -> str:
    values = {
        "type": ident.document_code[0],
        "issuing_state": ident.issuing_state,
        "document_number": ident.document_number,
        "surname": ident.surname,
        "given_names": ident.given_names,
        "nationality": ident.nationality,
        "birth_date": viz_date(ident.birth_date),
        "sex": ident.sex,
        "place_of_birth": ident.place_of_birth,
        "issue_date": viz_date(ident.issue_date),
        "authority": ident.authority,
        "expiry_date": viz_date(ident.expiry_date),
        "valid_for": "SCHENGEN STATES" if rng.random() < 0.6 else "NORDIC STATES",
        "visa_type": ident.document_code[1:] or "C",
        "entries": str(rng.choice(["1", "2", "MULT"])),
        "duration": f"{int(rng.choice([15, 30, 60, 90]))} DAYS",
        "remarks": "EMPLOYMENT" if rng.random() < 0.5 else "VISIT",
    }
    return values[name]


def _header_mm(kind: str) -> float:
    """Left edge (mm) of the issuing state's name in the header."""
    return 28.0 if kind == "td1_id" else 44.0 if kind == "td3_passport" else 36.0


def render_document(
    kind: str = "td3_passport",
    *,
    identity: Identity | None = None,
    rng: np.random.Generator | None = None,
    seed: int = 0,
    dpi: float = 300.0,
) -> RenderedDocument:
    """Render one synthetic specimen document.

    Parameters
    ----------
    kind
        ``td3_passport``, ``td1_id``, ``td2_id``, ``mrva_visa`` or ``mrvb_visa``.
    identity
        The data to print; drawn from ``rng`` when omitted (its ``kind`` must match).
    rng
        Random generator for the identity, the pattern, the portrait and the palette;
        ``np.random.default_rng(seed)`` when omitted.
    seed
        Seed used when ``rng`` is omitted.
    dpi
        Resolution; the document has its true size in mm at this resolution.

    Returns
    -------
    RenderedDocument
        The BGR image, the MRZ lines, the truth fields and the layout in pixels.

    References
    ----------
    ICAO 9303 Part 3, section 4.2 (OCR-B size 1, 2.54 mm pitch); Parts 4-7, section 2-4
    (document sizes and zones).
    """
    if kind not in KIND_FORMATS:
        raise ValueError(f"unknown document kind `{kind}`")
    rng = rng if rng is not None else np.random.default_rng(seed)
    ident = identity if identity is not None else random_identity(rng, kind)
    if ident.kind != kind:
        raise ValueError(f"identity kind `{ident.kind}` does not match `{kind}`")
    px_mm = dpi / MM_PER_INCH
    w_mm, h_mm = DOCUMENT_SIZES_MM[kind]
    w, h = round(w_mm * px_mm), round(h_mm * px_mm)
    paper, ink, label_rgb = _PALETTES[int(rng.integers(len(_PALETTES)))]

    canvas = np.empty((h, w, 3), np.uint8)
    # a soft gradient paper tint
    grad = np.linspace(0, 1, w, dtype=np.float32)[None, :, None]
    tint = np.array(paper, np.float32)[None, None, :]
    canvas[:] = np.clip(tint - 8 * grad + 4, 0, 255).astype(np.uint8)
    _guilloche(canvas, rng, paper, ink, px_mm)

    chars, baselines_mm = _MRZ_GEOMETRY[kind]
    # centred, within the print tolerance of a real document (about +-0.8 mm)
    mrz_x0 = ((w_mm - chars * MRZ_PITCH_MM) / 2 + float(rng.uniform(-0.8, 0.8))) * px_mm
    y_shift = float(rng.uniform(-0.5, 0.5))
    baselines_mm = tuple(b + y_shift for b in baselines_mm)
    pitch = MRZ_PITCH_MM * px_mm
    cap = MRZ_CAP_MM * px_mm
    # clear zone: fade the pattern behind the MRZ (ICAO 9303 Part 3, 4.3)
    zone_top = int((baselines_mm[0] - MRZ_CAP_MM - 2.0) * px_mm)
    band = canvas[zone_top:].astype(np.float32)
    canvas[zone_top:] = (band * 0.3 + np.array(paper, np.float32) * 0.7).astype(np.uint8)

    # portrait (+ a ghost image on passports)
    px, py, pw, ph = (round(v * px_mm) for v in _PORTRAIT_MM[kind])
    grey = kind in ("td3_passport", "td1_id") or rng.random() < 0.3
    face = _portrait(np.random.default_rng(rng.integers(2**63)), pw, ph, grey=grey)
    canvas[py : py + ph, px : px + pw] = face
    cv2.rectangle(canvas, (px, py), (px + pw - 1, py + ph - 1), (90, 90, 90), 1)
    if kind == "td3_passport":
        gw, gh = round(12 * px_mm), round(15.5 * px_mm)
        gx, gy = round(107 * px_mm), round(54 * px_mm)
        ghost = cv2.resize(face, (gw, gh), interpolation=cv2.INTER_AREA).astype(np.float32)
        region = canvas[gy : gy + gh, gx : gx + gw].astype(np.float32)
        canvas[gy : gy + gh, gx : gx + gw] = (region * 0.72 + ghost * 0.28).astype(np.uint8)

    background = np.ascontiguousarray(cv2.cvtColor(canvas, cv2.COLOR_RGB2BGR), np.uint8)
    pil = Image.fromarray(canvas)
    draw = ImageDraw.Draw(pil)

    # header: title, state names, a simple emblem
    faces = ("sans", "condensed", "sans-bold", "condensed-bold")
    value_face = str(viz_font_path(faces[int(rng.integers(len(faces)))]))
    label_face = str(viz_font_path("sans"))
    bold_face = str(viz_font_path("sans-bold"))
    small = kind == "td1_id"
    title_size = round((1.7 if small else 2.6) * px_mm / DEJAVU_CAP_PER_EM)
    if kind.endswith("_visa"):
        title_size = round(4.0 * px_mm / DEJAVU_CAP_PER_EM)
    state_en, state_nat = STATES.get(ident.issuing_state, (ident.issuing_state, None))
    # header text stops before the code field (TD1) or the emblem (others)
    head_room = (70.0 - 28.0 if small else w_mm - 12.0 - 4.5 - 2.0 - _header_mm(kind)) * px_mm
    tx = (3.5 if small else 6.0 if kind != "mrva_visa" else 4.0) * px_mm
    ty = (4.6 if small else 3.0) * px_mm
    header_x = _header_mm(kind) * px_mm
    if small:
        hsize, _ = _fit_font(bold_face, round(1.3 * px_mm / DEJAVU_CAP_PER_EM), state_en, head_room)
        draw.text((header_x, 1.6 * px_mm), state_en, font=load_font(bold_face, hsize), fill=label_rgb)  # fmt: skip
        draw.text((header_x, ty), _TITLES[kind], font=load_font(bold_face, round(1.1 * px_mm / DEJAVU_CAP_PER_EM)), fill=label_rgb)  # fmt: skip
    else:
        first, _, second = _TITLES[kind].partition(" / ")
        tfont = load_font(bold_face, title_size)
        tsize, _ = _fit_font(bold_face, title_size, first, header_x - tx - 1.5 * px_mm)
        draw.text((tx, ty), first, font=load_font(bold_face, tsize), fill=label_rgb)
        if second:
            y2 = ty + tfont.getbbox("H")[3] + 0.6 * px_mm
            draw.text((tx, y2), second, font=load_font(label_face, round(1.3 * px_mm / DEJAVU_CAP_PER_EM)), fill=label_rgb)  # fmt: skip
        hdr_size = round(1.9 * px_mm / DEJAVU_CAP_PER_EM)
        hdr_size, _ = _fit_font(bold_face, hdr_size, state_en, head_room)
        draw.text((header_x, 3.0 * px_mm), state_en, font=load_font(bold_face, hdr_size), fill=label_rgb)  # fmt: skip
        if state_nat:
            nsize, _ = _fit_font(label_face, round(1.4 * px_mm / DEJAVU_CAP_PER_EM), state_nat, head_room)  # fmt: skip
            draw.text((header_x, 6.0 * px_mm), state_nat, font=load_font(label_face, nsize), fill=label_rgb)  # fmt: skip
    ex, ey, er = (w_mm - (9 if small else 12)) * px_mm, (7 if small else 8) * px_mm, (3 if small else 4.5) * px_mm  # fmt: skip
    if kind != "td1_id":
        draw.ellipse((ex - er, ey - er, ex + er, ey + er), outline=label_rgb, width=max(1, round(0.3 * px_mm)))  # fmt: skip
        star = [
            (ex + er * 0.75 * (1 if k % 2 == 0 else 0.45) * math.cos(math.pi / 2 + k * math.pi / 5),
             ey - er * 0.75 * (1 if k % 2 == 0 else 0.45) * math.sin(math.pi / 2 + k * math.pi / 5))
            for k in range(10)
        ]  # fmt: skip
        draw.polygon(star, fill=label_rgb)

    # visual-zone fields
    label_cap = 0.85 if small else 1.05
    value_cap = 1.6 if small else 2.05
    label_size = round(label_cap * px_mm / DEJAVU_CAP_PER_EM)
    value_size0 = round(value_cap * px_mm / DEJAVU_CAP_PER_EM)
    value_rgb = (int(rng.integers(10, 40)),) * 3
    layout = _FIELDS[kind]
    fields: dict[str, FieldLayout] = {}
    for i, (name, label_key, x_mm, y_mm) in enumerate(layout):
        # the room to the right: up to the next field on the same row, or the edge
        same_row = [fx for (_, _, fx, fy) in layout[i + 1 :] if fy == y_mm and fx > x_mm]
        right = (min(same_row) - 1.5) if same_row else (w_mm - 3.0)
        lx, ly = round(x_mm * px_mm), round(y_mm * px_mm)
        label = _LABELS[label_key]
        room = (right - x_mm) * px_mm
        if load_font(label_face, round(label_size * 0.85)).getlength(label) > room:
            label = label.split(" / ")[0]  # keep the first language when both do not fit
        lsize, _ = _fit_font(label_face, label_size, label, room)
        draw.text((lx, ly), label, font=load_font(label_face, lsize), fill=label_rgb, anchor="la")
        lbox = draw.textbbox((lx, ly), label, font=load_font(label_face, lsize), anchor="la")
        text = _value_text(name, ident, rng)
        size, _ = _fit_font(value_face, value_size0, text, (right - x_mm) * px_mm)
        vx = lx
        vy = round(ly + (label_cap * 1.45 + 0.45) * px_mm)
        font = load_font(value_face, size)
        draw.text((vx, vy), text, font=font, fill=value_rgb, anchor="la")
        b = draw.textbbox((vx, vy), text, font=font, anchor="la")
        fields[name] = FieldLayout(
            name=name,
            text=text,
            box=(int(b[0]), int(b[1]), int(b[2] - b[0]), int(b[3] - b[1])),
            origin=(vx, vy),
            font_path=value_face,
            font_size=size,
            color=value_rgb,
            label_box=(int(lbox[0]), int(lbox[1]), int(lbox[2] - lbox[0]), int(lbox[3] - lbox[1])),
        )

    # the holder's signature under the portrait, where there is room above the MRZ
    if kind in ("td3_passport", "td2_id"):
        _signature(draw, np.random.default_rng(rng.integers(2**63)), (px, py + ph), pw, px_mm)

    # MRZ: one cell per character at the ICAO pitch
    lines = mrz_lines(ident)
    ocrb = str(ocrb_font_path())
    mrz_size = round(cap / OCRB_CAP_PER_EM)
    mrz_font = load_font(ocrb, mrz_size)
    mrz_rgb = (int(rng.integers(0, 30)),) * 3
    baselines = tuple(b * px_mm for b in baselines_mm)
    for line, base in zip(lines, baselines, strict=True):
        for j, ch in enumerate(line):
            draw.text((mrz_x0 + (j + 0.5) * pitch, base), ch, font=mrz_font, fill=mrz_rgb, anchor="ms")  # fmt: skip
    x1 = mrz_x0 + chars * pitch
    top = baselines[0] - cap
    bottom = baselines[-1]
    mrz_polygon = [[mrz_x0, top], [x1, top], [x1, bottom], [mrz_x0, bottom]]

    image = cv2.cvtColor(np.asarray(pil), cv2.COLOR_RGB2BGR)
    return RenderedDocument(
        image=np.ascontiguousarray(image),
        kind=kind,
        format=KIND_FORMATS[kind],
        dpi=dpi,
        identity=ident,
        mrz=lines,
        viz=ident.viz(),
        mrz_polygon=[[round(x, 1), round(y, 1)] for x, y in mrz_polygon],
        document_polygon=[[0.0, 0.0], [float(w), 0.0], [float(w), float(h)], [0.0, float(h)]],
        portrait=(px, py, pw, ph),
        fields=fields,
        mrz_layout=MRZLayout(
            x0=mrz_x0,
            pitch=pitch,
            baselines=baselines,
            cap_height=cap,
            chars=chars,
            font_path=ocrb,
            font_size=mrz_size,
        ),
        palette=(paper, ink, label_rgb),
        background=background,
    )
