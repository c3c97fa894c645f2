"""The project's own OCR-B recogniser: fixed-pitch cells and a small glyph classifier.

A rectified line strip (see :func:`misec_rules.vision._locate.cut_lines`) is
re-centred on its text row, cut into the known number of character cells
(:func:`~misec_rules.vision._locate.split_cells`), and each cell, as an ink
density map of :data:`CELL_H` x :data:`CELL_W` pixels, goes through a
two-layer perceptron (numpy only).  The result per character is a short list
of ``(char, probability)`` candidates, best first, which the check-digit
repair (:func:`misec_rules.mrz.repair_mrz`) chooses among.

The weights are in ``ocrb_model.npz`` beside this module, produced by
``scripts/train_ocrb.py`` from OCR-B glyphs rendered with the Debian
``fonts-ocr-b`` font and augmented; nothing is downloaded at run time.

References
----------
ICAO Doc 9303 part 3, section 4.2 (OCR-B type face, character set ``A-Z 0-9 <``,
constant pitch).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import cv2
import numpy as np
from numpy.typing import NDArray

from misec_rules.errors import EngineError
from misec_rules.vision._locate import LINE_HEIGHT, Gray, ink, split_cells, tighten

__all__ = [
    "ALPHABET",
    "CELL_H",
    "CELL_W",
    "VARIANTS",
    "LineRead",
    "OcrbModel",
    "cell_features",
    "decode",
    "load_model",
    "read_line",
]

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<"
"""The MRZ character set, in the classifier's class order."""

_INDEX = {c: i for i, c in enumerate(ALPHABET)}
_SHIFT_MARGIN = 3.0  # nats a one-cell shift must gain to be taken
CELL_H = 24
CELL_W = 18
_MODEL_FILE = "ocrb_model.npz"


