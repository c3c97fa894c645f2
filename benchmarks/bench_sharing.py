"""Sharing decisions: misec_rules against cedarpy, regopy and durable_rules.

The same generated policy -- N rules "agency A may share category c with agency
B for purpose p", about a tenth of them prohibitions (half of those on a cell a
permission also covers, so the prohibition must win) -- is given to every
engine, and the same random requests are decided by each in one run:

* misec_rules: ``load_rulesets`` on a generated ruleset folder, then
  ``RulesetRegistry.decide(mapping)``; each decision carries its rule ids, legal
  basis, route and English and Finnish explanation.  ``+to_json`` also builds
  DESIGN.md's JSON object.
* cedarpy: the policies parsed once into a ``PolicySet``; ``is_authorized`` per
  request (the reasons give the deciding policies).
* regopy: a bundle compiled once; ``set_input`` + ``query_bundle`` per request.
* durable_rules: ``post`` of one event per request to a ruleset holding the rules
  with priorities (prohibitions first).  Only up to 100 rules: durable_rules
  hangs without any error once one attribute is tested against 512 literals, so
  larger sizes are not attempted.

Every engine's outcome (permitted / prohibited / not_covered) is compared with
misec_rules' for every request, and the deciding rule ids too where the engine
reports them (cedarpy, regopy).  Latency is per call, measured around the call
with ``time.perf_counter_ns`` after one untimed warm-up pass; the figures are the
median and the 99th percentile.  Run by hand::

    .venv/bin/python benchmarks/bench_sharing.py [--sizes 10,100,1000,10000] [--requests 500]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from misec_rules.sharing import load_rulesets

N_AGENCIES = 20
N_CATEGORIES = 30
N_PURPOSES = 10
FORBID_SHARE = 0.1
DURABLE_MAX = 100
AT = "2024-01-01"

Rule = tuple[str, str, str, str, str, str]  # id, kind, from, to, category, purpose


def generate(n: int, seed: int) -> list[Rule]:
    """``n`` rules over a fixed vocabulary; ~10% prohibitions."""
    rng = random.Random(seed)
    agencies = [f"A{i:02d}" for i in range(N_AGENCIES)]
    cats = [f"c{i:02d}" for i in range(N_CATEGORIES)]
    purposes = [f"p{i}" for i in range(N_PURPOSES)]
    rules: list[Rule] = []
    seen: set[tuple[str, str, str, str, str]] = set()
    while len(rules) < n:
        forbid = rng.random() < FORBID_SHARE
        if forbid and rules and rng.random() < 0.5:
            _, _, a, b, c, p = rng.choice(rules)
        else:
            a, b = rng.sample(agencies, 2)
            c, p = rng.choice(cats), rng.choice(purposes)
        kind = "forbid" if forbid else "permit"
        if (kind, a, b, c, p) in seen:
            continue
        seen.add((kind, a, b, c, p))
        rules.append((f"r{len(rules):05d}", kind, a, b, c, p))
    return rules


def requests_for(rules: Sequence[Rule], count: int, seed: int) -> list[dict[str, Any]]:
    """Half the requests hit a rule's cell, half are uniform at random."""
    rng = random.Random(seed)
    agencies = [f"A{i:02d}" for i in range(N_AGENCIES)]
    out = []
    for i in range(count):
        if i % 2 == 0:
            _, _, a, b, c, p = rng.choice(rules)
        else:
            a, b = rng.sample(agencies, 2)
            c, p = f"c{rng.randrange(N_CATEGORIES):02d}", f"p{rng.randrange(N_PURPOSES)}"
        out.append({"from": a, "to": b, "category": c, "purpose": p})
    return out


# --- engines ------------------------------------------------------------------


