"""The task a worker runs for one document: read, process, thumbnail, portrait hash.

Whatever goes wrong inside becomes the record's ``error``; ``run_task`` itself
never raises, so a batch goes on past any single document.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Mapping
from typing import Any

from misec_rules.batch._errors import os_reason
from misec_rules.batch._inputs import DocumentRef
from misec_rules.batch._processor import DocumentProcessor
from misec_rules.errors import MisecError

__all__ = ["error_record", "new_record", "one_line", "run_task", "user_reason"]


def one_line(text: str, limit: int = 300) -> str:
    """``text`` on one line, cut to ``limit`` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def new_record(doc: DocumentRef) -> dict[str, Any]:
    """An empty record for ``doc`` with every key of the results schema."""
    return {
        "id": doc.id,
        "path": doc.path,
        "sha256": None,
        "verdict": None,
        "mrz": None,
        "findings": [],
        "decision": None,
        "error": None,
        "error_detail": None,
        "seconds": 0.0,
        "regions": {"mrz": None, "portrait": None},
        "portrait_phash": None,
        "portrait_phash_zoomed": [],
        "thumbnail": None,
    }


def error_record(
    doc: DocumentRef, reason: str, *, seconds: float = 0.0, detail: str | None = None
) -> dict[str, Any]:
    """The record of a document that failed outside its processor (a worker died, a timeout).

    ``error`` is ```path`: reason``; ``detail`` (for developers) goes to ``error_detail``.
    """
    rec = new_record(doc)
    rec["error"] = one_line(f"`{doc.path}`: {reason}")
    rec["error_detail"] = one_line(detail) if detail else None
    rec["seconds"] = round(seconds, 4)
    try:
        with open(doc.file, "rb") as fh:
            rec["sha256"] = _sha256_file(fh)
    except OSError:
        pass
    return rec


def _sha256_file(fh: Any) -> str:
    h = hashlib.sha256()
    for chunk in iter(lambda: fh.read(1 << 20), b""):
        h.update(chunk)
    return h.hexdigest()


def user_reason(exc: BaseException, path: str) -> str:
    """One line for the user: the library's own message naming ``path``, never a class name.

    A :class:`~misec_rules.errors.MisecError` says what is wrong with the input; its
    placeholder for in-memory input (```<bytes>```) is replaced by the document's path.
    Anything else is a bug in a processor or the library: ``internal error: <type>``.
    """
    named = f"`{path}`"
    if isinstance(exc, MisecError):
        msg = one_line(str(exc), 240).replace("`<bytes>`", named)
        return msg if named in msg else f"{named}: {msg}"
    return f"{named}: internal error: {type(exc).__name__}"


def describe(exc: BaseException) -> str:
    """``Type: message (at file.py:line)``: the innermost frame, for bug reports."""
    name = type(exc).__name__
    msg = one_line(str(exc), 240)
    text = f"{name}: {msg}" if msg else name
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is not None:
        text += f" (at {os.path.basename(tb.tb_frame.f_code.co_filename)}:{tb.tb_lineno})"
    return text


def run_task(
    doc: DocumentRef, processor: DocumentProcessor, *, thumbnails: bool = True
) -> dict[str, Any]:
    """Process one document and return its record (never raises on a document's fault).

    The record's private key ``_thumbnail`` (JPEG bytes) is taken out by the runner,
    which writes the file; workers write nothing themselves.
    """
    os.environ["OMP_THREAD_LIMIT"] = "1"
    t0 = time.perf_counter()
    rec = new_record(doc)
    try:
        with open(doc.file, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        rec["error"] = f"cannot read `{doc.path}`: {os_reason(exc)}"
        rec["seconds"] = round(time.perf_counter() - t0, 4)
        return rec
    rec["sha256"] = hashlib.sha256(data).hexdigest()
    try:
        out: Mapping[str, Any] = processor(data, name=doc.path)
    except Exception as exc:
        rec["error"] = user_reason(exc, doc.path)
        if not isinstance(exc, MisecError):
            rec["error_detail"] = describe(exc)
        rec["seconds"] = round(time.perf_counter() - t0, 4)
        return rec
    del data
    for key in ("verdict", "mrz", "decision", "error"):
        if key in out:
            rec[key] = out[key]
    rec["findings"] = list(out.get("findings") or [])
    rec["regions"]["mrz"] = out.get("mrz_polygon")
    image = out.get("image")
    if image is not None:
        try:
            _image_extras(rec, image, out, thumbnails=thumbnails)
        except Exception as exc:  # a thumbnail must never cost the document its result
            rec["thumbnail"] = None
            rec.setdefault("warnings", []).append(
                f"thumbnail or portrait failed: {user_reason(exc, doc.path)}"
            )
    rec["seconds"] = round(time.perf_counter() - t0, 4)
    return rec


def _image_extras(
    rec: dict[str, Any], image: Any, out: Mapping[str, Any], *, thumbnails: bool
) -> None:
    from misec_rules.batch._imaging import (
        box_quad,
        estimate_portrait,
        portrait_hashes,
        portrait_quad,
        thumbnail,
    )

    box = out.get("portrait")
    quad = None
    if box is not None:
        quad = box_quad(box)
    else:
        fmt = (out.get("mrz") or {}).get("format")
        quad = portrait_quad(out.get("mrz_polygon"), fmt)
        box = estimate_portrait(image.shape, out.get("mrz_polygon"), fmt)
    if box is not None and quad is not None:
        rec["regions"]["portrait"] = [int(v) for v in box]
        hashes = portrait_hashes(image, quad)
        if hashes is not None:
            rec["portrait_phash"] = f"{hashes[0]:016x}"
            rec["portrait_phash_zoomed"] = [f"{h:016x}" for h in hashes[1:]]
    if thumbnails:
        jpeg, scale = thumbnail(image)
        rec["_thumbnail"] = jpeg
        rec["thumbnail"] = {
            "file": f"thumbs/{rec['sha256'][:24]}.jpg",
            "scale": round(scale, 6),
            "width": int(image.shape[1]),
            "height": int(image.shape[0]),
        }
