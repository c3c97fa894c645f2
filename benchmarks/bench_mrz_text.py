"""Benchmark: parsing and checking MRZ text, misec_rules against its peers.

Generates N MRZs of mixed formats (TD1, TD2, TD3, MRV-A, MRV-B) with
``misec_rules.mrz.generate_mrz`` and, in the same run and on the same inputs:

- parses and checks them with ``misec_rules.mrz.parse_mrz``;
- checks them with the ``mrz`` package's checkers (``TD1CodeChecker`` ...), alone
  and followed by ``.fields()`` (the ``bench`` extra; GPL, never a runtime
  dependency);
- parses them with PassportEye's ``passporteye.mrz.text.MRZ``;

prints each throughput (best of ``--repeat`` runs) and the ratios; then corrupts one
character of M MRZs (a random position, a random other MRZ character) and prints
each library's detection rate, overall and on the corruptions that check digits
and position rules can detect in principle (see ``detectable_in_principle``).

Run by hand: ``.venv/bin/python benchmarks/bench_mrz_text.py [--count 10000]``.
"""

from __future__ import annotations

import argparse
import random
import string
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any

from misec_rules.errors import MRZError
from misec_rules.mrz import FORMATS, MRZ, country_codes, generate_mrz, parse_mrz
from misec_rules.mrz._checkdigit import VALUES
from misec_rules.mrz._formats import ALLOWED

REF = date(2026, 1, 1)
ALNUM = string.ascii_uppercase + string.digits
MRZ_CHARS = ALNUM + "<"
FIRST = {"TD1": "ACI", "TD2": "ACI", "TD3": "P", "MRVA": "V", "MRVB": "V"}
OPTIONAL_WIDTH = {"TD1": 15, "TD2": 7, "TD3": 14, "MRVA": 16, "MRVB": 8}


def make_mrzs(n: int, seed: int, formats: Sequence[str] = ()) -> list[tuple[str, list[str]]]:
    """``n`` valid MRZs, ``formats`` (default all) in equal shares, realistic field lengths."""
    rng = random.Random(seed)
    codes = sorted(c for c, v in country_codes().items() if v.kind != "other")

    def word(lo: int, hi: int) -> str:
        return "".join(rng.choice(string.ascii_uppercase) for _ in range(rng.randint(lo, hi)))

    out: list[tuple[str, list[str]]] = []
    fmts = sorted(formats or FORMATS)
    for i in range(n):
        fmt = fmts[i % len(fmts)]
        number = "".join(rng.choice(ALNUM) for _ in range(rng.randint(7, 9)))
        optional = "".join(rng.choice(ALNUM) for _ in range(rng.randint(0, OPTIONAL_WIDTH[fmt])))
        lines = generate_mrz(
            fmt,
            document_code=rng.choice(FIRST[fmt]) + rng.choice(["", "", "D", "P"]),
            issuing_state=rng.choice(codes),
            surname=word(3, 12),
            given_names=" ".join(word(3, 8) for _ in range(rng.randint(1, 2))),
            document_number=number,
            nationality=rng.choice(codes),
            birth_date=REF - timedelta(days=rng.randint(365, 365 * 90)),
            sex=rng.choice("MF"),
            expiry_date=REF + timedelta(days=rng.randint(-365 * 2, 365 * 10)),
            optional_data=optional,
        )
        out.append((fmt, lines))
    return out


# --- peers ---------------------------------------------------------------------------------


def misec_parse(fmt: str, lines: list[str]) -> MRZ:
    return parse_mrz(lines, reference_date=REF)


def mrz_package_checker() -> Callable[[str, list[str]], Any] | None:
    try:
        from mrz.checker.mrva import MRVACodeChecker
        from mrz.checker.mrvb import MRVBCodeChecker
        from mrz.checker.td1 import TD1CodeChecker
        from mrz.checker.td2 import TD2CodeChecker
        from mrz.checker.td3 import TD3CodeChecker
    except ImportError:
        return None
    by_fmt = {
        "TD1": TD1CodeChecker,
        "TD2": TD2CodeChecker,
        "TD3": TD3CodeChecker,
        "MRVA": MRVACodeChecker,
        "MRVB": MRVBCodeChecker,
    }

    def check(fmt: str, lines: list[str]) -> Any:
        return by_fmt[fmt]("\n".join(lines))

    return check


def passporteye_parser() -> Callable[[str, list[str]], Any] | None:
    try:
        from passporteye.mrz.text import MRZ as PassportEyeMRZ
    except ImportError:
        return None

    def parse(fmt: str, lines: list[str]) -> Any:
        return PassportEyeMRZ(lines)

    return parse


