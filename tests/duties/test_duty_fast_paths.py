"""The faster paths give the same duties: process_many, staged writes, caches, batched marks."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from misec_rules.sharing.duties import DutyMonitor, EventError, SharingDuty
from misec_rules.sharing.duties import _monitor as monitor_module
from misec_rules.sharing.duties._durable import PairEngine, fact_json, json_str
from misec_rules.sharing.duties._monitor import (
    _because_json,
    _date_bounds,
    _fact_text,
    _SeenIds,
)

from .conftest import DEFAULT_TABLE, FakeRegistry
from .test_duty_durability import make_events
from .test_duty_oracle import oracle, streams


def _state(duties: list[SharingDuty]) -> list[dict[str, Any]]:
    return sorted((d.to_json() for d in duties), key=lambda d: d["id"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    streams(),
    st.sampled_from([1, 2, 512]),
    st.sampled_from([1, 2, 2048]),
    st.sampled_from([1, 3, 1000]),
)
def test_process_many_matches_process_and_the_oracle(events, sessions, cached, every):
    """Same returns and same final duties, whatever the caches' sizes and the commit period."""
    reg = FakeRegistry(dict(DEFAULT_TABLE))
    with DutyMonitor(reg, max_sessions=sessions, cached_subjects=cached, commit_every=every) as m:
        one_by_one = [d.to_json() for e in events for d in m.process(e)]
        serial = _state(m.duties())
        serial_stats = dict(m.stats)
    with DutyMonitor(reg, max_sessions=sessions, cached_subjects=cached, commit_every=every) as m:
        together = [d.to_json() for d in m.process_many(events)]
        assert _state(m.duties()) == serial
        assert m.stats == serial_stats
    assert together == one_by_one
    assert {d["id"]: (d["status"], tuple(d["because"])) for d in serial} == oracle(events)


def test_process_many_without_collect_returns_nothing_but_writes_the_same(fi_registry):
    events = make_events(400, 30, seed=3)
    with DutyMonitor(fi_registry) as m:
        returned = m.process_many(events)
        expected = _state(m.duties())
    with DutyMonitor(fi_registry) as m:
        assert m.process_many(events, collect=False) == []
        assert _state(m.duties()) == expected
    assert len(returned) >= len(expected) > 10


def test_process_many_skips_repeats_within_and_across_chunks(fake_registry, ev):
    first = ev.find("SUPO", "S1", "f1", "security_assessment", day=1)
    case = ev.open("MIGRI", "S1", "c1", day=2)
    filler = [ev.open("MIGRI", f"T{i}", "c", day=3) for i in range(600)]  # > one chunk
    events = [first, first, *filler, case, dict(case), first]
    with DutyMonitor(fake_registry, commit_every=7) as m:
        [duty] = m.process_many(events)
        assert m.stats["skipped"] == 3
        assert m.stats["events"] == 602
        assert m.process_many(events) == []  # all of them processed before
        assert m.stats["skipped"] == 3 + len(events)
    assert duty.because == (first["id"], case["id"])


def test_process_many_applies_the_events_before_a_malformed_one(fake_registry, ev):
    good = [ev.find("SUPO", "S1", "f1", "security_assessment"), ev.open("MIGRI", "S1", "c1")]
    bad = {"id": "x", "type": "case_opened", "at": "never", "agency": "MIGRI", "subject": "S1"}
    with DutyMonitor(fake_registry) as m:
        with pytest.raises(EventError, match="field `at`"):
            m.process_many([*good, bad, ev.close("MIGRI", "S1", "c1")])
        assert m.stats["events"] == 2
        assert [d.status for d in m.duties()] == ["raised"]  # the close was not applied


