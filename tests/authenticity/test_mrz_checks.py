"""Check digits, dates, codes and specimen values over an MRZ (no image needed)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from misec_rules.authenticity import (
    Severity,
    Verdict,
    _check_digits,
    _codes,
    _dates,
    _specimen,
    check_document,
    load_lost_stolen,
)
from misec_rules.authenticity._check_digits import compute_check_digit, load_deviations
from misec_rules.authenticity._context import CheckContext
from misec_rules.authenticity._profile import Profile, load_profile
from misec_rules.errors import ProfileError
from misec_rules.mrz import check_digit, parse_mrz

from .conftest import REF, make_mrz

IMG = np.full((50, 50, 3), 200, np.uint8)


def ctx_for(mrz: object, profile: Profile | None = None, **kw: object) -> CheckContext:
    return CheckContext(
        image=IMG,
        profile=profile or load_profile(),
        reference_date=REF,
        mrz=mrz,
        **kw,  # type: ignore[arg-type]
    )


def ids(findings: list) -> set[str]:  # type: ignore[type-arg]
    return {f.id for f in findings}


def test_check_digit_agrees_with_the_mrz_engine() -> None:
    for data in ("L898902C3", "740812", "120415", "AB<12", ""):
        assert compute_check_digit(data) == check_digit(data)


def test_valid_mrz_gives_no_check_digit_finding() -> None:
    assert _check_digits.run(ctx_for(make_mrz())) == []


def test_wrong_digit_fails_with_printed_and_computed() -> None:
    lines = list(make_mrz().lines)
    wrong = str((int(lines[1][19]) + 1) % 10)
    lines[1] = lines[1][:19] + wrong + lines[1][20:]
    mrz = parse_mrz(lines, reference_date=REF)
    found = _check_digits.run(ctx_for(mrz))
    by_id = {f.id: f for f in found}
    f = by_id["mrz.check_digit.birth_date"]
    assert f.severity is Severity.FAIL
    assert f.evidence["printed"] == wrong
    assert f.evidence["computed"] == check_digit(lines[1][13:19])
    assert f.evidence["computed"] != wrong
    assert (f.evidence["line"], f.evidence["column"]) == (2, 20)
    assert "mrz.check_digit.composite" in by_id


def test_listed_issuer_deviation_gives_warning(tmp_path: Path) -> None:
    dev = tmp_path / "dev.csv"
    dev.write_text("# test\nissuing_state,document_code,field,note\nFIN,P,birth_date,test entry\n")
    lines = list(make_mrz().lines)
    lines[1] = lines[1][:19] + str((int(lines[1][19]) + 1) % 10) + lines[1][20:]
    mrz = parse_mrz(lines, reference_date=REF)
    prof = Profile.model_validate(
        {"name": "t", "version": "1", "checks": {"check_digits": {"deviations_file": str(dev)}}}
    )
    by_id = {f.id: f for f in _check_digits.run(ctx_for(mrz, prof))}
    assert by_id["mrz.check_digit.birth_date"].severity is Severity.WARNING
    assert by_id["mrz.check_digit.composite"].severity is Severity.FAIL


def test_bad_deviation_file_names_the_row(tmp_path: Path) -> None:
    dev = tmp_path / "dev.csv"
    dev.write_text("issuing_state,document_code,field,note\nFIN,P,height,x\n")
    with pytest.raises(ProfileError, match="row 2"):
        load_deviations(dev)


def test_shipped_deviation_file_loads() -> None:
    assert isinstance(load_deviations(), tuple)


def test_dates_expired_expiry_before_birth_and_long_validity() -> None:
    expired = make_mrz(expiry_date=date(2020, 1, 1), birth_date=date(1990, 1, 1))
    assert ids(_dates.run(ctx_for(expired))) == {"dates.expired"}
    before = make_mrz(birth_date=date(2001, 5, 5), expiry_date=date(2000, 5, 5))
    assert "dates.expiry_before_birth" in ids(_dates.run(ctx_for(before)))
    long = make_mrz(expiry_date=date(2045, 1, 1))
    found = {f.id: f for f in _dates.run(ctx_for(long))}
    assert found["dates.validity_unusual"].evidence["threshold_years"] == 11
    assert _dates.run(ctx_for(make_mrz())) == []


def test_invalid_calendar_date_is_reported() -> None:
    lines = list(make_mrz().lines)
    body = lines[1][:13] + "901332"
    body += check_digit("901332") + lines[1][20:]
    mrz = parse_mrz([lines[0], body], reference_date=REF)
    assert "dates.birth_invalid" in ids(_dates.run(ctx_for(mrz)))


def test_codes_unknown_state_and_document_code() -> None:
    assert _codes.run(ctx_for(make_mrz())) == []
    bad = make_mrz(issuing_state="QQQ", nationality="ZZX")
    assert ids(_codes.run(ctx_for(bad))) == {
        "codes.issuing_state_unknown",
        "codes.nationality_unknown",
    }
    card_as_passport = make_mrz(fmt="TD1", document_code="P")
    found = {f.id: f for f in _codes.run(ctx_for(card_as_passport))}
    assert found["codes.document_code_format"].evidence["format"] == "TD1"
    assert _codes.run(ctx_for(make_mrz(fmt="TD1", document_code="ID"))) == []


def test_icao_specimen_is_flagged() -> None:
    icao = parse_mrz(
        [
            "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
            "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
        ],
        reference_date=REF,
    )
    found = ids(_specimen.run(ctx_for(icao)))
    assert {"specimen.name", "specimen.document_number", "specimen.issuing_state"} <= found
    assert "codes.issuing_state_unknown" not in ids(_codes.run(ctx_for(icao)))


def test_specimen_word_in_name_is_flagged() -> None:
    mrz = make_mrz(surname="SPECIMEN", given_names="TEST")
    assert "specimen.name" in ids(_specimen.run(ctx_for(mrz)))
    assert _specimen.run(ctx_for(make_mrz())) == []


def test_lost_stolen_csv(tmp_path: Path) -> None:
    csv = tmp_path / "lost.csv"
    csv.write_text("document_number,issuing_state\nXP1234567,FIN\nAB0000001,\n")
    listed = load_lost_stolen(csv)
    assert listed == [("XP1234567", "FIN"), ("AB0000001", None)]
    found = {f.id: f for f in _specimen.run(ctx_for(make_mrz(), lost_stolen=listed))}
    assert found["specimen.lost_stolen"].severity is Severity.FAIL
    other_state = [("XP1234567", "SWE")]
    assert "specimen.lost_stolen" not in ids(
        _specimen.run(ctx_for(make_mrz(), lost_stolen=other_state))
    )


def test_lost_stolen_csv_needs_the_column(tmp_path: Path) -> None:
    csv = tmp_path / "lost.csv"
    csv.write_text("number\nX1\n")
    with pytest.raises(ProfileError, match="document_number"):
        load_lost_stolen(csv)


def test_check_document_with_given_mrz_and_no_pixels_checks() -> None:
    prof = Profile.model_validate(
        {
            "name": "text-only",
            "version": "1",
            "checks": {
                k: {"enabled": False} for k in ("viz", "typography", "integrity", "quality")
            },
        }
    )
    img = np.full((400, 600, 3), 230, np.uint8)
    ok = check_document(img, mrz=make_mrz(), profile=prof, reference_date=REF)
    assert ok.verdict is Verdict.CONSISTENT
    assert ok.checks_run == ["check_digits", "dates", "codes", "specimen"]
    bad = check_document(
        img,
        mrz=make_mrz(surname="MUSTERMANN", given_names="ERIKA"),
        profile=prof,
        reference_date=REF,
    )
    assert bad.verdict is Verdict.SUSPICIOUS
    js = bad.to_json(path="x.png")
    assert set(js) == {"path", "verdict", "findings", "mrz"}
    assert js["verdict"] == "suspicious"
    assert all(
        set(f) == {"id", "severity", "message", "evidence", "region"} for f in js["findings"]
    )
    assert js["mrz"]["surname"] == "MUSTERMANN"


def test_uncertain_read_gives_warning_not_fail() -> None:
    lines = list(make_mrz().lines)
    lines[1] = lines[1][:19] + str((int(lines[1][19]) + 1) % 10) + lines[1][20:]
    mrz = parse_mrz(lines, reference_date=REF)
    conf = [[0.99] * 44, [0.99] * 44]
    conf[1][15] = 0.3  # the reader was unsure of a birth-date digit
    by_id = {f.id: f for f in _check_digits.run(ctx_for(mrz, mrz_confidences=conf))}
    assert by_id["mrz.check_digit.birth_date"].severity is Severity.WARNING
    assert by_id["mrz.check_digit.birth_date"].evidence["lowest_confidence"] == 0.3
    sure = {f.id: f for f in _check_digits.run(ctx_for(mrz, mrz_confidences=[[0.99] * 44] * 2))}
    assert sure["mrz.check_digit.birth_date"].severity is Severity.FAIL


def test_profile_severity_override_changes_the_verdict() -> None:
    prof = Profile.model_validate(
        {
            "name": "lenient",
            "version": "1",
            "checks": {
                k: {"enabled": False} for k in ("viz", "typography", "integrity", "quality")
            },
            "severity_overrides": {"specimen.name": "warning"},
        }
    )
    img = np.full((400, 600, 3), 230, np.uint8)
    mrz = make_mrz(surname="MUSTERMANN", given_names="ERIKA")
    report = check_document(img, mrz=mrz, profile=prof, reference_date=REF)
    f = next(f for f in report.findings if f.id == "specimen.name")
    assert f.severity is Severity.WARNING
    assert report.verdict is Verdict.CONSISTENT


def test_generated_samples_carry_no_specimen_values() -> None:
    from misec_rules.samples import load_truth

    root = Path(__file__).resolve().parents[2] / "samples"
    records = [r for d in ("documents", "manipulated") for r in load_truth(root / d)]
    assert records
    for r in records:
        mrz = parse_mrz(r.mrz, reference_date=REF)
        assert _specimen.run(ctx_for(mrz)) == [], r.file


def _bump(line: str, col: int) -> str:
    return line[:col] + str((int(line[col]) + 1) % 10) + line[col + 1 :]


def test_many_failing_checks_of_a_read_mrz_are_a_misread_not_an_edit() -> None:
    lines = list(make_mrz().lines)
    # TD3 line 2: document number digit at 9, birth digit at 19, expiry digit at 27
    broken = _bump(_bump(_bump(lines[1], 9), 19), 27)
    mrz = parse_mrz([lines[0], broken], reference_date=REF)
    sure = [[0.99] * 44, [0.99] * 44]
    found = {f.id: f for f in _check_digits.run(ctx_for(mrz, mrz_confidences=sure))}
    assert {"document_number", "birth_date", "expiry_date"} <= set(
        found["mrz.unreliable"].evidence["failing"]
    )
    assert found["mrz.check_digit.birth_date"].severity is Severity.WARNING
    # an MRZ handed over as text was not misread: each failure is a fail
    given = {f.id: f for f in _check_digits.run(ctx_for(mrz))}
    assert "mrz.unreliable" not in given
    assert given["mrz.check_digit.birth_date"].severity is Severity.FAIL
    # one broken field, read from pixels, is still a fail
    one = parse_mrz([lines[0], _bump(lines[1], 19)], reference_date=REF)
    single = {f.id: f for f in _check_digits.run(ctx_for(one, mrz_confidences=sure))}
    assert "mrz.unreliable" not in single
    assert single["mrz.check_digit.birth_date"].severity is Severity.FAIL


def test_a_read_mostly_unsure_that_fails_a_check_is_a_misread() -> None:
    lines = list(make_mrz().lines)
    mrz = parse_mrz([lines[0], _bump(lines[1], 19)], reference_date=REF)
    # the reader was unsure of a fifth of the characters (and of none in the field)
    conf = [[0.99] * 44, [0.99] * 44]
    for i in range(0, 44, 3):
        conf[0][i] = 0.3
    conf[0][1] = conf[0][2] = conf[0][4] = 0.3
    ctx = ctx_for(mrz, mrz_confidences=conf)
    why = ctx.misread()
    assert why is not None and why["unsure_fraction"] >= 0.15
    found = {f.id: f for f in _check_digits.run(ctx)}
    assert found["mrz.check_digit.birth_date"].severity is Severity.WARNING
    assert "mrz.unreliable" in found
    # the same read with a sure reader: the one failing check is a fail
    sure = ctx_for(mrz, mrz_confidences=[[0.99] * 44, [0.99] * 44])
    assert sure.misread() is None


def test_date_and_code_fails_of_a_misread_mrz_are_warnings() -> None:
    lines = list(make_mrz().lines)
    # birth date 901332 (month 13), an unknown nationality, two field checks broken
    line2 = lines[1][:10] + "JJJ" + "901332" + lines[1][19:]
    line2 = _bump(_bump(line2, 9), 27)
    mrz = parse_mrz([lines[0], line2], reference_date=REF)
    unsure = [[0.99] * 22 + [0.3] * 22, [0.99] * 44]  # unsure of the name, not the fields
    for run in (_dates.run, _codes.run):
        read = run(ctx_for(mrz, mrz_confidences=unsure))
        assert read and all(f.severity is not Severity.FAIL for f in read)
        assert any(f.evidence.get("likely_misread") for f in read)
        given = run(ctx_for(mrz))
        assert any(f.severity is Severity.FAIL for f in given)
