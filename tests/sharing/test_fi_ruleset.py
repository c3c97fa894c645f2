"""The Finnish ruleset: loads, its scenario tests pass and exercise every rule."""

from __future__ import annotations

import json
from datetime import date

import pytest
from typer.testing import CliRunner

from misec_rules.cli.main import app
from misec_rules.sharing import RulesetRegistry, load_rulesets
from misec_rules.sharing._lint import lint_rulesets
from misec_rules.sharing._scenarios import load_scenarios, run_scenarios

from .conftest import FI

runner = CliRunner()


@pytest.fixture(scope="module")
def fi() -> RulesetRegistry:
    return load_rulesets(FI)


def test_cli_test_command_passes_with_full_coverage() -> None:
    result = runner.invoke(app, ["rules", "test", str(FI), "--require-coverage"])
    assert result.exit_code == 0, result.output
    assert "0 failed" in result.output
    assert "(100%)" in result.output


def test_scenarios_at_least_60_and_cover_every_rule(fi: RulesetRegistry) -> None:
    scenarios = load_scenarios(FI / "tests")
    assert len(scenarios) >= 60
    report = run_scenarios(fi, scenarios)
    assert report.passed, [(r.scenario.name, r.problems) for r in report.failures]
    assert report.uncovered == ()
    assert set(report.exercised) == {r.id for r in fi.rules}


def test_required_versions_exist(fi: RulesetRegistry) -> None:
    starts = {v.in_force_from.isoformat() for v in fi.versions}
    assert {"2019-06-01", "2020-09-01", "2023-03-07", "2024-09-01", "2025-01-01"} <= starts
    for day in ("2019-06-01", "2020-09-01", "2023-03-07", "2024-09-01", "2025-01-01"):
        v = fi.version_at(day)
        assert v is not None and v.name == f"fi-sharing@{day}"


def test_vocabulary_matches_design(fi: RulesetRegistry) -> None:
    spec = fi.spec
    assert set(spec.agencies) == {"MIGRI", "UM", "MISSION", "POLICE", "KRP", "SUPO", "RVL", "TULLI"}
    assert spec.groups["POLICE_ALL"] == ["POLICE", "KRP"]
    assert {
        "identity",
        "family",
        "contact",
        "travel_document",
        "application",
        "asylum",
        "decision",
        "reception",
        "detention",
        "biometrics",
        "fingerprints",
        "facial_image",
        "observation",
        "security_assessment",
        "criminal_suspicion",
        "criminal_record",
        "visa",
    } == set(spec.categories)
    assert spec.categories["asylum"].parent == "application"
    assert spec.categories["fingerprints"].parent == "biometrics"
    assert {
        "entry_residence",
        "citizenship",
        "reception",
        "detention",
        "municipality_placement",
        "national_security",
        "crime_prevention",
        "border_control",
        "identity_establishment",
        "visa",
    } == set(spec.purposes)
    for agency in spec.agencies.values():
        assert agency.names.fi and agency.names.sv and agency.names.en
        assert all(cp.example for cp in agency.contact_points)
        assert all("example.invalid" in cp.address for cp in agency.contact_points)


def test_only_law_file_acts_are_cited(fi: RulesetRegistry) -> None:
    law = FI.parents[2] / "shared" / "law" / "finland-sharing-law.md"
    if not law.is_file():
        pytest.skip("../shared/law is not present on this machine")
    text = law.read_text(encoding="utf-8")
    for source in fi.spec.sources.values():
        assert source.act in text, source.act


def test_proactive_supo_basis_is_arguable_and_uncertain_points_noted(fi: RulesetRegistry) -> None:
    by_id = {r.id: r for r in fi.rules}
    pro = by_id["supo-migri-assessment-proactive"]
    assert pro.basis == "arguable" and pro.initiative == "proactive"
    assert pro.notes and "ARGUABLE" in pro.notes
    weak = [r for r in fi.rules if r.basis != "settled"]
    assert {r.basis for r in weak} == {"arguable", "uncertain"}
    for rule in weak:
        assert rule.notes, rule.id
    unverified = [s for s in fi.spec.sources.values() if s.confidence == "U"]
    assert unverified and all(s.notes and "U" in s.notes for s in unverified)
    supo = fi.spec.agencies["SUPO"]
    assert supo.notes and "56 §" in supo.notes
    assert not any(r.modality == "must_not_share" and "SUPO" in r.from_ for r in fi.rules)


def test_supo_migri_on_request_and_proactively(fi: RulesetRegistry) -> None:
    base = {
        "from": "SUPO",
        "to": "MIGRI",
        "categories": ["security_assessment"],
        "at": "2021-03-01",
    }
    for purpose in ("entry_residence", "citizenship"):
        for initiative in ("request", "proactive"):
            d = fi.decide(base | {"purpose": purpose, "initiative": initiative})
            assert d.outcome == "permitted", (purpose, initiative)
            j = d.to_json()
            acts = {(b["act"], b["section"]) for b in j["legal_basis"]}
            assert ("616/2019", "50 §") in acts
    req = fi.decide(base | {"purpose": "entry_residence"}).to_json()
    assert {
        "act": "615/2020",
        "section": "11 §",
        "subsection": "1 mom",
        "item": "1 kohta",
    }.items() <= req["legal_basis"][0].items()
    pro = fi.decide(base | {"purpose": "entry_residence", "initiative": "proactive"})
    assert "arguable" in pro.explanation_en and "tulkinnanvarainen" in pro.explanation_fi
    assert pro.to_json()["per_category"][0]["due_within"] == "P14D"
    assert pro.route is not None and "turvallisuuslausunnot" in pro.route.contact_point


def test_lint_has_no_warnings(fi: RulesetRegistry) -> None:
    findings = lint_rulesets(fi)
    assert [str(f) for f in findings if f.severity != "info"] == []


def test_decide_cli_on_design_example() -> None:
    request = {
        "from": "SUPO",
        "to": "MIGRI",
        "categories": ["security_assessment", "identity"],
        "purpose": "entry_residence",
        "at": "2021-03-01",
        "initiative": "request",
        "context": {"open_case": "residence_permit"},
    }
    result = runner.invoke(
        app,
        ["rules", "decide", "--rulesets", str(FI), "--request", "-", "--json"],
        input=json.dumps(request),
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    out = json.loads(lines[0])
    assert out["outcome"] == "permitted" and out["ruleset"] == "fi-sharing@2020-09-01"
    assert [c["category"] for c in out["per_category"]] == ["security_assessment", "identity"]
    assert out["route"]["agency"] == "MIGRI"


def test_today_is_the_default_date(fi: RulesetRegistry) -> None:
    d = fi.decide(
        {"from": "POLICE", "to": "MIGRI", "categories": ["identity"], "purpose": "entry_residence"}
    )
    assert d.at == date.today()