def test_staged_writes_reach_the_store_at_each_commit(tmp_path, fake_registry, ev):
    """Between commits the store holds nothing new; after one it holds everything."""
    store = tmp_path / "d.sqlite"
    events = [ev.find("SUPO", "S1", "f1", "security_assessment"), ev.open("MIGRI", "S1", "c1")]
    with DutyMonitor(fake_registry, store=store, commit_every=3) as m:
        m.process_many(events)

        def committed() -> tuple[int, int, int]:
            """Events marked processed, facts and duties in the store."""
            db = sqlite3.connect(store)
            try:
                return db.execute(
                    "SELECT (SELECT count(*) FROM facts WHERE ref > '~'), "
                    "(SELECT count(*) FROM facts WHERE ref < '~'), "
                    "(SELECT count(*) FROM duties) + (SELECT count(*) FROM withdrawn)"
                ).fetchone()
            finally:
                db.close()

        assert committed() == (0, 0, 0)
        m.process(ev.open("MIGRI", "S2", "c2"))  # the third event: commit
        assert committed() == (3, 3, 1)


def test_a_failure_rolls_staged_writes_back_to_the_last_commit(fake_registry, ev, monkeypatch):
    events = [
        ev.find("SUPO", "S1", "f1", "security_assessment"),
        ev.open("MIGRI", "S1", "c1"),
        ev.find("POLICE", "S2", "f2", "criminal_suspicion"),
        ev.open("MIGRI", "S2", "c2"),
        ev.close("MIGRI", "S1", "c1"),
    ]
    with DutyMonitor(FakeRegistry(dict(DEFAULT_TABLE))) as m:
        clean = _state(m.replay(events))
    with DutyMonitor(fake_registry, commit_every=10) as m:
        m.process_many(events[:3])

        def boom(*args: Any, **kw: Any) -> Any:
            raise RuntimeError("registry down")

        monkeypatch.setattr(fake_registry, "decide", boom)
        with pytest.raises(RuntimeError, match="registry down"):
            m.process(events[3])
        monkeypatch.undo()
        assert m.stats["events"] == 3  # counted, but nothing of them is in the store
        assert m.duties() == []
        m.process_many(events)  # everything since the last commit, again
        assert _state(m.duties()) == clean
    assert sorted(d["status"] for d in clean) == ["raised", "withdrawn"]


def test_subjects_in_memory_stay_bounded(fake_registry, ev):
    events = []
    for i in range(300):
        events.append(ev.open("MIGRI", f"S{i}", "c1", day=1 + i % 27))
        events.append(ev.find("SUPO", f"S{i}", "f1", "security_assessment", day=1 + i % 27))
    with DutyMonitor(fake_registry, cached_subjects=16, commit_every=50) as m:
        m.process_many(events)
        m.flush()
        assert len(m._subjects) <= 16
        # a subject dropped from memory long ago: its duty is withdrawn from the store's rows
        [gone] = m.process(ev.close("MIGRI", "S0", "c1", day=28))
        assert gone.status == "withdrawn" and gone.because[-1] == f"e{ev.n}"
    with pytest.raises(ValueError, match="cached_subjects"):
        DutyMonitor(fake_registry, cached_subjects=0)


def test_the_page_cache_is_sized_as_asked(tmp_path, fake_registry):
    with DutyMonitor(fake_registry, store=tmp_path / "d.sqlite", cache_mib=256) as m:
        assert m._db.execute("PRAGMA cache_size").fetchone() == (-256 * 1024,)
    with pytest.raises(ValueError, match="cache_mib must be at least 1, got `0`"):
        DutyMonitor(fake_registry, cache_mib=0)


def test_delivery_of_a_duty_no_longer_in_memory_sticks(fake_registry, ev):
    with DutyMonitor(fake_registry, cached_subjects=1, commit_every=1) as m:
        [duty] = m.process_many(
            [ev.find("SUPO", "S1", "f1", "security_assessment"), ev.open("MIGRI", "S1", "c1")]
        )
        m.process(ev.open("MIGRI", "S2", "c2"))  # S1 leaves memory
        [done] = m.process(ev.deliver("MIGRI", "S1", duty.id))
        assert done.status == "delivered"
        assert m.process(ev.close("MIGRI", "S1", "c1")) == []  # delivered: not withdrawn
        assert m.mark_delivered(duty.id) is None
        assert [d.status for d in m.duties()] == ["delivered"]


