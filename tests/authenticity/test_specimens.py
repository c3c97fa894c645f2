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


# real specimens whose repeated artwork or micro-print made earlier versions of the
# copy-move (noise method) or pasted-portrait checks fire
REPEATED_ARTWORK = (
    "passports/Algeria_Passport_Specimen_specimen_2_and_3_page_of_the_algerian.jpg",
    "passports/United_States_of_America_Passport_Specimen_Blank_uspassprebio.jpg",
    "passports/Bangladesh_Passport_Specimen_Bangladesh_Bio_Pagejpg.jpg",
    "passports/Norway_Passport_Specimen.jpg",
    "passports/Japan_Passport_Specimen_ic.jpg",
    "id_cards/Belgian_ID_back_2.jpg",
    "id_cards/Netherlands_ID_Specimen_front_Dutch_issued_9_March_2014jpg.jpg",
)
MICRO_PRINTED_PORTRAITS = (
    "passports/Austria_Passport_Specimen.jpg",
    "passports/Poland_Passport_Specimen.jpg",
    "passports/Azerbaijan_Passport_Specimen_mrz_band.png",
    "passports/France_Passport_unfolded_Specimen.jpg",
)


@pytest.mark.specimens
@pytest.mark.slow
@pytest.mark.parametrize("name", REPEATED_ARTWORK)
def test_repeated_artwork_is_not_a_copy(specimens_dir: Path, name: str) -> None:
    from misec_rules.authenticity._context import CheckContext
    from misec_rules.authenticity._integrity import copy_move
    from misec_rules.authenticity._profile import load_profile
    from misec_rules.vision import load_image

    path = specimens_dir / name
    if not path.is_file():
        pytest.skip(f"{name} is not in this copy of the specimens")
    # the check alone, without an MRZ mask: the hardest case for it
    ctx = CheckContext(
        image=load_image(path), profile=load_profile(None), reference_date=date(2026, 11, 27)
    )
    out = copy_move(ctx)
    assert out["side_px"] <= out["threshold_px"], out
    assert out["region"] is None


@pytest.mark.specimens
@pytest.mark.slow
@pytest.mark.parametrize("name", MICRO_PRINTED_PORTRAITS)
def test_printed_portrait_on_real_passport_is_not_a_pasted_one(
    specimens_dir: Path, name: str, tmp_path: Path
) -> None:
    path = specimens_dir / name
    if not path.is_file():
        pytest.skip(f"{name} is not in this copy of the specimens")
    profile = tmp_path / "pixels.yaml"
    profile.write_text(
        "schema_version: 1\nname: pixels\nversion: '1'\nchecks:\n  viz: {enabled: false}\n",
        encoding="utf-8",
    )
    report = check_document(path, reference_date=date(2026, 11, 27), profile=profile)
    assert "integrity" in report.checks_run
    seams = [f for f in report.findings if f.id == "integrity.portrait_seam"]
    assert not seams, [f.message for f in seams]
    # the portrait was placed and measured, and the comparison said why it was not made
    note = next(f for f in report.findings if f.id == "integrity.portrait_not_judged")
    assert note.severity.value == "info" and note.region is not None
