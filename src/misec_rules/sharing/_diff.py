"""What changed between two versions of a ruleset, and which scenarios it moves."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from misec_rules.errors import RequestError
from misec_rules.sharing._engine import RulesetVersion
from misec_rules.sharing._registry import RulesetRegistry
from misec_rules.sharing._scenarios import Scenario

__all__ = ["RuleChange", "ScenarioChange", "VersionDiff", "diff_versions"]

_COMPARED = (
    "modality",
    "from",
    "to",
    "categories",
    "purposes",
    "initiative",
    "when",
    "legal_basis",
    "in_force_from",
    "in_force_to",
    "exception_to",
    "due_within",
    "basis",
    "notes",
)


@dataclass(frozen=True, slots=True)
class RuleChange:
    """A rule added, removed or changed between two versions."""

    rule: str
    change: str  # added | removed | changed
    fields: dict[str, tuple[Any, Any]]

    def to_json(self) -> dict[str, Any]:
        """JSON form: ``{rule, change, fields: {name: {old, new}}}``."""
        return {
            "rule": self.rule,
            "change": self.change,
            "fields": {k: {"old": a, "new": b} for k, (a, b) in self.fields.items()},
        }


@dataclass(frozen=True, slots=True)
class ScenarioChange:
    """A scenario whose decision differs between the two versions."""

    name: str
    file: str
    old_outcome: str
    new_outcome: str
    old_rules: tuple[str, ...]
    new_rules: tuple[str, ...]

    @property
    def outcome_changed(self) -> bool:
        """True when the outcome differs, not only the rules behind it."""
        return self.old_outcome != self.new_outcome

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "scenario": self.name,
            "outcome_changed": self.outcome_changed,
            "file": self.file,
            "old": {"outcome": self.old_outcome, "rules": list(self.old_rules)},
            "new": {"outcome": self.new_outcome, "rules": list(self.new_rules)},
        }


@dataclass(frozen=True, slots=True)
class VersionDiff:
    """Rule-by-rule changes between versions ``old`` and ``new`` and their impact."""

    old: str
    new: str
    rules: tuple[RuleChange, ...]
    scenarios: tuple[ScenarioChange, ...]
    scenarios_run: int

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "old": self.old,
            "new": self.new,
            "rules": [c.to_json() for c in self.rules],
            "scenarios": [c.to_json() for c in self.scenarios],
            "scenarios_run": self.scenarios_run,
        }


def _rules_in_force(version: RulesetVersion) -> dict[str, dict[str, Any]]:
    """The rules of a version as in force on its first day (or later, if they start later)."""
    return {r.id: r.to_json() for r in version.rules}


def diff_versions(
    registry: RulesetRegistry,
    old: str | RulesetVersion,
    new: str | RulesetVersion,
    *,
    scenarios: Sequence[Scenario] = (),
) -> VersionDiff:
    """Compare two versions rule by rule and re-decide ``scenarios`` under both.

    Each scenario's request is decided under each version on that version's
    first day, so the comparison shows the effect of the reform alone.
    """
    va = old if isinstance(old, RulesetVersion) else registry.version(old)
    vb = new if isinstance(new, RulesetVersion) else registry.version(new)
    ra, rb = _rules_in_force(va), _rules_in_force(vb)
    changes: list[RuleChange] = []
    for rid, rule in ra.items():
        if rid not in rb:
            changes.append(RuleChange(rid, "removed", {}))
        else:
            fields = {k: (rule[k], rb[rid][k]) for k in _COMPARED if rule[k] != rb[rid][k]}
            if fields:
                changes.append(RuleChange(rid, "changed", fields))
    changes += [RuleChange(rid, "added", {}) for rid in rb if rid not in ra]
    moved: list[ScenarioChange] = []
    for sc in scenarios:
        try:
            request = sc.request()
        except RequestError:
            continue
        da = registry.decide_in(request, va)
        db = registry.decide_in(request, vb)
        if da.outcome != db.outcome or set(da.rules) != set(db.rules):
            moved.append(
                ScenarioChange(sc.name, sc.file, da.outcome, db.outcome, da.rules, db.rules)
            )
    return VersionDiff(va.name, vb.name, tuple(changes), tuple(moved), len(scenarios))