@dataclass(frozen=True)
class OcrbModel:
    """Weights of the glyph classifier (features -> hidden ReLU -> softmax)."""

    mean: NDArray[np.float32]
    scale: NDArray[np.float32]
    w1: NDArray[np.float32]
    b1: NDArray[np.float32]
    w2: NDArray[np.float32]
    b2: NDArray[np.float32]

    def predict(self, x: NDArray[np.float32], /) -> NDArray[np.float32]:
        """Class probabilities, (n, len(ALPHABET)), for features (n, d)."""
        z = (x - self.mean) * self.scale
        # einsum, not `@`: the matrices are small, and BLAS threads spinning on a
        # busy machine cost far more CPU than the product itself
        h = np.maximum(np.einsum("ij,jk->ik", z, self.w1) + self.b1, 0.0)
        logits = np.einsum("ij,jk->ik", h, self.w2) + self.b2
        logits = logits - logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        out: NDArray[np.float32] = (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
        return out


@lru_cache(maxsize=1)
def load_model() -> OcrbModel:
    """Load the shipped classifier weights (once per process).

    Raises
    ------
    EngineError
        The model file is missing or damaged (re-run ``scripts/train_ocrb.py``).
    """
    try:
        ref = resources.files("misec_rules.vision").joinpath(_MODEL_FILE)
        with resources.as_file(ref) as path, np.load(path) as data:
            return OcrbModel(
                **{
                    k: np.asarray(data[k], dtype=np.float32)
                    for k in ("mean", "scale", "w1", "b1", "w2", "b2")
                }
            )
    except (OSError, KeyError, ValueError) as exc:
        raise EngineError(
            f"ocrb engine: model file `{_MODEL_FILE}` is missing or damaged; "
            "run scripts/train_ocrb.py"
        ) from exc


def cell_features(
    strip: Gray,
    cells: list[tuple[float, float]],
    /,
    *,
    density: NDArray[np.float32] | None = None,
) -> NDArray[np.float32]:
    """Feature vectors, (len(cells), CELL_H * CELL_W), for the cells of a strip.

    Each cell is widened by 15 % of the pitch on both sides and its ink
    density (scaled per line, see ``ink``) resized to CELL_H x CELL_W.
    ``density`` is ``ink(strip)`` when the caller already has it.
    """
    if density is None:
        density = ink(strip)
    y0, y1 = int(LINE_HEIGHT * 0.1), int(LINE_HEIGHT * 0.9)
    out = np.zeros((len(cells), CELL_H * CELL_W), dtype=np.float32)
    for i, (a, b) in enumerate(cells):
        p = b - a
        xa, xb = a - 0.15 * p, b + 0.15 * p
        # sub-pixel accurate crop through an affine map
        sx = CELL_W / (xb - xa)
        sy = CELL_H / (y1 - y0)
        m = np.array([[sx, 0, -xa * sx], [0, sy, -y0 * sy]], dtype=np.float32)
        cell = cv2.warpAffine(density, m, (CELL_W, CELL_H), flags=cv2.INTER_AREA, borderValue=0.0)
        out[i] = cell.reshape(-1)
    return out


@dataclass(frozen=True)
class LineRead:
    """One line read by the OCR-B recogniser."""

    text: str
    candidates: list[list[tuple[str, float]]]
    confidences: list[float]
    mean_log_prob: float
    pitch: float
    probs: NDArray[np.float32]


VARIANTS = ("local", "sharp")
"""Second looks at a strip (see :func:`read_line`)."""


def _local_ink(strip: Gray) -> NDArray[np.float32]:
    """Ink density scaled by the ink strength within a few characters (glare, shade)."""
    density = ink(strip)
    width = max(3, int(LINE_HEIGHT * 3) | 1)
    near = cv2.dilate(density, cv2.getStructuringElement(cv2.MORPH_RECT, (width, LINE_HEIGHT)))
    near = cv2.blur(near, (width, 1))
    out: NDArray[np.float32] = np.clip(density / np.maximum(near, 0.3), 0.0, 1.0).astype(np.float32)
    return out


def _sharpen(strip: Gray) -> Gray:
    """Unsharp mask against mild blur."""
    soft = cv2.GaussianBlur(strip, (0, 0), 1.5)
    out: Gray = np.asarray(cv2.addWeighted(strip, 1.8, soft, -0.8, 0), dtype=np.uint8)
    return out


def read_line(
    strip: Gray,
    n: int,
    /,
    *,
    model: OcrbModel | None = None,
    top: int = 3,
    variant: str | None = None,
) -> LineRead:
    """Read a rectified line strip that holds ``n`` characters.

    Parameters
    ----------
    strip
        (LINE_HEIGHT, cols) ``uint8`` strip from ``cut_lines``.
    n
        Number of characters in the line (30, 36 or 44).
    model
        Classifier weights; the shipped model by default.
    top
        How many candidates to keep per character (those above 1 %).
    variant
        A second look for a line read badly: ``local`` scales the ink by its
        strength within a few characters (glare, uneven light), ``sharp``
        sharpens the strip first (blur).  None: the plain read.
    """
    m = model or load_model()
    t = tighten(_sharpen(strip) if variant == "sharp" else strip)
    density = _local_ink(t) if variant == "local" else ink(t)
    cells, pitch = split_cells(t, n, density=density)
    # one more cell on each side: clutter touching a line's end can shift the
    # cells by one, which the classifier notices (a junk cell reads badly)
    wide = [(cells[0][0] - pitch, cells[0][0]), *cells, (cells[-1][1], cells[-1][1] + pitch)]
    allp = m.predict(cell_features(t, wide, density=density))
    logp = np.log(np.maximum(allp.max(axis=1), 1e-6))
    scores = [float(logp[k : k + n].sum()) for k in range(3)]
    k = 1
    if max(scores[0], scores[2]) > scores[1] + _SHIFT_MARGIN:
        k = 0 if scores[0] > scores[2] else 2
    return decode(allp[k : k + n], pitch, top=top)


def decode(
    probs: NDArray[np.float32],
    pitch: float,
    /,
    *,
    allowed: list[str] | None = None,
    weights: NDArray[np.float32] | None = None,
    top: int = 3,
) -> LineRead:
    """Turn class probabilities (n, len(ALPHABET)) into text and candidates.

    ``allowed[i]`` restricts position ``i`` to the characters its MRZ field
    can hold (digits in a date, letters in a name); ``weights`` (same shape
    as ``probs``) multiplies them as a prior.  Probabilities are renormalised.
    """
    p = probs if weights is None else probs * weights
    if allowed is not None:
        mask = np.zeros_like(probs)
        for i, chars in enumerate(allowed[: probs.shape[0]]):
            for c in chars:
                mask[i, _INDEX[c]] = 1.0
        p = p * mask
    if allowed is not None or weights is not None:
        p = p / np.maximum(p.sum(axis=1, keepdims=True), 1e-12)
    order = np.argsort(-p, axis=1)[:, :top]
    text: list[str] = []
    cands: list[list[tuple[str, float]]] = []
    confs: list[float] = []
    for i in range(p.shape[0]):
        row = [(ALPHABET[j], float(p[i, j])) for j in order[i]]
        keep = [row[0]] + [c for c in row[1:] if c[1] >= 0.01]
        text.append(row[0][0])
        cands.append(keep)
        confs.append(row[0][1])
    mlp = float(np.mean(np.log(np.maximum(probs.max(axis=1), 1e-6))))
    return LineRead("".join(text), cands, confs, mlp, pitch, probs)
