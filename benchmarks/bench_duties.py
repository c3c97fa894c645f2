"""Duty monitor throughput and memory, against durable_rules alone on the same events.

Run by hand::

    .venv/bin/python benchmarks/bench_duties.py --events 100000 --subjects 10000
    .venv/bin/python benchmarks/bench_duties.py --events 1000000 --subjects 100000
    .venv/bin/python benchmarks/bench_duties.py --events 1000000 --subjects 100000 --opaque-ids

The event stream is synthetic and reproducible (``--seed``): subjects become
active in a sliding window (``--window`` subjects at a time, like cases that
open, collect findings and close over weeks); ``--window 0`` spreads every
event over all subjects at random, the worst case for the monitor's bounded
session cache; ``--opaque-ids`` gives random hex subjects and event ids (as
pseudonyms and UUIDs are) instead of counting ones.  Findings come from SUPO,
the police, KRP and the Border Guard in categories the Finnish ruleset lets
them share proactively with Migri, so duties are raised, withdrawn and
delivered.

Figures printed: events per second for the monitor (durable_rules + decisions +
SQLite, commits batched every ``--commit-every`` events), the same events as
bare durable_rules asserts and retracts (no decisions, no persistence), their
ratio, duties raised/withdrawn/delivered, and resident memory sampled along the
run (it must stay flat: live sessions are bounded, everything else is on disk).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import hashlib
import os
import random
import sys
import tempfile
import time
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]

FINDINGS = [
    ("SUPO", "security_assessment"),
    ("POLICE", "criminal_suspicion"),
    ("KRP", "identity"),
    ("RVL", "identity"),
    ("POLICE", "observation"),  # never shared: decided, no duty
]
CASE_TYPES = ["residence_permit", "asylum", "citizenship", "removal", "visa"]


def rss_mb() -> float:
    """Resident set size of this process in MiB (psutil if present, else /proc)."""
    try:
        import psutil

        return float(psutil.Process().memory_info().rss) / 2**20
    except ImportError:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _script(
    rng: random.Random, subject: str, serial: int, finding_share: float = 1.0
) -> list[dict[str, Any]]:
    """One subject's events: cases opened, findings, maybe a withdrawal, cases closed.

    With probability ``1 - finding_share`` the subject has no finding at all
    (most applicants); the others get one to four.
    """
    cases = [
        {
            "type": "case_opened",
            "agency": "MIGRI",
            "case_id": f"c{serial}-{j}",
            "case_type": CASE_TYPES[rng.randrange(len(CASE_TYPES))],
        }
        for j in range(1 + (rng.random() < 0.5))
    ]
    findings = []
    for j in range(1 + rng.randrange(4) if rng.random() < finding_share else 0):
        agency, cat = FINDINGS[rng.randrange(len(FINDINGS))]
        findings.append(
            {
                "type": "finding_recorded",
                "agency": agency,
                "category": cat,
                "finding_id": f"f{serial}-{j}",
            }
        )
    middle = cases[1:] + findings
    rng.shuffle(middle)
    out = [cases[0], *middle]
    if findings and rng.random() < 0.3:
        f = findings[rng.randrange(len(findings))]
        out.append(
            {"type": "finding_withdrawn", "agency": f["agency"], "finding_id": f["finding_id"]}
        )
    out += [{"type": "case_closed", "agency": "MIGRI", "case_id": c["case_id"]} for c in cases]
    for e in out:
        e["subject"] = subject
    return out


def _opaque(text: str) -> str:
    """A random-looking id derived from ``text`` (as a pseudonym or a UUID looks)."""
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def events(
    n: int,
    subjects: int,
    window: int,
    seed: int,
    finding_share: float = 1.0,
    opaque_ids: bool = False,
) -> Iterator[dict[str, Any]]:
    """A reproducible stream of ``n`` events over ``subjects`` subjects.

    ``window`` subjects are active at a time, each working through its own
    script (see :func:`_script`) while the others interleave; when a script
    ends the next subject becomes active.  After the last subject the ids wrap
    around, so subjects come back with new cases (their old facts are reloaded
    from the store).  ``window=0`` makes every subject active at once.
    Subject references and event ids count up (``P0000001``, ``e00000001``),
    which keeps the store's keys in order; ``opaque_ids`` makes both random
    hex strings, as real pseudonyms and UUIDs are, so that each write goes to
    a random page of the store's indexes.
    """
    rng = random.Random(seed)
    width = min(window or subjects, subjects)
    active: list[list[dict[str, Any]]] = []
    serial = 0

    def fresh() -> list[dict[str, Any]]:
        nonlocal serial
        serial += 1
        return _script(rng, f"P{serial % subjects:07d}", serial, finding_share)[
            ::-1
        ]  # pop() from the end

    active = [fresh() for _ in range(width)]
    for i in range(n):
        slot = rng.randrange(width)
        ev = active[slot].pop()
        if not active[slot]:
            active[slot] = fresh()
        day = i * 1460 // max(n, 1)  # four years
        ev["id"] = _opaque(f"e{i}") if opaque_ids else f"e{i:08d}"
        if opaque_ids:
            ev["subject"] = _opaque(ev["subject"])
        ev["at"] = (
            f"{2021 + day // 365}-{1 + day % 365 // 31 % 12:02d}-{1 + day % 28:02d}T10:00:00+02:00"
        )
        yield ev


def stream(args: argparse.Namespace) -> Iterator[dict[str, Any]]:
    """The benchmark's events as the command line sets them."""
    return events(
        args.events, args.subjects, args.window, args.seed, args.finding_share, args.opaque_ids
    )


