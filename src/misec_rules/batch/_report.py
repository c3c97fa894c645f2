"""Finish a batch: analysis.json, cross-document links in results.jsonl, summary.csv,
report.html.  Every output is streamed from results.jsonl and replaced atomically
(written beside, fsynced, renamed), so a kill during this step loses nothing and a
resume simply does it again.
"""

from __future__ import annotations

import base64
import csv
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from misec_rules.batch._analysis import CrossDocumentAnalyzer, links_by_index
from misec_rules.batch._journal import iter_records

__all__ = ["VERDICT_NAMES", "finalize"]

VERDICT_NAMES = ("suspicious", "insufficient_quality", "unreadable", "error", "consistent")
_MAX_WITH = 20

SUMMARY_COLUMNS = [
    "id",
    "path",
    "sha256",
    "verdict",
    "error",
    "document_code",
    "format",
    "issuing_state",
    "document_number",
    "mrz_valid",
    "findings",
    "finding_ids",
    "decision",
    "cross_document",
    "seconds",
]


def _replace(tmp: Path, final: Path) -> None:
    with tmp.open("rb+") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, final)


def _vclass(rec: Mapping[str, Any]) -> str:
    if rec.get("error") and not rec.get("verdict"):
        return "error"
    return str(rec.get("verdict") or "error")


def _summary_row(rec: Mapping[str, Any]) -> dict[str, Any]:
    mrz = rec.get("mrz") or {}
    findings = rec.get("findings") or []
    dec = rec.get("decision") or {}
    return {
        "id": rec.get("id"),
        "path": rec.get("path"),
        "sha256": rec.get("sha256"),
        "verdict": _vclass(rec),
        "error": rec.get("error") or "",
        "document_code": mrz.get("document_code", ""),
        "format": mrz.get("format", ""),
        "issuing_state": mrz.get("issuing_state", ""),
        "document_number": mrz.get("document_number", ""),
        "mrz_valid": "" if not mrz else str(bool(mrz.get("valid"))).lower(),
        "findings": len(findings),
        "finding_ids": ";".join(str(f.get("id")) for f in findings if isinstance(f, Mapping)),
        "decision": dec.get("outcome", "") if isinstance(dec, Mapping) else "",
        "cross_document": ";".join(g["group"] for g in rec.get("cross_document") or []),
        "seconds": rec.get("seconds"),
    }


def _card(
    index: int, rec: Mapping[str, Any], out: Path, with_thumb: bool, links: list[str]
) -> dict[str, Any]:
    d: dict[str, Any] = {
        "index": index,
        "id": rec.get("id"),
        "path": rec.get("path"),
        "vclass": _vclass(rec),
        "mrz": rec.get("mrz"),
        "error": rec.get("error"),
        "findings": [f for f in rec.get("findings") or [] if isinstance(f, Mapping)],
        "decision": rec.get("decision"),
        "links": links,
        "sha256": rec.get("sha256"),
        "seconds": float(rec.get("seconds") or 0.0),
        "thumb": None,
    }
    th = rec.get("thumbnail")
    if with_thumb and isinstance(th, Mapping):
        try:
            d["thumb"] = base64.b64encode((out / str(th["file"])).read_bytes()).decode("ascii")
        except OSError:
            d["thumb"] = None
    if d["thumb"] is not None and isinstance(th, Mapping):
        w, h = int(th["width"]), int(th["height"])
        d["width"], d["height"] = w, h
        d["stroke"] = max(2, round(max(w, h) / 250))
        boxes = []
        regions = rec.get("regions") or {}
        if regions.get("portrait"):
            x, y, bw, bh = regions["portrait"]
            boxes.append(
                {"x": x, "y": y, "w": bw, "h": bh, "color": "#16a34a", "label": "portrait"}
            )
        for f in d["findings"]:
            r = f.get("region")
            if isinstance(r, list | tuple) and len(r) == 4:
                boxes.append(
                    {
                        "x": r[0],
                        "y": r[1],
                        "w": r[2],
                        "h": r[3],
                        "color": "#dc2626",
                        "label": f.get("id"),
                    }
                )
        d["boxes"] = boxes
        poly = regions.get("mrz")
        d["mrz_points"] = (
            " ".join(f"{float(p[0]):.1f},{float(p[1]):.1f}" for p in poly) if poly else None
        )
    return d


