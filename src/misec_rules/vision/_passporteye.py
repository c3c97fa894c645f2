"""Adapter for PassportEye's ``read_mrz``: for comparison and as a fallback.

PassportEye keeps each image's pipeline (several full-size intermediate
images) alive in reference cycles, about 17 MB per image, until the cyclic
garbage collector happens to run; the adapter collects after every image so a
batch's memory stays flat.  Its exceptions become
:class:`~misec_rules.errors.EngineError`, and tesseract runs in one thread.
"""

from __future__ import annotations

import gc
import io
import os
import warnings
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from misec_rules.errors import EngineError

__all__ = ["PassportEyeResult", "read"]


@dataclass(frozen=True)
class PassportEyeResult:
    """What PassportEye read: its raw lines, its own verdict, its MRZ type."""

    lines: list[str]
    valid: bool
    mrz_type: str | None
    fields: dict[str, object]


def read(image: NDArray[np.uint8], /) -> PassportEyeResult | None:
    """Run PassportEye's stock ``read_mrz`` on a BGR image.

    Returns
    -------
    PassportEyeResult or None
        None when PassportEye finds no MRZ.

    Raises
    ------
    EngineError
        PassportEye is not installed or failed on the image.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from passporteye import read_mrz
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise EngineError("passporteye engine: the passporteye package is not installed") from exc
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    ok, enc = cv2.imencode(".png", image)
    if not ok:
        raise EngineError("passporteye engine: cannot hand the image over (png encoding failed)")
    try:
        with warnings.catch_warnings():
            # its scikit-image calls print FutureWarnings/DeprecationWarnings on
            # stderr; they are the engine's business, not the user's
            warnings.simplefilter("ignore")
            result = read_mrz(io.BytesIO(enc.tobytes()))
        if result is None:
            return None
        text = str(result.aux.get("text", "") if hasattr(result, "aux") else "")
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        fields: dict[str, object] = {
            str(k): v for k, v in result.to_dict().items() if isinstance(v, str | bool | int)
        }
        return PassportEyeResult(
            lines=lines,
            valid=bool(getattr(result, "valid", False)),
            mrz_type=getattr(result, "mrz_type", None),
            fields=fields,
        )
    except EngineError:
        raise
    except MemoryError as exc:
        raise EngineError("passporteye engine: out of memory") from exc
    except Exception as exc:  # every PassportEye failure is translated
        raise EngineError(f"passporteye engine: failed ({type(exc).__name__})") from exc
    finally:
        del enc
        gc.collect()