def throughputs(
    peers: dict[str, Callable[[str, list[str]], Any]],
    data: Sequence[tuple[str, list[str]]],
    repeat: int,
    chunk: int = 500,
) -> dict[str, float]:
    """MRZs per second for each peer.

    The data is cut into chunks; each chunk is timed for every peer in turn,
    ``repeat`` times, and each peer's time is the sum over chunks of its best time
    for that chunk.  On a shared machine, load spikes then hit the peers alike and
    mostly drop out of the minimum.
    """
    chunks = [data[i : i + chunk] for i in range(0, len(data), chunk)]
    best = {name: [float("inf")] * len(chunks) for name in peers}
    for _ in range(repeat):
        for k, part in enumerate(chunks):
            for name, fn in peers.items():
                t0 = time.perf_counter()
                for fmt, lines in part:
                    fn(fmt, lines)
                best[name][k] = min(best[name][k], time.perf_counter() - t0)
    return {name: len(data) / sum(times) for name, times in best.items()}


# --- corruption detection -----------------------------------------------------------------


def detectable_in_principle(fmt: str, lines: list[str], line: int, col: int, new: str) -> bool:
    """Whether check digits or position rules can notice this one substitution.

    Yes when the position is covered by a check digit (as data or as the check digit
    itself) and the new character's value differs modulo 10; when the new character is
    one the field cannot hold (a letter in a date or check digit, a digit in a name or
    code, a sex other than M/F/X/<); when a known state code becomes unknown; or when
    a date digit becomes `<` (a partly unknown date, reported).  Letters swapped
    within a name, M for F, one known code for another, and swaps invisible modulo 10
    in a letters-and-digits field are undetectable by any MRZ reader.
    """
    f = FORMATS[fmt]  # type: ignore[index]
    field = f.field_at(line, col)
    old = lines[line][col]
    if new not in ALLOWED[field.kind]:
        return True
    if field.kind == "date" and new == "<":
        return True
    if field.kind == "check":
        return True
    if line == 0 and col == 0:
        if "V" in (old, new):
            return False  # a V makes a visa of it and a visa of another letter: a new format
        return new not in f.document_codes or old not in f.document_codes
    protected = field.check is not None or any(
        ln == line and a <= col < b for ln, a, b in f.composite
    )
    if protected and VALUES[new] % 10 != VALUES[old] % 10:
        return True
    if field.kind == "name":
        before = lines[line][field.start : field.end]
        after = (lines[line][:col] + new + lines[line][col + 1 :])[field.start : field.end]
        return _name_regular(before) and not _name_regular(after)
    if field.kind == "state":
        known = country_codes()
        before = lines[line][field.start : field.end].strip("<")
        after = (lines[line][:col] + new + lines[line][col + 1 :])[field.start : field.end]
        stripped = after.strip("<")
        return before in known and ("<" in stripped or stripped not in known)
    return False


def _name_regular(name: str) -> bool:
    """ICAO 9303 Part 3 4.6: one `<` between parts, one `<<` between the identifiers."""
    body = name.rstrip("<")
    if body.startswith("<"):
        return False
    _primary, _sep, secondary = body.partition("<<")
    return not secondary.startswith("<") and "<<" not in secondary


def corrupt(
    data: Sequence[tuple[str, list[str]]], m: int, seed: int
) -> list[tuple[int, str, list[str], list[str], bool]]:
    rng = random.Random(seed)
    out = []
    for _ in range(m):
        index = rng.randrange(len(data))
        fmt, lines = data[index]
        line = rng.randrange(len(lines))
        col = rng.randrange(len(lines[line]))
        new = rng.choice([c for c in MRZ_CHARS if c != lines[line][col]])
        bad = list(lines)
        bad[line] = bad[line][:col] + new + bad[line][col + 1 :]
        out.append((index, fmt, lines, bad, detectable_in_principle(fmt, lines, line, col, new)))
    return out


def detected_misec(fmt: str, good: list[str], bad: list[str]) -> bool:
    try:
        m = parse_mrz(bad, reference_date=REF)
    except MRZError:
        return True
    clean = parse_mrz(good, reference_date=REF)
    return not m.valid or {(w.code, w.message) for w in m.warnings} != {
        (w.code, w.message) for w in clean.warnings
    }


