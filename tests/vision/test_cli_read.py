"""`misec mrz read`: JSON Lines shape and exit codes 0 / 1 / 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from typer.testing import CliRunner

from misec_rules.cli.main import app

from .conftest import TD3_BAD_CHECK, TD3_SPEC, render_mrz_page

runner = CliRunner()


def _lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_valid_mrz_exits_0_with_one_json_line(write_png: Any) -> None:
    p = write_png("good.png", render_mrz_page(TD3_SPEC))
    res = runner.invoke(app, ["mrz", "read", str(p), "--json", "--engine", "ocrb"])
    assert res.exit_code == 0, res.output
    (obj,) = _lines(res.stdout)
    assert set(obj) == {"path", "ok", "mrz", "error", "seconds"}
    assert obj["path"] == str(p)
    assert obj["ok"] is True and obj["error"] is None
    assert obj["mrz"]["valid"] is True
    assert obj["mrz"]["lines"] == TD3_SPEC
    assert isinstance(obj["seconds"], float)


def test_failed_check_and_no_mrz_exit_1(write_png: Any) -> None:
    bad = write_png("bad.png", render_mrz_page(TD3_BAD_CHECK))
    blank = write_png("blank.png", np.full((500, 700, 3), 240, dtype=np.uint8))
    res = runner.invoke(app, ["mrz", "read", str(bad), str(blank), "--json"])
    assert res.exit_code == 1, res.output
    first, second = _lines(res.stdout)
    assert first["ok"] is True and first["mrz"]["valid"] is False
    assert second["ok"] is False and second["mrz"] is None and "no mrz" in second["error"]


def test_unreadable_input_exits_2_and_names_the_file(tmp_path: Path, write_png: Any) -> None:
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    good = write_png("good.png", render_mrz_page(TD3_SPEC))
    res = runner.invoke(app, ["mrz", "read", str(empty), str(good), "--json"])
    assert res.exit_code == 2, res.output
    first, second = _lines(res.stdout)
    assert first["path"] == str(empty)
    assert set(first) == {"error", "path"}
    assert "empty" in first["error"]
    assert second["ok"] is True  # the other inputs are still read


def test_human_output_and_debug_folder(tmp_path: Path, write_png: Any) -> None:
    p = write_png("good.png", render_mrz_page(TD3_SPEC))
    dbg = tmp_path / "dbg"
    res = runner.invoke(app, ["mrz", "read", str(p), "--debug", str(dbg), "--engine", "ocrb"])
    assert res.exit_code == 0, res.output
    assert "TD3 valid" in res.stdout
    assert TD3_SPEC[1] in res.stdout
    assert (dbg / "03_bands.png").exists() and (dbg / "reading.json").exists()


def test_unknown_engine_is_usage_error(write_png: Any) -> None:
    p = write_png("good.png", render_mrz_page(TD3_SPEC))
    res = runner.invoke(app, ["mrz", "read", str(p), "--json", "--engine", "nope"])
    assert res.exit_code == 2
    (obj,) = _lines(res.stdout)
    assert "unknown engine" in obj["error"]


def test_debug_path_that_is_a_file_is_usage_error_before_any_read(
    tmp_path: Path, write_png: Any
) -> None:
    p = write_png("good.png", render_mrz_page(TD3_SPEC))
    taken = tmp_path / "taken.txt"
    taken.write_text("x")
    res = runner.invoke(app, ["mrz", "read", str(p), "--json", "--debug", str(taken)])
    assert res.exit_code == 2, res.output
    (obj,) = _lines(res.stdout)
    assert set(obj) == {"error"}
    assert "not a directory" in obj["error"] and str(taken) in obj["error"]
    assert taken.read_text() == "x"


def test_debug_with_several_images_writes_one_sub_folder_each(
    tmp_path: Path, write_png: Any
) -> None:
    a = write_png("a.png", render_mrz_page(TD3_SPEC))
    b = write_png("b.png", render_mrz_page(TD3_SPEC))
    dbg = tmp_path / "dbg"
    res = runner.invoke(
        app, ["mrz", "read", str(a), str(b), "--json", "--engine", "ocrb", "--debug", str(dbg)]
    )
    assert res.exit_code == 0, res.output
    assert sorted(x.name for x in dbg.iterdir()) == ["001_a", "002_b"]
    assert (dbg / "002_b" / "reading.json").exists()


def test_help_says_where_debug_images_go() -> None:
    res = runner.invoke(app, ["mrz", "read", "--help"], env={"COLUMNS": "200"})
    assert res.exit_code == 0
    text = " ".join(res.stdout.split())
    assert "into DIR itself for one image" in text
    assert "no MRZ is found" in text