def test_deliver_commits_marks_in_batches_and_when_send_fails(tmp_path, fake_registry, ev):
    store = tmp_path / "d.sqlite"
    events = []
    for i in range(5):
        events += [
            ev.find("SUPO", f"S{i}", "f", "security_assessment"),
            ev.open("MIGRI", f"S{i}", "c"),
        ]
    sent: list[str] = []

    def flaky(duty: SharingDuty) -> None:
        if len(sent) == 3:
            raise ConnectionError("receiver down")
        sent.append(duty.id)

    with DutyMonitor(fake_registry, store=store, commit_every=100) as m:
        m.process_many(events)
        with pytest.raises(ConnectionError):
            m.deliver(flaky, commit_every=2)
    # reopened: the three sent before the failure are marked, the others still pending
    with DutyMonitor(FakeRegistry(dict(DEFAULT_TABLE)), store=store) as m:
        assert sorted(d.id for d in m.duties(status="delivered")) == sorted(sent)
        assert len(m.pending()) == 2
        assert m.deliver(lambda d: sent.append(d.id), commit_every=10) == 2
        assert m.pending() == []
    assert len(sent) == len(set(sent)) == 5
    with DutyMonitor(fake_registry) as m, pytest.raises(ValueError, match="commit_every"):
        m.deliver(print, commit_every=0)


@pytest.mark.parametrize(
    "text", ["S1", 'Äiti "lainaus" \\ ja\nrivi', "x\u2028y", "emoji \U0001f600", ""]
)
def test_fact_text_is_the_canonical_json(text):
    fact = {"t": "finding", "agency": text, "v": text, "key": text, "eid": text, "at": text}
    assert _fact_text(text, text, text, text, "finding", text) == fact_json(fact)
    assert json.loads(_fact_text(text, "a", "e", "k", "case", "v"))["agency"] == text


@given(
    st.lists(
        st.sampled_from(["S1", "2026-01-01T10:00:00+00:00", "", '"', "\\", "\n"]) | st.text(),
        min_size=5,
        max_size=5,
    )
)
def test_fact_text_matches_the_encoder_whichever_field_needs_escaping(parts):
    """The one-test fast path and the per-field path give the encoder's text."""
    agency, at, eid, key, value = parts
    fact = {"t": "case", "agency": agency, "v": value, "key": key, "eid": eid, "at": at}
    assert _fact_text(agency, at, eid, key, "case", value) == fact_json(fact)


@given(st.lists(st.text(), max_size=4))
def test_because_json_matches_the_encoder(ids):
    assert _because_json(ids) == json.dumps(ids, ensure_ascii=False, separators=(",", ":"))


def test_rebuilt_session_holds_the_standing_facts_and_the_new_one():
    store: dict[str, list[dict[str, Any]]] = {}
    eng = PairEngine("rebuild", max_sessions=1, load=lambda s: list(store.get(s, [])))
    f = {"t": "finding", "agency": "SUPO", "v": "x", "key": "f", "eid": "f", "at": "1"}
    k = {"t": "case", "agency": "MIGRI", "v": "asylum", "key": "k", "eid": "k", "at": "2"}
    store["A"] = [f, k]  # an old pair, already reported
    f2 = {**f, "agency": "RVL", "key": "f2", "eid": "f2"}
    assert eng.assert_fact("A", fact_json(f2), "f2") == [(f2, k)]
    assert sorted(x["eid"] for x in eng.facts("A")) == ["f", "f2", "k"]
    eng.forget("A")
    # a fact that is already among the standing ones: reloaded, nothing new reported
    assert eng.assert_fact("A", f, "f") == []
    assert sorted(x["eid"] for x in eng.facts("A")) == ["f", "k"]


