"""Random event streams against a plain-Python statement of DESIGN.md's duty semantics."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from misec_rules.sharing.duties import PURPOSE_OF_CASE, DutyMonitor

from .conftest import DEFAULT_TABLE, FakeRegistry

AGENCIES = ["MIGRI", "SUPO", "POLICE", "RVL", "MISSION"]
CATS = ["security_assessment", "criminal_suspicion", "identity"]
TYPES = sorted(PURPOSE_OF_CASE)


def oracle(events: list[dict[str, Any]]) -> dict[str, tuple[str, tuple[str, ...]]]:
    """duty id -> (status, because), straight from the prose of DESIGN.md."""
    cases: dict[tuple[str, str, str], dict[str, Any]] = {}
    findings: dict[tuple[str, str, str], dict[str, Any]] = {}
    duties: dict[str, dict[str, Any]] = {}
    seen: set[str] = set()
    for e in events:
        if e["id"] in seen:
            continue
        seen.add(e["id"])
        t = e["type"]
        if t == "case_opened":
            key = (e["subject"], e["agency"], e["case_id"])
            if key in cases:
                continue
            cases[key] = e
            pairs = [
                (f, e) for k, f in findings.items() if k[0] == e["subject"] and k[1] != e["agency"]
            ]
        elif t == "finding_recorded":
            key = (e["subject"], e["agency"], e["finding_id"])
            if key in findings:
                continue
            findings[key] = e
            pairs = [
                (e, c) for k, c in cases.items() if k[0] == e["subject"] and k[1] != e["agency"]
            ]
        elif t in ("case_closed", "finding_withdrawn"):
            store, idkey, role = (
                (cases, "case_id", "case")
                if t == "case_closed"
                else (findings, "finding_id", "finding")
            )
            gone = store.pop((e["subject"], e["agency"], e[idkey]), None)
            if gone is not None:
                for d in duties.values():
                    if d[role] is gone and d["status"] == "raised":
                        d["status"] = "withdrawn"
                        d["because"] = (*d["because"], e["id"])
            continue
        else:
            d = duties.get(e["duty_id"])
            if d is not None and d["status"] == "raised":
                d["status"] = "delivered"
                d["because"] = (*d["because"], e["id"])
            continue
        for f, c in pairs:
            purpose = PURPOSE_OF_CASE[c["case_type"]]
            outcome = DEFAULT_TABLE.get(
                (f["agency"], c["agency"], f["category"], purpose), ("x", None)
            )[0]
            if outcome not in ("required", "permitted"):
                continue
            did = "duty-" + hashlib.sha256(f"{f['id']}\n{c['id']}".encode()).hexdigest()[:24]
            order = sorted((datetime.fromisoformat(x["at"]), x["id"]) for x in (f, c))
            duties[did] = {
                "status": "raised",
                "because": tuple(i for _, i in order),
                "finding": f,
                "case": c,
            }
    return {k: (v["status"], v["because"]) for k, v in duties.items()}


@st.composite
def streams(draw: Any) -> list[dict[str, Any]]:
    n = draw(st.integers(min_value=1, max_value=60))
    subjects = [f"S{i}" for i in range(draw(st.integers(min_value=1, max_value=12)))]
    events: list[dict[str, Any]] = []
    opened: list[dict[str, Any]] = []
    for i in range(n):
        base = {
            "id": f"e{i}",
            "at": f"2024-03-{1 + draw(st.integers(0, 27)):02d}T10:00:00+00:00",
            "agency": draw(st.sampled_from(AGENCIES)),
            "subject": draw(st.sampled_from(subjects)),
        }
        kind = draw(st.sampled_from(["open", "find", "find", "open", "end", "deliver"]))
        if kind == "open":
            e = {
                **base,
                "type": "case_opened",
                "case_id": f"c{draw(st.integers(0, 3))}",
                "case_type": draw(st.sampled_from(TYPES)),
            }
            opened.append(e)
        elif kind == "find":
            e = {
                **base,
                "type": "finding_recorded",
                "finding_id": f"f{draw(st.integers(0, 3))}",
                "category": draw(st.sampled_from(CATS)),
            }
            opened.append(e)
        elif kind == "end" and opened:
            p = draw(st.sampled_from(opened))
            if p["type"] == "case_opened":
                e = {
                    **base,
                    "agency": p["agency"],
                    "subject": p["subject"],
                    "type": "case_closed",
                    "case_id": p["case_id"],
                }
            else:
                e = {
                    **base,
                    "agency": p["agency"],
                    "subject": p["subject"],
                    "type": "finding_withdrawn",
                    "finding_id": p["finding_id"],
                }
        elif kind == "deliver" and events:
            # deliver a duty the oracle knows so far, if any
            known = sorted(oracle(events))
            if not known:
                continue
            e = {**base, "type": "duty_delivered", "duty_id": draw(st.sampled_from(known))}
        else:
            continue
        events.append(e)
        if draw(st.integers(0, 15)) == 0:
            events.append(dict(e))  # an exact repeat: must be skipped
    return events


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(streams(), st.sampled_from([1, 2, 3, 512]))
def test_monitor_matches_the_oracle(events, max_sessions):
    expected = oracle(events)
    with DutyMonitor(FakeRegistry(dict(DEFAULT_TABLE)), max_sessions=max_sessions) as m:
        got = {d.id: (d.status, d.because) for d in m.replay(events)}
        assert m.live_sessions <= max_sessions
    assert got == expected
