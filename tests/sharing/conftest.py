"""Fixtures for the sharing tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from misec_rules.sharing import RulesetRegistry, load_rulesets

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[2]
FI = REPO / "rulesets" / "fi"


@pytest.fixture(scope="session")
def mini() -> RulesetRegistry:
    """The small made-up ruleset in fixtures/mini."""
    return load_rulesets(FIXTURES / "mini")
