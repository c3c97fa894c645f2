"""Decisions on the small made-up ruleset: DESIGN.md's order of evaluation."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from misec_rules.errors import RequestError
from misec_rules.sharing import Decision, RulesetRegistry, SharingRequest


def req(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"from": "A", "to": "B", "categories": ["identity"], "purpose": "p1"}
    base.update(kw)
    return base


def test_may_share_permits_and_names_rule_basis_route(mini: RulesetRegistry) -> None:
    d = mini.decide(req(at="2006-05-05"))
    assert d.outcome == "permitted" and d.allows_sharing
    assert d.ruleset == "mini@2005-01-01"
    j = d.to_json()
    assert j["rules"] == ["a-b-identity"]
    assert j["legal_basis"] == [
        {
            "act": "1/2000",
            "section": "1 §",
            "subsection": "1 mom",
            "item": None,
            "title": "Act one",
            "url": None,
        }
    ]
    assert j["route"] == {
        "agency": "B",
        "contact_point": "b@example.invalid",
        "channel": "functional_mailbox",
    }
    assert set(j) == {
        "outcome",
        "ruleset",
        "per_category",
        "rules",
        "legal_basis",
        "route",
        "explanation",
    }
    assert set(j["per_category"][0]) == {
        "category",
        "outcome",
        "rules",
        "overridden",
        "legal_basis",
        "due_within",
    }
    assert "a-b-identity" in j["explanation"]["en"] and "sallittu" in j["explanation"]["fi"]


def test_must_not_share_beats_may_share_on_child_category(mini: RulesetRegistry) -> None:
    d = mini.decide(req(categories=["fingerprints"], at="2016-01-01"))
    assert d.outcome == "prohibited" and not d.allows_sharing
    cat = d.per_category[0]
    assert cat.rules == ("no-fingerprints",)
    assert cat.overridden == ("a-b-biometrics",)


def test_rule_on_parent_covers_child(mini: RulesetRegistry) -> None:
    d = mini.decide(req(categories=["facial_image"], at="2016-01-01"))
    assert d.outcome == "permitted"
    assert d.rules == ("a-b-biometrics",)


def test_exception_removes_the_rule_it_names_only_when_condition_holds(
    mini: RulesetRegistry,
) -> None:
    on = req(categories=["fingerprints"], at="2012-01-01", context={"case": "asylum"})
    d = mini.decide(on)
    assert d.outcome == "permitted"
    assert "fingerprints-b-case" in d.rules
    assert d.per_category[0].overridden == ("no-fingerprints",)
    off = mini.decide(req(categories=["fingerprints"], at="2012-01-01", context={"case": "visa"}))
    assert off.outcome == "prohibited"


def test_must_and_must_not_is_indeterminate_both_named(mini: RulesetRegistry) -> None:
    d = mini.decide(req(to="C", categories=["notes"], at="2016-01-01"))
    assert d.outcome == "indeterminate"
    assert set(d.rules) == {"a-cd-notes-must", "a-c-notes-never"}


def test_must_share_required_with_due_within_and_group(mini: RulesetRegistry) -> None:
    d = mini.decide(req(to="D", categories=["notes"], at="2016-01-01"))
    assert d.outcome == "required"
    assert d.to_json()["per_category"][0]["due_within"] == "P7D"


def test_may_request_only_on_request(mini: RulesetRegistry) -> None:
    assert mini.decide(req(categories=["secret"], at="2016-01-01")).outcome == "permitted"
    pro = mini.decide(req(categories=["secret"], at="2016-01-01", initiative="proactive"))
    assert pro.outcome == "not_covered"


def test_route_prefers_contact_point_for_category(mini: RulesetRegistry) -> None:
    d = mini.decide(req(categories=["secret"], at="2016-01-01"))
    assert d.route is not None and d.route.channel == "interface"


def test_overall_is_weakest(mini: RulesetRegistry) -> None:
    d = mini.decide(req(categories=["identity", "fingerprints"], at="2016-01-01"))
    assert [c.outcome for c in d.per_category] == ["permitted", "prohibited"]
    assert d.outcome == "prohibited"


@pytest.mark.parametrize(
    "change",
    [
        {"from": "X"},
        {"to": "X"},
        {"purpose": "nope"},
        {"categories": ["nope"]},
        {"at": "1999-01-01"},
    ],
)
def test_unknowns_and_no_version_are_not_covered(
    mini: RulesetRegistry, change: dict[str, Any]
) -> None:
    d = mini.decide(req(at="2016-01-01") | change)
    assert d.outcome == "not_covered" and not d.allows_sharing
    assert d.rules == ()


def test_condition_error_is_indeterminate(mini: RulesetRegistry) -> None:
    d = mini.decide(req(categories=["notes"], purpose="p3", at="2013-01-01", context={"age": "x"}))
    assert d.outcome == "indeterminate"
    ok = mini.decide(req(categories=["notes"], purpose="p3", at="2013-01-01", context={"age": 30}))
    assert ok.outcome == "permitted"


def test_rule_dated_inside_version(mini: RulesetRegistry) -> None:
    before = mini.decide(
        req(categories=["notes"], purpose="p3", at="2012-05-31", context={"age": 30})
    )
    assert before.outcome == "not_covered"


def test_at_defaults_request_then_argument_wins(mini: RulesetRegistry) -> None:
    d = mini.decide(req(at="2006-01-01"), at=date(2016, 1, 1))
    assert d.ruleset == "mini@2015-01-01"
    assert mini.decide(SharingRequest("A", "B", ("identity",), "p1")).at == date.today()


def test_version_at(mini: RulesetRegistry) -> None:
    v = mini.version_at(date(2012, 3, 3))
    assert v is not None and v.name == "mini@2010-01-01"
    assert mini.version_at("2000-01-01") is None


@pytest.mark.parametrize(
    "bad",
    [
        [],
        {"to": "B", "categories": ["x"], "purpose": "p"},
        {"from": "A", "categories": ["x"], "purpose": "p"},
        {"from": "A", "to": "B", "purpose": "p"},
        {"from": "A", "to": "B", "categories": ["x"]},
        {"from": "A", "to": "B", "categories": [], "purpose": "p"},
        {"from": "A", "to": "B", "categories": ["x"], "purpose": "p", "at": "tomorrow"},
        {"from": "A", "to": "B", "categories": ["x"], "purpose": "p", "initiative": "maybe"},
    ],
)
def test_bad_requests_raise_request_error(mini: RulesetRegistry, bad: Any) -> None:
    with pytest.raises(RequestError):
        mini.decide(bad)


def test_decision_is_immutable_result(mini: RulesetRegistry) -> None:
    d = mini.decide(req(at="2016-01-01"))
    assert isinstance(d, Decision)
    j = d.to_json()
    j["per_category"][0]["rules"].append("x")
    assert mini.decide(req(at="2016-01-01")).to_json()["per_category"][0]["rules"] == [
        "a-b-identity"
    ]


def test_registry_pickles_by_reloading_its_folder(mini: RulesetRegistry) -> None:
    import pickle

    copy = pickle.loads(pickle.dumps(mini))
    q = req(categories=["fingerprints"], at="2012-01-01", context={"case": "asylum"})
    assert copy.decide(q).to_json() == mini.decide(q).to_json()
