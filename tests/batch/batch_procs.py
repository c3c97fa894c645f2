"""Light processors and synthetic documents for the batch tests.

The documents are small PNGs that carry their MRZ lines, their MRZ polygon and an
instruction for the processor (crash, die, sleep) in PNG text chunks, so the batch
machinery can be tested in milliseconds per document, without OCR.
"""

from __future__ import annotations

import io
import json
import os
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from misec_rules.batch._imaging import estimate_portrait
from misec_rules.mrz import generate_mrz, parse_mrz

W, H = 440, 310  # a TD3 data page at about 3.5 px/mm
MRZ_POLY = [[23.0, 250.0], [416.0, 250.0], [416.0, 292.0], [23.0, 292.0]]


def portrait_texture(seed: int, w: int, h: int) -> np.ndarray:
    """A smooth random 'portrait' that keeps its pHash when redrawn."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, size=(6, 5), dtype=np.uint8)
    big = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    return cv2.cvtColor(big, cv2.COLOR_GRAY2BGR)


def make_doc(
    path: Path,
    *,
    surname: str = "VIRTANEN",
    given: str = "AINO",
    number: str = "XA0000001",
    issuer: str = "FIN",
    birth: date = date(1990, 5, 17),
    sex: str = "F",
    portrait_seed: int | None = None,
    behave: str = "",
    finding: str = "",
    noise_seed: int = 0,
) -> Path:
    """Write one synthetic document image with its facts in PNG text chunks."""
    rng = np.random.default_rng(noise_seed)
    img = np.full((H, W, 3), 225, dtype=np.uint8)
    img += rng.integers(0, 20, size=(H, W, 1), dtype=np.uint8)
    box = estimate_portrait(img.shape, MRZ_POLY, "TD3")
    assert box is not None
    x, y, w, h = box
    seed = portrait_seed if portrait_seed is not None else noise_seed + 1000
    img[y : y + h, x : x + w] = portrait_texture(seed, w, h)
    lines = generate_mrz(
        "TD3",
        document_code="P",
        issuing_state=issuer,
        surname=surname,
        given_names=given,
        document_number=number,
        nationality=issuer,
        birth_date=birth,
        sex=sex,
        expiry_date=date(2031, 1, 1),
    )
    info = PngInfo()
    info.add_text("mrz", "\n".join(lines))
    info.add_text("poly", json.dumps(MRZ_POLY))
    if behave:
        info.add_text("behave", behave)
    if finding:
        info.add_text("finding", finding)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(img[:, :, ::-1]).save(path, pnginfo=info)
    return path


@dataclass(frozen=True)
class TagProcessor:
    """Reads the facts a :func:`make_doc` image carries; obeys its ``behave`` chunk."""

    delay: float = 0.0

    def __call__(self, data: bytes, /, *, name: str) -> dict[str, Any]:
        im = Image.open(io.BytesIO(data))
        im.load()
        info: dict[str, str] = dict(getattr(im, "text", {}))
        behave = info.get("behave", "")
        if behave == "crash":
            raise RuntimeError("engine crashed")
        if behave == "die":
            os._exit(7)
        if behave.startswith("sleep:"):
            time.sleep(float(behave.split(":", 1)[1]))
        if self.delay:
            time.sleep(self.delay)
        arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        mrz = parse_mrz(info["mrz"].split("\n")).to_json() if "mrz" in info else None
        findings: list[dict[str, Any]] = []
        if info.get("finding"):
            findings.append(
                {
                    "id": info["finding"],
                    "severity": "warning",
                    "message": "a test finding",
                    "evidence": {},
                    "region": [10, 10, 60, 30],
                }
            )
        verdict = "suspicious" if findings else ("consistent" if mrz else "unreadable")
        return {
            "verdict": verdict,
            "mrz": mrz,
            "findings": findings,
            "mrz_polygon": json.loads(info["poly"]) if "poly" in info else None,
            "image": arr,
        }


def plain_processor(data: bytes, /, *, name: str) -> dict[str, Any]:
    """A module-level function processor: only decodes the image."""
    arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if arr is None:
        raise ValueError("not an image")
    return {"verdict": "consistent", "image": arr}


def make_docs(folder: Path, n: int, *, start: int = 0) -> list[Path]:
    """``n`` distinct, valid documents named doc-0000.png ..."""
    out = []
    for i in range(start, start + n):
        out.append(
            make_doc(
                folder / f"doc-{i:04d}.png",
                surname=f"TESTI{chr(65 + i % 26)}{chr(65 + (i // 26) % 26)}",
                number=f"XB{i:07d}",
                noise_seed=i,
            )
        )
    return out


class BrokenOnLoad:
    """A processor that pickles but cannot be unpickled in a worker."""

    def __getstate__(self) -> dict[str, int]:
        return {"x": 1}

    def __setstate__(self, state: dict[str, int]) -> None:
        raise RuntimeError("cannot load")

    def __call__(self, data: bytes, /, *, name: str) -> dict[str, Any]:
        return {}
