"""Find the fonts the renderer needs: OCR-B for the MRZ, DejaVu Sans for the VIZ.

Both come from Debian packages (``fonts-ocr-b``, ``fonts-dejavu-core``); a
missing font raises :class:`FontNotFound` naming the package that provides it.
``MISEC_OCRB_FONT`` and ``MISEC_VIZ_FONT`` override the search.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

from misec_rules.errors import MisecError

__all__ = ["FontNotFound", "ocrb_font_path", "viz_font_path"]

_OCRB_CANDIDATES = (
    "/usr/share/fonts/opentype/ocr-b/OCRB.otf",
    "/usr/share/fonts/truetype/ocr-b/OCRB.ttf",
    "/usr/share/fonts/truetype/ocr-b/ocrb.ttf",
    "/usr/share/fonts/opentype/ocr-b/ocrb.otf",
)
_DEJAVU_DIR = Path("/usr/share/fonts/truetype/dejavu")
_VIZ_FACES = {
    "sans": "DejaVuSans.ttf",
    "sans-bold": "DejaVuSans-Bold.ttf",
    "condensed": "DejaVuSansCondensed.ttf",
    "condensed-bold": "DejaVuSansCondensed-Bold.ttf",
    "mono": "DejaVuSansMono.ttf",
}


class FontNotFound(MisecError, RuntimeError):
    """A font the sample renderer needs is not installed (names the Debian package)."""


def _fc_match(pattern: str) -> Path | None:
    """Ask fontconfig for ``pattern``; ``None`` when fontconfig is absent or finds nothing."""
    exe = shutil.which("fc-list")
    if exe is None:
        return None
    try:
        out = subprocess.run(
            [exe, pattern, "file"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    files = sorted(line.split(":")[0].strip() for line in out.splitlines() if line.strip())
    # Prefer the plain face: not Sharp (S), Outline (F), Inverted (X/E) or Oblique (L).
    plain = [f for f in files if Path(f).stem.lower() in ("ocrb", "ocr-b", "ocrb10")]
    chosen = plain or files
    return Path(chosen[0]) if chosen else None


@lru_cache(maxsize=1)
def ocrb_font_path() -> Path:
    """Path of the OCR-B font used for the MRZ.

    Raises
    ------
    FontNotFound
        When no OCR-B font is installed.

    References
    ----------
    ICAO 9303 Part 3, section 4.2 (the OCR-B typeface, size 1).
    """
    env = os.environ.get("MISEC_OCRB_FONT")
    if env:
        if Path(env).is_file():
            return Path(env)
        raise FontNotFound(f"ocr-b font `{env}` from MISEC_OCRB_FONT does not exist")
    for cand in _OCRB_CANDIDATES:
        if Path(cand).is_file():
            return Path(cand)
    found = _fc_match(":family=OCR B")
    if found is not None and found.is_file():
        return found
    raise FontNotFound(
        "ocr-b font not found: install the debian package `fonts-ocr-b` "
        "(apt-get install fonts-ocr-b) or set MISEC_OCRB_FONT"
    )


@lru_cache(maxsize=8)
def viz_font_path(face: str = "sans") -> Path:
    """Path of a DejaVu Sans face (``sans``, ``sans-bold``, ``condensed``, ``condensed-bold``, ``mono``).

    Raises
    ------
    FontNotFound
        When the face is not installed.
    """
    env = os.environ.get("MISEC_VIZ_FONT")
    if env and Path(env).is_file():
        return Path(env)
    name = _VIZ_FACES.get(face)
    if name is None:
        raise FontNotFound(f"unknown viz font face `{face}`")
    path = _DEJAVU_DIR / name
    if path.is_file():
        return path
    found = _fc_match(f":file={name}")
    if found is not None and found.is_file():
        return found
    raise FontNotFound(
        f"font `{name}` not found: install the debian package `fonts-dejavu-core` "
        "(apt-get install fonts-dejavu-core) or set MISEC_VIZ_FONT"
    )


@lru_cache(maxsize=64)
def load_font(path: str, size: int) -> ImageFont.FreeTypeFont:
    """A cached Pillow font of ``size`` pixels."""
    return ImageFont.truetype(path, size)
