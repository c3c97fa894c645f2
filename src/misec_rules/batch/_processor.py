"""What the batch runs on each document: a pluggable, picklable callable.

A processor receives the document's bytes and returns a mapping with any of the
keys of :class:`ProcessorOutput`; the batch adds the content hash, the timing, a
thumbnail and the portrait hash.  It runs in worker processes (or on Dask
workers), so it must be picklable: a module-level function, or an instance of a
module-level class whose attributes pickle.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol, TypedDict, runtime_checkable

__all__ = ["DocumentProcessor", "PipelineProcessor", "ProcessorOutput", "fill_request"]


class ProcessorOutput(TypedDict, total=False):
    """What a processor returns for one document (every key optional).

    ``verdict``: the authenticity verdict; ``mrz``: the MRZ object's JSON (DESIGN.md);
    ``findings``: the findings' JSON; ``decision``: the sharing decision's JSON;
    ``error``: why the document could not be processed; ``mrz_polygon``: the MRZ's 4
    corners in the image's pixels; ``portrait``: the portrait's ``[x, y, w, h]``;
    ``image``: the decoded image (BGR uint8), used for the thumbnail and portrait hash
    and never written to the results.
    """

    verdict: str | None
    mrz: dict[str, Any] | None
    findings: list[dict[str, Any]]
    decision: dict[str, Any] | None
    error: str | None
    mrz_polygon: list[list[float]] | None
    portrait: list[int] | None
    image: Any


@runtime_checkable
class DocumentProcessor(Protocol):
    """The per-document step of a batch: ``processor(data, name=...) -> ProcessorOutput``.

    ``data`` is the file's content; ``name`` its path as the batch reports it (for
    messages only).  Raising is allowed: the exception is recorded as the document's
    error and the batch goes on.
    """

    def __call__(self, data: bytes, /, *, name: str) -> Mapping[str, Any]: ...


_PLACEHOLDERS = ("verdict", "issuing_state", "nationality", "document_code", "format")


def fill_request(request: Mapping[str, Any], doc: Mapping[str, Any]) -> dict[str, Any]:
    """The configured sharing request with the document's facts put into its ``context``.

    A string value in ``request["context"]`` equal to ``"$verdict"``, ``"$issuing_state"``,
    ``"$nationality"``, ``"$document_code"`` or ``"$format"`` is replaced by that fact of
    the document (None when unknown); every other value is kept.
    """
    out = dict(request)
    ctx = request.get("context")
    if isinstance(ctx, Mapping):
        mrz = doc.get("mrz") or {}
        facts = {
            "verdict": doc.get("verdict"),
            **{k: mrz.get(k) for k in _PLACEHOLDERS if k != "verdict"},
        }
        out["context"] = {
            k: facts[v[1:]] if isinstance(v, str) and v[1:] in facts and v[:1] == "$" else v
            for k, v in ctx.items()
        }
    return out


_REGISTRIES: dict[str, Any] = {}


def _registry(path: str) -> Any:
    """The rulesets of ``path``, loaded once per worker process."""
    reg = _REGISTRIES.get(path)
    if reg is None:
        from misec_rules.sharing import load_rulesets  # type: ignore[attr-defined,unused-ignore]

        reg = load_rulesets(path)
        _REGISTRIES[path] = reg
    return reg


def _to_json(obj: Any) -> Any:
    to_json = getattr(obj, "to_json", None)
    if callable(to_json):
        return to_json()
    return obj


@dataclass(frozen=True)
class PipelineProcessor:
    """The real pipeline: :func:`misec_rules.check_document` (which reads the MRZ), then
    optionally the sharing decision for a configured request.

    Parameters
    ----------
    profile : str, optional
        The authenticity profile passed to ``check_document``.
    reference_date : date, optional
        The date two-digit years and expiry are judged against (default: today).
    rulesets : str, optional
        A rulesets folder; with ``request``, each document gets a decision.
    request : mapping, optional
        The sharing request (DESIGN.md's JSON shape); see :func:`fill_request` for the
        placeholders its ``context`` may use.
    """

    profile: str | None = None
    reference_date: date | None = None
    rulesets: str | None = None
    request: Mapping[str, Any] | None = field(default=None, hash=False)

    def __call__(self, data: bytes, /, *, name: str) -> dict[str, Any]:
        """Check one document and decide the configured request for it."""
        from misec_rules.authenticity import check_document  # type: ignore[attr-defined,unused-ignore]
        from misec_rules.vision import load_image  # type: ignore[attr-defined,unused-ignore]

        image = load_image(data)
        report = check_document(image, profile=self.profile, reference_date=self.reference_date)
        rep = report.to_json()
        out: dict[str, Any] = {
            "verdict": rep.get("verdict"),
            "mrz": rep.get("mrz"),
            "findings": list(rep.get("findings") or []),
            "image": image,
        }
        reading = getattr(report, "reading", None)
        polygon = getattr(report, "mrz_polygon", None) or getattr(reading, "polygon", None)
        if polygon is not None:
            out["mrz_polygon"] = [[float(p[0]), float(p[1])] for p in polygon]
        portrait = getattr(report, "portrait_region", None)
        if portrait is not None:
            out["portrait"] = [int(v) for v in portrait]
        if self.rulesets is not None and self.request is not None:
            decision = _registry(self.rulesets).decide(fill_request(self.request, out))
            out["decision"] = _to_json(decision)
        return out


def load_request(path: str | Path) -> dict[str, Any]:
    """Read a sharing request from a JSON file (or ``-`` for stdin is not supported here)."""
    from misec_rules.batch._errors import BatchError, os_reason

    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise BatchError(f"cannot read request `{path}`: {os_reason(exc)}") from None
    except UnicodeDecodeError as exc:
        raise BatchError(f"request `{path}` is not utf-8 text (byte {exc.start + 1})") from None
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BatchError(
            f"request `{path}` is not json (line {exc.lineno}, column {exc.colno})"
        ) from exc
    if not isinstance(obj, dict):
        raise BatchError(f"request `{path}` is not a json object")
    return obj
