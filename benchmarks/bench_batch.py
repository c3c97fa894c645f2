"""Batch throughput and memory: 1 and 2 local workers, a 2-worker Dask LocalCluster.

Run by hand (it takes several minutes; it is niced)::

    .venv/bin/python benchmarks/bench_batch.py                 # defaults below
    .venv/bin/python benchmarks/bench_batch.py --speed-docs 20 --memory-docs 500

Two measurements, on documents made by the project's sample generator
(``misec samples generate``) in a temporary folder:

1. documents per second of the real pipeline (``check_document``: MRZ reading and
   every authenticity check) on ``--speed-docs`` documents, with 1 local worker, 2
   local workers and a 2-worker Dask LocalCluster (processes, one thread each);
   the speed-up of 2 workers over 1 and the Dask overhead against 2 local workers;
2. peak memory (runner and workers, resident set) over ``--memory-docs`` documents
   (2,000 by default) with a light processor that decodes each image and parses its
   known MRZ, so the batch machinery itself (streaming input, results, thumbnails,
   portrait hashes, analysis, report) is what is measured; the runner's memory at
   10%, 50% and 100% shows whether it stays flat.

The machine may be shared: the load average and the share of CPU time used by
other processes during each run are printed beside each figure.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

try:
    import psutil
except ImportError:  # pragma: no cover
    sys.exit("bench_batch needs psutil (the `bench` extra): pip install 'misec-rules[bench]'")

from misec_rules.batch import run_batch
from misec_rules.mrz import parse_mrz


@dataclass(frozen=True)
class KnownMRZProcessor:
    """Decode the image and parse the MRZ the generator wrote into truth.jsonl."""

    truth: dict[str, tuple[list[str], list[list[float]] | None]]

    def __call__(self, data: bytes, /, *, name: str) -> dict[str, Any]:
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        if image is None:
            raise ValueError("not an image")
        lines, poly = self.truth[Path(name).name]
        return {
            "verdict": "consistent",
            "mrz": parse_mrz(lines).to_json(),
            "findings": [],
            "mrz_polygon": poly,
            "image": image,
        }


class Sampler:
    """Sample memory of this process and its children, and CPU use by everyone else."""

    def __init__(self, every: float = 0.2) -> None:
        self.every = every
        self.me = psutil.Process()
        self.peak_runner = 0
        self.peak_total = 0
        self.timeline: list[tuple[float, int]] = []
        self._cpu: dict[int, float] = {}
        self._cpu0: dict[int, float] = {}
        self.own_cpu = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        try:
            tree = [self.me, *self.me.children(recursive=True)]
        except psutil.Error:
            tree = [self.me]
        total = 0
        for p in tree:
            try:
                total += p.memory_info().rss
                t = p.cpu_times()
                self._cpu[p.pid] = t.user + t.system
            except psutil.Error:
                pass
        runner = self.me.memory_info().rss
        self.peak_runner = max(self.peak_runner, runner)
        self.peak_total = max(self.peak_total, total)
        self.timeline.append((time.monotonic(), runner))

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.every)

    def __enter__(self) -> Sampler:
        self.load_before = os.getloadavg()[0]
        self.sys_before = psutil.cpu_times()
        self._sample()
        self._cpu0 = dict(self._cpu)
        self.t0 = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        self.wall = time.monotonic() - self.t0
        after = psutil.cpu_times()

        def busy(t: Any) -> float:
            return float(
                t.user + t.nice + t.system + getattr(t, "irq", 0) + getattr(t, "softirq", 0)
            )

        sys_busy = busy(after) - busy(self.sys_before)
        own = sum(v - self._cpu0.get(pid, 0.0) for pid, v in self._cpu.items())
        self.own_share = own / (self.wall * (os.cpu_count() or 1))
        self.others_share = max(0.0, sys_busy - own) / (self.wall * (os.cpu_count() or 1))
        self.load_after = os.getloadavg()[0]


def generate(out: Path, count: int, seed: int) -> None:
    cmd = [sys.executable, "-m", "misec_rules.cli.main", "samples", "generate"]
    cmd += ["--out", str(out), "--count", str(count), "--seed", str(seed), "--image-format", "jpg"]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def steady_rate(summary: Any) -> float:
    """Documents per second without the workers' start-up."""
    if not summary.processed or not summary.documents_per_second:
        return 0.0
    run = summary.processed / summary.documents_per_second
    return float(summary.processed / max(1e-9, run - summary.startup_seconds))