def make_detected_mrz(
    check: Callable[[str, list[str]], Any],
) -> Callable[[str, list[str], list[str]], bool]:
    def detected(fmt: str, good: list[str], bad: list[str]) -> bool:
        try:
            return not bool(check(fmt, bad))
        except Exception:  # the peer's own errors count as detection
            return True

    return detected


def make_detected_pe(
    parse: Callable[[str, list[str]], Any],
) -> Callable[[str, list[str], list[str]], bool]:
    def detected(fmt: str, good: list[str], bad: list[str]) -> bool:
        try:
            m = parse(fmt, bad)
        except Exception:
            return True
        return not m.valid

    return detected


def _simulated_candidates(
    rng: random.Random, bad: list[str], at: tuple[int, int], true: str
) -> list[list[list[tuple[str, float]]]]:
    """Candidates as an OCR engine might give them: everywhere the read character at
    0.95 and a confusable (or random) alternative at 0.04; at the misread position the
    wrong character at 0.55 and, 70% of the time, the true one at 0.35 (else another)."""
    from misec_rules.mrz import CONFUSABLE

    out = []
    for li, line in enumerate(bad):
        row = []
        for ci, ch in enumerate(line):
            if (li, ci) == at:
                second = true if rng.random() < 0.7 else rng.choice(MRZ_CHARS)
                row.append([(ch, 0.55), (second, 0.35)])
            else:
                row.append([(ch, 0.95), (rng.choice(CONFUSABLE.get(ch, "") or MRZ_CHARS), 0.04)])
        out.append(row)
    return out


