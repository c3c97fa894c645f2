"""Scenario tests written by policy teams, run like ``openfisca test``.

Scenario files live in the ruleset folder's ``tests/`` (any ``*.yaml`` below
it).  Each scenario gives a date, a request and the decision expected: the
overall outcome, and optionally the rule ids, the overridden rule ids, the
version and the per-category outcomes.  Running them also measures rule
coverage: which rules no scenario exercised (named in a decision's ``rules``
or ``overridden``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from misec_rules.errors import RequestError, RulesetError
from misec_rules.sharing._engine import Decision
from misec_rules.sharing._loader import RulesetLoadError, display_path, validate_document
from misec_rules.sharing._model import ScenarioFile, ScenarioSpec
from misec_rules.sharing._registry import RulesetRegistry
from misec_rules.sharing._request import SharingRequest
from misec_rules.sharing._yaml import read_yaml

__all__ = ["Scenario", "ScenarioResult", "TestReport", "load_scenarios", "run_scenarios"]


@dataclass(frozen=True, slots=True)
class Scenario:
    """One scenario with where it was written."""

    spec: ScenarioSpec
    file: str
    line: int | None

    @property
    def name(self) -> str:
        """The scenario's name."""
        return self.spec.name

    def request(self) -> SharingRequest:
        """The scenario's request, dated on the scenario's date.

        Raises
        ------
        RequestError
            The request in the file is not well formed.
        """
        data = dict(self.spec.request)
        data["at"] = self.spec.date
        return SharingRequest.from_json(data)


@dataclass(frozen=True, slots=True)
class ScenarioResult:
    """The outcome of running one scenario."""

    scenario: Scenario
    passed: bool
    problems: tuple[str, ...]
    decision: Decision | None

    def to_json(self) -> dict[str, Any]:
        """A JSON summary of the result."""
        d = self.decision
        return {
            "name": self.scenario.name,
            "file": self.scenario.file,
            "line": self.scenario.line,
            "passed": self.passed,
            "problems": list(self.problems),
            "outcome": d.outcome if d else None,
            "rules": list(d.rules) if d else [],
            "ruleset": d.ruleset if d else None,
        }


@dataclass(frozen=True, slots=True)
class TestReport:
    """All scenario results and the rule coverage."""

    __test__ = False  # not a pytest class

    results: tuple[ScenarioResult, ...]
    exercised: dict[str, int] = field(default_factory=dict)
    uncovered: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        """True when every scenario passed."""
        return all(r.passed for r in self.results)

    @property
    def failures(self) -> tuple[ScenarioResult, ...]:
        """The scenarios that failed."""
        return tuple(r for r in self.results if not r.passed)

    @property
    def coverage(self) -> float:
        """The share of rules exercised by at least one scenario (0..1)."""
        total = len(self.exercised) + len(self.uncovered)
        return len(self.exercised) / total if total else 1.0

    def to_json(self) -> dict[str, Any]:
        """A JSON summary (without the per-scenario lines)."""
        return {
            "scenarios": len(self.results),
            "passed": sum(r.passed for r in self.results),
            "failed": len(self.failures),
            "coverage": round(self.coverage, 4),
            "uncovered": list(self.uncovered),
        }


def _scenario_files(folder: Path) -> list[Path]:
    if folder.is_file():
        return [folder]
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml"))


def load_scenarios(paths: Path | Iterable[Path]) -> list[Scenario]:
    """Read scenario files (a folder is searched for ``*.yaml``).

    Raises
    ------
    RulesetLoadError
        A scenario file does not validate; every error has file, line and path.
    """
    files: list[Path] = []
    for p in [paths] if isinstance(paths, Path) else paths:
        files += _scenario_files(p)
    out: list[Scenario] = []
    errors: list[RulesetError] = []
    for file in files:
        try:
            data, lines = read_yaml(file, display=display_path(file))
        except RulesetError as exc:
            errors.append(exc)
            continue
        spec, errs = validate_document(ScenarioFile, data, lines)
        errors += errs
        if spec is not None:
            out += [
                Scenario(s, lines.file, lines.line(("scenarios", i)))
                for i, s in enumerate(spec.scenarios)
            ]
    if errors:
        raise RulesetLoadError(errors)
    return out


def _check(sc: Scenario, d: Decision) -> list[str]:
    spec = sc.spec
    problems: list[str] = []
    if d.outcome != spec.outcome:
        problems.append(f"outcome `{d.outcome}`, expected `{spec.outcome}`")
    if spec.rules is not None and set(d.rules) != set(spec.rules):
        problems.append(f"rules {sorted(d.rules)}, expected {sorted(spec.rules)}")
    if spec.overridden is not None and set(d.overridden) != set(spec.overridden):
        problems.append(f"overridden {sorted(d.overridden)}, expected {sorted(spec.overridden)}")
    if spec.version is not None and d.ruleset != spec.version:
        problems.append(f"version `{d.ruleset}`, expected `{spec.version}`")
    if spec.per_category is not None:
        got = {c.category: c.outcome for c in d.per_category}
        for cat, want in spec.per_category.items():
            if got.get(cat) != want:
                problems.append(f"category `{cat}` is `{got.get(cat)}`, expected `{want}`")
    return problems


def run_scenarios(
    registry: RulesetRegistry, scenarios: Sequence[Scenario] | None = None
) -> TestReport:
    """Run scenarios against ``registry`` and measure rule coverage.

    Parameters
    ----------
    registry
        The loaded ruleset.
    scenarios
        The scenarios to run; by default those in the ruleset folder's ``tests/``.
    """
    if scenarios is None:
        root = registry.root
        scenarios = load_scenarios(root / "tests") if root is not None else []
    exercised: dict[str, int] = {}
    results: list[ScenarioResult] = []
    for sc in scenarios:
        try:
            decision = registry.decide(sc.request())
        except RequestError as exc:
            results.append(ScenarioResult(sc, False, (f"bad request: {exc}",), None))
            continue
        for cat in decision.per_category:
            for rid in (*cat.rules, *cat.overridden):
                exercised[rid] = exercised.get(rid, 0) + 1
        problems = _check(sc, decision)
        results.append(ScenarioResult(sc, not problems, tuple(problems), decision))
    uncovered = tuple(r.id for r in registry.rules if r.id not in exercised)
    return TestReport(tuple(results), exercised, uncovered)


def scenario_dir(registry: RulesetRegistry) -> Path | None:
    """The ruleset folder's ``tests/`` folder, if any."""
    if registry.root is None:
        return None
    folder = registry.root / "tests"
    return folder if folder.is_dir() else None
