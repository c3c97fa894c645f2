"""Fixtures for the image reader's tests: rendered documents and MRZ lines."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from misec_rules.samples import make_sample, ocrb_font_path

TD3_BAD_CHECK = [
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<15",  # composite should be 0
]
TD3_SPEC = [
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
]


def render_mrz_page(lines: list[str], *, width: int = 1300) -> np.ndarray:
    """A plain page with some body text and ``lines`` as an MRZ at the bottom (BGR)."""
    n = len(lines[0])
    pitch = (width - 120) / n
    cap = pitch * 0.95
    font = ImageFont.truetype(str(ocrb_font_path()), round(cap / 0.75))
    height = int(width * 0.7)
    im = Image.new("RGB", (width, height), (236, 238, 230))
    d = ImageDraw.Draw(im)
    for k in range(0, width, 9):
        d.arc([k - 260, 60, k + 260, 520], 0, 180, fill=(205, 214, 222))
    body = ImageFont.truetype(str(ocrb_font_path()), 26)
    for i in range(6):
        d.text((460, 90 + i * 60), "SPECIMEN 12 JAN 1980", font=body, fill=(30, 30, 50))
    d.rectangle([60, 90, 380, 470], fill=(120, 122, 130))
    y = height - 50 - len(lines) * cap * 1.8
    for line in lines:
        for j, ch in enumerate(line):
            d.text((60 + (j + 0.5) * pitch, y + cap), ch, font=font, fill=(15, 15, 15), anchor="ms")
        y += cap * 1.8
    return cv2.cvtColor(np.asarray(im), cv2.COLOR_RGB2BGR)


@lru_cache(maxsize=64)
def _sample(kind: str, degradation: str | None, index: int) -> tuple[np.ndarray, tuple[str, ...]]:
    s = make_sample(kind, degradation, seed=11, index=index)
    return s.image, tuple(s.truth.mrz)


@pytest.fixture(scope="session")
def sample() -> object:
    """``sample(kind, degradation=None, index=0) -> (image, truth lines)``."""

    def get(
        kind: str, degradation: str | None = None, index: int = 0
    ) -> tuple[np.ndarray, list[str]]:
        img, lines = _sample(kind, degradation, index)
        return img.copy(), list(lines)

    return get


@pytest.fixture()
def write_png(tmp_path: Path) -> object:
    """``write_png(name, image) -> Path``: save an image in the test's folder."""

    def put(name: str, image: np.ndarray) -> Path:
        p = tmp_path / name
        cv2.imwrite(str(p), image)
        return p

    return put
