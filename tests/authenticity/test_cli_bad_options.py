"""`misec check` refuses unusable options up front, in one line, without a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from misec_rules.cli.main import app

SAMPLE = "samples/manipulated/0000_td3_passport_none.jpg"


def _run(repo_root: Path, *args: str) -> tuple[int, list[dict[str, object]]]:
    result = CliRunner().invoke(app, ["check", str(repo_root / SAMPLE), *args, "--json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, [json.loads(line) for line in result.stdout.splitlines()]


@pytest.mark.parametrize("option", ["--profile", "--lost-stolen"])
def test_undecodable_option_file_is_one_error_line(
    option: str, repo_root: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"\xff\xfe\xd5\x00garbage")
    code, lines = _run(repo_root, option, str(bad))
    assert code == 2
    assert len(lines) == 1
    assert "not utf-8 text" in str(lines[0]["error"])
    assert str(bad) in str(lines[0]["error"])


@pytest.mark.parametrize("where", ["missing-folder", "a-folder"])
def test_unwritable_html_path_fails_before_any_work(
    where: str, repo_root: Path, tmp_path: Path
) -> None:
    target = tmp_path / "nope" / "r.html" if where == "missing-folder" else tmp_path
    code, lines = _run(repo_root, "--html", str(target))
    assert code == 2
    assert len(lines) == 1  # no report line: nothing was checked first
    assert "cannot write `--html` report" in str(lines[0]["error"])


def test_a_folder_given_as_image_names_the_reason(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["check", str(tmp_path), "--json"])
    assert result.exit_code == 2
    line = json.loads(result.stdout)
    assert line["path"] == str(tmp_path)
    assert "is a folder" in line["error"]