def test_decisions_are_the_same_on_every_day_between_ruleset_bounds(fi_registry):
    """The interval cache's premise, checked on the Finnish rulesets day by day."""
    bounds = _date_bounds(fi_registry)
    assert bounds is not None and len(bounds) >= 2
    assert _date_bounds(FakeRegistry(dict(DEFAULT_TABLE))) is None
    combos = [
        (src, "MIGRI", cat, purpose)
        for src, cat in [
            ("SUPO", "security_assessment"),
            ("POLICE", "criminal_suspicion"),
            ("KRP", "identity"),
            ("RVL", "identity"),
            ("POLICE", "observation"),
        ]
        for purpose in ("entry_residence", "citizenship", "visa")
    ]

    def seen(day: date, combo: tuple[str, str, str, str]) -> tuple[Any, ...]:
        src, dst, cat, purpose = combo
        request = {
            "from": src,
            "to": dst,
            "categories": [cat],
            "purpose": purpose,
            "initiative": "proactive",
            "at": day.isoformat(),
        }
        data = fi_registry.decide(request, at=day).to_json()
        entry = data["per_category"][0]
        return (
            data["outcome"],
            data["ruleset"],
            data["rules"],
            entry["legal_basis"],
            entry["due_within"],
            data["route"],
        )

    start = bounds[0] - timedelta(days=30)
    days = [start + timedelta(days=n) for n in range(0, (bounds[-1] - start).days + 400, 3)]
    days += [b + timedelta(days=d) for b in bounds for d in (-1, 0, 1)]
    first: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    outcomes = set()
    for day in sorted(set(days)):
        span = sum(1 for b in bounds if b <= day)
        for combo in combos:
            got = seen(day, combo)
            outcomes.add(got[0])
            assert first.setdefault((span, combo), got) == got, (day, combo)
    assert len(outcomes) >= 2  # the combos are not all decided alike


def test_interval_cache_gives_the_duties_of_per_day_decisions(fi_registry):
    class PerDay:  # the same registry, but not a RulesetRegistry: decided per day
        def __init__(self, inner: Any) -> None:
            self.id, self.versions, self.rules = inner.id, inner.versions, inner.rules
            self.decide = inner.decide

    events = make_events(500, 40, seed=11)
    for n, e in enumerate(events):  # spread over the rulesets' versions
        e["at"] = f"{2019 + n * 7 // len(events)}-0{1 + n % 9}-1{n % 10}T08:00:00+00:00"
    with DutyMonitor(fi_registry) as m:
        assert m._bounds is not None
        spans = _state(m.replay(events))
    with DutyMonitor(PerDay(fi_registry)) as m:
        assert m._bounds is None
        days = _state(m.replay(events))
    assert spans == days
    assert len({d["ruleset"] for d in spans}) >= 2 and len(spans) > 10


def test_seen_filter_never_forgets_and_rarely_says_maybe():
    ids = [f"ev{i:07d}" for i in range(20_000)]
    seen = _SeenIds(ids[:10_000], 10_000, min_bits=10)
    assert seen.size > 10  # sized for what it was given
    for i in ids[10_000:]:
        seen.add(i)
    assert all(seen.maybe(i) for i in ids)
    others = [f"other{i}" for i in range(20_000)]
    assert sum(seen.maybe(o) for o in others) < 200  # about 0.4 % at full load
    assert seen.full  # 20,000 ids in a filter sized for 10,000: time to grow


def test_monitor_grows_its_seen_filter_and_still_skips_repeats(
    tmp_path, fake_registry, ev, monkeypatch
):
    monkeypatch.setattr(monitor_module, "_SEEN_MIN_BITS", 8)  # room for 8 ids, then grow
    events = []
    for i in range(150):
        day = 1 + i % 27
        events += [
            ev.open("MIGRI", f"S{i}", "c", day=day),
            ev.find("SUPO", f"S{i}", "f", "security_assessment", day=day),
        ]
    store = tmp_path / "d.sqlite"
    with DutyMonitor(fake_registry, store=store, commit_every=25) as m:
        first = m._seen.size
        m.process_many(events[:200])
        for e in events[100:]:
            m.process(e)
        assert m._seen.size > first
        assert m.stats["skipped"] == 100 and m.stats["events"] == 300
        done = _state(m.duties())
    with DutyMonitor(FakeRegistry(dict(DEFAULT_TABLE)), store=store) as m:
        assert all(m._seen.maybe(e["id"]) for e in events)  # rebuilt from the store
        assert m.process_many(events) == []
        assert m.stats["skipped"] == 300
        assert _state(m.duties()) == done
    assert len(done) == 150


@given(st.text())
def test_json_str_is_the_encoder_for_any_text(text):
    assert json_str(text) == json.dumps(text, ensure_ascii=False)
    assert json.loads(json_str(text)) == text
