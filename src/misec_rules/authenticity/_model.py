"""Findings and the authenticity report.

A finding states what was observed, with the evidence behind it (the values
compared, the statistic measured and the threshold it was held against) and the
image region concerned.  It never accuses: the wording is "differs", "does not
match", "is outside", not "forged".
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["AuthenticityReport", "Finding", "Severity", "Verdict"]


class Severity(StrEnum):
    """How much a finding weighs: ``info`` < ``warning`` < ``fail``."""

    INFO = "info"
    WARNING = "warning"
    FAIL = "fail"


class Verdict(StrEnum):
    """The overall outcome of :func:`check_document`.

    ``consistent``: no check failed.  ``suspicious``: at least one check failed.
    ``insufficient_quality``: the quality gate found the image too poor to judge, or a
    difference was seen that the image cannot settle (``viz.unresolved``: the visual
    zone seems to differ on a page too soft to confirm it; ``mrz.unreliable``: the MRZ
    as read fails many check digits at once, a misreading more likely than an edit).
    ``unreadable``: the image decoded, but no MRZ could be read from it.
    """

    CONSISTENT = "consistent"
    SUSPICIOUS = "suspicious"
    INSUFFICIENT_QUALITY = "insufficient_quality"
    UNREADABLE = "unreadable"


Region = list[int]


class Finding(BaseModel):
    """One observation made by a check.

    Attributes
    ----------
    id : str
        Stable identifier, ``family.check[.field]``, e.g. ``mrz.check_digit.birth_date``.
    severity : Severity
        ``info``, ``warning`` or ``fail``.
    message : str
        One line saying what was observed.
    evidence : dict
        The values compared, the statistic measured and its threshold.
    region : list of int or None
        ``[x, y, w, h]`` in the input image's pixels, or ``None``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    severity: Severity
    message: str
    evidence: dict[str, Any] = Field(default_factory=dict)
    region: Region | None = None

    def to_json(self) -> dict[str, Any]:
        """The finding as DESIGN.md's JSON object."""
        return {
            "id": self.id,
            "severity": self.severity.value,
            "message": self.message,
            "evidence": _jsonable(self.evidence),
            "region": None if self.region is None else [int(v) for v in self.region],
        }


class AuthenticityReport(BaseModel):
    """What :func:`check_document` observed about one document image.

    Attributes
    ----------
    verdict : Verdict
    findings : list of Finding
        Ordered as the checks ran; ``fail`` findings decide ``suspicious``.
    mrz : dict or None
        The MRZ read from the image (DESIGN.md's MRZ object), or ``None``.
    profile : str
        ``name@version`` of the profile used.
    image_size : tuple of int
        ``(width, height)`` of the image in pixels.
    checks_run : list of str
        The check families that ran (skipped ones are not listed).
    seconds : float
        Wall time spent.
    """

    model_config = ConfigDict(extra="forbid")

    verdict: Verdict
    findings: list[Finding] = Field(default_factory=list)
    mrz: dict[str, Any] | None = None
    mrz_polygon: list[list[int]] | None = None
    profile: str = ""
    image_size: tuple[int, int] = (0, 0)
    checks_run: list[str] = Field(default_factory=list)
    seconds: float = 0.0

    @property
    def suspicious(self) -> bool:
        """True when the verdict is ``suspicious``."""
        return self.verdict is Verdict.SUSPICIOUS

    def finding_ids(self, severity: Severity | None = None) -> list[str]:
        """The ids of the findings, optionally only those of one severity."""
        return [f.id for f in self.findings if severity is None or f.severity is severity]

    def to_json(self, path: str | None = None) -> dict[str, Any]:
        """DESIGN.md's ``{path, verdict, findings, mrz}`` object."""
        return {
            "path": path,
            "verdict": self.verdict.value,
            "findings": [f.to_json() for f in self.findings],
            "mrz": self.mrz,
        }


def _jsonable(value: Any) -> Any:
    """Turn numpy scalars, tuples and dates into plain JSON values."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, float):
        return round(value, 4)
    if hasattr(value, "item"):  # numpy scalar
        return _jsonable(value.item())
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
