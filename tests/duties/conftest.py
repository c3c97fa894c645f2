"""Fixtures for the duty monitor tests: a fake registry, the Finnish one, event builders."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
FI_RULESETS = REPO / "rulesets" / "fi"


@dataclass
class FakeDecision:
    outcome: str
    category: str
    due_within: str | None
    rule: str | None

    @property
    def allows_sharing(self) -> bool:
        return self.outcome in ("required", "permitted")

    def to_json(self) -> dict[str, Any]:
        rules = [self.rule] if self.rule else []
        basis = [{"act": "0/2000", "section": "1 §", "subsection": None, "item": None}]
        return {
            "outcome": self.outcome,
            "ruleset": "fake@2020-01-01",
            "per_category": [
                {
                    "category": self.category,
                    "outcome": self.outcome,
                    "rules": rules,
                    "overridden": [],
                    "legal_basis": basis if rules else [],
                    "due_within": self.due_within,
                }
            ],
            "rules": rules,
            "legal_basis": basis if rules else [],
            "route": {"agency": "X", "contact_point": "x@example.invalid", "channel": "mailbox"},
            "explanation": {"en": "", "fi": ""},
        }


@dataclass
class FakeRegistry:
    """Same ``decide`` signature as RulesetRegistry; outcomes from a table.

    ``table`` maps (from, to, category, purpose) to (outcome, due_within);
    anything else is not_covered.  ``calls`` records every request decided.
    """

    table: Mapping[tuple[str, str, str, str], tuple[str, str | None]]
    id: str = "fake"
    calls: list[dict[str, Any]] = field(default_factory=list)

    def decide(self, request: Mapping[str, Any], *, at: Any = None) -> FakeDecision:
        self.calls.append(dict(request))
        assert request["initiative"] == "proactive"
        cat = request["categories"][0]
        key = (request["from"], request["to"], cat, request["purpose"])
        outcome, due = self.table.get(key, ("not_covered", None))
        return FakeDecision(
            outcome, cat, due, f"rule-{outcome}" if outcome != "not_covered" else None
        )


DEFAULT_TABLE: dict[tuple[str, str, str, str], tuple[str, str | None]] = {
    ("SUPO", "MIGRI", "security_assessment", "entry_residence"): ("permitted", "P14D"),
    ("SUPO", "MIGRI", "security_assessment", "citizenship"): ("required", "P1M"),
    ("POLICE", "MIGRI", "criminal_suspicion", "entry_residence"): ("permitted", None),
    ("POLICE", "MIGRI", "criminal_suspicion", "citizenship"): ("permitted", "PT48H"),
    ("RVL", "MIGRI", "identity", "entry_residence"): ("required", "P7D"),
    ("RVL", "MISSION", "identity", "visa"): ("permitted", "P3D"),
    ("SUPO", "POLICE", "security_assessment", "entry_residence"): ("prohibited", None),
}


@pytest.fixture
def fake_registry() -> FakeRegistry:
    return FakeRegistry(dict(DEFAULT_TABLE))


@pytest.fixture(scope="session")
def fi_registry() -> Any:
    from misec_rules.sharing import load_rulesets

    return load_rulesets(FI_RULESETS)


class Events:
    """Builds events with increasing ids and times."""

    def __init__(self) -> None:
        self.n = 0

    def _base(self, kind: str, agency: str, subject: str, day: int | None) -> dict[str, Any]:
        self.n += 1
        d = day if day is not None else self.n
        return {
            "id": f"e{self.n}",
            "at": f"2024-03-{d:02d}T09:00:00+00:00",
            "type": kind,
            "agency": agency,
            "subject": subject,
        }

    def open(
        self,
        agency: str,
        subject: str,
        case_id: str,
        case_type: str = "residence_permit",
        day: int | None = None,
    ) -> dict[str, Any]:
        return {
            **self._base("case_opened", agency, subject, day),
            "case_id": case_id,
            "case_type": case_type,
        }

    def close(
        self, agency: str, subject: str, case_id: str, day: int | None = None
    ) -> dict[str, Any]:
        return {**self._base("case_closed", agency, subject, day), "case_id": case_id}

    def find(
        self, agency: str, subject: str, finding_id: str, category: str, day: int | None = None
    ) -> dict[str, Any]:
        return {
            **self._base("finding_recorded", agency, subject, day),
            "finding_id": finding_id,
            "category": category,
        }

    def withdraw(
        self, agency: str, subject: str, finding_id: str, day: int | None = None
    ) -> dict[str, Any]:
        return {**self._base("finding_withdrawn", agency, subject, day), "finding_id": finding_id}

    def deliver(
        self, agency: str, subject: str, duty_id: str, day: int | None = None
    ) -> dict[str, Any]:
        return {**self._base("duty_delivered", agency, subject, day), "duty_id": duty_id}


@pytest.fixture
def ev() -> Events:
    return Events()


def summary(
    duties: list[Any],
) -> list[tuple[str, str, str, str, tuple[str, ...], str, tuple[str, ...]]]:
    """What a duty list says, in a comparable form, sorted by id."""
    return sorted(
        (d.id, d.status, d.from_, d.to, d.categories, d.subject, d.because) for d in duties
    )


@pytest.fixture
def summarise() -> Callable[[list[Any]], list[Any]]:
    return summary
