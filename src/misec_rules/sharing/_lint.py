"""Lint a ruleset: what a policy team should look at before publishing it.

Findings, from the compiled index of every version:

* ``conflict`` (warning): a ``must_share`` and a ``must_not_share`` can apply to
  the same request and neither names the other in ``exception_to``; the decision
  would be ``indeterminate``.
* ``override`` (info): a ``must_not_share`` beats a ``may_share``/``may_request``
  with no exception between them (DESIGN.md settles it, the team should confirm).
* ``shadowed`` (warning): a rule that can never decide anything: in force in no
  version, or beaten wherever it applies.
* ``source_not_in_force`` (warning): a rule cites a source that is not in force
  for the whole of the rule's dates.
* ``mid_version`` (info): a rule starts or ends inside a version; add a version on
  that date so that decisions name it.
* ``gap`` (info): agency pairs, categories and purposes that no rule covers in a
  version, listed for the team to decide.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from misec_rules.sharing._engine import CategoryDecision, ConditionalPlan, Rule
from misec_rules.sharing._registry import RulesetRegistry

__all__ = ["LintFinding", "lint_rulesets"]

_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True, slots=True)
class LintFinding:
    """One lint finding."""

    kind: str
    severity: str
    message: str
    rules: tuple[str, ...] = ()
    version: str | None = None
    file: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}: " if self.file and self.line else ""
        if not where and self.version:
            where = f"{self.version}: "
        return f"{where}{self.severity}: {self.kind}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        """The finding as a JSON object."""
        return {
            "kind": self.kind,
            "severity": self.severity,
            "message": self.message,
            "rules": list(self.rules),
            "version": self.version,
            "file": self.file,
            "line": self.line,
        }


def _excepted(a: Rule, b: Rule) -> bool:
    return a.id in b.exception_to or b.id in a.exception_to


def _fmt_key(key: tuple[str, str, str, str], cat: str) -> str:
    src, dst, purpose, initiative = key
    return f"{src} -> {dst}, `{cat}`, purpose `{purpose}`, {initiative}"


def lint_rulesets(registry: RulesetRegistry) -> list[LintFinding]:
    """Lint a loaded ruleset; findings sorted by severity, then file order."""
    out: list[LintFinding] = []
    by_id = {r.id: r for r in registry.rules}
    conflicts: dict[tuple[str, str], tuple[str, str, bool]] = {}
    overrides: dict[tuple[str, str], tuple[str, str]] = {}
    decided: set[str] = set()
    maybe: set[str] = set()
    placed: set[str] = set()
    for compiled in registry._compiled:
        version = compiled.version
        placed.update(r.id for r in version.rules)
        for key, plans in compiled.index.items():
            for cat, plan in plans.items():
                if isinstance(plan, ConditionalPlan):
                    rules = [c[0] for c in plan.checks]
                    maybe.update(r.id for r in rules)
                    conditional = True
                else:
                    assert isinstance(plan, CategoryDecision)
                    decided.update(plan.rules)
                    rules = [by_id[i] for i in (*plan.rules, *plan.overridden)]
                    conditional = False
                musts = [r for r in rules if r.modality == "must_share"]
                nots = [r for r in rules if r.modality == "must_not_share"]
                mays = [r for r in rules if r.modality in ("may_share", "may_request")]
                for m in musts:
                    for n in nots:
                        if not _excepted(m, n):
                            conflicts.setdefault(
                                (m.id, n.id), (version.name, _fmt_key(key, cat), conditional)
                            )
                for m in mays:
                    for n in nots:
                        if not _excepted(m, n):
                            overrides.setdefault((m.id, n.id), (version.name, _fmt_key(key, cat)))
    for (m_id, n_id), (vname, where, conditional) in conflicts.items():
        rule = by_id[m_id]
        hedge = " when both conditions hold" if conditional else ""
        out.append(
            LintFinding(
                "conflict",
                "warning",
                f"must_share `{m_id}` and must_not_share `{n_id}` both apply{hedge} "
                f"({where}, {vname}) and neither is an exception to the other: "
                "decisions are indeterminate",
                (m_id, n_id),
                vname,
                rule.file,
                rule.line,
            )
        )
    for (m_id, n_id), (vname, where) in overrides.items():
        rule = by_id[m_id]
        out.append(
            LintFinding(
                "override",
                "info",
                f"must_not_share `{n_id}` beats `{m_id}` ({where}, {vname}) with no "
                "`exception_to` between them",
                (m_id, n_id),
                vname,
                rule.file,
                rule.line,
            )
        )
    starts = {v.in_force_from for v in registry.versions}
    for rule in registry.rules:
        if rule.id not in placed:
            out.append(
                LintFinding(
                    "shadowed",
                    "warning",
                    f"`{rule.id}` is in force in no version of the ruleset",
                    (rule.id,),
                    None,
                    rule.file,
                    rule.line,
                )
            )
        elif rule.id not in decided and rule.id not in maybe:
            out.append(
                LintFinding(
                    "shadowed",
                    "warning",
                    f"`{rule.id}` never decides anything: wherever it applies another rule "
                    "beats it",
                    (rule.id,),
                    None,
                    rule.file,
                    rule.line,
                )
            )
        for ref in rule.legal_basis:
            ends_ok = ref.in_force_to is None or (
                rule.in_force_to is not None and rule.in_force_to <= ref.in_force_to
            )
            if rule.in_force_from < ref.in_force_from or not ends_ok:
                until = ref.in_force_to.isoformat() if ref.in_force_to else "open"
                out.append(
                    LintFinding(
                        "source_not_in_force",
                        "warning",
                        f"`{rule.id}` cites `{ref.source_id}` ({ref.cite()}, in force "
                        f"{ref.in_force_from.isoformat()} to {until}) outside its dates",
                        (rule.id,),
                        None,
                        rule.file,
                        rule.line,
                    )
                )
        edges = [rule.in_force_from]
        if rule.in_force_to is not None:
            edges.append(rule.in_force_to + timedelta(days=1))
        for edge in edges:
            if edge not in starts and _inside_some_version(registry, edge):
                out.append(
                    LintFinding(
                        "mid_version",
                        "info",
                        f"`{rule.id}` changes on {edge.isoformat()}, inside a version; add a "
                        "version on that date so decisions name it",
                        (rule.id,),
                        None,
                        rule.file,
                        rule.line,
                    )
                )
    out += _gaps(registry)
    out.sort(key=lambda f: (_SEVERITY_ORDER[f.severity], f.kind, f.file or "", f.line or 0))
    return out


def _inside_some_version(registry: RulesetRegistry, on: date) -> bool:
    return any(v.covers(on) and v.in_force_from != on for v in registry.versions)


def _gaps(registry: RulesetRegistry) -> list[LintFinding]:
    """Pairs, categories and purposes that no permitting or requiring rule covers."""
    out: list[LintFinding] = []
    agencies = sorted(registry.spec.agencies)
    for version in registry.versions:
        vname = version.name
        positive = [r for r in version.rules if r.modality != "must_not_share"]
        pairs = {(a, b) for r in positive for a in r.from_agencies for b in r.to_agencies}
        missing = [
            f"{a}->{b}" for a in agencies for b in agencies if a != b and (a, b) not in pairs
        ]
        if missing:
            out.append(
                LintFinding(
                    "gap",
                    "info",
                    f"no rule lets {len(missing)} agency pairs share anything: "
                    + ", ".join(missing),
                    (),
                    vname,
                )
            )
        cats = {c for r in positive for c in r.covers}
        lone = sorted(set(registry.spec.categories) - cats)
        if lone:
            out.append(
                LintFinding(
                    "gap",
                    "info",
                    "no rule lets any agency share categories: " + ", ".join(lone),
                    (),
                    vname,
                )
            )
        purposes = {p for r in positive for p in r.purpose_set}
        unused = sorted(set(registry.spec.purposes) - purposes)
        if unused:
            out.append(
                LintFinding(
                    "gap", "info", "no rule serves purposes: " + ", ".join(unused), (), vname
                )
            )
    return out
