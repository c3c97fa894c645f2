"""Kill -9 at random moments, resume: no document lost, none duplicated."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from batch_procs import make_docs

HERE = Path(__file__).resolve().parent

SCRIPT = """
import sys
from batch_procs import TagProcessor
from misec_rules.batch import run_batch
run_batch(sys.argv[1], sys.argv[2], workers=2, processor=TagProcessor(delay=0.05),
          resume=True, progress="lines")
"""


def _run(inp: Path, out: Path) -> subprocess.Popen[bytes]:
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])
    )
    return subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(inp), str(out)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # so the kill takes the workers too, as a crash would
    )


def _ids(out: Path) -> list[str]:
    path = out / "results.jsonl"
    if not path.exists():
        return []
    ids = []
    for line in path.read_bytes().splitlines(keepends=True):
        if line.endswith(b"\n"):
            ids.append(json.loads(line)["id"])
    return ids


@pytest.mark.slow
def test_sigkill_at_random_points_then_resume(tmp_path: Path) -> None:
    n = 40
    make_docs(tmp_path / "in", n)
    out = tmp_path / "out"
    rng = random.Random(int(os.environ.get("MISEC_TEST_SEED", "7")))
    kills = 0
    for round_ in range(5):
        proc = _run(tmp_path / "in", out)
        before = len(_ids(out))
        # the first kill lands during start-up; the others after a random number of new
        # records, plus a random fraction of a document's time, so some land mid-write
        target = before if round_ == 0 else before + rng.randint(1, 6)
        deadline = time.monotonic() + 60
        while len(_ids(out)) < target and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.08))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait(timeout=30)
        ids = _ids(out)
        assert len(ids) == len(set(ids)), "a document was recorded twice"
        assert len(ids) >= before, "a document was lost"
    proc = _run(tmp_path / "in", out)
    _, err = proc.communicate(timeout=170)
    assert proc.returncode == 0, err.decode()[-2000:]
    ids = _ids(out)
    assert kills >= 1
    assert len(ids) == len(set(ids)) == n
    assert sorted(ids) == sorted(p.name for p in (tmp_path / "in").iterdir())
    # the final pass wrote the report over everything
    assert (out / "report.html").read_text(encoding="utf-8").count('class="card"') == n
