"""Load an image from a path, bytes or an array as BGR ``uint8``.

The pixel count is read from the file header, lazily, and anything over
:data:`MAX_PIXELS` is refused before a single pixel is decoded.  Every way a
file can fail to decode (empty, not an image, truncated, an unsupported mode)
becomes an :class:`~misec_rules.errors.ImageError` that names the file.
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps, UnidentifiedImageError

from misec_rules._io import os_reason
from misec_rules.errors import ImageError, ImageTooLarge

__all__ = ["MAX_PIXELS", "ImageSource", "load_image", "source_name"]

MAX_PIXELS = 60_000_000
"""Images with more pixels than this are refused before decoding."""

ImageSource = str | os.PathLike[str] | bytes | bytearray | memoryview | NDArray[Any]
"""What :func:`load_image` accepts."""


def source_name(source: object) -> str:
    """A short name for ``source`` to use in messages (its path, or its kind)."""
    if isinstance(source, str | os.PathLike):
        return os.fspath(source)
    if isinstance(source, bytes | bytearray | memoryview):
        return "<bytes>"
    if isinstance(source, np.ndarray):
        return "<array>"
    return f"<{type(source).__name__}>"


def load_image(source: ImageSource) -> NDArray[np.uint8]:
    """Load ``source`` as a BGR ``uint8`` array of shape (rows, cols, 3).

    Parameters
    ----------
    source
        A file path, the encoded bytes of an image file, or an array: (rows,
        cols) grayscale, (rows, cols, 3) BGR or (rows, cols, 4) BGRA, of
        ``uint8``, ``uint16``, ``bool`` or float in [0, 1].

    Returns
    -------
    numpy.ndarray
        A new BGR ``uint8`` array, (rows, cols, 3).  EXIF orientation is
        applied; transparency is composited onto white; 16-bit samples are
        scaled to 8 bits; palettes and grayscale are expanded.  For animated
        GIF or WebP the first frame is used.

    Raises
    ------
    ImageTooLarge
        More than :data:`MAX_PIXELS` pixels (checked from the header, before
        decoding).
    ImageError
        The file is missing, empty, not an image, truncated or cannot be
        decoded; the message names the file.
    """
    name = source_name(source)
    if isinstance(source, np.ndarray):
        return _from_array(source, name)
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        if not data:
            raise ImageError(f"cannot read `{name}`: empty input (0 bytes)", path=None)
        return _decode(io.BytesIO(data), name, path=None)
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            size = path.stat().st_size
        except FileNotFoundError as exc:
            raise ImageError(f"cannot read `{name}`: no such file", path=name) from exc
        except OSError as exc:
            raise ImageError(f"cannot read `{name}`: {os_reason(exc)}", path=name) from exc
        if path.is_dir():
            raise ImageError(f"cannot read `{name}`: is a folder, not an image", path=name)
        if size == 0:
            raise ImageError(f"cannot read `{name}`: empty file (0 bytes)", path=name)
        try:
            with path.open("rb") as fh:
                return _decode(fh, name, path=name)
        except OSError as exc:
            raise ImageError(f"cannot read `{name}`: {os_reason(exc)}", path=name) from exc
    raise ImageError(
        f"cannot read `{name}`: expected a path, bytes or an array, not {type(source).__name__}"
    )


def _decode(fh: Any, name: str, *, path: str | None) -> NDArray[np.uint8]:
    """Open lazily, check the size from the header, then decode."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(fh)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLarge(
            f"cannot read `{name}`: image is larger than {MAX_PIXELS // 1_000_000} megapixels",
            path=path,
        ) from exc
    except UnidentifiedImageError as exc:
        raise ImageError(f"cannot read `{name}`: not an image (unknown format)", path=path) from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise ImageError(f"cannot read `{name}`: broken image header", path=path) from exc
    with im:
        width, height = im.size
        if width <= 0 or height <= 0:
            raise ImageError(f"cannot read `{name}`: image has no pixels", path=path)
        if width * height > MAX_PIXELS:
            raise ImageTooLarge(
                f"cannot read `{name}`: {width}x{height} is larger than "
                f"{MAX_PIXELS // 1_000_000} megapixels",
                path=path,
            )
        fmt = (im.format or "image").lower()
        try:
            if getattr(im, "n_frames", 1) > 1:
                im.seek(0)
            im.load()
            rotated = _exif_transpose(im)
            return _to_bgr(rotated, name, path=path)
        except ImageError:
            raise
        except (OSError, ValueError, SyntaxError, EOFError, IndexError) as exc:
            msg = str(exc).lower()
            if "truncated" in msg or isinstance(exc, EOFError) or "broken data" in msg:
                reason = f"truncated or corrupt {fmt} data"
            else:
                reason = f"cannot decode {fmt} data"
            raise ImageError(f"cannot read `{name}`: {reason}", path=path) from exc
        except MemoryError as exc:
            raise ImageError(f"cannot read `{name}`: out of memory decoding it", path=path) from exc


