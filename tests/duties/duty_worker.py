"""Subprocess worker for the crash tests: replay an event file into a store, reporting each event.

Usage: python duty_worker.py EVENTS STORE COMMIT_EVERY [SLEEP]
Prints `ok <event id>` after each event and `end` when done.
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
    registry = load_rulesets(REPO / "rulesets" / "fi")
    with DutyMonitor(registry, store=store, commit_every=every) as m:
        for ev in iter_event_file(events):
            m.process(ev)
            print("ok", ev.id, flush=True)
            if pause:
                time.sleep(pause)
    print("end", flush=True)


if __name__ == "__main__":
    main()
