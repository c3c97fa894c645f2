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
    (only,) = [json.loads(x) for x in r.stdout.splitlines()]
    assert only["valid"] is False and only["path"].endswith("unknown_agency")
    (err,) = only["errors"]
    assert err["line"] == 26 and err["at"] == "rules[0].from"
    assert err["file"].endswith("unknown_agency/ruleset.yaml")


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
    (only,) = [json.loads(x) for x in r.stdout.strip().splitlines()]
    kinds = [f["kind"] for f in only["findings"]]
    assert "conflict" in kinds and only["warnings"] >= 1 and only["path"].endswith("mini")
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
    assert r.exit_code == 2  # bad input: the ruleset itself is valid
    assert "unknown key `dat`" in r.output and "s.yaml:3" in r.output
    j = runner.invoke(app, ["rules", "test", MINI, "--scenarios", str(tmp_path), "--json"])
    assert j.exit_code == 2
    (only,) = [json.loads(x) for x in j.stdout.splitlines()]
    assert only["path"].endswith("s.yaml") and "scenario file rejected" in only["error"]
    assert any(e["error"] == "unknown key `dat`" for e in only["errors"])


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


# --- review fixes -------------------------------------------------------------

GOOD_REQ = {"from": "A", "to": "B", "categories": ["identity"], "purpose": "p1", "at": "2016-01-01"}


def test_matrix_unwritable_html_is_one_line_exit_2(tmp_path: Path) -> None:
    for target in (tmp_path / "no" / "x.html", tmp_path):
        r = runner.invoke(
            app,
            ["rules", "matrix", MINI, "--at", "2016-01-01", "--html", str(target), "--json"],
        )
        assert r.exit_code == 2, r.output
        assert r.exception is None or isinstance(r.exception, SystemExit)
        (only,) = [json.loads(x) for x in r.stdout.splitlines()]
        assert only["error"].startswith("cannot write `--html` file") and only["path"]
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_matrix_bad_date_names_the_option() -> None:
    r = runner.invoke(app, ["rules", "matrix", MINI, "--at", "soon", "--json"])
    assert r.exit_code == 2
    assert json.loads(r.stdout)["error"].startswith("`--at` must be")


def test_matrix_parent_category_sums_up_its_children() -> None:
    def row(category: str) -> list[str]:
        r = runner.invoke(
            app, ["rules", "matrix", MINI, "--at", "2016-01-01", "--category", category]
        )
        assert r.exit_code == 0, r.output
        line = next(x for x in r.stdout.splitlines() if x.startswith("B "))
        return line.split()[1:]

    # B -> A: nothing on biometrics itself, but fingerprints are prohibited everywhere
    assert row("fingerprints")[0] == "X"
    assert row("biometrics")[0] == "X~"
    j = runner.invoke(
        app, ["rules", "matrix", MINI, "--at", "2016-01-01", "--category", "biometrics", "--json"]
    )
    grid = json.loads(j.stdout)
    assert grid["categories"] == ["biometrics", "fingerprints", "facial_image"]
    cell = next(c for c in grid["cells"] if (c["from"], c["to"]) == ("B", "A"))
    assert cell["children_differ"] is True
    assert {t[0] for t in cell["outcomes"]["prohibited"]} == {"fingerprints"}


def test_decide_json_lines_keeps_going_past_a_bad_line(tmp_path: Path) -> None:
    bad = {k: v for k, v in GOOD_REQ.items() if k != "from"}
    deny = {**GOOD_REQ, "categories": ["fingerprints"]}
    src = tmp_path / "mixed.jsonl"
    src.write_text(
        "\n".join([json.dumps(GOOD_REQ), json.dumps(bad), "{nope", json.dumps(deny)]) + "\n",
        encoding="utf-8",
    )
    r = runner.invoke(app, ["rules", "decide", "--rulesets", MINI, "--request", str(src), "--json"])
    out = [json.loads(x) for x in r.stdout.splitlines()]
    assert len(out) == 4
    assert out[0]["outcome"] == "permitted" and out[3]["outcome"] == "prohibited"
    assert out[1] == {"error": "line 2: request lacks `from`", "path": str(src)}
    assert out[2]["error"].startswith("line 3: request is not json")
    assert r.exit_code == 2  # the worst: an unreadable line