def repair_outcomes(
    data: Sequence[tuple[str, list[str]]],
    m: int,
    seed: int,
    *,
    confusable_only: bool,
    candidates: bool = False,
) -> dict[str, int]:
    """Misread one character in a checked field, run ``repair_mrz``, classify the outcome.

    ``restored``: the original text; ``restored_name_flagged``: the checked fields
    restored, and a name's trailing ``K`` taken for fillers with a
    ``repair_name_uncertain`` warning; ``kept``: left as read (invalid, with a
    warning); ``wrong_valid``: changed into a different MRZ whose checks pass (the
    failure that must not happen); ``other``: changed but still invalid.
    """
    from misec_rules.mrz import CONFUSABLE, repair_mrz

    rng = random.Random(seed)
    out = {"restored": 0, "restored_name_flagged": 0, "kept": 0, "wrong_valid": 0, "other": 0}
    done = 0
    while done < m:
        fmt, lines = data[rng.randrange(len(data))]
        f = FORMATS[fmt]  # type: ignore[index]
        fld = rng.choice([x for x in f.fields if x.check or x.kind == "check"])
        col = rng.choice(list(fld.columns()))
        old = lines[fld.line][col]
        if confusable_only:
            choices = [c for c in CONFUSABLE.get(old, "") if VALUES[c] % 10 != VALUES[old] % 10]
        else:
            choices = [c for c in MRZ_CHARS if c != old]
        if not choices:
            continue
        bad = list(lines)
        bad[fld.line] = bad[fld.line][:col] + rng.choice(choices) + bad[fld.line][col + 1 :]
        if parse_mrz(bad, reference_date=REF).valid:
            continue  # invisible to every check: nothing to repair
        done += 1
        cands = _simulated_candidates(rng, bad, (fld.line, col), old) if candidates else None
        r = repair_mrz(bad, candidates=cands, reference_date=REF)
        name = f["name"]
        diff = [
            (ln, c)
            for ln, (x, y) in enumerate(zip(r.lines, lines, strict=True))
            for c in range(len(x))
            if x[c] != y[c]
        ]
        if r.lines == lines:
            out["restored"] += 1
        elif all(ln == name.line and name.start <= c < name.end for ln, c in diff) and (
            "repair_name_uncertain" in r.warning_codes
        ):
            out["restored_name_flagged"] += 1
        elif r.lines == bad:
            out["kept"] += 1
        elif r.valid:
            out["wrong_valid"] += 1
        else:
            out["other"] += 1
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=10_000, help="MRZs to parse (default 10000)")
    ap.add_argument(
        "--corruptions", type=int, default=10_000, help="corrupted MRZs (default 10000)"
    )
    ap.add_argument("--repeat", type=int, default=5, help="timing runs, best kept (default 5)")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument(
        "--formats", default="", help="comma-separated formats to generate (default: all five)"
    )
    ap.add_argument(
        "--repair-cases",
        type=int,
        default=1000,
        help="misreads for the repair check (default 1000)",
    )
    args = ap.parse_args(argv)

    formats = [f for f in args.formats.split(",") if f]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        ap.error(f"unknown format(s): {', '.join(unknown)}")
    data = make_mrzs(args.count, args.seed, formats)
    peers: dict[str, Callable[[str, list[str]], Any]] = {"misec_rules parse_mrz": misec_parse}
    mrz_check = mrz_package_checker()
    if mrz_check is not None:
        peers["mrz checker"] = mrz_check

        def mrz_check_fields(fmt: str, lines: list[str]) -> Any:
            return mrz_check(fmt, lines).fields()  # type: ignore[misc]

        peers["mrz checker + fields()"] = mrz_check_fields
    else:
        print("mrz package not installed: .venv/bin/pip install mrz (bench extra)", file=sys.stderr)
    pe = passporteye_parser()
    if pe is not None:
        peers["PassportEye MRZ"] = pe
    else:
        print("passporteye not installed", file=sys.stderr)

    print(
        f"{args.count} valid MRZs, formats {', '.join(sorted(formats or FORMATS))} in equal shares; "
        f"best of {args.repeat} interleaved runs per chunk of 500"
    )
    rates = throughputs(peers, data, args.repeat)
    ours = rates["misec_rules parse_mrz"]
    for name, rate in rates.items():
        ratio = "" if name.startswith("misec") else f"   misec_rules is {ours / rate:.1f}x"
        print(f"  {name:<26} {rate:>10,.0f} MRZ/s{ratio}")

    # a peer that rejects valid MRZs would "detect" corruptions it merely rejects:
    # count its false rejections, and measure detection only on MRZs it accepts clean
    accepts: dict[str, Callable[[str, list[str]], bool]] = {
        "misec_rules parse_mrz": lambda f, lines: parse_mrz(lines, reference_date=REF).valid
    }
    if mrz_check is not None:
        accepts["mrz checker"] = lambda f, lines: bool(mrz_check(f, lines))  # type: ignore[misc]
    if pe is not None:
        accepts["PassportEye MRZ"] = lambda f, lines: bool(pe(f, lines).valid)  # type: ignore[misc]
    print("\nvalid MRZs rejected (false alarms):")
    accepted: dict[str, set[int]] = {}
    for name, ok in accepts.items():
        accepted[name] = {i for i, (f, lines) in enumerate(data) if ok(f, lines)}
        rejected = len(data) - len(accepted[name])
        print(f"  {name:<26} {rejected:>6} of {len(data)} ({rejected / len(data):.2%})")

    cases = corrupt(data, args.corruptions, args.seed + 1)
    possible = sum(1 for *_x, d in cases if d)
    print(
        f"\n{len(cases)} single-character corruptions (random position, random other "
        f"character); {possible} ({possible / len(cases):.1%}) detectable in principle; "
        "each peer scored on the MRZs it accepts clean"
    )
    detectors: dict[str, Callable[[str, list[str], list[str]], bool]] = {
        "misec_rules parse_mrz": detected_misec
    }
    if mrz_check is not None:
        detectors["mrz checker"] = make_detected_mrz(mrz_check)
    if pe is not None:
        detectors["PassportEye MRZ"] = make_detected_pe(pe)
    for name, det in detectors.items():
        mine = [c for c in cases if c[0] in accepted[name]]
        hits = [det(fmt, good, bad) for _i, fmt, good, bad, _d in mine]
        detectable = [h for h, c in zip(hits, mine, strict=True) if c[4]]
        all_rate = sum(hits) / max(len(mine), 1)
        in_principle = sum(detectable) / max(len(detectable), 1)
        missed = len(detectable) - sum(detectable)
        print(
            f"  {name:<26} detects {all_rate:6.1%} of all, {in_principle:6.1%} of the detectable "
            f"({missed} of {len(detectable)} missed; {len(mine)} scored)"
        )

    print(
        f"\nrepair_mrz on {args.repair_cases} MRZs with one misread character in a checked field:"
    )
    for label, only, cands in (
        ("confusable misread", True, False),
        ("any misread", False, False),
        ("any + candidates", False, True),
    ):
        o = repair_outcomes(
            data, args.repair_cases, args.seed + 2, confusable_only=only, candidates=cands
        )
        n = sum(o.values())
        print(
            f"  {label:<20} restored {o['restored'] / n:6.1%} (+{o['restored_name_flagged'] / n:.1%}"
            f" with a name flagged)  kept as read {o['kept'] / n:6.1%}  "
            f"made wrongly valid {o['wrong_valid'] / n:6.1%}  other {o['other'] / n:6.1%}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
