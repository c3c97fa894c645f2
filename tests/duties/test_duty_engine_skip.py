"""Facts that cannot pair are stored without the engine, and pair once a partner arrives."""

from __future__ import annotations

from misec_rules.sharing.duties import DutyMonitor


def test_lone_facts_stay_out_of_the_engine_and_pair_later(fake_registry, ev):
    with DutyMonitor(fake_registry, max_sessions=4) as m:
        m.process(ev.open("MIGRI", "S1", "c1", day=1))
        m.process(ev.find("SUPO", "S2", "f2", "security_assessment", day=1))
        m.process(ev.find("MIGRI", "S1", "f1", "security_assessment", day=1))  # same agency
        assert m.live_sessions == 0  # nothing could pair yet: no session built
        assert m.stats["engine_skipped"] == 3
        [duty] = m.process(ev.find("SUPO", "S1", "f3", "security_assessment", day=2))
        assert (duty.from_, duty.to, duty.because) == ("SUPO", "MIGRI", ("e1", "e4"))
        assert m.live_sessions == 1
        # S2's finding was stored only; a case of another agency pairs with it
        [other] = m.process(ev.open("MIGRI", "S2", "c2", day=3))
        assert other.subject == "S2" and other.status == "raised"
        # retracting a fact of a subject with no session withdraws its duty all the same
        m.process(ev.find("POLICE", "S9", "f9", "criminal_suspicion", day=3))
        [gone] = m.process(ev.close("MIGRI", "S2", "c2", day=4))
        assert gone.id == other.id and gone.status == "withdrawn"


def test_skipping_the_engine_changes_no_duty(fake_registry, ev):
    """Many subjects, tiny session cache: the same duties as one big cache."""
    events = []
    for i in range(60):
        s = f"S{i % 17}"
        events.append(ev.open("MIGRI", s, f"c{i}", day=1 + i % 27))
        if i % 3:
            events.append(ev.find("SUPO", s, f"f{i}", "security_assessment", day=1 + i % 27))
        if i % 5 == 0:
            events.append(ev.close("MIGRI", s, f"c{i}", day=1 + i % 27))
    runs = []
    for size in (1, 2, 512):
        with DutyMonitor(fake_registry, max_sessions=size) as m:
            runs.append(sorted((d.id, d.status, d.because) for d in m.replay(events)))
    assert runs[0] and runs[0] == runs[1] == runs[2]


def test_session_is_dropped_once_nothing_can_pair_and_rebuilt_when_it_can(fake_registry, ev):
    with DutyMonitor(fake_registry) as m:
        m.process(ev.find("SUPO", "S1", "f1", "security_assessment", day=1))
        m.process(ev.find("SUPO", "S1", "f2", "security_assessment", day=1))
        raised = m.process(ev.open("MIGRI", "S1", "c1", day=2))
        [first] = [d for d in raised if d.because[0] == "e1"]
        assert len(raised) == 2
        m.process(ev.open("SUPO", "S1", "c9", day=2))  # same agency as the findings
        assert m.live_sessions == 1
        m.process(ev.withdraw("SUPO", "S1", "f2", day=3))  # f1 and c1 still pair: kept
        assert m.live_sessions == 1
        [gone] = m.process(ev.close("MIGRI", "S1", "c1", day=3))
        assert gone.id == first.id and gone.status == "withdrawn"
        assert m.live_sessions == 0  # only SUPO's own case and finding left: dropped
        [again] = m.process(ev.open("MIGRI", "S1", "c2", day=4))
        assert again.because == ("e1", f"e{ev.n}") and again.status == "raised"
        assert m.live_sessions == 1
        assert sorted(f["eid"] for f in m._engine.facts("S1")) == ["e1", "e4", f"e{ev.n}"]
