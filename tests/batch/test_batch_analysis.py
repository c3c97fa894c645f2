"""Cross-document analysis and the portrait hash, without images on disk."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
from batch_procs import portrait_texture
from hypothesis import given, settings
from hypothesis import strategies as st

from misec_rules.batch import CrossDocumentAnalyzer
from misec_rules.batch._imaging import estimate_portrait, phash, portrait_hashes, portrait_quad


def _rec(surname: str, number: str, issuer: str = "FIN", ph: int | None = None) -> dict[str, Any]:
    return {
        "id": f"{surname}-{number}",
        "verdict": "consistent",
        "mrz": {
            "format": "TD3",
            "document_code": "P",
            "issuing_state": issuer,
            "surname": surname,
            "given_names": "X",
            "birth_date": "1990-01-01",
            "sex": "F",
            "document_number": number,
        },
        "findings": [],
        "portrait_phash": None if ph is None else f"{ph:016x}",
    }


def _flip(value: int, bits: list[int]) -> int:
    for b in bits:
        value ^= 1 << b
    return value


@settings(max_examples=60, deadline=None)
@given(
    base=st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=6, unique=True),
    flips=st.lists(st.lists(st.integers(0, 63), max_size=12, unique=True), min_size=1, max_size=6),
    distance=st.integers(0, 12),
)
def test_portrait_groups_match_brute_force(
    base: list[int], flips: list[list[int]], distance: int
) -> None:
    hashes = list(base) + [_flip(base[i % len(base)], f) for i, f in enumerate(flips)]
    an = CrossDocumentAnalyzer(portrait_distance=distance)
    for i, h in enumerate(hashes):  # every document a different identity
        an.add(i, _rec(f"NAME{i}", f"N{i}", ph=h))
    got = sorted(g["members"] for g in an.finish()["groups"] if g["type"] == "portrait_reuse")
    # brute force: connected components over pairs within the distance
    parent = list(range(len(hashes)))

    def find(a: int) -> int:
        while parent[a] != a:
            a = parent[a]
        return a

    for i in range(len(hashes)):
        for j in range(i + 1, len(hashes)):
            if bin(hashes[i] ^ hashes[j]).count("1") <= distance:
                parent[find(j)] = find(i)
    comps: dict[int, list[int]] = {}
    for i in range(len(hashes)):
        comps.setdefault(find(i), []).append(i)
    want = sorted(sorted(c) for c in comps.values() if len(c) > 1)
    assert got == want


def test_same_portrait_same_identity_is_not_a_group() -> None:
    an = CrossDocumentAnalyzer()
    an.add(0, _rec("A", "1", ph=0x1234))
    an.add(1, _rec("A", "2", ph=0x1234))  # same person, second document: no portrait group
    assert [g["type"] for g in an.finish()["groups"]] == []


def test_document_number_of_different_issuers_is_not_a_conflict() -> None:
    an = CrossDocumentAnalyzer()
    an.add(0, _rec("A", "X1", issuer="FIN"))
    an.add(1, _rec("B", "X1", issuer="SWE"))
    an.add(2, _rec("C", "X2", issuer="FIN"))
    an.add(3, _rec("D", "X2", issuer="FIN"))
    groups = an.finish()["groups"]
    assert [(g["type"], g["members"]) for g in groups] == [("document_number_conflict", [2, 3])]


def test_counts_and_errors() -> None:
    an = CrossDocumentAnalyzer()
    an.add(0, {"id": "a", "verdict": None, "error": "boom", "findings": []})
    an.add(
        1, {"id": "b", "verdict": "suspicious", "findings": [{"id": "f1", "severity": "fail"}] * 2}
    )
    res = an.finish()
    assert res["verdicts"] == {"error": 1, "suspicious": 1} and res["errors"] == 1
    assert res["findings_by_type"] == [{"id": "f1", "severity": "fail", "count": 2, "documents": 1}]


def test_phash_survives_rescaling_and_separates_portraits() -> None:
    a = cv2.cvtColor(portrait_texture(1, 120, 150), cv2.COLOR_BGR2GRAY)
    b = cv2.cvtColor(portrait_texture(2, 120, 150), cv2.COLOR_BGR2GRAY)
    a_small = cv2.resize(a, (83, 104), interpolation=cv2.INTER_AREA)
    ha, hb, hs = phash(a), phash(b), phash(a_small)
    assert ha is not None and hb is not None and hs is not None
    assert bin(ha ^ hs).count("1") <= 4
    assert bin(ha ^ hb).count("1") > 12
    assert phash(np.full((50, 40), 128, np.uint8)) is None


def test_portrait_hash_is_rotation_and_scale_invariant_via_the_mrz() -> None:
    """The same page scanned turned a quarter and at half size hashes alike."""
    poly = [[23.0, 250.0], [416.0, 250.0], [416.0, 292.0], [23.0, 292.0]]
    page = np.full((310, 440, 3), 230, np.uint8)
    box = estimate_portrait(page.shape, poly, "TD3")
    assert box is not None
    x, y, w, h = box
    page[y : y + h, x : x + w] = portrait_texture(5, w, h)
    other = page.copy()
    other[y : y + h, x : x + w] = portrait_texture(6, w, h)
    base = portrait_hashes(page, portrait_quad(poly, "TD3"))
    # a quarter turn clockwise: (x, y) -> (rows - 1 - y, x); polygon keeps reading order
    turned = cv2.resize(
        np.rot90(page, k=-1).copy(), None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA
    )
    tpoly = [[(309 - py) / 2, px / 2] for px, py in poly]
    moved = portrait_hashes(turned, portrait_quad(tpoly, "TD3"))
    diff = portrait_hashes(other, portrait_quad(poly, "TD3"))
    assert base is not None and moved is not None and diff is not None
    assert len(base) == 4
    assert bin(base[0] ^ moved[0]).count("1") <= 4
    assert bin(base[0] ^ diff[0]).count("1") > 12


def test_zoomed_hashes_link_a_document_once() -> None:
    an = CrossDocumentAnalyzer(portrait_distance=2)
    a = _rec("A", "1", ph=0x0F0F0F0F0F0F0F0F)
    a["portrait_phash_zoomed"] = ["ffffffff00000000"]
    b = _rec("B", "2", ph=0xFFFFFFFF00000001)  # near A's zoomed hash only
    c = _rec("C", "3", ph=0x0F0F0F0F0F0F0F0E)  # near A's own hash only
    for i, r in enumerate([a, b, c]):
        an.add(i, r)
    groups = [g for g in an.finish()["groups"] if g["type"] == "portrait_reuse"]
    assert [(g["members"], g["identities"]) for g in groups] == [([0, 1, 2], 3)]


def test_portrait_estimate_scales_with_the_mrz() -> None:
    poly = [[23.0, 250.0], [416.0, 250.0], [416.0, 292.0], [23.0, 292.0]]
    box = estimate_portrait((310, 440), poly, "TD3")
    big = estimate_portrait((620, 880), [[2 * x, 2 * y] for x, y in poly], "TD3")
    assert box is not None and big is not None
    assert all(abs(2 * a - b) <= 2 for a, b in zip(box, big, strict=True))
    x, y, w, h = box
    assert x < 60 and y + h <= 250 and 0.6 < w / h < 1.0
    assert estimate_portrait((310, 440), None, "TD3") is None
    assert estimate_portrait((310, 440), poly, "XX") is None


def test_info_findings_do_not_form_clusters() -> None:
    an = CrossDocumentAnalyzer(cluster_min=1, cluster_share=0.0)
    rec = _rec("A", "1")
    rec["findings"] = [
        {"id": "viz.compared", "severity": "info"},
        {"id": "x.fail", "severity": "fail"},
    ]
    an.add(0, rec)
    res = an.finish()
    assert [c["finding"] for c in res["finding_clusters"]] == ["x.fail"]
    assert {f["id"] for f in res["findings_by_type"]} == {"viz.compared", "x.fail"}