def misec_engine(rules: Sequence[Rule], folder: Path) -> tuple[Any, float]:
    agencies = {f"A{i:02d}" for i in range(N_AGENCIES)}
    lines = [
        "ruleset: bench",
        "agencies:",
        *(
            f"  {a}: {{names: {{fi: {a}, sv: {a}, en: {a}}}, contact_points: "
            f"[{{channel: interface, address: 'https://{a.lower()}.example.invalid', example: true}}]}}"
            for a in sorted(agencies)
        ),
        "categories:",
        *(f"  c{i:02d}: {{}}" for i in range(N_CATEGORIES)),
        "purposes:",
        *(f"  p{i}: {{}}" for i in range(N_PURPOSES)),
        "sources:",
        "  s1: {act: '1/2000', title: Generated act, section: '1 §', in_force_from: 2000-01-01}",
        "versions:",
        "  - {in_force_from: 2000-01-01}",
        "rules:",
    ]
    for rid, kind, a, b, c, p in rules:
        modality = "must_not_share" if kind == "forbid" else "may_share"
        lines.append(
            f"  - {{id: {rid}, modality: {modality}, from: {a}, to: {b}, categories: [{c}], "
            f"purposes: [{p}], legal_basis: [s1], in_force_from: 2000-01-01}}"
        )
    (folder / "ruleset.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    t0 = time.perf_counter()
    registry = load_rulesets(folder)
    return registry, time.perf_counter() - t0


def misec_request(q: dict[str, Any]) -> dict[str, Any]:
    return {
        "from": q["from"],
        "to": q["to"],
        "categories": [q["category"]],
        "purpose": q["purpose"],
        "initiative": "request",
        "at": AT,
    }


def cedar_engine(rules: Sequence[Rule]) -> tuple[Callable[[dict[str, Any]], Any], float]:
    import cedarpy

    text = "\n".join(
        f'@id("{rid}")\n{kind}(principal == Agency::"{a}", action == Action::"share", '
        f'resource == Category::"{c}") when {{ context.to == "{b}" && context.purpose == "{p}" }};'
        for rid, kind, a, b, c, p in rules
    )
    t0 = time.perf_counter()
    policies = cedarpy.PolicySet.from_str(text)
    entities = cedarpy.Entities.from_json_str("[]")
    build = time.perf_counter() - t0

    def decide(q: dict[str, Any]) -> Any:
        return cedarpy.is_authorized(q, policies, entities)

    return decide, build


def cedar_request(q: dict[str, Any]) -> dict[str, Any]:
    return {
        "principal": f'Agency::"{q["from"]}"',
        "action": 'Action::"share"',
        "resource": f'Category::"{q["category"]}"',
        "context": {"to": q["to"], "purpose": q["purpose"]},
    }


def cedar_outcome(result: Any, rules: Sequence[Rule]) -> tuple[str, set[str]]:
    ids = {rules[int(r.removeprefix("policy"))][0] for r in result.diagnostics.reasons}
    if result.allowed:
        return "permitted", ids
    return ("prohibited" if ids else "not_covered"), ids


def rego_engine(rules: Sequence[Rule]) -> tuple[Callable[[dict[str, Any]], Any], float]:
    from regopy import Interpreter

    body = [
        f'{kind} contains "{rid}" if {{ input.from == "{a}"; input.to == "{b}"; '
        f'input.category == "{c}"; input.purpose == "{p}" }}'
        for rid, kind, a, b, c, p in rules
    ]
    module = "\n".join(
        [
            "package sharing",
            "import rego.v1",
            *body,
            'outcome := "prohibited" if { count(forbid) > 0 } '
            'else := "permitted" if { count(permit) > 0 } else := "not_covered"',
            'decision := {"outcome": outcome, "permit": permit, "forbid": forbid}',
        ]
    )
    if not any(k == "forbid" for _, k, *_ in rules):
        module += '\nforbid contains "never" if { false }'
    if not any(k == "permit" for _, k, *_ in rules):
        module += '\npermit contains "never" if { false }'
    t0 = time.perf_counter()
    builder = Interpreter()
    builder.add_module("sharing.rego", module)
    bundle = builder.build("x = data.sharing.decision", ["sharing/decision"])
    if not bundle.ok():
        raise RuntimeError("regopy could not build the bundle")
    runner = Interpreter()
    build = time.perf_counter() - t0

    def decide(q: dict[str, Any]) -> Any:
        runner.set_input(q)
        out = runner.query_bundle(bundle)
        return json.loads(out.binding("x").json())

    return decide, build


def rego_outcome(result: dict[str, Any]) -> tuple[str, set[str]]:
    outcome = result["outcome"]
    ids = set(result["forbid"] if outcome == "prohibited" else result["permit"])
    return outcome, ids


def _recorder(fired: list[tuple[str, str]], kind: str, rid: str) -> Callable[[Any], None]:
    # durable_rules accepts only one-argument actions (no default arguments)
    def action(_c: Any) -> None:
        fired.append((kind, rid))

    return action


def durable_engine(
    rules: Sequence[Rule], name: str
) -> tuple[Callable[[dict[str, Any]], Any], float]:
    from durable.lang import m, post, pri, ruleset, when_all

    fired: list[tuple[str, str]] = []
    t0 = time.perf_counter()
    with ruleset(name):
        for rid, kind, a, b, c, p in rules:
            priority = 1 if kind == "forbid" else 2

            when_all(pri(priority), (m.src == a) & (m.dst == b) & (m.cat == c) & (m.purpose == p))(
                _recorder(fired, kind, rid)
            )

        def nothing(_c: Any) -> None:
            fired.append(("none", ""))

        when_all(pri(3), +m.src)(nothing)
    build = time.perf_counter() - t0

    def decide(q: dict[str, Any]) -> Any:
        fired.clear()
        post(
            name, {"src": q["from"], "dst": q["to"], "cat": q["category"], "purpose": q["purpose"]}
        )
        return fired[-1] if fired else ("none", "")

    return decide, build


def durable_outcome(result: tuple[str, str]) -> str:
    return {"forbid": "prohibited", "permit": "permitted", "none": "not_covered"}[result[0]]


# --- measuring ----------------------------------------------------------------


def timed(fn: Callable[[Any], Any], inputs: Sequence[Any]) -> tuple[list[Any], list[float]]:
    for x in inputs:  # warm-up, untimed
        fn(x)
    results = []
    times = []
    clock = time.perf_counter_ns
    for x in inputs:
        t0 = clock()
        r = fn(x)
        times.append((clock() - t0) / 1000.0)
        results.append(r)
    return results, times


def stats(times: Sequence[float]) -> tuple[float, float]:
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered), p99


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000,10000")
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip", default="", help="comma-separated peers to skip")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    skip = set(filter(None, args.skip.split(",")))
    peers = {"cedarpy": "cedarpy", "regopy": "regopy", "durable_rules": "durable"}
    available = {}
    for peer, module in peers.items():
        if peer in skip:
            continue
        try:
            __import__(module)
            available[peer] = True
        except ImportError:
            print(f"# {peer} not installed: pip install 'misec-rules[bench]' (skipped)")
    print(
        f"# {args.requests} random requests per size (half on a rule's cell), one warm-up "
        "pass, then each call timed; latency in microseconds"
    )
    print(
        f"# durable_rules only up to {DURABLE_MAX} rules: it hangs without error at 512 "
        "literals on one attribute, so larger sizes are not attempted"
    )
    header = (
        f"{'rules':>6} {'engine':<22} {'build s':>8} {'median us':>10} {'p99 us':>9} {'x misec':>8}"
    )
    print(header)
    disagreements = 0
    for n in sizes:
        rules = generate(n, args.seed + n)
        queries = requests_for(rules, args.requests, args.seed * 31 + n)
        rows: list[tuple[str, float, float, float]] = []
        with tempfile.TemporaryDirectory() as tmp:
            registry, build = misec_engine(rules, Path(tmp))
        mreqs = [misec_request(q) for q in queries]
        decisions, mtimes = timed(registry.decide, mreqs)
        expected = [(d.outcome, set(d.rules)) for d in decisions]
        rows.append(("misec_rules decide", build, *stats(mtimes)))
        decide_json = registry.decide
        _, jtimes = timed(lambda q, d=decide_json: d(q).to_json(), mreqs)
        rows.append(("misec_rules +to_json", build, *stats(jtimes)))
        assert all("Outcome" in d.explanation_en and d.explanation_fi for d in decisions)
        if "cedarpy" in available:
            decide, cbuild = cedar_engine(rules)
            results, ctimes = timed(decide, [cedar_request(q) for q in queries])
            got = [cedar_outcome(r, rules) for r in results]
            bad = sum(g != e for g, e in zip(got, expected, strict=True))
            disagreements += bad
            rows.append(
                (f"cedarpy{' DISAGREES x' + str(bad) if bad else ''}", cbuild, *stats(ctimes))
            )
        if "regopy" in available:
            decide, rbuild = rego_engine(rules)
            results, rtimes = timed(decide, queries)
            got = [rego_outcome(r) for r in results]
            bad = sum(g != e for g, e in zip(got, expected, strict=True))
            disagreements += bad
            rows.append(
                (f"regopy{' DISAGREES x' + str(bad) if bad else ''}", rbuild, *stats(rtimes))
            )
        if "durable_rules" in available and n <= DURABLE_MAX:
            decide, dbuild = durable_engine(rules, f"bench_sharing_{n}")
            results, dtimes = timed(decide, queries)
            got_outcomes = [durable_outcome(r) for r in results]
            bad = sum(g != e[0] for g, e in zip(got_outcomes, expected, strict=True))
            disagreements += bad
            rows.append(
                (
                    f"durable_rules post{' DISAGREES x' + str(bad) if bad else ''}",
                    dbuild,
                    *stats(dtimes),
                )
            )
        base = rows[0][2]
        for name, b, med, p99 in rows:
            print(f"{n:>6} {name:<22} {b:>8.3f} {med:>10.2f} {p99:>9.2f} {med / base:>8.1f}")
        outcomes = {
            o: sum(e[0] == o for e in expected) for o in ("permitted", "prohibited", "not_covered")
        }
        print(f"# {n} rules: outcomes {outcomes}")
        sys.stdout.flush()
    if disagreements:
        print(f"# {disagreements} disagreements between engines")
        return 1
    print("# all engines agree on every request (outcome; and rule ids for cedarpy and regopy)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