def test_decide_exit_code_is_the_worst_line() -> None:
    deny = {**GOOD_REQ, "categories": ["fingerprints"]}
    code, out = decide(None, "--json", raw=json.dumps(GOOD_REQ) + "\n" + json.dumps(GOOD_REQ))
    assert code == 0 and len(out.splitlines()) == 2
    code, _ = decide(None, "--json", raw=json.dumps(GOOD_REQ) + "\n" + json.dumps(deny))
    assert code == 1


def test_decide_stdin_errors_carry_path_dash() -> None:
    code, out = decide(None, "--json", raw=json.dumps({"to": "B"}))
    assert code == 2
    assert json.loads(out) == {"error": "line 1: request lacks `from`", "path": "-"}


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda p: p.write_bytes(b'{"from": "\xff"}'), "not utf-8 text"),
        (lambda p: p.mkdir(), "is a folder"),
        (lambda p: None, "no such file"),
    ],
)
def test_decide_unreadable_request_says_why(tmp_path: Path, make: object, words: str) -> None:
    target = tmp_path / "req.json"
    make(target)  # type: ignore[operator]
    r = runner.invoke(
        app, ["rules", "decide", "--rulesets", MINI, "--request", str(target), "--json"]
    )
    assert r.exit_code == 2
    err = json.loads(r.stdout)
    assert err["path"] == str(target) and words in err["error"]
    assert "error" not in err["error"]  # no exception class name


def test_decide_categories_must_be_a_list() -> None:
    code, out = decide({**GOOD_REQ, "categories": "identity"}, "--json")
    assert code == 2
    assert "`categories` must be a non-empty list" in json.loads(out)["error"]


def test_route_names_the_recipient_whenever_it_is_known() -> None:
    def route(**change: object) -> object:
        _, out = decide({**GOOD_REQ, **change}, "--json")
        return json.loads(out)["route"]

    known = route()
    assert isinstance(known, dict) and known["agency"] == "B"
    assert route(purpose="nope") == known  # unknown purpose, known recipient
    assert route(**{"from": "NOPE"}) == known  # unknown holder, known recipient
    assert route(categories=["nope"]) == known  # unknown category
    assert route(to="NOPE") is None  # unknown recipient


def test_missing_rulesets_folder_is_bad_input_exit_2(tmp_path: Path) -> None:
    r = runner.invoke(
        app,
        ["rules", "decide", "--rulesets", str(tmp_path / "no"), "--request", "-", "--json"],
        input=json.dumps(GOOD_REQ),
    )
    assert r.exit_code == 2
    only = json.loads(r.stdout)
    assert only["error"] == "no such file or folder" and only["valid"] is False
    assert runner.invoke(app, ["rules", "validate", str(tmp_path)]).exit_code == 2


def test_validate_json_one_object_per_folder() -> None:
    r = runner.invoke(
        app, ["rules", "validate", MINI, str(BAD / "exception_cycle"), str(BAD / "good"), "--json"]
    )
    assert r.exit_code == 3
    out = [json.loads(x) for x in r.stdout.splitlines()]
    assert [o["valid"] for o in out] == [True, False, True]
    assert out[0]["errors"] == [] and out[0]["ruleset"] == "mini"
    assert out[1]["path"].endswith("exception_cycle") and out[1]["errors"]
    assert all({"error", "file", "line", "at"} <= set(e) for e in out[1]["errors"])


def test_lint_json_one_object_per_folder() -> None:
    r = runner.invoke(app, ["rules", "lint", MINI, str(BAD / "good"), "--no-info", "--json"])
    out = [json.loads(x) for x in r.stdout.splitlines()]
    assert [o["path"].rsplit("/", 1)[-1] for o in out] == ["mini", "good"]
    assert out[1]["findings"] == [] and out[0]["findings"]
    assert r.exit_code == 1
