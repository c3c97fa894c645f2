"""`misec check`: JSON lines, exit codes, HTML report, bad inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from misec_rules.cli.main import app
from misec_rules.samples import load_truth

REPO = Path(__file__).resolve().parents[2]
SET = REPO / "samples" / "manipulated"
runner = CliRunner()


def _file(manipulation: str | None) -> Path:
    rec = next(r for r in load_truth(SET) if r.manipulation == manipulation)
    return SET / rec.file


def test_committed_set_is_labelled() -> None:
    records = load_truth(SET)
    labels = {r.manipulation for r in records}
    assert labels == {
        None,
        "viz_digits",
        "mrz_recomputed",
        "portrait_swap",
        "copy_move",
        "screen_recapture",
        "grey_copy",
        "jpeg_edit",
    }
    for r in records:
        assert (SET / r.file).is_file()
        assert "ERIKSSON" not in r.mrz[0] + r.mrz[-1]


def test_unreadable_file_exits_2_with_json_error(tmp_path: Path) -> None:
    bad = tmp_path / "x.jpg"
    bad.write_bytes(b"not a picture")
    result = runner.invoke(app, ["check", str(bad), "--json"])
    assert result.exit_code == 2
    line = json.loads(result.stdout.strip())
    assert line["path"] == str(bad)
    assert "error" in line


def test_bad_profile_exits_2_naming_the_field(tmp_path: Path) -> None:
    prof = tmp_path / "p.yaml"
    prof.write_text("name: p\nversion: '1'\nchecks:\n  quality:\n    min_width_px: -1\n")
    result = runner.invoke(app, ["check", str(_file(None)), "--profile", str(prof), "--json"])
    assert result.exit_code == 2
    assert "checks.quality.min_width_px" in json.loads(result.stdout)["error"]


def test_bad_reference_date_exits_2() -> None:
    result = runner.invoke(app, ["check", str(_file(None)), "--reference-date", "tomorrow"])
    assert result.exit_code == 2


@pytest.mark.slow
def test_json_lines_verdicts_and_html(tmp_path: Path) -> None:
    genuine, changed = _file(None), _file("viz_digits")
    out = tmp_path / "report.html"
    lost = tmp_path / "lost.csv"
    lost.write_text("document_number\nNOSUCHDOC1\n")
    result = runner.invoke(
        app,
        [
            "check",
            str(genuine),
            str(changed),
            "--json",
            "--html",
            str(out),
            "--reference-date",
            "2026-11-27",
            "--lost-stolen",
            str(lost),
        ],
    )
    lines = [json.loads(x) for x in result.stdout.strip().splitlines()]
    assert [x["path"] for x in lines] == [str(genuine), str(changed)]
    assert all(set(x) == {"path", "verdict", "findings", "mrz"} for x in lines)
    assert lines[1]["verdict"] == "suspicious"
    assert any(f["id"].startswith("viz.") and f["severity"] == "fail" for f in lines[1]["findings"])
    assert result.exit_code == 1
    html = out.read_text(encoding="utf-8")
    assert html.count("<section>") == 2
    assert "viz." in html
