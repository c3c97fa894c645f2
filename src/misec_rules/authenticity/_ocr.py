"""Visual-zone OCR: words and lines read through the project's one tesseract adapter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from misec_rules.vision._tesseract import image_to_data

__all__ = ["Word", "ocr_line", "ocr_words"]


@dataclass(frozen=True)
class Word:
    """One word tesseract read: its text, confidence (0-100) and box in input pixels."""

    text: str
    conf: float
    box: tuple[int, int, int, int]
    line: tuple[int, int, int]


def ocr_words(
    image: npt.NDArray[np.uint8], *, languages: str = "eng", psm: int = 11, scale: float = 1.0
) -> list[Word]:
    """Words read by tesseract from a grey image, boxes mapped back by ``1/scale``.

    Raises
    ------
    EngineError
        When tesseract is missing or fails.
    """
    data: dict[str, Any] = image_to_data(image, config=f"--oem 1 --psm {psm}", lang=languages)
    words: list[Word] = []
    inv = 1.0 / scale
    for i, text in enumerate(data["text"]):
        text = str(text).strip()
        if not text:
            continue
        try:
            conf = float(data["conf"][i])
        except (TypeError, ValueError):
            conf = -1.0
        box = (
            int(data["left"][i] * inv),
            int(data["top"][i] * inv),
            int(data["width"][i] * inv),
            int(data["height"][i] * inv),
        )
        line = (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))
        words.append(Word(text=text, conf=conf, box=box, line=line))
    return words


def ocr_line(image: npt.NDArray[np.uint8], *, languages: str = "eng") -> tuple[str, float]:
    """The text of one line of print and tesseract's lowest word confidence (``--psm 7``).

    Raises
    ------
    EngineError
        When tesseract is missing or fails.
    """
    data: dict[str, Any] = image_to_data(image, config="--oem 1 --psm 7", lang=languages)
    words, confs = [], []
    for text, conf in zip(data["text"], data["conf"], strict=False):
        if str(text).strip():
            words.append(str(text).strip())
            try:
                confs.append(float(conf))
            except (TypeError, ValueError):
                confs.append(-1.0)
    return " ".join(words), (min(confs) if confs else -1.0)
