"""``check_document``: run the profile's checks over one document image."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from misec_rules._io import os_reason
from misec_rules.authenticity import (
    _check_digits,
    _codes,
    _dates,
    _integrity,
    _quality,
    _specimen,
    _typography,
    _viz,
)
from misec_rules.authenticity._context import CheckContext, finding
from misec_rules.authenticity._model import AuthenticityReport, Finding, Severity, Verdict
from misec_rules.authenticity._profile import Profile, load_profile
from misec_rules.errors import ImageError, MisecError, MRZError
from misec_rules.vision import load_image, read_mrz

__all__ = ["check_document"]

ImageInput = str | Path | bytes | npt.NDArray[np.uint8]

# findings that say a difference was seen but the image cannot settle it
_UNRESOLVED = frozenset({"viz.unresolved", "mrz.unreliable"})

# family name -> (runs without an MRZ?, function)
_FAMILIES: dict[str, tuple[bool, Callable[[CheckContext], list[Finding]]]] = {
    "quality": (True, _quality.run),
    "check_digits": (False, _check_digits.run),
    "dates": (False, _dates.run),
    "codes": (False, _codes.run),
    "specimen": (False, _specimen.run),
    "viz": (False, _viz.run),
    "typography": (False, _typography.run),
    "integrity": (True, _integrity.run),
}


def _load(image: ImageInput) -> tuple[npt.NDArray[np.uint8], bytes | None]:
    """Decode ``image`` (BGR uint8) and keep the file bytes for metadata checks."""
    raw: bytes | None = None
    if isinstance(image, np.ndarray):
        arr = image
        if arr.ndim == 2:
            arr = np.asarray(cv2.cvtColor(arr, cv2.COLOR_GRAY2BGR), np.uint8)
        elif arr.ndim == 3 and arr.shape[2] == 4:
            arr = np.asarray(cv2.cvtColor(arr, cv2.COLOR_BGRA2BGR), np.uint8)
        if arr.dtype != np.uint8 or arr.ndim != 3 or arr.shape[2] != 3:
            raise ImageError("image array must be (rows, cols[, 3]) uint8")
        return np.ascontiguousarray(arr), None
    if isinstance(image, bytes):
        raw = image
    else:
        arr = load_image(image)  # names the file and the reason when it cannot be read
        try:
            raw = Path(image).read_bytes()
        except OSError as exc:
            raise ImageError(f"cannot read `{image}`: {os_reason(exc)}", path=str(image)) from exc
        return np.ascontiguousarray(arr), raw
    arr = load_image(image)
    return np.ascontiguousarray(arr), raw


def _read(
    img: npt.NDArray[np.uint8], mrz: Any, polygon: Any, reference_date: date | None, engine: str
) -> tuple[Any, list[list[float]] | None, Finding | None, list[list[float]] | None]:
    """The MRZ, its polygon and the reader's confidences: as given, or read from the image."""
    if mrz is not None:
        if isinstance(mrz, str) or (
            isinstance(mrz, Sequence)
            and not isinstance(mrz, dict)
            and all(isinstance(x, str) for x in mrz)
        ):
            from misec_rules.mrz import parse_mrz

            try:
                mrz = parse_mrz(mrz, reference_date=reference_date)
            except MRZError as exc:
                return None, polygon, finding("mrz.unreadable", Severity.INFO, str(exc)), None
        return mrz, polygon, None, None
    try:
        reading = read_mrz(img, engine=engine, reference_date=reference_date)
    except ImageError:
        raise
    except (MisecError, ValueError) as exc:
        # the reader failed on this image: report it, judge the pixels anyway
        reason = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        return None, None, finding("mrz.unreadable", Severity.INFO, f"MRZ not read: {reason}"), None
    poly = reading.polygon
    if not reading.ok or reading.mrz is None:
        err = reading.error or "no MRZ found"
        return (
            None,
            poly,
            finding("mrz.unreadable", Severity.INFO, f"no MRZ could be read from the image: {err}"),
            None,
        )
    return reading.mrz, poly, None, reading.confidences


