"""Adapter for Tesseract (through pytesseract): one rectified MRZ line at a time.

Tesseract runs with ``--psm 7`` (one text line), ``--oem 1`` (Debian's
English model is LSTM-only) and a whitelist of the MRZ characters, in one
thread (``OMP_THREAD_LIMIT=1``; with several it spends more CPU, not less
time, on short lines).  Its exceptions become
:class:`~misec_rules.errors.EngineError`.

The stock English model reads the filler ``<`` as ``K`` (and sometimes as
``C``, ``L`` or ``£``); :func:`fix_fillers` undoes that where the context makes
it safe, and :func:`fit_length` brings the text to the line's known length
by adding or removing fillers inside the longest filler run.

References
----------
ICAO Doc 9303 part 3, section 4.2 (character set), 4.3 (filler ``<``).
"""

from __future__ import annotations

import os
import re
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from misec_rules.errors import EngineError

__all__ = ["available", "fit_length", "fix_fillers", "image_to_data", "read_line"]

_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"
_CONFIG = f"--psm 7 --oem 1 -c tessedit_char_whitelist={_CHARS}"


def available() -> bool:
    """Whether pytesseract and the tesseract program can be used."""
    try:
        import pytesseract

        pytesseract.get_tesseract_version()
    except Exception:  # any failure means "not available"
        return False
    return True


def fix_fillers(text: str, /) -> str:
    """Turn the ``K`` (and ``C``/``L``) Tesseract reads for ``<`` back into fillers.

    A run of three or more characters from ``K<`` with at least two ``K`` is
    fillers; so is a ``K`` or ``KK`` that follows a filler run of two or more
    and is followed by a filler or the end of the line, and the line's tail
    from the first ``<<`` on when it is made only of ``K``, ``<``, ``C``,
    ``L`` and ``S``, and from the first ``<<<`` on (up to a final check digit
    or two) when it is made only of those and ``E``.  A single ``K`` that starts or ends a name
    (``ERIK<<ANNA``, ``<<KHALID``) is kept.
    """
    t = re.sub(r"[^A-Z0-9<]", "", text.upper())
    # runs of 3+ K/< characters with at least two K (`<<KK<`, `KKK`)
    t = re.sub(
        r"[K<]{3,}",
        lambda m: "<" * len(m.group(0)) if m.group(0).count("K") >= 2 else m.group(0),
        t,
    )
    # K or KK glued to the end of a filler run (`<<<K` -> `<<<<`)
    t = re.sub(r"(?<=<<)K{1,2}(?![A-Z0-9])", lambda m: "<" * len(m.group(0)), t)
    t = re.sub(r"(?<=<<)K{1,2}(?=<)", lambda m: "<" * len(m.group(0)), t)
    # the tail of a line: fillers with the odd misread
    m = re.search(r"<<[<KCLS]*$", t)
    if m:
        t = t[: m.start()] + "<" * (len(t) - m.start())
    # a run of three fillers ends a name (ICAO 9303-3 s4.6), so a tail after one
    # made of what Tesseract reads in long filler runs is fillers too
    t = re.sub(r"<<<[<KECLS]*(?=[0-9]{0,2}$)", lambda m: "<" * len(m.group(0)), t)
    return t


def fit_length(text: str, n: int, /) -> str:
    """Bring ``text`` to ``n`` characters by growing or shrinking filler runs."""
    if len(text) == n:
        return text
    if len(text) < n:
        runs = [(m.end() - m.start(), m.start(), m.end()) for m in re.finditer(r"<+", text)]
        if runs:
            _, _, end = max(runs)
            return text[:end] + "<" * (n - len(text)) + text[end:]
        return text + "<" * (n - len(text))
    extra = len(text) - n
    while extra > 0:
        runs = [(m.end() - m.start(), m.start(), m.end()) for m in re.finditer(r"<{2,}", text)]
        if not runs:
            break
        _, start, end = max(runs)
        cut = min(extra, end - start - 1)
        text = text[: end - cut] + text[end:]
        extra -= cut
    return text[:n]


def image_to_data(
    image: NDArray[Any], /, *, config: str, lang: str = "eng", timeout: float = 20
) -> dict[str, list[Any]]:
    """Tesseract's words, boxes and confidences for ``image``: the one place that runs it.

    Runs in one thread (``OMP_THREAD_LIMIT=1``) and turns every failure into
    :class:`~misec_rules.errors.EngineError`; the visual-zone reader uses it too.

    Raises
    ------
    EngineError
        pytesseract or the tesseract program is missing, failed or timed out.
    """
    try:
        import pytesseract
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise EngineError("tesseract: the pytesseract package is not installed") from exc
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    try:
        data: dict[str, list[Any]] = pytesseract.image_to_data(
            image, lang=lang, config=config, output_type=pytesseract.Output.DICT, timeout=timeout
        )
    except pytesseract.TesseractNotFoundError as exc:
        raise EngineError(
            "tesseract: the tesseract program is not installed "
            "(Debian: apt-get install tesseract-ocr tesseract-ocr-eng)"
        ) from exc
    except RuntimeError as exc:  # pytesseract's timeout
        raise EngineError("tesseract: timed out") from exc
    except (pytesseract.TesseractError, OSError, ValueError) as exc:
        first = (str(exc).splitlines() or [""])[0][:120]
        raise EngineError(f"tesseract failed: {first}") from exc
    return data


def read_line(strip: NDArray[np.uint8], n: int, /) -> tuple[str, float]:
    """Read one rectified line strip with Tesseract.

    Returns
    -------
    text, confidence
        ``text`` of exactly ``n`` MRZ characters (fillers fixed, length
        fitted) and Tesseract's confidence for the line in [0, 1].

    Raises
    ------
    EngineError
        pytesseract or the tesseract program is missing or failed.
    """
    img = cv2.copyMakeBorder(strip, 12, 12, 16, 16, cv2.BORDER_REPLICATE)
    data = image_to_data(img, config=_CONFIG)
    words = [str(w) for w in data.get("text", []) if str(w).strip()]
    confs = [
        float(c)
        for c, w in zip(data.get("conf", []), data.get("text", []), strict=False)
        if str(w).strip()
    ]
    raw = "".join(words)
    conf = (sum(confs) / len(confs) / 100.0) if confs else 0.0
    return fit_length(fix_fillers(raw), n), max(0.0, min(1.0, conf))
