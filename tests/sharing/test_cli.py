"""`misec rules ...`: exit codes and output shapes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from misec_rules.cli.main import app

from .conftest import FIXTURES

runner = CliRunner()
MINI = str(FIXTURES / "mini")
BAD = FIXTURES / "bad"


def decide(request: object, *extra: str, raw: str | None = None) -> tuple[int, str]:
    text = raw if raw is not None else json.dumps(request)
    r = runner.invoke(
        app, ["rules", "decide", "--rulesets", MINI, "--request", "-", *extra], input=text
    )
    return r.exit_code, r.stdout


@pytest.mark.parametrize(
    ("request_", "code", "outcome"),
    [
        (
            {"from": "A", "to": "D", "categories": ["notes"], "purpose": "p1", "at": "2016-01-01"},
            0,
            "required",
        ),
        (
            {
                "from": "A",
                "to": "B",
                "categories": ["identity"],
                "purpose": "p1",
                "at": "2016-01-01",
            },
            0,
            "permitted",
        ),
        (
            {
                "from": "A",
                "to": "B",
                "categories": ["fingerprints"],
                "purpose": "p1",
                "at": "2016-01-01",
            },
            1,
            "prohibited",
        ),
        (
            {"from": "A", "to": "C", "categories": ["notes"], "purpose": "p1", "at": "2016-01-01"},
            1,
            "indeterminate",
        ),
        (
            {"from": "A", "to": "Z", "categories": ["notes"], "purpose": "p1", "at": "2016-01-01"},
            1,
            "not_covered",
        ),
    ],
)
def test_decide_exit_codes_follow_outcome(
    request_: dict[str, object], code: int, outcome: str
) -> None:
    exit_code, out = decide(request_, "--json")
    assert exit_code == code
    assert json.loads(out)["outcome"] == outcome


@pytest.mark.parametrize(
    "raw",
    [
        "not json at all",
        json.dumps({"to": "B", "categories": ["x"], "purpose": "p1"}),
        json.dumps({"from": "A", "categories": ["x"], "purpose": "p1"}),
        json.dumps({"from": "A", "to": "B", "purpose": "p1"}),
        json.dumps({"from": "A", "to": "B", "categories": ["x"]}),
        "[1, 2]",
    ],
)
def test_decide_bad_request_exit_2_with_error_line(raw: str) -> None:
    exit_code, out = decide(None, "--json", raw=raw)
    assert exit_code == 2
    lines = out.strip().splitlines()
    assert len(lines) == 1 and "error" in json.loads(lines[0])


def test_decide_invalid_ruleset_exit_3() -> None:
    r = runner.invoke(
        app,
        ["rules", "decide", "--rulesets", str(BAD / "unknown_agency"), "--request", "-", "--json"],
        input="{}",
    )
    assert r.exit_code == 3
    first = json.loads(r.stdout.splitlines()[0])
    assert first["line"] == 26 and first["at"] == "rules[0].from"


def test_decide_json_lines_one_output_per_request() -> None:
    reqs = [
        {"from": "A", "to": "B", "categories": ["identity"], "purpose": "p1", "at": "2016-01-01"},
        {
            "from": "A",
            "to": "B",
            "categories": ["fingerprints"],
            "purpose": "p1",
            "at": "2016-01-01",
        },
    ]
    exit_code, out = decide(None, "--json", raw="\n".join(json.dumps(q) for q in reqs))
    assert exit_code == 1
    assert [json.loads(x)["outcome"] for x in out.strip().splitlines()] == [
        "permitted",
        "prohibited",
    ]


def test_decide_at_option_overrides_request(tmp_path: Path) -> None:
    req = tmp_path / "r.json"
    req.write_text(
        json.dumps(
            {
                "from": "A",
                "to": "B",
                "categories": ["identity"],
                "purpose": "p1",
                "at": "2016-01-01",
            }
        )
    )
    r = runner.invoke(
        app,
        [
            "rules",
            "decide",
            "--rulesets",
            MINI,
            "--request",
            str(req),
            "--at",
            "2001-01-01",
            "--json",
        ],
    )
    assert r.exit_code == 1 and json.loads(r.stdout)["outcome"] == "not_covered"
    human = runner.invoke(app, ["rules", "decide", "--rulesets", MINI, "--request", str(req)])
    assert human.exit_code == 0 and "PERMITTED" in human.stdout and "fi:" in human.stdout


def test_validate_ok_and_invalid() -> None:
    ok = runner.invoke(app, ["rules", "validate", MINI, "--json"])
    assert ok.exit_code == 0 and json.loads(ok.stdout)["valid"] is True
    bad = runner.invoke(app, ["rules", "validate", str(BAD / "version_overlap")])
    assert bad.exit_code == 3
    assert "versions[1].in_force_from" in bad.output


def test_lint_warns_exit_1_on_conflict() -> None:
    r = runner.invoke(app, ["rules", "lint", MINI, "--json"])
    assert r.exit_code == 1
    kinds = [json.loads(x)["kind"] for x in r.stdout.strip().splitlines()]
    assert "conflict" in kinds
    clean = runner.invoke(app, ["rules", "lint", str(BAD / "good"), "--no-info"])
    assert clean.exit_code == 0


def write_scenarios(folder: Path, outcome: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "s.yaml").write_text(
        "scenarios:\n"
        "  - name: identity to B\n"
        "    date: 2016-01-01\n"
        "    request: {from: A, to: B, categories: [identity], purpose: p1}\n"
        f"    outcome: {outcome}\n"
        "    rules: [a-b-identity]\n",
        encoding="utf-8",
    )


def test_test_command_passes_and_fails(tmp_path: Path) -> None:
    write_scenarios(tmp_path / "ok", "permitted")
    r = runner.invoke(app, ["rules", "test", MINI, "--scenarios", str(tmp_path / "ok")])
    assert r.exit_code == 0, r.output
    assert "1 passed, 0 failed" in r.stdout and "not exercised" in r.stdout
    cov = runner.invoke(
        app, ["rules", "test", MINI, "--scenarios", str(tmp_path / "ok"), "--require-coverage"]
    )
    assert cov.exit_code == 1
    write_scenarios(tmp_path / "bad", "prohibited")
    r = runner.invoke(app, ["rules", "test", MINI, "--scenarios", str(tmp_path / "bad"), "--json"])
    assert r.exit_code == 1
    first = json.loads(r.stdout.splitlines()[0])
    assert first["passed"] is False and "expected `prohibited`" in first["problems"][0]


def test_test_command_rejects_bad_scenario_file(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(
        "scenarios:\n  - name: x\n    dat: 2016-01-01\n", encoding="utf-8"
    )
    r = runner.invoke(app, ["rules", "test", MINI, "--scenarios", str(tmp_path)])
    assert r.exit_code == 3
    assert "unknown key `dat`" in r.output and "s.yaml:3" in r.output


def test_diff_lists_rule_changes() -> None:
    r = runner.invoke(app, ["rules", "diff", MINI, "2005-01-01", "mini@2015-01-01", "--json"])
    assert r.exit_code == 0
    out = json.loads(r.stdout)
    assert {c["rule"] for c in out["rules"] if c["change"] == "added"} == {
        "fingerprints-b-case",
        "a-b-secret-proactive",
        "a-b-age",
    }
    missing = runner.invoke(app, ["rules", "diff", MINI, "2005-01-01", "1999-01-01"])
    assert missing.exit_code == 2


def test_matrix_text_json_and_html(tmp_path: Path) -> None:
    html = tmp_path / "m.html"
    r = runner.invoke(
        app,
        ["rules", "matrix", MINI, "--at", "2016-01-01", "--category", "notes", "--html", str(html)],
    )
    assert r.exit_code == 0
    row_a = next(line for line in r.stdout.splitlines() if line.startswith("A "))
    assert row_a.split()[1:] == ["-", "*", "!", "R"]
    page = html.read_text(encoding="utf-8")
    assert "<table>" in page and "a-cd-notes-must" in page
    j = runner.invoke(app, ["rules", "matrix", MINI, "--at", "2016-01-01", "--json"])
    cells = {(c["from"], c["to"]): c for c in json.loads(j.stdout)["cells"]}
    assert cells[("A", "D")]["symbol"].startswith("R")
    bad = runner.invoke(app, ["rules", "matrix", MINI, "--at", "2016-01-01", "--category", "nope"])
    assert bad.exit_code == 2


def test_schema_prints_json_schema() -> None:
    r = runner.invoke(app, ["rules", "schema"])
    assert r.exit_code == 0
    schema = json.loads(r.stdout)
    rule = schema["$defs"]["RuleSpec"]
    assert "from" in rule["properties"] and rule["additionalProperties"] is False
    scen = json.loads(runner.invoke(app, ["rules", "schema", "--kind", "scenarios"]).stdout)
    assert "scenarios" in scen["properties"]
    assert runner.invoke(app, ["rules", "schema", "--kind", "nope"]).exit_code == 2
