"""Real specimen documents (../shared/specimens, read in place): the checks run and
flag specimen values; skipped where the folder is absent."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from misec_rules.authenticity import Verdict, check_document
from misec_rules.errors import ImageError

FILES = (
    "passports/Austria_Passport_Specimen.jpg",
    "id_cards/Norway_ID_Specimen_Back.png",
    "id_cards/Poland_ID_2015_Specimen.jpg",
)


@pytest.mark.specimens
@pytest.mark.slow
@pytest.mark.parametrize("name", FILES)
def test_specimen_report_shape(specimens_dir: Path, name: str) -> None:
    path = specimens_dir / name
    if not path.is_file():
        pytest.skip(f"{name} is not in this copy of the specimens")
    try:
        report = check_document(path, reference_date=date(2026, 11, 27))
    except ImageError:
        pytest.fail(f"{name} should decode")
    js = report.to_json(path=str(path))
    assert js["verdict"] in {v.value for v in Verdict}
    for f in js["findings"]:
        assert f["severity"] in {"info", "warning", "fail"}
        region = f["region"]
        if region is not None:
            x, y, w, h = region
            assert w >= 0 and h >= 0
            assert x <= report.image_size[0] and y <= report.image_size[1]
