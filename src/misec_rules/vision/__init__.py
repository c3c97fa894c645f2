"""Read the ICAO 9303 machine-readable zone (MRZ) from document images.

``read_mrz`` runs a pipeline of pure functions: load, orientation, locate the
MRZ band, rectify and deskew, split lines, OCR, and the check-digit repair of
:mod:`misec_rules.mrz`.  Engines: ``ocrb`` (the project's own OCR-B
recogniser, OpenCV and numpy only), ``tesseract``, ``passporteye`` and
``auto``.  docs/reading.md explains the stages, the engines and how to debug a
failed read.

References
----------
ICAO Doc 9303 parts 3-7.
"""

from __future__ import annotations

from misec_rules.errors import EngineError, ImageError, ImageTooLarge
from misec_rules.vision._load import MAX_PIXELS, load_image
from misec_rules.vision._read import ENGINES, DebugDirError, MRZReading, read_mrz

__all__ = [
    "ENGINES",
    "MAX_PIXELS",
    "DebugDirError",
    "EngineError",
    "ImageError",
    "ImageTooLarge",
    "MRZReading",
    "load_image",
    "read_mrz",
]
