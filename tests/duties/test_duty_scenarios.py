"""Scenario event streams with the duties they must give (fake registry and Finnish rulesets)."""

from __future__ import annotations

from typing import Any

import pytest

from misec_rules.sharing.duties import DutyMonitor, EventError, SharingDuty, add_duration


def _run(registry: Any, events: list[dict[str, Any]], **kw: Any) -> list[SharingDuty]:
    with DutyMonitor(registry, **kw) as m:
        return m.replay(events)


def test_finding_then_case_raises_one_duty(fake_registry, ev):
    events = [
        ev.find("SUPO", "S1", "f1", "security_assessment", day=1),
        ev.open("MIGRI", "S1", "c1", "residence_permit", day=3),
    ]
    [duty] = _run(fake_registry, events)
    assert (duty.status, duty.from_, duty.to, duty.categories) == (
        "raised",
        "SUPO",
        "MIGRI",
        ("security_assessment",),
    )
    assert duty.subject == "S1"
    assert duty.because == ("e1", "e2")
    assert duty.purpose == "entry_residence"
    assert duty.due == "2024-03-17T09:00:00+00:00"  # later event (day 3) + P14D
    assert fake_registry.calls[-1]["at"] == "2024-03-03"


def test_both_arrival_orders_give_the_same_duty(fake_registry, ev):
    f = ev.find("SUPO", "S1", "f1", "security_assessment", day=1)
    c = ev.open("MIGRI", "S1", "c1", "residence_permit", day=2)
    a = _run(fake_registry, [f, c])
    b = _run(fake_registry, [c, f])
    assert [d.to_json() for d in a] == [d.to_json() for d in b]
    assert len(a) == 1


def test_same_agency_never_pairs(fake_registry, ev):
    events = [
        ev.find("MIGRI", "S1", "f1", "security_assessment"),
        ev.open("MIGRI", "S1", "c1"),
    ]
    assert _run(fake_registry, events) == []


def test_other_subject_never_pairs(fake_registry, ev):
    events = [ev.find("SUPO", "S1", "f1", "security_assessment"), ev.open("MIGRI", "S2", "c1")]
    assert _run(fake_registry, events) == []


@pytest.mark.parametrize("outcome", ["prohibited", "not_covered", "indeterminate"])
def test_no_duty_unless_required_or_permitted(fake_registry, ev, outcome):
    fake_registry.table[("SUPO", "MIGRI", "security_assessment", "entry_residence")] = (
        outcome,
        None,
    )
    events = [ev.find("SUPO", "S1", "f1", "security_assessment"), ev.open("MIGRI", "S1", "c1")]
    assert _run(fake_registry, events) == []
    assert len(fake_registry.calls) == 1


def test_case_type_maps_to_purpose(fake_registry, ev):
    events = [
        ev.find("SUPO", "S1", "f1", "security_assessment"),
        ev.open("MIGRI", "S1", "c1", "citizenship", day=20),
        ev.find("RVL", "S2", "f2", "identity"),
        ev.open("MISSION", "S2", "c2", "visa"),
        ev.find("POLICE", "S3", "f3", "criminal_suspicion"),
        ev.open("MIGRI", "S3", "c3", "asylum"),
        ev.open("MIGRI", "S3", "c4", "removal"),
    ]
    duties = {d.subject + d.case: d for d in _run(fake_registry, events)}
    purposes = sorted((d.subject, d.purpose, d.outcome) for d in duties.values())
    assert purposes == [
        ("S1", "citizenship", "required"),
        ("S2", "visa", "permitted"),
        ("S3", "entry_residence", "permitted"),
        ("S3", "entry_residence", "permitted"),
    ]
    s1 = next(d for d in duties.values() if d.subject == "S1")
    assert s1.due == "2024-04-20T09:00:00+00:00"  # P1M by the calendar


def test_case_closed_withdraws_undelivered_duty(fake_registry, ev):
    events = [
        ev.open("MIGRI", "S1", "c1"),
        ev.find("SUPO", "S1", "f1", "security_assessment"),
        ev.close("MIGRI", "S1", "c1"),
    ]
    [duty] = _run(fake_registry, events)
    assert duty.status == "withdrawn"
    assert duty.because == ("e1", "e2", "e3")


def test_finding_withdrawn_withdraws_undelivered_duty(fake_registry, ev):
    events = [
        ev.open("MIGRI", "S1", "c1"),
        ev.open("MIGRI", "S1", "c2", "citizenship"),
        ev.find("SUPO", "S1", "f1", "security_assessment"),
        ev.withdraw("SUPO", "S1", "f1"),
    ]
    duties = _run(fake_registry, events)
    assert sorted(d.status for d in duties) == ["withdrawn", "withdrawn"]
    assert all(d.because[-1] == "e4" for d in duties)


