"""`misec mrz parse`: output, JSON Lines and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from misec_rules.cli.main import app

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "mrz"
runner = CliRunner()


def _run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, ["mrz", "parse", *args], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_valid_file_json_exit_0() -> None:
    code, out, _err = _run(
        str(SAMPLES / "td3_specimen.txt"), "--json", "--reference-date", "2010-01-01"
    )
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 1
    obj = json.loads(lines[0])
    assert obj["valid"] is True
    assert obj["format"] == "TD3"
    assert obj["birth_date"] == "1974-08-12"
    assert obj["expiry_date"] == "2012-04-15"
    assert obj["checks"]["composite"] is True


def test_failing_check_exit_1() -> None:
    code, out, _err = _run(str(SAMPLES / "td3_failing_check.txt"), "--json")
    assert code == 1
    obj = json.loads(out)
    assert obj["valid"] is False
    assert obj["checks"]["birth_date"] is False


def test_stdin_dash_and_default() -> None:
    text = (SAMPLES / "td1_specimen.txt").read_text()
    for args in (["-"], []):
        code, out, _err = _run(*args, "--json", stdin="\n  " + text + "\n\n")
        assert code == 0
        assert json.loads(out)["format"] == "TD1"


def test_unreadable_input_exit_2_with_error_line() -> None:
    code, out, _err = _run("-", "--json", stdin="hello world\n")
    assert code == 2
    obj = json.loads(out)
    assert set(obj) == {"error"}
    assert "expected 2 or 3 mrz lines" in obj["error"]


def test_missing_file_exit_2_names_path() -> None:
    code, out, _err = _run("/no/such/file.txt", "--json")
    assert code == 2
    obj = json.loads(out)
    assert obj["path"] == "/no/such/file.txt"
    assert obj["error"].startswith("cannot read")


def test_not_utf8_exit_2(tmp_path: Path) -> None:
    p = tmp_path / "x.txt"
    p.write_bytes(b"\xff\xfe\x00junk")
    code, out, _err = _run(str(p), "--json")
    assert code == 2
    assert "utf-8" in json.loads(out)["error"]


def test_bad_reference_date_exit_2() -> None:
    code, out, _err = _run(str(SAMPLES / "td3_specimen.txt"), "--json", "--reference-date", "x")
    assert code == 2
    assert "--reference-date" in json.loads(out)["error"]


def test_invalid_character_error_names_position() -> None:
    text = (SAMPLES / "td3_specimen.txt").read_text().replace("ANNA", "AnNA")
    code, out, _err = _run("-", "--json", stdin=text)
    assert code == 2
    assert "line 1, column 17" in json.loads(out)["error"]


def test_human_table() -> None:
    code, out, err = _run(str(SAMPLES / "td3_germany_d.txt"), "--reference-date", "2026-01-01")
    assert code == 0
    assert "MUSTERMANN" in out
    assert "issuing state" in out
    assert "valid" in out
    code, out, err = _run("-", stdin="nonsense")
    assert code == 2
    assert out == ""
    assert err.startswith("error:")


def test_repair_option() -> None:
    path = str(SAMPLES / "td3_ocr_read.txt")
    code, out, _err = _run(path, "--json", "--reference-date", "2026-01-01")
    assert code == 1
    code, out, _err = _run(path, "--json", "--repair", "--reference-date", "2026-01-01")
    assert code == 0
    obj = json.loads(out)
    assert obj["repairs"]
    assert obj["birth_date"] == "1980-06-30"
    assert "repair_name_uncertain" in [w["code"] for w in obj["warnings"]]


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.txt")), ids=lambda p: p.name)
def test_every_sample_parses_with_expected_outcome(path: Path) -> None:
    """Each sample shows what its name says (see samples/mrz/README.md)."""
    code, out, _err = _run(str(path), "--json", "--reference-date", "2026-01-01")
    obj = json.loads(out)
    codes = {w["code"] for w in obj["warnings"]}
    name = path.stem
    expected_exit = 1 if name in ("td3_failing_check", "td3_ocr_read") else 0
    assert code == expected_exit
    assert obj["format"] == name.split("_")[0].upper()
    if "specimen" in name:
        assert obj["surname"] == "ERIKSSON"
        assert obj["given_names"] == "ANNA MARIA"
    if name == "td3_germany_d":
        assert (obj["issuing_state"], obj["nationality"]) == ("D", "D")
        assert not codes
    if name == "td1_long_document_number":
        assert len(obj["document_number"]) > 9
    if name == "td3_unknown_birth_date":
        assert obj["birth_date"] is None
        assert "birth_date_partly_unknown" in codes
    if name == "td3_refugee_sex_x":
        assert (obj["sex"], obj["nationality"]) == ("X", "XXB")
    if name in ("td2_un_laissez_passer", "mrvb_kosovo"):
        assert not codes & {"unknown_issuing_state", "unknown_nationality"}
    if name == "td3_truncated_name":
        assert "name_possibly_truncated" in codes
    if name == "td3_unknown_state":
        assert {"unknown_issuing_state", "unknown_nationality"} <= codes
