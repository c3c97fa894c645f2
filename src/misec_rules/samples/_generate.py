"""Generate a set of synthetic specimen images with their ground truth (truth.jsonl)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict

from misec_rules.samples._degrade import DEGRADATIONS, transform_box, transform_points
from misec_rules.samples._identity import KIND_FORMATS, KINDS
from misec_rules.samples._render import RenderedDocument, render_document

__all__ = [
    "DEFAULT_DEGRADATIONS",
    "Regions",
    "Sample",
    "TruthRecord",
    "generate",
    "iter_samples",
    "load_truth",
    "make_sample",
]

DEFAULT_DEGRADATIONS: tuple[str, ...] = ("none", *DEGRADATIONS)
"""``none`` and every degradation: the generator's default mix, in equal parts."""


class Regions(BaseModel):
    """Where things are in the final image's pixels (``None`` where unknown).

    ``mrz`` and ``document`` are four ``[x, y]`` points (top-left, top-right,
    bottom-right, bottom-left of the upright document, wherever they ended up);
    ``portrait`` and each ``viz`` entry are ``[x, y, w, h]`` boxes.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    mrz: list[list[float]] | None
    portrait: list[int] | None
    viz: dict[str, list[int]] | None
    document: list[list[float]] | None = None


class TruthRecord(BaseModel):
    """One line of truth.jsonl: what an image shows."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str
    kind: str
    format: str
    mrz: list[str]
    viz: dict[str, str]
    degradation: str | None
    manipulation: str | None = None
    regions: Regions


class Sample:
    """A generated image (BGR uint8) with its truth record (``file`` still empty)."""

    __slots__ = ("document", "image", "truth")

    def __init__(self, image: np.ndarray, truth: TruthRecord, document: RenderedDocument) -> None:
        self.image = image
        self.truth = truth
        self.document = document


def _regions(doc: RenderedDocument, matrix: np.ndarray | None, shape: tuple[int, ...]) -> Regions:
    if matrix is None:
        return Regions(mrz=None, portrait=None, viz=None, document=None)
    viz: dict[str, list[int]] = {}
    for name, box in doc.viz_boxes().items():
        mapped = transform_box(box, matrix, shape)
        if mapped is not None:
            viz[name] = mapped
    return Regions(
        mrz=transform_points(doc.mrz_polygon, matrix),
        portrait=transform_box(doc.portrait, matrix, shape),
        viz=viz,
        document=transform_points(doc.document_polygon, matrix),
    )


def make_sample(kind: str, degradation: str | None, *, seed: int, index: int = 0) -> Sample:
    """Render one document of ``kind`` and apply ``degradation`` (``None``/``"none"``: clean).

    The result depends only on ``(seed, index, kind, degradation)``.
    """
    if kind not in KIND_FORMATS:
        raise ValueError(f"unknown document kind `{kind}`")
    name = None if degradation in (None, "none") else degradation
    if name is not None and name not in DEGRADATIONS:
        raise ValueError(f"unknown degradation `{degradation}`")
    rng = np.random.default_rng([seed, index])
    doc = render_document(kind, rng=rng)
    image = doc.image
    matrix: np.ndarray | None = np.eye(3)
    if name is not None:
        options = {"facing_page": kind != "td1_id" and kind != "td2_id"}
        out = DEGRADATIONS[name](image, rng=rng, **(options if name == "flatbed_scan" else {}))
        image, matrix = out.image, out.transform
    truth = TruthRecord(
        file="",
        kind=kind,
        format=doc.format,
        mrz=doc.mrz,
        viz=doc.viz,
        degradation=name,
        manipulation=None,
        regions=_regions(doc, matrix, image.shape),
    )
    return Sample(image, truth, doc)


def _plan(
    count: int, kinds: Sequence[str], degradations: Sequence[str]
) -> Iterator[tuple[int, str, str]]:
    for i in range(count):
        yield i, kinds[i % len(kinds)], degradations[i % len(degradations)]