def test_delivered_duty_stays_on_record(fake_registry, ev):
    first = [ev.open("MIGRI", "S1", "c1"), ev.find("SUPO", "S1", "f1", "security_assessment")]
    [raised] = _run(fake_registry, first)
    events = [
        *first,
        ev.deliver("SUPO", "S1", raised.id),
        ev.close("MIGRI", "S1", "c1"),
        ev.withdraw("SUPO", "S1", "f1"),
    ]
    [duty] = _run(fake_registry, events)
    assert duty.id == raised.id
    assert duty.status == "delivered"
    assert duty.because == ("e1", "e2", "e3")


def test_reopened_case_raises_a_new_duty(fake_registry, ev):
    events = [
        ev.find("SUPO", "S1", "f1", "security_assessment"),
        ev.open("MIGRI", "S1", "c1"),
        ev.close("MIGRI", "S1", "c1"),
        ev.open("MIGRI", "S1", "c1"),
    ]
    duties = _run(fake_registry, events)
    assert [d.status for d in duties] == ["withdrawn", "raised"]
    assert duties[0].id != duties[1].id


def test_duplicate_event_and_duplicate_open_are_ignored(fake_registry, ev):
    c = ev.open("MIGRI", "S1", "c1")
    again = ev.open("MIGRI", "S1", "c1")  # same case opened twice, new event id
    events = [c, c, again, ev.find("SUPO", "S1", "f1", "security_assessment")]
    with DutyMonitor(fake_registry) as m:
        duties = m.replay(events)
        assert m.stats["skipped"] == 1
    assert len(duties) == 1


def test_duty_id_is_stable_and_derived_from_events(fake_registry, ev):
    events = [ev.open("MIGRI", "S1", "c1"), ev.find("SUPO", "S1", "f1", "security_assessment")]
    a = _run(fake_registry, events)
    b = _run(fake_registry, events)
    assert a[0].id == b[0].id
    renamed = [dict(events[0], id="other"), events[1]]
    c = _run(fake_registry, renamed)
    assert c[0].id != a[0].id
    assert a[0].idempotency_key == a[0].id


def test_two_findings_two_cases_give_four_duties(fake_registry, ev):
    events = [
        ev.find("SUPO", "S1", "f1", "security_assessment"),
        ev.find("POLICE", "S1", "f2", "criminal_suspicion"),
        ev.open("MIGRI", "S1", "c1", "residence_permit"),
        ev.open("MIGRI", "S1", "c2", "citizenship"),
        ev.close("MIGRI", "S1", "c1"),
    ]
    duties = _run(fake_registry, events)
    assert len(duties) == 4
    status = sorted((d.from_, d.purpose, d.status) for d in duties)
    assert status == [
        ("POLICE", "citizenship", "raised"),
        ("POLICE", "entry_residence", "withdrawn"),
        ("SUPO", "citizenship", "raised"),
        ("SUPO", "entry_residence", "withdrawn"),
    ]


def test_pending_and_deliver_at_least_once(fake_registry, ev):
    sent: list[str] = []
    with DutyMonitor(fake_registry) as m:
        m.replay([ev.open("MIGRI", "S1", "c1"), ev.find("SUPO", "S1", "f1", "security_assessment")])
        assert len(m.pending()) == 1

        def boom(duty: SharingDuty) -> None:
            sent.append(duty.idempotency_key)
            raise ConnectionError("receiver down")

        with pytest.raises(ConnectionError):
            m.deliver(boom)
        assert len(m.pending()) == 1  # not marked: will be sent again
        assert m.deliver(lambda d: sent.append(d.idempotency_key)) == 1
        assert m.pending() == []
        assert sent[0] == sent[1]
        assert m.duties()[0].status == "delivered"


def test_malformed_event_names_the_field(fake_registry):
    with DutyMonitor(fake_registry) as m, pytest.raises(EventError, match="field `case_type`"):
        m.process(
            {
                "id": "x",
                "at": "2024-01-01T00:00:00",
                "type": "case_opened",
                "agency": "MIGRI",
                "subject": "S",
                "case_id": "c",
            }
        )


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        ("2024-01-31T10:00:00", "P1M", "2024-02-29T10:00:00"),
        ("2024-03-01T10:00:00", "P14D", "2024-03-15T10:00:00"),
        ("2024-03-01T10:00:00", "PT48H", "2024-03-03T10:00:00"),
        ("2024-03-01T10:00:00", "P1Y2W", "2025-03-15T10:00:00"),
    ],
)
def test_add_duration(start, duration, expected):
    from datetime import datetime

    assert add_duration(datetime.fromisoformat(start), duration).isoformat() == expected