def bench_monitor(args: argparse.Namespace, store: Path) -> dict[str, Any]:
    """Run the stream through a DutyMonitor; CPU time counted inside the monitor's calls only.

    The generator makes 250 events at a time outside the timed part; then
    ``--api process`` feeds them to ``parse_event`` + ``process`` one by one
    (the duties returned), ``many`` to one ``process_many`` call (duties
    returned), ``many-nocollect`` the same with ``collect=False``.  Pending
    duties are delivered every ``--deliver-every`` events, committing the
    marks every ``--deliver-commit-every`` duties.  The whole run's CPU time,
    generator included, is printed as well.
    """
    from misec_rules.sharing import load_rulesets
    from misec_rules.sharing.duties import DutyMonitor, parse_event

    registry = load_rulesets(REPO / "rulesets" / "fi")
    delivered: list[str] = []
    samples: list[tuple[int, float]] = []
    gc.collect()
    base = rss_mb()
    t0 = time.perf_counter()
    c0 = time.process_time()
    cpu = 0.0  # inside the monitor's calls
    returned = 0
    collect = args.api != "many-nocollect"
    step = 250  # events generated (untimed), then fed to the monitor (timed)

    def send(d: Any) -> None:
        delivered.append(d.idempotency_key)

    prof = None
    if args.profile_out is not None:
        import cProfile

        prof = cProfile.Profile()
    # (events so far, CPU in the monitor's calls so far, duties raised so far)
    segments: list[tuple[int, float, int]] = []

    # (cache_mib only when set: the script also runs against older monitors)
    extra = {"cache_mib": args.cache_mib} if args.cache_mib != 32 else {}
    with DutyMonitor(
        registry,
        store=store,
        commit_every=args.commit_every,
        max_sessions=args.max_sessions,
        **extra,
    ) as m:
        chunk: list[dict[str, Any]] = []
        for i, raw in enumerate(stream(args), 1):
            chunk.append(raw)
            if len(chunk) < step and i < args.events:
                continue
            profiling = prof is not None and args.profile_from < i <= args.profile_to
            if profiling:
                prof.enable()
            c1 = time.process_time()
            if args.api == "process":
                for one in chunk:
                    returned += len(m.process(parse_event(one)))
            else:
                returned += len(m.process_many(chunk, collect=collect))
            if i % args.deliver_every < len(chunk):
                m.flush()
                if args.deliver_commit_every == 1:
                    m.deliver(send)  # also runs against older monitors, for before/after
                else:
                    m.deliver(send, commit_every=args.deliver_commit_every)
            cpu += time.process_time() - c1
            if profiling:
                prof.disable()
            chunk = []
            delivered.clear()  # a real sender forwards them; keep memory flat
            if i % args.sample_every < step:
                samples.append((i, rss_mb()))
                segments.append((i, cpu, m.stats["raised"]))
        c1 = time.process_time()
        m.flush()
        cpu += time.process_time() - c1
        seconds = time.perf_counter() - t0
        total_cpu = time.process_time() - c0
        stats = dict(m.stats)
        live = m.live_sessions
        evictions = m._engine.evictions
        loads = m._engine.loads
    if prof is not None:
        prof.dump_stats(str(args.profile_out))
    return {
        "segments": segments,
        "seconds": seconds,
        "cpu": cpu,
        "total_cpu": total_cpu,
        "returned": returned,
        "stats": stats,
        "samples": samples,
        "base_rss": base,
        "live": live,
        "evictions": evictions,
        "loads": loads,
        "store_mb": sum(p.stat().st_size for p in store.parent.glob(store.name + "*")) / 2**20,
    }


