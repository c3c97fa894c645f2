"""The tesseract adapter used to read the visual zone (the only module that calls it)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from misec_rules.errors import EngineError

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
    try:
        import pytesseract
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise EngineError("pytesseract is not installed") from exc
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    try:
        data = pytesseract.image_to_data(
            image,
            lang=languages,
            config=f"--oem 1 --psm {psm}",
            output_type=pytesseract.Output.DICT,
        )
    except pytesseract.TesseractNotFoundError as exc:
        raise EngineError("tesseract is not installed or not on PATH") from exc
    except (pytesseract.TesseractError, RuntimeError, OSError) as exc:
        raise EngineError(f"tesseract failed: {str(exc).splitlines()[0][:120]}") from exc
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
    try:
        import pytesseract
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise EngineError("pytesseract is not installed") from exc
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    try:
        data = pytesseract.image_to_data(
            image, lang=languages, config="--oem 1 --psm 7", output_type=pytesseract.Output.DICT
        )
    except pytesseract.TesseractNotFoundError as exc:
        raise EngineError("tesseract is not installed or not on PATH") from exc
    except (pytesseract.TesseractError, RuntimeError, OSError) as exc:
        raise EngineError(f"tesseract failed: {str(exc).splitlines()[0][:120]}") from exc
    words, confs = [], []
    for text, conf in zip(data["text"], data["conf"], strict=False):
        if str(text).strip():
            words.append(str(text).strip())
            try:
                confs.append(float(conf))
            except (TypeError, ValueError):
                confs.append(-1.0)
    return " ".join(words), (min(confs) if confs else -1.0)