def timed(label: str, fn: Any) -> tuple[Any, Sampler]:
    s = Sampler()
    with s:
        result = fn()
    s.own_cpu = s.own_share * s.wall * (os.cpu_count() or 1)
    print(
        f"  {label}: load average {s.load_before:.1f} -> {s.load_after:.1f}, "
        f"this benchmark used {100 * s.own_share:.0f}% and other processes "
        f"{100 * s.others_share:.0f}% of the CPUs",
        flush=True,
    )
    return result, s


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--speed-docs", type=int, default=40)
    ap.add_argument("--memory-docs", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--skip-dask", action="store_true")
    ap.add_argument("--skip-speed", action="store_true")
    ap.add_argument("--skip-memory", action="store_true")
    args = ap.parse_args()
    os.environ["OMP_THREAD_LIMIT"] = "1"
    os.nice(10)
    print(f"bench_batch: {os.cpu_count()} CPUs, load average {os.getloadavg()}", flush=True)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench_batch_") as tmp:
        root = Path(tmp)
        if not args.skip_speed:
            docs = root / "speed"
            t = time.monotonic()
            generate(docs, args.speed_docs, args.seed)
            print(f"generated {args.speed_docs} documents in {time.monotonic() - t:.0f} s")
            rates: dict[str, float] = {}
            cpu: dict[str, float] = {}
            for workers in (1, 2):
                summary, s = timed(
                    f"{workers} local worker(s)",
                    lambda w=workers: run_batch(
                        docs, root / f"out-local{w}", workers=w, progress="none"
                    ),
                )
                if summary.errors:
                    print(f"  WARNING: {summary.errors} documents failed; this figure is not valid")
                cpu[f"local{workers}"] = s.own_cpu / max(1, summary.processed)
                rates[f"local{workers}"] = summary.documents_per_second
                rates[f"local{workers}_steady"] = steady_rate(summary)
                print(
                    f"real pipeline, {workers} local worker(s): {summary.documents_per_second:.3f} "
                    f"docs/s, {steady_rate(summary):.3f} without the {summary.startup_seconds:.1f} s "
                    f"start-up ({summary.processed} docs, {summary.errors} errors, "
                    f"{s.wall:.0f} s end to end)",
                    flush=True,
                )
            if not args.skip_dask:
                from distributed import LocalCluster

                with LocalCluster(
                    n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
                ) as cluster:
                    summary, s = timed(
                        "dask 2 workers",
                        lambda: run_batch(
                            docs,
                            root / "out-dask",
                            scheduler=cluster.scheduler_address,
                            progress="none",
                        ),
                    )
                if summary.errors:
                    print(f"  WARNING: {summary.errors} documents failed; this figure is not valid")
                cpu["dask2"] = s.own_cpu / max(1, summary.processed)
                rates["dask2"] = summary.documents_per_second
                rates["dask2_steady"] = steady_rate(summary)
                print(
                    f"real pipeline, Dask LocalCluster 2 workers: {rates['dask2']:.3f} docs/s, "
                    f"{rates['dask2_steady']:.3f} without the {summary.startup_seconds:.1f} s "
                    f"connection ({s.wall:.0f} s end to end, cluster already running)",
                    flush=True,
                )
            speedup = rates["local2"] / rates["local1"] if rates["local1"] else float("nan")
            steady = (
                rates["local2_steady"] / rates["local1_steady"]
                if rates["local1_steady"]
                else float("nan")
            )
            print(
                f"speed-up 2 workers / 1 worker: {speedup:.2f}x, {steady:.2f}x without start-up "
                "(target >= 1.8x on 2 idle cores)"
            )
            print(
                "CPU seconds per document (this benchmark's processes, whatever the load): "
                + ", ".join(f"{k} {v:.2f}" for k, v in cpu.items())
            )
            results["cpu_per_doc"] = cpu
            results["rates"] = rates
            results["speedup"] = speedup
            if rates.get("dask2"):
                overhead = rates["local2"] / rates["dask2"] - 1
                print(
                    f"Dask overhead against 2 local workers: {100 * overhead:+.1f}% (target < 10%)"
                )
                results["dask_overhead"] = overhead
        if not args.skip_memory:
            docs = root / "memory"
            t = time.monotonic()
            generate(docs, args.memory_docs, args.seed + 1)
            print(f"generated {args.memory_docs} documents in {time.monotonic() - t:.0f} s")
            truth = {}
            with (docs / "truth.jsonl").open(encoding="utf-8") as fh:
                for line in fh:
                    rec = json.loads(line)
                    regions = rec.get("regions") or {}
                    truth[rec["file"]] = (rec["mrz"], regions.get("mrz"))
            proc = KnownMRZProcessor(truth)
            summary, s = timed(
                "memory run",
                lambda: run_batch(
                    docs, root / "out-mem", workers=2, processor=proc, progress="none"
                ),
            )
            tl = s.timeline
            marks = []
            for frac in (0.1, 0.5, 1.0):
                i = min(len(tl) - 1, int(frac * (len(tl) - 1)))
                marks.append(f"{int(frac * 100)}%: {tl[i][1] / 2**20:.0f} MiB")
            print(
                f"memory over {summary.processed} documents (light processor, 2 workers, "
                f"{summary.documents_per_second:.1f} docs/s): peak runner RSS "
                f"{s.peak_runner / 2**20:.0f} MiB, peak runner + workers "
                f"{s.peak_total / 2**20:.0f} MiB; runner RSS over time {', '.join(marks)}; "
                f"{summary.groups} cross-document groups",
                flush=True,
            )
            analysis = json.loads((root / "out-mem" / "analysis.json").read_text(encoding="utf-8"))
            kinds: dict[str, int] = {}
            for g in analysis["groups"]:
                kinds[g["type"]] = kinds.get(g["type"], 0) + 1
            print(f"cross-document groups by type: {kinds}")
            size = (root / "out-mem" / "report.html").stat().st_size
            print(f"report.html for {summary.processed} documents: {size / 2**20:.1f} MiB")
            results["memory"] = {
                "peak_runner_mib": s.peak_runner / 2**20,
                "peak_total_mib": s.peak_total / 2**20,
            }
    print(json.dumps(results))


if __name__ == "__main__":
    main()
