"""Cross-document analysis: what no single-document check can see.

Fed the records one by one (streamed back from results.jsonl), it keeps compact
keys only: 8-byte digests of the document number and of the holder data, a 64-bit
portrait hash, and the record's index.  Names are hashed, never kept.

Four analyses:

``document_number_conflict``
    One document number (of one issuer) with different holder data (surname, given
    names, birth date, sex).
``holder_multiple_issuers``
    The same holder data on documents of different issuing states (a dual national,
    or a forged second document: for review).
``portrait_reuse``
    The same portrait (pHash Hamming distance at most ``portrait_distance`` of 64 bits)
    under different holder data.
finding clusters
    The warning and fail findings counted per issuing state and document type, so a
    type of document that keeps failing the same check stands out.
"""

from __future__ import annotations

import hashlib
import itertools
from array import array
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

__all__ = ["CrossDocumentAnalyzer"]

_MAX_DISTANCE = 12
_MAX_RUN = 20000  # a band value shared by more portraits than this is too common to compare


def _digest(*parts: Any) -> int:
    h = hashlib.blake2b(digest_size=8)
    for p in parts:
        h.update(str(p if p is not None else "").strip().upper().encode("utf-8", "surrogateescape"))
        h.update(b"\x1f")
    return int.from_bytes(h.digest(), "big")


def _add(table: dict[Any, Any], key: Any, value: tuple[Any, int]) -> None:
    cur = table.get(key)
    if cur is None:
        table[key] = value
    elif isinstance(cur, list):
        cur.append(value)
    else:
        table[key] = [cur, value]


def _entries(v: Any) -> list[tuple[Any, int]]:
    return v if isinstance(v, list) else [v]


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, a: int) -> int:
        p = self.parent.setdefault(a, a)
        while p != self.parent[p]:
            self.parent[p] = self.parent[self.parent[p]]
            p = self.parent[p]
        self.parent[a] = p
        return p

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def doc_type(mrz: Mapping[str, Any] | None) -> str:
    """The document type used for clusters: ``<document code> <format>`` (e.g. ``P TD3``)."""
    if not mrz:
        return "unknown"
    return f"{mrz.get('document_code') or '?'} {mrz.get('format') or '?'}"


