"""`misec demo` runs the main job end to end and says where the report is."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from misec_rules.cli.main import app


@pytest.mark.slow
def test_demo_on_a_small_copy_of_the_samples(repo_root: Path, tmp_path: Path) -> None:
    samples = tmp_path / "samples"
    (samples / "mrz").mkdir(parents=True)
    (samples / "documents").mkdir()
    shutil.copy(repo_root / "samples/mrz/td3_germany_d.txt", samples / "mrz")
    shutil.copy(repo_root / "samples/mrz/td3_failing_check.txt", samples / "mrz")
    image = sorted((repo_root / "samples/documents").glob("*_td3_passport_none.jpg"))[0]
    shutil.copy(image, samples / "documents")
    out = tmp_path / "out"
    out.mkdir()
    (out / "results.jsonl").write_text("stale\n")  # a previous run's output is replaced

    args = ["demo", "--samples", str(samples), "--rulesets", str(repo_root / "rulesets/fi")]
    result = CliRunner().invoke(app, [*args, "--out", str(out), "--workers", "1"])

    assert result.exit_code == 0, result.output
    assert "td3_failing_check.txt" in result.output
    assert f"report: {out / 'report.html'}" in result.output.replace("\n", "")
    assert (out / "report.html").is_file()
    records = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert len(records) == 1
    assert records[0]["decision"]["outcome"] in {"permitted", "required"}


def test_demo_without_samples_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo", "--samples", str(tmp_path / "none")])
    assert result.exit_code == 2
    assert "not found" in result.output