def _exif_transpose(im: Image.Image) -> Image.Image:
    """Apply the EXIF orientation tag; a broken EXIF block is ignored."""
    try:
        out = ImageOps.exif_transpose(im)
    except Exception:  # a broken EXIF block must not stop the read
        return im
    return out if out is not None else im


def _to_bgr(im: Image.Image, name: str, *, path: str | None) -> NDArray[np.uint8]:
    mode = im.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        arr = np.asarray(im)
        return _from_array(arr, name, path=path)
    if mode == "1":
        im = im.convert("L")
        mode = "L"
    has_alpha = mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        mode == "P" and "transparency" in im.info
    )
    if has_alpha:
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        im = Image.alpha_composite(white, rgba).convert("RGB")
    elif mode != "RGB":
        im = im.convert("RGB")
    rgb = np.asarray(im, dtype=np.uint8)
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ImageError(f"cannot read `{name}`: unsupported pixel layout", path=path)
    return np.ascontiguousarray(rgb[:, :, ::-1])


def _from_array(arr: NDArray[Any], name: str, *, path: str | None = None) -> NDArray[np.uint8]:
    """Normalise an array to BGR ``uint8`` (a new array; the input is not modified)."""
    if arr.ndim not in (2, 3) or arr.size == 0:
        raise ImageError(
            f"cannot read `{name}`: expected an array of shape (rows, cols[, channels]), "
            f"got shape {tuple(arr.shape)}",
            path=path,
        )
    if arr.shape[0] * arr.shape[1] > MAX_PIXELS:
        raise ImageTooLarge(
            f"cannot read `{name}`: {arr.shape[1]}x{arr.shape[0]} is larger than "
            f"{MAX_PIXELS // 1_000_000} megapixels",
            path=path,
        )
    if arr.ndim == 3 and arr.shape[2] not in (1, 3, 4):
        raise ImageError(
            f"cannot read `{name}`: expected 1, 3 or 4 channels, got {arr.shape[2]}", path=path
        )
    a: NDArray[Any]
    if arr.dtype == np.uint8:
        a = arr
    elif arr.dtype == np.bool_:
        a = arr.astype(np.uint8) * 255
    elif arr.dtype == np.uint16:
        a = (arr >> 8).astype(np.uint8)
    elif np.issubdtype(arr.dtype, np.integer):
        hi = float(arr.max()) if arr.size else 0.0
        scale = 255.0 / hi if hi > 255 else 1.0
        a = np.clip(arr.astype(np.float64) * scale, 0, 255).astype(np.uint8)
    elif np.issubdtype(arr.dtype, np.floating):
        f = np.nan_to_num(arr.astype(np.float64), nan=0.0, posinf=1.0, neginf=0.0)
        if f.max(initial=0.0) > 1.0:
            f = f / 255.0 if f.max() <= 255.0 else f / f.max()
        a = np.clip(f * 255.0 + 0.5, 0, 255).astype(np.uint8)
    else:
        raise ImageError(f"cannot read `{name}`: unsupported pixel type {arr.dtype}", path=path)
    if a.ndim == 2:
        return np.ascontiguousarray(np.repeat(a[:, :, None], 3, axis=2))
    if a.shape[2] == 1:
        return np.ascontiguousarray(np.repeat(a, 3, axis=2))
    if a.shape[2] == 4:
        alpha = a[:, :, 3:4].astype(np.float32) / 255.0
        bgr = a[:, :, :3].astype(np.float32) * alpha + 255.0 * (1.0 - alpha)
        return np.ascontiguousarray(np.clip(bgr + 0.5, 0, 255).astype(np.uint8))
    return np.array(a, dtype=np.uint8, copy=True, order="C")
