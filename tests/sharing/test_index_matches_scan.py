"""The compiled index decides exactly as a plain scan of the rules would.

The reference below follows DESIGN.md's order of evaluation rule by rule, with
no index, no caches and no precomputation; hypothesis feeds both the same
requests on the Finnish and the test rulesets.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from misec_rules.sharing import RulesetRegistry, load_rulesets
from misec_rules.sharing._conditions import ConditionError

from .conftest import FI, FIXTURES

RANK = ["prohibited", "indeterminate", "not_covered", "permitted", "required"]
REGISTRIES = {"fi": load_rulesets(FI), "mini": load_rulesets(FIXTURES / "mini")}


def reference(reg: RulesetRegistry, q: dict[str, Any]) -> tuple[str, list[tuple[str, set[str]]]]:
    on = date.fromisoformat(q["at"])
    version = next((v for v in reg.versions if v.covers(on)), None)
    per: list[tuple[str, set[str]]] = []
    for cat in q["categories"]:
        if version is None:
            per.append(("not_covered", set()))
            continue
        applicable = []
        error = None
        for r in version.rules:
            if not (q["from"] in r.from_agencies and q["to"] in r.to_agencies):
                continue
            if cat not in r.covers or q["purpose"] not in r.purpose_set:
                continue
            if q["initiative"] not in r.initiatives or not r.in_force(on):
                continue
            if r.predicate is not None:
                try:
                    if not r.predicate(q.get("context", {})):
                        continue
                except ConditionError:
                    error = r.id
                    break
            applicable.append(r)
        if error is not None:
            per.append(("indeterminate", {error}))
            continue
        removed = {x for r in applicable for x in r.exception_to}
        live = [r for r in applicable if r.id not in removed]
        mn = {r.id for r in live if r.modality == "must_not_share"}
        ms = {r.id for r in live if r.modality == "must_share"}
        may = {r.id for r in live if r.modality in ("may_share", "may_request")}
        if mn and ms:
            per.append(("indeterminate", mn | ms))
        elif mn:
            per.append(("prohibited", mn))
        elif ms:
            per.append(("required", ms))
        elif may:
            per.append(("permitted", may))
        else:
            per.append(("not_covered", set()))
    return min((p[0] for p in per), key=RANK.index), per


def requests(reg: RulesetRegistry) -> st.SearchStrategy[dict[str, Any]]:
    spec = reg.spec
    agencies = [*spec.agencies, "NOBODY"]
    cats = [*spec.categories, "nothing"]
    purposes = [*spec.purposes, "no_purpose"]
    first = min(v.in_force_from for v in reg.versions) - timedelta(days=30)
    days = st.integers(0, 365 * 8).map(lambda n: (first + timedelta(days=n)).isoformat())
    context = st.fixed_dictionaries(
        {},
        optional={
            "fingerprint_register": st.sampled_from(
                ["residence_permit", "travel_document", "aliens_act_131"]
            ),
            "biometric_source": st.sampled_from(["passport", "id_card", "other"]),
            "quota_refugee": st.booleans(),
            "proceeding": st.sampled_from(["refugee_status_revocation", "residence_permit"]),
            "max_penalty_years": st.one_of(st.integers(0, 10), st.just("x")),
            "listed_serious_offence": st.booleans(),
            "justified_reason": st.booleans(),
            "source_system": st.just("n_sis"),
            "legalisation_decision": st.sampled_from(["negative", "positive"]),
            "police_in_asylum_interview": st.booleans(),
            "case": st.sampled_from(["asylum", "permit", "visa"]),
            "age": st.one_of(st.integers(10, 30), st.just("old")),
        },
    )
    return st.fixed_dictionaries(
        {
            "from": st.sampled_from(agencies),
            "to": st.sampled_from(agencies),
            "categories": st.lists(st.sampled_from(cats), min_size=1, max_size=3, unique=True),
            "purpose": st.sampled_from(purposes),
            "initiative": st.sampled_from(["request", "proactive"]),
            "at": days,
            "context": context,
        }
    )


def check(name: str, q: dict[str, Any]) -> None:
    reg = REGISTRIES[name]
    d = reg.decide(q)
    outcome, per = reference(reg, q)
    assert d.outcome == outcome, q
    assert [(c.outcome, set(c.rules)) for c in d.per_category] == per, q
    assert d.allows_sharing == (outcome in ("required", "permitted"))


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_fi_index_matches_scan(data: st.DataObject) -> None:
    check("fi", data.draw(requests(REGISTRIES["fi"])))


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_mini_index_matches_scan(data: st.DataObject) -> None:
    check("mini", data.draw(requests(REGISTRIES["mini"])))
