"""Restart and crash: a killed process resumed gives the same duties as an uninterrupted run."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from misec_rules.sharing.duties import DutyMonitor, read_duties

WORKER = Path(__file__).with_name("duty_worker.py")

PAIRS = [
    ("SUPO", "security_assessment"),
    ("POLICE", "criminal_suspicion"),
    ("KRP", "identity"),
    ("RVL", "identity"),
]


def make_events(n: int, subjects: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    events: list[dict[str, Any]] = []
    open_things: list[dict[str, Any]] = []
    for i in range(n):
        subject = f"S{rng.randrange(subjects)}"
        at = f"2024-{1 + i * 11 // n:02d}-{1 + rng.randrange(28):02d}T12:00:00+02:00"
        r = rng.random()
        if r < 0.35:
            agency, cat = rng.choice(PAIRS)
            e = {
                "type": "finding_recorded",
                "agency": agency,
                "category": cat,
                "finding_id": f"f{i}",
            }
        elif r < 0.7:
            e = {
                "type": "case_opened",
                "agency": "MIGRI",
                "case_id": f"c{i}",
                "case_type": rng.choice(["residence_permit", "asylum", "citizenship"]),
            }
        elif open_things:
            p = open_things.pop(rng.randrange(len(open_things)))
            subject = p["subject"]
            if p["type"] == "case_opened":
                e = {"type": "case_closed", "agency": p["agency"], "case_id": p["case_id"]}
            else:
                e = {
                    "type": "finding_withdrawn",
                    "agency": p["agency"],
                    "finding_id": p["finding_id"],
                }
        else:
            continue
        e.update({"id": f"ev{i:05d}", "at": at, "subject": subject})
        if e["type"] in ("case_opened", "finding_recorded"):
            open_things.append(e)
        events.append(e)
    return events


def _write(path: Path, events: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    return path


def _final(store: Path) -> list[dict[str, Any]]:
    """Every duty in the store, in the order raised (a resumed run must keep it too)."""
    return [d.to_json() for d in read_duties(store)]


def test_reopened_store_resumes_and_raises_nothing_twice(tmp_path, fi_registry):
    events = make_events(300, 25, seed=1)
    store = tmp_path / "a.sqlite"
    with DutyMonitor(fi_registry, store=store) as m:
        for e in events[:150]:
            m.process(e)
    with DutyMonitor(fi_registry, store=store) as m:
        m.replay(events)  # the whole file again: the first 150 are skipped
        assert m.stats["skipped"] == 150
        resumed = [d.to_json() for d in m.duties()]
    with DutyMonitor(fi_registry) as m:
        straight = [d.to_json() for d in m.replay(events)]
    assert resumed == straight  # the same duties, listed in the same order
    assert len({d["id"] for d in resumed}) == len(resumed) > 10


def _run_worker(
    events: Path, store: Path, every: int, *, kill_after: int | None, api: str = "process"
) -> int:
    """Run the worker; kill -9 it once it reports `kill_after` events. Returns events seen."""
    proc = subprocess.Popen(
        [sys.executable, str(WORKER), str(events), str(store), str(every), "0.001", api],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    seen = 0
    timer = threading.Timer(120, proc.kill)
    timer.start()
    try:
        for line in proc.stdout:
            if line.startswith("ok "):
                seen += 1
                if kill_after is not None and seen >= kill_after:
                    os.kill(proc.pid, signal.SIGKILL)
                    break
        proc.wait()
    finally:
        timer.cancel()
    if kill_after is None:
        assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    else:
        assert proc.returncode == -signal.SIGKILL
    return seen


@pytest.mark.parametrize(
    ("every", "kill_after", "api"),
    [(1, 37, "process"), (1, 143, "process"), (16, 90, "process"), (40, 150, "many")],
)
def test_killed_process_resumes_to_the_same_duties(tmp_path, every, kill_after, api):
    events = _write(tmp_path / "events.jsonl", make_events(220, 20, seed=kill_after))
    reference = tmp_path / "ref.sqlite"
    _run_worker(events, reference, 50, kill_after=None)

    store = tmp_path / "crashed.sqlite"
    _run_worker(events, store, every, kill_after=kill_after, api=api)
    mid = read_duties(store)
    _run_worker(events, store, every, kill_after=None, api=api)  # resume: same file and store
    assert _final(store) == _final(reference)
    assert len(_final(reference)) > 5
    # nothing raised before the crash was raised again under another id or lost
    ids = {d["id"] for d in _final(store)}
    assert {d.id for d in mid} <= ids


def test_threads_give_the_same_duties_as_serial(fi_registry):
    events = make_events(600, 40, seed=9)
    with DutyMonitor(fi_registry, max_sessions=8) as m:
        serial = sorted((d.to_json() for d in m.replay(events)), key=lambda d: d["id"])

    # each subject's events stay in order on one thread; threads interleave freely
    lanes: dict[int, list[dict[str, Any]]] = {}
    for e in events:
        lanes.setdefault(int(e["subject"][1:]) % 4, []).append(e)
    with DutyMonitor(fi_registry, max_sessions=8) as m:
        errors: list[BaseException] = []

        def feed(lane: list[dict[str, Any]]) -> None:
            try:
                for e in lane:
                    m.process(e)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=feed, args=(lane,)) for lane in lanes.values()]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        m.flush()
        assert errors == []
        threaded = sorted((d.to_json() for d in m.duties()), key=lambda d: d["id"])
    assert threaded == serial
    assert len(serial) > 10


def test_threads_on_shared_subjects_without_retractions(fi_registry):
    """Openings and findings commute: any interleaving gives the same duties."""
    events = [
        e for e in make_events(500, 10, seed=4) if e["type"] in ("case_opened", "finding_recorded")
    ]
    with DutyMonitor(fi_registry) as m:
        serial = sorted((d.to_json() for d in m.replay(events)), key=lambda d: d["id"])
    with DutyMonitor(fi_registry, max_sessions=3) as m:
        chunks = [events[i::5] for i in range(5)]
        threads = [threading.Thread(target=lambda c=c: [m.process(e) for e in c]) for c in chunks]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        threaded = sorted((d.to_json() for d in m.duties()), key=lambda d: d["id"])
    assert threaded == serial
    assert len(serial) > 10