def iter_samples(
    *,
    count: int,
    seed: int = 0,
    kinds: Sequence[str] | None = None,
    degradations: Sequence[str] | None = None,
) -> Iterator[Sample]:
    """Yield ``count`` samples without writing anything (see :func:`generate`)."""
    kinds = list(kinds or KINDS)
    degradations = list(degradations or DEFAULT_DEGRADATIONS)
    _validate(kinds, degradations)
    for i, kind, deg in _plan(count, kinds, degradations):
        yield make_sample(kind, deg, seed=seed, index=i)


def _validate(kinds: Sequence[str], degradations: Sequence[str]) -> None:
    for k in kinds:
        if k not in KIND_FORMATS:
            raise ValueError(f"unknown document kind `{k}` (known: {', '.join(KINDS)})")
    for d in degradations:
        if d not in DEFAULT_DEGRADATIONS:
            raise ValueError(
                f"unknown degradation `{d}` (known: {', '.join(DEFAULT_DEGRADATIONS)})"
            )
    if not kinds or not degradations:
        raise ValueError("at least one kind and one degradation are needed")


def generate(
    out_dir: str | Path,
    *,
    count: int,
    seed: int = 0,
    kinds: Sequence[str] | None = None,
    degradations: Sequence[str] | None = None,
    image_format: str = "png",
    jpeg_quality: int = 92,
) -> list[TruthRecord]:
    """Write ``count`` synthetic specimen images and ``out_dir/truth.jsonl``.

    Image ``i`` is of kind ``kinds[i % len(kinds)]`` with degradation
    ``degradations[i % len(degradations)]``, so every kind and every degradation
    come in equal parts (every pair when the two lengths are coprime, as the
    defaults 5 and 13 are).  Image ``i`` depends only on ``seed`` and ``i``: a
    larger ``count`` extends a smaller set with the same first images.

    Parameters
    ----------
    out_dir
        Folder to write into (created when missing); an existing truth.jsonl is replaced.
    count
        Number of images.
    seed
        Seed of the whole set.
    kinds
        Document kinds (default: all of ``td3_passport``, ``td1_id``, ``td2_id``,
        ``mrva_visa``, ``mrvb_visa``).
    degradations
        Degradation names, ``none`` for a clean render (default:
        :data:`DEFAULT_DEGRADATIONS`).
    image_format
        ``png`` (lossless) or ``jpg`` (``jpeg_quality``).
    jpeg_quality
        Quality of ``jpg`` files.

    Returns
    -------
    list of TruthRecord
        The records written to truth.jsonl, in order.
    """
    if count < 0:
        raise ValueError(f"count must not be negative, got `{count}`")
    if image_format not in ("png", "jpg"):
        raise ValueError(f"unknown image format `{image_format}` (png or jpg)")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    records: list[TruthRecord] = []
    params = (
        [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality]
        if image_format == "jpg"
        else [cv2.IMWRITE_PNG_COMPRESSION, 6]
    )
    tmp = out / "truth.jsonl.tmp"
    with tmp.open("w", encoding="utf-8") as fh:
        for i, sample in enumerate(
            iter_samples(count=count, seed=seed, kinds=kinds, degradations=degradations)
        ):
            deg = sample.truth.degradation or "none"
            name = f"{i:04d}_{sample.truth.kind}_{deg}.{image_format}"
            ok, buf = cv2.imencode(f".{image_format}", sample.image, params)
            if not ok:  # pragma: no cover
                raise ValueError(f"could not encode `{name}`")
            (out / name).write_bytes(buf.tobytes())
            record = sample.truth.model_copy(update={"file": name})
            records.append(record)
            fh.write(json.dumps(record.model_dump(), ensure_ascii=False) + "\n")
    tmp.replace(out / "truth.jsonl")
    return records


def load_truth(path: str | Path) -> list[TruthRecord]:
    """Read a truth.jsonl file (or the truth.jsonl in a folder)."""
    p = Path(path)
    if p.is_dir():
        p = p / "truth.jsonl"
    records = []
    with p.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                records.append(TruthRecord.model_validate_json(line))
            except ValueError as exc:
                raise ValueError(f"{p}:{n}: not a truth record") from exc
    return records