def finalize(
    out: Path,
    meta: Mapping[str, Any],
    *,
    analyzer: CrossDocumentAnalyzer | None = None,
    max_thumbnails: int = 500,
) -> dict[str, Any]:
    """Write analysis.json, summary.csv and report.html and add links to results.jsonl.

    Returns the analysis (the content of analysis.json).
    """
    results = out / "results.jsonl"
    an = analyzer or CrossDocumentAnalyzer()
    for i, rec in enumerate(iter_records(results)):
        an.add(i, rec)
    analysis = an.finish()
    links = links_by_index(analysis["groups"])
    names: dict[int, tuple[str, str]] = {}
    for i, rec in enumerate(iter_records(results)):
        if i in links:
            names[i] = (str(rec.get("id")), str(rec.get("path")))
    for g in analysis["groups"]:
        g["members"] = [{"index": i, "id": names[i][0], "path": names[i][1]} for i in g["members"]]
    group_of = {g["id"]: g for g in analysis["groups"]}

    tmp = out / "analysis.json.tmp"
    tmp.write_text(json.dumps(analysis, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    _replace(tmp, out / "analysis.json")

    tmp_res = out / "results.jsonl.tmp"
    tmp_csv = out / "summary.csv.tmp"
    with tmp_res.open("wb") as rf, tmp_csv.open("w", newline="", encoding="utf-8") as cf:
        writer = csv.DictWriter(cf, fieldnames=SUMMARY_COLUMNS)
        writer.writeheader()
        for i, rec in enumerate(iter_records(results)):
            cross = []
            for gid in links.get(i, []):
                g = group_of[gid]
                others = [m["id"] for m in g["members"] if m["index"] != i]
                cross.append({"group": gid, "type": g["type"], "with": others[:_MAX_WITH]})
            rec["cross_document"] = cross
            rf.write(
                (
                    json.dumps(rec, ensure_ascii=False, separators=(",", ":"), default=str) + "\n"
                ).encode()
            )
            writer.writerow(_summary_row(rec))
    _replace(tmp_csv, out / "summary.csv")
    _replace(tmp_res, results)

    def docs() -> Iterator[dict[str, Any]]:
        shown = 0
        for flagged in (True, False):
            for i, rec in enumerate(iter_records(results)):
                if (_vclass(rec) != "consistent") != flagged:
                    continue
                with_thumb = shown < max_thumbnails
                card = _card(i, rec, out, with_thumb, links.get(i, []))
                shown += card["thumb"] is not None
                yield card

    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("misec_rules.batch", "templates"),
        autoescape=select_autoescape(["html", "j2"], default=True),
        trim_blocks=False,
    )
    template = env.get_template("report.html.j2")
    full_meta = dict(meta)
    full_meta.setdefault("documents", analysis["documents"])
    full_meta.setdefault("cluster_min", an.cluster_min)
    full_meta.setdefault("cluster_share", an.cluster_share)
    full_meta.setdefault(
        "thumbnail_cap", max_thumbnails if analysis["documents"] > max_thumbnails else 0
    )
    tmp_html = out / "report.html.tmp"
    with tmp_html.open("w", encoding="utf-8") as hf:
        for chunk in template.generate(
            a=analysis, meta=full_meta, docs=docs(), verdict_names=VERDICT_NAMES, max_groups=500
        ):
            hf.write(chunk)
    _replace(tmp_html, out / "report.html")
    return analysis