def bench_durable_alone(args: argparse.Namespace) -> dict[str, Any]:
    """The same facts asserted and retracted in bare durable_rules (the peer).

    One session per subject, at most ``max_sessions`` live (least recently used
    deleted, facts of a deleted subject simply dropped: no store, no reload),
    the same pair rule, no decisions, actions through durable's own host.  The
    monitor now dispatches actions without that host and skips the engine for
    facts that cannot pair, so this is a reference point, not an upper bound.
    """
    from durable import engine

    class Host(engine.Host):  # type: ignore[misc]
        def _run(self) -> None:
            return None

    pairs = [0]

    def on_pair(c: Any) -> None:
        pairs[0] += 1

    def on_mark(c: Any) -> None:
        return None

    rules = {
        "pair": {"all": [{"f": {"t": "finding"}}, {"k": {"t": "case"}}], "run": on_pair},
        "catch": {"all": [{"a": {"$nex": {"zz": 1}}}, {"b": {"zz": "never"}}], "run": on_mark},
        "mark": {"all": [{"m": {"t": "__mark"}}], "run": on_mark},
    }
    host = Host()
    host.register_rulesets({"peer": rules})
    live: OrderedDict[str, dict[tuple[str, str, str], dict[str, Any]]] = OrderedDict()
    facts_ops = 0
    t0 = time.perf_counter()
    c0 = time.process_time()
    samples: list[tuple[int, float]] = []
    for i, raw in enumerate(stream(args), 1):
        if i % args.sample_every == 0:
            samples.append((i, rss_mb()))
        sid = raw["subject"]
        if sid not in live:
            while len(live) >= args.max_sessions:
                old, _ = live.popitem(last=False)
                host.post("peer", {"sid": old, "t": "__mark"})
                host.delete_state("peer", old)
            live[sid] = {}
        live.move_to_end(sid)
        mine = live[sid]
        kind = raw["type"]
        is_case = kind.startswith("case")
        key = (
            "case" if is_case else "finding",
            raw["agency"],
            raw.get("case_id") or raw.get("finding_id") or "",
        )
        if kind in ("case_opened", "finding_recorded"):
            if key in mine:
                continue
            fact = {
                "t": key[0],
                "agency": raw["agency"],
                "key": key[2],
                "eid": raw["id"],
                "v": raw.get("case_type") or raw.get("category"),
                "sid": sid,
            }
            mine[key] = fact
            with contextlib.suppress(engine.MessageObservedException):
                host.assert_fact("peer", fact)
            facts_ops += 1
        else:
            fact = mine.pop(key, None)
            if fact is not None:
                host.retract_fact("peer", fact)
                facts_ops += 1
    return {
        "seconds": time.perf_counter() - t0,
        "cpu": time.process_time() - c0,
        "facts": facts_ops,
        "pairs": pairs[0],
        "samples": samples,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--subjects", type=int, default=10_000)
    ap.add_argument("--window", type=int, default=300, help="active subjects at a time (0: all)")
    ap.add_argument(
        "--finding-share",
        type=float,
        default=1.0,
        help="share of subjects with any finding (1.0: every subject, the dense case)",
    )
    ap.add_argument("--max-sessions", type=int, default=512)
    ap.add_argument("--commit-every", type=int, default=1000)
    ap.add_argument("--cache-mib", type=int, default=32, help="SQLite page cache of the store")
    ap.add_argument("--deliver-every", type=int, default=10_000)
    ap.add_argument(
        "--deliver-commit-every",
        type=int,
        default=1,
        help="commit delivery marks every N duties (1: after each, at most one resent)",
    )
    ap.add_argument(
        "--api",
        choices=["process", "many", "many-nocollect"],
        default="process",
        help="process() per event, or process_many() on chunks of 250 (with or without "
        "the SharingDuty records returned)",
    )
    ap.add_argument(
        "--sample-every", type=int, default=0, help="RSS sample period (default events/10)"
    )
    ap.add_argument(
        "--opaque-ids",
        action="store_true",
        help="random hex subject references and event ids instead of counting ones",
    )
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--store", type=Path, default=None, help="SQLite store (default: a temp file)")
    ap.add_argument("--skip-peer", action="store_true")
    ap.add_argument(
        "--profile-out",
        type=Path,
        default=None,
        help="write a cProfile of the monitor's calls between --profile-from and --profile-to",
    )
    ap.add_argument("--profile-from", type=int, default=0, help="first event profiled (after N)")
    ap.add_argument("--profile-to", type=int, default=0, help="last event profiled (0: the end)")
    args = ap.parse_args()
    args.sample_every = args.sample_every or max(args.events // 10, 1)
    args.profile_to = args.profile_to or args.events

    print(
        f"events={args.events:,} subjects={args.subjects:,} window={args.window or 'all'} "
        f"finding_share={args.finding_share} max_sessions={args.max_sessions} "
        f"commit_every={args.commit_every} cache_mib={args.cache_mib} api={args.api} "
        f"deliver_commit_every={args.deliver_commit_every} opaque_ids={args.opaque_ids} "
        f"python={sys.version.split()[0]}",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        store = args.store or Path(tmp) / "duties.sqlite"
        mon = bench_monitor(args, store)
        rate = args.events / mon["cpu"]
        s = mon["stats"]
        print(
            f"monitor: {mon['cpu']:.1f} s CPU in its calls: {rate:,.0f} events per CPU-second "
            "(parsing, durable_rules, decisions, SQLite with commits batched, deliveries)"
        )
        print(
            f"  whole run with the stream generator: {mon['total_cpu']:.1f} s CPU "
            f"({args.events / mon['total_cpu']:,.0f}/CPU-s), {mon['seconds']:.1f} s wall "
            f"({args.events / mon['seconds']:,.0f}/s); duty records returned {mon['returned']:,}"
        )
        print(
            f"  duties raised {s['raised']:,}, withdrawn {s['withdrawn']:,}, delivered {s['delivered']:,}; "
            f"live sessions {mon['live']}, evictions {mon['evictions']:,}, reloads {mon['loads']:,}, "
            f"facts stored without the engine (nothing to pair) {s.get('engine_skipped', 0):,}; "
            f"store {mon['store_mb']:.1f} MiB"
        )
        rss = [r for _, r in mon["samples"]]
        print(
            f"  RSS before {mon['base_rss']:.1f} MiB; during run min {min(rss):.1f} / max {max(rss):.1f} MiB; "
            "samples: " + ", ".join(f"{i // 1000}k:{r:.0f}" for i, r in mon["samples"])
        )
        prev_i, prev_c, prev_r, rates = 0, 0.0, 0, []
        for i, c, r in mon["segments"]:
            rates.append(
                f"{prev_i // 1000}-{i // 1000}k:{(i - prev_i) / max(c - prev_c, 1e-9):,.0f}"
                f" ({(r - prev_r) / (i - prev_i):.2f})"
            )
            prev_i, prev_c, prev_r = i, c, r
        print("  events per CPU-second by segment (duties raised per event): " + ", ".join(rates))
    if not args.skip_peer:
        peer = bench_durable_alone(args)
        prate = args.events / peer["cpu"]
        print(
            f"durable_rules alone: {peer['seconds']:.1f} s wall, {peer['cpu']:.1f} s CPU: "
            f"{prate:,.0f} events per CPU-second ({peer['facts'] / peer['cpu']:,.0f} fact "
            f"asserts+retracts per CPU-second, {peer['pairs']:,} pair actions; no decisions, no store)"
        )
        print("  RSS samples: " + ", ".join(f"{i // 1000}k:{r:.0f}" for i, r in peer["samples"]))
        print(f"ratio monitor / durable_rules alone (CPU): {rate / prate:.2f}")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
