"""Lint, diff, scenarios and the public names of misec_rules.sharing."""

from __future__ import annotations

from pathlib import Path

import misec_rules.sharing as sharing
from misec_rules.sharing import RulesetRegistry, load_rulesets
from misec_rules.sharing._diff import diff_versions
from misec_rules.sharing._lint import lint_rulesets
from misec_rules.sharing._scenarios import load_scenarios, run_scenarios

from .conftest import FI, FIXTURES

GOOD = (FIXTURES / "bad" / "good" / "ruleset.yaml").read_text(encoding="utf-8")


def with_rules(tmp_path: Path, extra: str, *, base: str = GOOD) -> RulesetRegistry:
    (tmp_path / "ruleset.yaml").write_text(base, encoding="utf-8")
    (tmp_path / "rules").mkdir(exist_ok=True)
    (tmp_path / "rules" / "x.yaml").write_text("rules:\n" + extra, encoding="utf-8")
    return load_rulesets(tmp_path)


RULE = """  - id: {id}
    modality: {modality}
    from: {src}
    to: B
    categories: [{cat}]
    purposes: [p1]
    legal_basis: [{source}]
    in_force_from: {start}
"""


def rule(**kw: str) -> str:
    values = {
        "id": "x",
        "modality": "may_share",
        "src": "A",
        "cat": "identity",
        "source": "s1",
        "start": "2010-01-01",
    }
    values.update(kw)
    return RULE.format(**values)


def kinds(reg: RulesetRegistry) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in lint_rulesets(reg):
        out.setdefault(f.kind, []).append(f.message)
    return out


def test_lint_shadowed_rule(tmp_path: Path) -> None:
    # r2 forbids fingerprints A,B -> B; a may_share of fingerprints from A can never decide
    reg = with_rules(tmp_path, rule(id="never", cat="fingerprints"))
    found = kinds(reg)
    assert any("`never` never decides anything" in m for m in found["shadowed"])
    assert any("`never`" in m for m in found["override"])


def test_lint_rule_in_no_version(tmp_path: Path) -> None:
    reg = with_rules(tmp_path, rule(id="old", start="2001-01-01") + "    in_force_to: 2002-01-01\n")
    assert any("`old` is in force in no version" in m for m in kinds(reg)["shadowed"])


def test_lint_source_not_in_force(tmp_path: Path) -> None:
    base = GOOD.replace(
        "sources:\n",
        'sources:\n  late: {act: "9/2012", title: Late, section: "9 §", in_force_from: 2012-01-01}\n',
    )
    reg = with_rules(tmp_path, rule(id="early", source="late"), base=base)
    assert any("`early` cites `late`" in m for m in kinds(reg)["source_not_in_force"])


def test_lint_conflict_and_mid_version(tmp_path: Path) -> None:
    reg = with_rules(
        tmp_path, rule(id="must", modality="must_share", cat="fingerprints", start="2012-03-01")
    )
    found = kinds(reg)
    assert any("`must`" in m and "`r2`" in m for m in found["conflict"])
    assert any("2012-03-01" in m for m in found["mid_version"])


def test_lint_exception_silences_conflict(tmp_path: Path) -> None:
    reg = with_rules(
        tmp_path,
        rule(id="must", modality="must_share", cat="fingerprints") + "    exception_to: [r2]\n",
    )
    assert "conflict" not in kinds(reg)
    d = reg.decide(
        {
            "from": "A",
            "to": "B",
            "categories": ["fingerprints"],
            "purpose": "p1",
            "at": "2016-01-01",
        }
    )
    assert d.outcome == "required" and d.per_category[0].overridden == ("r2",)


def test_lint_gaps_listed(tmp_path: Path) -> None:
    reg = with_rules(tmp_path, rule(id="only"))
    gaps = " ".join(kinds(reg)["gap"])
    assert "B->A" in gaps and "biometrics" in gaps


def test_diff_changed_fields_and_scenario_impact(tmp_path: Path) -> None:
    reg = with_rules(
        tmp_path,
        rule(id="v1")
        + "    in_force_to: 2014-12-31\n"
        + rule(id="v1-prohibit", modality="must_not_share", start="2015-01-01"),
    )
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "s.yaml").write_text(
        "scenarios:\n  - name: identity\n    date: 2012-01-01\n"
        "    request: {from: A, to: B, categories: [identity], purpose: p1}\n    outcome: permitted\n",
        encoding="utf-8",
    )
    scenarios = load_scenarios(tmp_path / "tests")
    diff = diff_versions(reg, "2010-01-01", "2015-01-01", scenarios=scenarios)
    changes = {c.rule: c.change for c in diff.rules}
    assert changes == {"v1": "removed", "v1-prohibit": "added"}
    (moved,) = diff.scenarios
    assert (moved.old_outcome, moved.new_outcome) == ("permitted", "prohibited")
    assert run_scenarios(reg, scenarios).passed


def test_diff_reports_changed_fields_on_fi() -> None:
    reg = load_rulesets(FI)
    diff = diff_versions(reg, "2019-06-01", "2020-09-01")
    added = {c.rule for c in diff.rules if c.change == "added"}
    removed = {c.rule for c in diff.rules if c.change == "removed"}
    assert "supo-migri-assessment" in added and "supo-migri-assessment-2019" in removed
    assert "fingerprints-general-exclusion" in added


def test_public_names_are_pinned() -> None:
    assert sorted(sharing.__all__) == sorted(
        [
            "OUTCOMES",
            "CategoryDecision",
            "Decision",
            "LegalReference",
            "LintFinding",
            "Matrix",
            "Route",
            "Rule",
            "RulesetLoadError",
            "RulesetNotFoundError",
            "RulesetRegistry",
            "RulesetVersion",
            "SharingRequest",
            "TestReport",
            "VersionDiff",
            "build_matrix",
            "compile_condition",
            "diff_versions",
            "lint_rulesets",
            "load_rulesets",
            "load_scenarios",
            "render_matrix_html",
            "ruleset_json_schema",
            "run_scenarios",
        ]
    )
    for name in sharing.__all__:
        assert getattr(sharing, name) is not None


EXAMPLES = FI.parent / "examples"


def test_tutorial_example_passes_and_broken_examples_are_rejected() -> None:
    from misec_rules.sharing import RulesetLoadError

    tutorial = load_rulesets(EXAMPLES / "tutorial")
    report = run_scenarios(tutorial)
    assert report.passed and report.uncovered == () and len(report.results) == 4
    broken = sorted(p for p in (EXAMPLES / "broken").iterdir() if p.is_dir())
    assert len(broken) >= 3
    for folder in broken:
        try:
            load_rulesets(folder)
        except RulesetLoadError as exc:
            assert exc.file is not None and exc.line is not None
        else:  # pragma: no cover - the test fails here
            raise AssertionError(f"{folder.name} loaded")
