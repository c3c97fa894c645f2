"""`misec samples generate`."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from misec_rules.cli.main import app
from misec_rules.samples import load_truth


def test_cli_generate(tmp_path: Path) -> None:
    out = tmp_path / "set"
    result = CliRunner().invoke(
        app,
        ["samples", "generate", "--out", str(out), "--count", "2", "--seed", "9",
         "--kinds", "td1_id,mrvb_visa", "--degradations", "none,jpeg", "--image-format", "jpg",
         "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    records = load_truth(out)
    assert [r.kind for r in records] == ["td1_id", "mrvb_visa"]
    assert [r.degradation for r in records] == [None, "jpeg"]
    assert all((out / r.file).is_file() and r.file.endswith(".jpg") for r in records)
    printed = [json.loads(x) for x in result.stdout.splitlines()]
    assert [p["file"] for p in printed] == [r.file for r in records]


def test_cli_bad_kind_is_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "samples",
            "generate",
            "--out",
            str(tmp_path),
            "--count",
            "1",
            "--kinds",
            "scroll",
            "--json",
        ],
    )
    assert result.exit_code == 2
    assert "scroll" in json.loads(result.stdout)["error"]


def test_cli_out_that_is_a_file_says_so_in_words(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x", encoding="utf-8")
    runner = CliRunner()
    res = runner.invoke(
        app, ["samples", "generate", "--out", str(target), "--count", "1", "--json"]
    )
    assert res.exit_code == 2
    (line,) = res.stdout.splitlines()
    assert json.loads(line) == {
        "error": f"cannot write to `{target}`: is a file, not a folder",
        "path": str(target),
    }
    res = runner.invoke(app, ["samples", "generate", "--out", str(target / "sub"), "--count", "1"])
    assert res.exit_code == 2
    assert res.stderr.strip() == (
        f"error: cannot write to `{target / 'sub'}`: a part of the path is a file, not a folder"
    )