@pytest.mark.parametrize("bad", ["14D", "P", "PT", "P1H", "soon"])
def test_add_duration_refuses_junk(bad):
    from datetime import datetime

    with pytest.raises(ValueError, match="duration"):
        add_duration(datetime(2024, 1, 1), bad)


# --- the Finnish rulesets --------------------------------------------------------------


def test_fi_supo_finding_and_migri_case(fi_registry, ev):
    events = [
        ev.open("MIGRI", "S1", "c1", "residence_permit", day=1),
        ev.find("SUPO", "S1", "f1", "security_assessment", day=2),
    ]
    [duty] = _run(fi_registry, events)
    assert duty.status == "raised"
    assert duty.to == "MIGRI" and duty.from_ == "SUPO"
    assert "supo-migri-assessment-proactive" in duty.rules
    decision = fi_registry.decide(
        {
            "from": "SUPO",
            "to": "MIGRI",
            "categories": ["security_assessment"],
            "purpose": "entry_residence",
            "initiative": "proactive",
            "at": "2024-03-02",
        }
    )
    per = decision.to_json()["per_category"][0]
    assert list(duty.legal_basis) == per["legal_basis"]
    assert duty.route == decision.to_json()["route"]
    assert (
        duty.due
        == add_duration(
            __import__("datetime").datetime.fromisoformat("2024-03-02T09:00:00+00:00"),
            per["due_within"],
        ).isoformat()
    )


def test_fi_no_duty_where_the_ruleset_has_no_proactive_rule(fi_registry, ev):
    # observation data must not be shared (observation-not-decision-ground)
    events = [ev.open("MIGRI", "S1", "c1"), ev.find("POLICE", "S1", "f1", "observation")]
    assert _run(fi_registry, events) == []


@pytest.mark.parametrize(("seed", "max_sessions"), [(7, 512), (11, 2), (23, 1)])
def test_fi_prefilter_changes_nothing(fi_registry, seed, max_sessions):
    """The prefilters give the same duties as none, with sessions evicted and rebuilt or not.

    The category prefilter inside durable_rules, and the pair filter that keeps
    findings no proactive rule sends (RVL identity findings) and cases no such
    rule receives (visa cases) out of the engine altogether.
    """
    import random

    rng = random.Random(seed)
    agencies = ["MIGRI", "SUPO", "POLICE", "KRP", "RVL", "UM", "MISSION", "TULLI"]
    cats = [
        "security_assessment",
        "criminal_suspicion",
        "identity",
        "travel_document",
        "observation",
        "fingerprints",
        "criminal_record",
        "visa",
        "family",
    ]
    types = ["residence_permit", "asylum", "citizenship", "visa", "removal"]
    events: list[dict[str, Any]] = []
    for i in range(400):
        subject = f"S{rng.randrange(30)}"
        day = 1 + i // 20
        at = f"2024-{1 + day // 28:02d}-{1 + day % 28:02d}T10:00:00+00:00"
        base = {"id": f"e{i}", "at": at, "agency": rng.choice(agencies), "subject": subject}
        r = rng.random()
        if r < 0.4:
            events.append(
                {
                    **base,
                    "type": "finding_recorded",
                    "finding_id": f"f{i}",
                    "category": rng.choice(cats),
                }
            )
        elif r < 0.8:
            events.append(
                {**base, "type": "case_opened", "case_id": f"c{i}", "case_type": rng.choice(types)}
            )
        else:
            prior = [
                e
                for e in events
                if e["subject"] == subject and e["type"] in ("case_opened", "finding_recorded")
            ]
            if not prior:
                continue
            p = rng.choice(prior)
            if p["type"] == "case_opened":
                events.append(
                    {**base, "agency": p["agency"], "type": "case_closed", "case_id": p["case_id"]}
                )
            else:
                events.append(
                    {
                        **base,
                        "agency": p["agency"],
                        "type": "finding_withdrawn",
                        "finding_id": p["finding_id"],
                    }
                )
    stats = []
    runs = []
    for prefilter in (True, False):
        with DutyMonitor(fi_registry, prefilter=prefilter, max_sessions=max_sessions) as m:
            runs.append([d.to_json() for d in m.replay(events)])
            stats.append(dict(m.stats))
    assert runs[0] == runs[1]
    assert len(runs[0]) > 5
    assert {d["status"] for d in runs[0]} == {"raised", "withdrawn"}
    # the filter kept facts out of the engine that it would otherwise have seen
    assert stats[0]["engine_skipped"] > stats[1]["engine_skipped"]
