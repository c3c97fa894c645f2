"""What every check receives: the image, its bytes, the MRZ read from it, the profile."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from misec_rules.authenticity._model import Finding, Severity
from misec_rules.authenticity._profile import Profile

__all__ = ["CheckContext", "as_date", "finding", "mrz_value"]

Image = npt.NDArray[np.uint8]


def as_date(value: Any) -> date | None:
    """A date from a ``date`` or an ISO ``YYYY-MM-DD`` string; ``None`` otherwise."""
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def mrz_value(mrz: Any, name: str) -> Any:
    """A field of an MRZ given as the library's model or as its JSON dict."""
    if mrz is None:
        return None
    if isinstance(mrz, dict):
        return mrz.get(name)
    return getattr(mrz, name, None)


def finding(
    id: str,
    severity: Severity | str,
    message: str,
    evidence: dict[str, Any] | None = None,
    region: list[int] | tuple[int, ...] | None = None,
) -> Finding:
    """Build a :class:`Finding` (short helper for the check modules)."""
    return Finding(
        id=id,
        severity=Severity(severity),
        message=message,
        evidence=evidence or {},
        region=None if region is None else [round(v) for v in region],
    )


@dataclass
class CheckContext:
    """Inputs shared by the checks of one document.

    Attributes
    ----------
    image : ndarray
        (rows, cols, 3) BGR uint8, EXIF orientation applied.
    raw : bytes or None
        The file's bytes, when the input was a file or bytes (metadata, JPEG tables).
    mrz : MRZ or None
        The MRZ read from the image.
    polygon : list of [x, y] or None
        The MRZ's four corners in the image's pixels.
    """

    image: Image
    profile: Profile
    reference_date: date
    raw: bytes | None = None
    mrz: Any = None
    polygon: list[list[float]] | None = None
    lost_stolen: list[tuple[str, str | None]] = field(default_factory=list)
    portrait_hint: list[int] | None = None
    mrz_confidences: list[list[float]] | None = None
    cache: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def gray(self) -> Image:
        """The image in grey levels."""
        return np.asarray(cv2.cvtColor(self.image, cv2.COLOR_BGR2GRAY), dtype=np.uint8)

    @property
    def height(self) -> int:
        return int(self.image.shape[0])

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    def uncertain(self, spans: list[tuple[int, int, int]], below: float = 0.55) -> list[float]:
        """The reader's confidences under ``below`` at ``(line, start, end)`` spans of the MRZ."""
        conf = self.mrz_confidences
        if not conf:
            return []
        low = []
        for line, start, end in spans:
            if line < len(conf):
                low += [c for c in conf[line][start:end] if c < below]
        return low

    def misread(self) -> dict[str, Any] | None:
        """Why the MRZ read from pixels is more likely misread than edited, or None.

        A read is taken as misread when it fails ``unreliable_read_failures`` field
        check digits at once (an edit breaks one field's check and the composite),
        or when it fails any check while the reader was unsure (< 0.55) of at least
        ``unreliable_unsure_fraction`` of its characters.  An MRZ handed over as
        text (no confidences) is never taken as misread.
        """
        if self.mrz_confidences is None or self.mrz is None:
            return None
        checks = mrz_value(self.mrz, "checks") or {}
        if hasattr(checks, "model_dump"):
            checks = checks.model_dump()
        if not isinstance(checks, dict):
            return None
        failing = [k for k, v in checks.items() if v is False]
        fields = [k for k in failing if k != "composite"]
        chars = [c for line in self.mrz_confidences for c in line]
        unsure = sum(c < 0.55 for c in chars) / len(chars) if chars else 0.0
        cfg = self.profile.checks.check_digits
        if len(fields) >= cfg.unreliable_read_failures or (
            failing and unsure >= cfg.unreliable_unsure_fraction
        ):
            return {
                "failing": failing,
                "unsure_fraction": round(unsure, 3),
                "thresholds": {
                    "failing_fields": cfg.unreliable_read_failures,
                    "unsure_fraction": cfg.unreliable_unsure_fraction,
                },
            }
        return None

    def soften_if_misread(self, findings: list[Finding]) -> list[Finding]:
        """``findings`` with fails turned into warnings when :meth:`misread` says so.

        When the MRZ read from pixels is likely misread (``mrz.unreliable``), a
        misread digit or letter, not the document, is the likely cause of a fail.
        """
        if self.misread() is None:
            return findings
        return [
            f.model_copy(
                update={
                    "severity": Severity.WARNING,
                    "evidence": {**f.evidence, "likely_misread": True},
                }
            )
            if f.severity is Severity.FAIL
            else f
            for f in findings
        ]

    def mrz_box(self) -> list[int] | None:
        """The MRZ polygon's bounding box ``[x, y, w, h]`` clipped to the image."""
        if not self.polygon:
            return None
        pts = np.asarray(self.polygon, dtype=float)
        x0, y0 = np.clip(pts.min(axis=0), 0, [self.width, self.height])
        x1, y1 = np.clip(pts.max(axis=0), 0, [self.width, self.height])
        if x1 - x0 < 2 or y1 - y0 < 2:
            return None
        return [int(x0), int(y0), int(x1 - x0), int(y1 - y0)]