def check_document(
    image: ImageInput,
    *,
    profile: Profile | str | Path | None = None,
    reference_date: date | None = None,
    lost_stolen: str | Path | Sequence[tuple[str, str | None]] | None = None,
    mrz: Any = None,
    mrz_polygon: Sequence[Sequence[float]] | None = None,
    portrait_region: Sequence[int] | None = None,
    engine: str = "auto",
) -> AuthenticityReport:
    """Run the profile's authenticity checks over one document image.

    Parameters
    ----------
    image : str, Path, bytes or ndarray
        A file, its bytes, or a (rows, cols[, 3]) BGR uint8 array.  Metadata and
        JPEG checks need the file or its bytes.
    profile : Profile, path or None
        The checks and thresholds; the shipped default when None.
    reference_date : date, optional
        The date the document is judged on (expiry, age); today when None.
    lost_stolen : path or list of (document_number, issuing_state or None), optional
        Documents reported lost or stolen (a CSV with a ``document_number`` column
        and an optional ``issuing_state`` column).
    mrz : MRZ, str or list of str, optional
        An MRZ already read (skips reading it from the image).
    mrz_polygon : list of [x, y], optional
        The MRZ's corners when ``mrz`` is given.
    portrait_region : [x, y, w, h], optional
        Where the portrait is; searched for when omitted.
    engine : str
        The MRZ reader's OCR engine (see ``read_mrz``).

    Returns
    -------
    AuthenticityReport
        ``insufficient_quality`` when the quality gate fails; else ``suspicious``
        when any finding is a fail; else ``insufficient_quality`` when a
        difference could not be settled (``viz.unresolved``: OCR reads a visual
        zone difference on a page too soft to confirm it; ``mrz.unreliable``: the
        MRZ read fails many check digits at once); else ``unreadable`` when no
        MRZ was read; else ``consistent``.

    Raises
    ------
    ImageError
        When the input cannot be decoded as an image.
    ProfileError
        When the profile or the lost/stolen list does not validate.

    References
    ----------
    ICAO Doc 9303 Part 3 (MRZ, transliteration, check digits), Parts 4-7 (formats).
    """
    start = time.perf_counter()
    prof = load_profile(profile)
    ref = reference_date or date.today()
    listed: list[tuple[str, str | None]] = []
    if isinstance(lost_stolen, str | Path):
        listed = _specimen.load_lost_stolen(lost_stolen)
    elif lost_stolen is not None:
        listed = [(str(n).upper(), (s or None)) for n, s in lost_stolen]
    img, raw = _load(image)
    found_mrz, poly, note, confidences = _read(img, mrz, mrz_polygon, ref, engine)
    ctx = CheckContext(
        image=img,
        profile=prof,
        reference_date=ref,
        raw=raw,
        mrz=found_mrz,
        polygon=[[float(x), float(y)] for x, y in poly] if poly else None,
        lost_stolen=listed,
        portrait_hint=list(portrait_region) if portrait_region is not None else None,
        mrz_confidences=confidences,
    )
    findings: list[Finding] = [note] if note is not None else []
    ran: list[str] = []
    configs = prof.checks
    for name, (without_mrz, fn) in _FAMILIES.items():
        if not getattr(configs, name).enabled:
            continue
        if found_mrz is None and not without_mrz:
            continue
        findings.extend(fn(ctx))
        ran.append(name)
    if prof.severity_overrides:
        findings = [
            f.model_copy(update={"severity": prof.severity_overrides[f.id]})
            if f.id in prof.severity_overrides
            else f
            for f in findings
        ]
    quality_failed = any(
        f.id.startswith("quality.") and f.severity is Severity.FAIL for f in findings
    )
    if quality_failed:
        verdict = Verdict.INSUFFICIENT_QUALITY
    elif any(f.severity is Severity.FAIL for f in findings):
        verdict = Verdict.SUSPICIOUS
    elif any(f.id in _UNRESOLVED for f in findings):
        # a difference seen where the print is too poor to say so (the visual
        # zone on a soft page, an MRZ misread in many places): not consistent,
        # and not evidence either
        verdict = Verdict.INSUFFICIENT_QUALITY
    elif found_mrz is None:
        verdict = Verdict.UNREADABLE
    else:
        verdict = Verdict.CONSISTENT
    mrz_json = None
    if found_mrz is not None:
        mrz_json = found_mrz.to_json() if hasattr(found_mrz, "to_json") else dict(found_mrz)
    return AuthenticityReport(
        verdict=verdict,
        findings=findings,
        mrz=mrz_json,
        mrz_polygon=[[round(x), round(y)] for x, y in ctx.polygon] if ctx.polygon else None,
        profile=prof.label,
        image_size=(ctx.width, ctx.height),
        checks_run=ran,
        seconds=round(time.perf_counter() - start, 4),
    )