class CrossDocumentAnalyzer:
    """Collect compact keys from records, then :meth:`finish` into groups and clusters.

    Parameters
    ----------
    portrait_distance : int
        The largest Hamming distance (bits of 64) at which two portrait hashes are
        taken as the same portrait; at most 12.
    cluster_min : int
        The fewest documents sharing a finding, issuer and type to call a cluster.
    cluster_share : float
        The least share of that issuer's documents of that type to call a cluster.
    """

    def __init__(
        self, *, portrait_distance: int = 4, cluster_min: int = 3, cluster_share: float = 0.2
    ) -> None:
        if not 0 <= portrait_distance <= _MAX_DISTANCE:
            raise ValueError(
                f"portrait_distance must be 0..{_MAX_DISTANCE}, not `{portrait_distance}`"
            )
        self.portrait_distance = portrait_distance
        self.cluster_min = cluster_min
        self.cluster_share = cluster_share
        self.count = 0
        self.verdicts: Counter[str] = Counter()
        self.errors = 0
        self.seconds = 0.0
        self.decisions: Counter[str] = Counter()
        self.finding_counts: Counter[str] = Counter()
        self.finding_docs: Counter[str] = Counter()
        self.finding_severity: dict[str, str] = {}
        self._docnum: dict[int, Any] = {}
        self._docnum_label: dict[int, tuple[str, str]] = {}
        self._holder: dict[int, Any] = {}
        self._ph = array("Q")
        self._ph_idx = array("q")
        self._ph_holder = array("Q")
        self._cluster: Counter[tuple[str, str, str]] = Counter()
        self._type_total: Counter[tuple[str, str]] = Counter()

    def add(self, index: int, rec: Mapping[str, Any]) -> None:
        """Take the keys of record number ``index`` (0-based line in results.jsonl)."""
        self.count += 1
        if rec.get("error"):
            self.errors += 1
        self.verdicts[str(rec.get("verdict") or "error")] += 1
        self.seconds += float(rec.get("seconds") or 0.0)
        dec = rec.get("decision")
        if isinstance(dec, Mapping) and dec.get("outcome"):
            self.decisions[str(dec["outcome"])] += 1
        seen: set[str] = set()
        mrz = rec.get("mrz") if isinstance(rec.get("mrz"), Mapping) else None
        issuer = str((mrz or {}).get("issuing_state") or "?")
        dtype = doc_type(mrz)
        self._type_total[(issuer, dtype)] += 1
        for f in rec.get("findings") or []:
            if not isinstance(f, Mapping):
                continue
            fid = str(f.get("id") or "?")
            self.finding_counts[fid] += 1
            self.finding_severity.setdefault(fid, str(f.get("severity") or ""))
            if fid not in seen:
                seen.add(fid)
                self.finding_docs[fid] += 1
                if str(f.get("severity") or "") != "info":  # info notes are not signals
                    self._cluster[(issuer, dtype, fid)] += 1
        if mrz is None:
            return
        holder = None
        if mrz.get("surname") or mrz.get("given_names"):
            holder = _digest(
                mrz.get("surname"), mrz.get("given_names"), mrz.get("birth_date"), mrz.get("sex")
            )
        number = mrz.get("document_number")
        if holder is not None and number:
            dk = _digest(issuer, number)
            _add(self._docnum, dk, (holder, index))
            self._docnum_label.setdefault(dk, (issuer, str(number)))
        if holder is not None:
            _add(self._holder, holder, (issuer, index))
        ph = rec.get("portrait_phash")
        if holder is not None and isinstance(ph, str):
            for text in [ph, *(rec.get("portrait_phash_zoomed") or [])]:
                try:
                    value = int(text, 16)
                except (TypeError, ValueError):
                    continue
                self._ph.append(value)
                self._ph_idx.append(index)
                self._ph_holder.append(holder)

    # ------------------------------------------------------------------ results

    def _portrait_groups(self) -> list[tuple[list[int], int]]:
        n = len(self._ph)
        if n < 2:
            return []
        ph = np.frombuffer(self._ph, dtype=np.uint64)
        idx = np.frombuffer(self._ph_idx, dtype=np.int64)
        holder_of = dict(zip(self._ph_idx, self._ph_holder, strict=True))
        uf = _UnionFind()
        # split the 64 bits into distance + 1 bands: two hashes within the distance agree
        # on at least one whole band (pigeonhole), so only hashes sharing a band are compared
        bands = self.portrait_distance + 1
        edges = [round(64 * b / bands) for b in range(bands + 1)]
        for lo, hi in itertools.pairwise(edges):
            mask = np.uint64((1 << (hi - lo)) - 1)
            band = (ph >> np.uint64(lo)) & mask
            order = np.argsort(band, kind="stable")
            sb = band[order]
            cuts = np.flatnonzero(np.diff(sb)) + 1
            for run in np.split(order, cuts):
                m = len(run)
                if m < 2 or m > _MAX_RUN:
                    continue
                vals = ph[run]
                docs = idx[run]
                for j in range(m - 1):
                    x = np.bitwise_xor(vals[j + 1 :], vals[j])
                    dist = np.unpackbits(x.view(np.uint8).reshape(-1, 8), axis=1).sum(axis=1)
                    near = (dist <= self.portrait_distance) & (docs[j + 1 :] != docs[j])
                    for k in np.flatnonzero(near):
                        uf.union(int(docs[j]), int(docs[j + 1 + k]))
        comps: dict[int, list[int]] = {}
        for doc in list(uf.parent):
            comps.setdefault(uf.find(doc), []).append(doc)
        groups = []
        for members in comps.values():
            identities = len({holder_of[d] for d in members})
            if identities > 1:
                groups.append((sorted(members), identities))
        return sorted(groups)

    def finish(self) -> dict[str, Any]:
        """The analysis: ``groups`` (each with member record indices), ``finding_clusters``
        and the batch's counts.  Groups' ``members`` are record indices; the runner adds
        ids and paths."""
        groups: list[dict[str, Any]] = []
        for dk, v in self._docnum.items():
            entries = _entries(v)
            holders = {h for h, _ in entries}
            if len(holders) > 1:
                issuer, number = self._docnum_label[dk]
                groups.append(
                    {
                        "type": "document_number_conflict",
                        "issuing_state": issuer,
                        "document_number": number,
                        "identities": len(holders),
                        "members": sorted(i for _, i in entries),
                    }
                )
        for v in self._holder.values():
            entries = _entries(v)
            issuers = sorted({s for s, _ in entries})
            if len(issuers) > 1:
                groups.append(
                    {
                        "type": "holder_multiple_issuers",
                        "issuing_states": issuers,
                        "members": sorted(i for _, i in entries),
                    }
                )
        for members, identities in self._portrait_groups():
            groups.append({"type": "portrait_reuse", "identities": identities, "members": members})
        order = {"document_number_conflict": 0, "portrait_reuse": 1, "holder_multiple_issuers": 2}
        groups.sort(key=lambda g: (order[g["type"]], g["members"][0]))
        prefix = {
            "document_number_conflict": "N",
            "portrait_reuse": "P",
            "holder_multiple_issuers": "H",
        }
        numbers: Counter[str] = Counter()
        for g in groups:
            numbers[g["type"]] += 1
            g["id"] = f"{prefix[g['type']]}{numbers[g['type']]}"
        clusters: list[dict[str, Any]] = []
        for (issuer, dtype, fid), n in self._cluster.items():
            total = self._type_total[(issuer, dtype)]
            share = n / total if total else 0.0
            clusters.append(
                {
                    "issuing_state": issuer,
                    "document_type": dtype,
                    "finding": fid,
                    "severity": self.finding_severity.get(fid, ""),
                    "documents": n,
                    "documents_of_type": total,
                    "share": round(share, 4),
                    "cluster": n >= self.cluster_min and share >= self.cluster_share,
                }
            )
        clusters.sort(
            key=lambda c: (not c["cluster"], -c["documents"], c["issuing_state"], c["finding"])
        )
        findings = [
            {
                "id": fid,
                "severity": self.finding_severity.get(fid, ""),
                "count": self.finding_counts[fid],
                "documents": self.finding_docs[fid],
            }
            for fid in sorted(self.finding_counts, key=lambda f: (-self.finding_docs[f], f))
        ]
        return {
            "documents": self.count,
            "verdicts": dict(sorted(self.verdicts.items())),
            "errors": self.errors,
            "decisions": dict(sorted(self.decisions.items())),
            "processing_seconds": round(self.seconds, 3),
            "findings_by_type": findings,
            "groups": groups,
            "finding_clusters": clusters,
            "portrait_distance": self.portrait_distance,
        }


def links_by_index(groups: Iterable[Mapping[str, Any]]) -> dict[int, list[str]]:
    """Record index -> the ids of the groups it belongs to."""
    out: dict[int, list[str]] = {}
    for g in groups:
        for i in g["members"]:
            out.setdefault(int(i), []).append(str(g["id"]))
    return out
