"""generate(): truth.jsonl, determinism, equal parts, regions inside the images."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

from misec_rules.mrz import parse_mrz
from misec_rules.samples import (
    DEFAULT_DEGRADATIONS,
    KINDS,
    TruthRecord,
    generate,
    load_truth,
    make_sample,
)
from misec_rules.samples._generate import _plan

FIELDS = {"file", "kind", "format", "mrz", "viz", "degradation", "manipulation", "regions"}
FORMATS = {"td3_passport": "TD3", "td1_id": "TD1", "td2_id": "TD2", "mrva_visa": "MRVA", "mrvb_visa": "MRVB"}  # fmt: skip


def check_record(record: TruthRecord, folder: Path) -> None:
    """Assert what every truth record promises about its image."""
    path = folder / record.file
    assert path.is_file()
    with Image.open(path) as im:
        cols, rows = im.size
    assert FORMATS[record.kind] == record.format
    mrz = parse_mrz(record.mrz)
    assert mrz.valid and mrz.format == record.format
    parsed = mrz.to_json()
    for key in ("document_number", "birth_date", "expiry_date", "sex", "nationality"):
        assert parsed[key] == record.viz[key], key
    regions = record.regions
    assert regions.mrz is not None and regions.portrait is not None and regions.viz is not None
    for x, y in regions.mrz:
        assert -1 <= x <= cols + 1 and -1 <= y <= rows + 1
    for box in [regions.portrait, *regions.viz.values()]:
        x, y, w, h = box
        assert x >= 0 and y >= 0 and w > 0 and h > 0 and x + w <= cols and y + h <= rows
    assert set(regions.viz) == set(record.viz)


def test_plan_gives_equal_parts() -> None:
    n = len(KINDS) * len(DEFAULT_DEGRADATIONS)
    plan = list(_plan(n, list(KINDS), list(DEFAULT_DEGRADATIONS)))
    assert Counter(k for _, k, _ in plan) == dict.fromkeys(KINDS, len(DEFAULT_DEGRADATIONS))
    assert Counter(d for _, _, d in plan) == dict.fromkeys(DEFAULT_DEGRADATIONS, len(KINDS))
    assert len({(k, d) for _, k, d in plan}) == n  # every pair once
    assert "none" in DEFAULT_DEGRADATIONS and len(DEFAULT_DEGRADATIONS) == 14


@pytest.mark.slow
def test_generate_writes_truth_and_is_deterministic(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", count=14, seed=4, image_format="jpg")
    b = generate(tmp_path / "b", count=4, seed=4, image_format="jpg")
    lines = (tmp_path / "a" / "truth.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 14 and [r.model_dump() for r in a] == [json.loads(x) for x in lines]
    for line in lines:
        assert set(json.loads(line)) >= FIELDS
    assert {r.degradation for r in a} == {None} | set(DEFAULT_DEGRADATIONS) - {"none"}
    assert all(r.manipulation is None for r in a)
    # the first images of a set do not depend on its size
    assert a[:4] == b
    for r in b:
        assert (tmp_path / "a" / r.file).read_bytes() == (tmp_path / "b" / r.file).read_bytes()
    for r in load_truth(tmp_path / "a"):
        check_record(r, tmp_path / "a")
    # another seed, another set
    c = generate(tmp_path / "c", count=2, seed=5, degradations=["none"])
    assert c[0].mrz != a[0].mrz


def test_make_sample_rejects_unknown_names() -> None:
    with pytest.raises(ValueError, match="unknown degradation `smudge`"):
        make_sample("td1_id", "smudge", seed=0)
    with pytest.raises(ValueError, match="unknown document kind"):
        generate("/nonexistent-never-written", count=1, kinds=["scroll"])
