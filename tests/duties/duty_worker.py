"""Subprocess worker for the crash tests: replay an event file into a store, reporting each event.

Usage: python duty_worker.py EVENTS STORE COMMIT_EVERY [SLEEP [many]]
Prints `ok <event id>` after each event and `end` when done; with `many`, feeds the
events through `process_many` seven at a time and reports them after each batch.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from misec_rules.sharing import load_rulesets
from misec_rules.sharing.duties import DutyMonitor, iter_event_file

REPO = Path(__file__).resolve().parents[2]


def main() -> None:
    events, store, every = sys.argv[1], sys.argv[2], int(sys.argv[3])
    pause = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
    many = len(sys.argv) > 5 and sys.argv[5] == "many"
    registry = load_rulesets(REPO / "rulesets" / "fi")
    with DutyMonitor(registry, store=store, commit_every=every) as m:
        batch = []
        for ev in iter_event_file(events):
            batch.append(ev)
            if many and len(batch) < 7:
                continue
            if many:
                m.process_many(batch)
            else:
                m.process(ev)
            for done in batch:
                print("ok", done.id, flush=True)
            batch = []
            if pause:
                time.sleep(pause)
        m.process_many(batch)
    print("end", flush=True)


if __name__ == "__main__":
    main()
