"""Versioned legal data-sharing rulesets and decisions that explain themselves.

Load a ruleset folder with :func:`load_rulesets`; ask the registry to
:meth:`~RulesetRegistry.decide` a :class:`SharingRequest` (or a mapping in
DESIGN.md's JSON shape); read the :class:`Decision`.

References
----------
Laki henkilötietojen käsittelystä maahanmuuttohallinnossa 615/2020; laki
henkilötietojen käsittelystä poliisitoimessa 616/2019 (see rulesets/fi).
"""

from __future__ import annotations

from misec_rules.sharing._conditions import compile_condition
from misec_rules.sharing._diff import VersionDiff, diff_versions
from misec_rules.sharing._engine import (
    OUTCOMES,
    CategoryDecision,
    Decision,
    LegalReference,
    Route,
    Rule,
    RulesetVersion,
)
from misec_rules.sharing._lint import LintFinding, lint_rulesets
from misec_rules.sharing._loader import RulesetLoadError, RulesetNotFoundError, load_rulesets
from misec_rules.sharing._matrix import Matrix, build_matrix, render_matrix_html
from misec_rules.sharing._registry import RulesetRegistry
from misec_rules.sharing._request import SharingRequest
from misec_rules.sharing._scenarios import TestReport, load_scenarios, run_scenarios
from misec_rules.sharing._schema import ruleset_json_schema

__all__ = [
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
