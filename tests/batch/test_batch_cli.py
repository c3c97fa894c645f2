"""`misec batch`: exit codes, --json output, and the real pipeline on two committed samples."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from batch_procs import make_docs
from typer.testing import CliRunner

from misec_rules.cli.main import app

REPO = Path(__file__).resolve().parents[2]
REQUEST = REPO / "src" / "misec_rules" / "batch" / "examples" / "request-rvl-migri.json"


def _invoke(*args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(app, ["batch", *args])
    return res.exit_code, res.stdout, res.stderr


def test_missing_input_is_bad_usage_with_a_json_error(tmp_path: Path) -> None:
    code, out, _ = _invoke(str(tmp_path / "nope"), "-o", str(tmp_path / "out"), "--json")
    assert code == 2
    lines = out.splitlines()
    assert len(lines) == 1
    obj = json.loads(lines[0])
    assert "does not exist" in obj["error"] and obj["path"] == str(tmp_path / "nope")


def test_rulesets_without_request_is_bad_usage(tmp_path: Path) -> None:
    make_docs(tmp_path / "in", 1)
    code, _, err = _invoke(
        str(tmp_path / "in"),
        "-o",
        str(tmp_path / "out"),
        "--rulesets",
        str(REPO / "rulesets" / "fi"),
    )
    assert code == 2 and "give both or neither" in err


def test_invalid_ruleset_exits_3(tmp_path: Path) -> None:
    make_docs(tmp_path / "in", 1)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "ruleset.yaml").write_text("ruleset: [unclosed\n", encoding="utf-8")
    code, out, _ = _invoke(str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--rulesets", str(bad),
                           "--request", str(REQUEST), "--json")  # fmt: skip
    assert code == 3 and "error" in json.loads(out)


def test_request_that_is_not_json_is_bad_usage(tmp_path: Path) -> None:
    make_docs(tmp_path / "in", 1)
    req = tmp_path / "req.json"
    req.write_text("{nope", encoding="utf-8")
    code, _, err = _invoke(str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--rulesets",
                           str(REPO / "rulesets" / "fi"), "--request", str(req))  # fmt: skip
    assert code == 2 and "is not json" in err


@pytest.mark.slow
def test_real_pipeline_on_two_samples_with_a_decision(tmp_path: Path) -> None:
    samples = REPO / "samples" / "documents"
    picked = (
        sorted(samples.glob("*_td3_passport_none.*"))[:1] + sorted(samples.glob("*_td1_id_*"))[:1]
    )
    assert len(picked) == 2
    inp = tmp_path / "in"
    inp.mkdir()
    for p in picked:
        shutil.copy(p, inp / p.name)
    args = [str(inp), "-o", str(tmp_path / "out"), "--workers", "2", "--rulesets",
            str(REPO / "rulesets" / "fi"), "--request", str(REQUEST), "--json"]  # fmt: skip
    code, out, _ = _invoke(*args)
    lines = out.splitlines()
    assert len(lines) == 1, out
    summary = json.loads(lines[0])
    assert summary["documents"] == summary["processed"] == 2
    assert code == (
        0 if set(summary["verdicts"]) == {"consistent"} and not summary["errors"] else 1
    )
    recs = [json.loads(x) for x in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    assert {r["path"] for r in recs} == {p.name for p in picked}
    for r in recs:
        assert r["error"] is None, r["error"]
        assert r["verdict"] in {"consistent", "suspicious", "insufficient_quality", "unreadable"}
        assert r["decision"]["outcome"] in {
            "permitted",
            "required",
            "prohibited",
            "not_covered",
            "indeterminate",
        }
        assert isinstance(r["findings"], list)
    assert sum(summary["decisions"].values()) == 2
    # resume on a finished batch does nothing new and keeps every record
    code2, out2, _ = _invoke(*args, "--resume")
    again = json.loads(out2.splitlines()[0])
    assert (again["processed"], again["skipped"]) == (0, 2)
    assert code2 == code
