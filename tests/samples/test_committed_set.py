"""The committed sample set in samples/documents stays valid and small."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from misec_rules.samples import DEFAULT_DEGRADATIONS, KINDS, load_truth

from .test_generate import check_record


def test_committed_set(repo_root: Path) -> None:
    folder = repo_root / "samples" / "documents"
    records = load_truth(folder)
    assert 30 <= len(records) <= 60
    assert {r.kind for r in records} == set(KINDS)
    degs = Counter(r.degradation or "none" for r in records)
    assert set(degs) == set(DEFAULT_DEGRADATIONS)
    for r in records:
        check_record(r, folder)
    total = sum(p.stat().st_size for p in (repo_root / "samples").rglob("*") if p.is_file())
    assert total < 20 * 1024 * 1024
