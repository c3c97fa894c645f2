"""The HTML report: each document's image with the findings' regions drawn on it,
its MRZ and its findings table (Jinja2, one self-contained file)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from jinja2 import Environment, select_autoescape

from misec_rules.authenticity._model import AuthenticityReport, Severity

__all__ = ["annotate", "render_html"]

_COLOURS = {
    Severity.FAIL: (40, 40, 220),
    Severity.WARNING: (0, 160, 240),
    Severity.INFO: (200, 140, 40),
}


def annotate(
    image: npt.NDArray[np.uint8], report: AuthenticityReport, *, max_side: int = 900
) -> npt.NDArray[np.uint8]:
    """A downscaled copy of ``image`` with each finding's region drawn and numbered.

    The numbers are the findings' 1-based positions in the report.
    """
    scale = min(1.0, max_side / max(image.shape[:2]))
    out = cv2.resize(image, (0, 0), fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    if out.ndim == 2:
        out = cv2.cvtColor(out, cv2.COLOR_GRAY2BGR)
    if report.mrz_polygon:
        pts = (np.asarray(report.mrz_polygon, np.float32) * scale).astype(np.int32)
        cv2.polylines(out, [pts], True, (120, 120, 120), 1, cv2.LINE_AA)
    for i, f in enumerate(report.findings, start=1):
        if f.region is None or f.severity is Severity.INFO:
            continue
        x, y, w, h = (round(v * scale) for v in f.region)
        colour = _COLOURS[f.severity]
        cv2.rectangle(out, (x, y), (x + max(w, 2), y + max(h, 2)), colour, 2)
        cv2.putText(out, str(i), (x + 2, max(12, y - 3)), cv2.FONT_HERSHEY_SIMPLEX, 0.5, colour, 1, cv2.LINE_AA)  # fmt: skip
    return np.asarray(out, dtype=np.uint8)


def _data_uri(image: npt.NDArray[np.uint8]) -> str:
    ok, enc = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    if not ok:  # pragma: no cover - encoding a valid array does not fail
        return ""
    return "data:image/jpeg;base64," + base64.b64encode(enc.tobytes()).decode("ascii")


def render_html(
    documents: Iterable[tuple[str | None, AuthenticityReport, npt.NDArray[np.uint8] | None]],
    out: str | Path | None = None,
    *,
    title: str = "Document authenticity report",
) -> str:
    """Render reports as one self-contained HTML page; write it to ``out`` if given.

    Parameters
    ----------
    documents
        ``(path, report, image)`` per document; ``image`` may be None (no picture).
    out
        File to write; the HTML is returned either way.
    """
    template_text = (
        resources.files("misec_rules.authenticity") / "templates" / "report.html.j2"
    ).read_text(encoding="utf-8")
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    template = env.from_string(template_text)
    docs: list[dict[str, Any]] = []
    for path, report, image in documents:
        docs.append(
            {
                "path": path or "(image)",
                "verdict": report.verdict.value,
                "profile": report.profile,
                "image": _data_uri(annotate(image, report)) if image is not None else None,
                "mrz_lines": (report.mrz or {}).get("lines", []),
                "findings": [
                    {
                        "n": i,
                        "id": f.id,
                        "severity": f.severity.value,
                        "message": f.message,
                        "evidence": json.dumps(f.to_json()["evidence"], ensure_ascii=False),
                        "region": f.region,
                    }
                    for i, f in enumerate(report.findings, start=1)
                ],
            }
        )
    html = template.render(title=title, documents=docs)
    if out is not None:
        Path(out).write_text(html, encoding="utf-8")
    return html
