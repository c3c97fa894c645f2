"""`misec rules ...`: validate, lint, test, decide, diff, matrix and schema.

Exit codes (DESIGN.md): 0 success (outcome required/permitted, tests pass, no
lint warnings); 1 a negative result (prohibited, not_covered, indeterminate; a
failing scenario; lint warnings); 2 bad usage or input that cannot be read (a
request that is not JSON or lacks ``from``/``to``/``categories``/``purpose``, a
scenario file that does not validate, a ruleset path with no ruleset, an output
file that cannot be written); 3 an invalid ruleset.  With ``--json`` every
command prints one JSON object per input: per ruleset folder for ``validate``
and ``lint``, per request for ``decide``, per scenario (and a summary) for
``test``.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from misec_rules._io import check_writable_file
from misec_rules.cli._common import (
    EXIT_NEGATIVE,
    EXIT_OK,
    EXIT_RULESET,
    EXIT_USAGE,
    JSON_OPTION,
    emit_json,
    error_line,
    fail,
)
from misec_rules.errors import RequestError, RulesetError
from misec_rules.sharing import (
    RulesetLoadError,
    RulesetNotFoundError,
    RulesetRegistry,
    load_rulesets,
)
from misec_rules.sharing._diff import diff_versions
from misec_rules.sharing._lint import lint_rulesets
from misec_rules.sharing._matrix import build_matrix, render_matrix_html
from misec_rules.sharing._request import parse_date
from misec_rules.sharing._scenarios import Scenario, load_scenarios, run_scenarios
from misec_rules.sharing._schema import SCHEMA_KINDS, ruleset_json_schema
from misec_rules.sharing._yaml import read_failure

app = typer.Typer(
    no_args_is_help=True,
    help=(
        "Write, check and use data-sharing rulesets: validate, lint, test, decide, diff, "
        "matrix and schema."
    ),
)

DIR_ARG = typer.Argument(..., help="Ruleset folder (holding ruleset.yaml).")


def _error_json(err: RulesetError) -> dict[str, Any]:
    return {"error": err.reason, "file": err.file, "line": err.line, "at": err.path}


def _rejection(path: Path, exc: RulesetLoadError) -> tuple[dict[str, Any], int]:
    """The one JSON object and the exit code for a ruleset that did not load."""
    if isinstance(exc, RulesetNotFoundError):
        code, reason = EXIT_USAGE, exc.errors[0].reason
    else:
        code, reason = EXIT_RULESET, f"ruleset rejected: {len(exc.errors)} error(s)"
    out = {
        "path": str(path),
        "valid": False,
        "error": reason,
        "errors": [_error_json(e) for e in exc.errors],
    }
    return out, code


def _report_ruleset_errors(path: Path, exc: RulesetLoadError, as_json: bool) -> int:
    """Print why a ruleset did not load; return the exit code (2 not found, 3 invalid)."""
    out, code = _rejection(path, exc)
    if as_json:
        emit_json(out)
    else:
        for err in exc.errors:
            typer.echo(f"error: {err}", err=True)
        if code == EXIT_RULESET:
            typer.echo(f"ruleset rejected: {len(exc.errors)} error(s)", err=True)
    return code


def _load(path: Path, as_json: bool) -> RulesetRegistry:
    try:
        return load_rulesets(path)
    except RulesetLoadError as exc:
        raise typer.Exit(_report_ruleset_errors(path, exc, as_json)) from None


DIRS_ARG = typer.Argument(..., help="Ruleset folders (each holding ruleset.yaml).")


@app.command()
def validate(paths: list[Path] = DIRS_ARG, as_json: bool = JSON_OPTION) -> None:
    """Check rulesets: YAML, keys, references, cycles, version dates.

    Every independent error is reported.  Exit 0 all valid; 3 some ruleset is
    invalid; 2 some path holds no ruleset.  With --json one object per folder:
    {path, valid, errors} (and ruleset, rules, versions when valid).
    """
    code = EXIT_OK
    for path in paths:
        try:
            reg = load_rulesets(path)
        except RulesetLoadError as exc:
            code = max(code, _report_ruleset_errors(path, exc, as_json))
            continue
        if as_json:
            emit_json(
                {
                    "path": str(path),
                    "valid": True,
                    "errors": [],
                    "ruleset": reg.id,
                    "rules": len(reg.rules),
                    "versions": [v.name for v in reg.versions],
                }
            )
        else:
            typer.echo(
                f"ok: {path}: {reg.id}: {len(reg.rules)} rules, "
                f"{len(reg.versions)} versions "
                f"({', '.join(v.in_force_from.isoformat() for v in reg.versions)})"
            )
    raise typer.Exit(code)


@app.command()
def lint(
    paths: list[Path] = DIRS_ARG,
    as_json: bool = JSON_OPTION,
    show_info: bool = typer.Option(
        True, "--info/--no-info", help="Also list informational findings (gaps, overrides)."
    ),
) -> None:
    """List conflicts without exceptions, gaps, shadowed rules and sources not in force.

    Exit 1 when there is any warning (information alone exits 0); 3 an invalid
    ruleset; 2 a path with no ruleset.  With --json one object per folder:
    {path, ruleset, findings, warnings, notes}.
    """
    code = EXIT_OK
    for path in paths:
        try:
            reg = load_rulesets(path)
        except RulesetLoadError as exc:
            code = max(code, _report_ruleset_errors(path, exc, as_json))
            continue
        findings = lint_rulesets(reg)
        shown = [f for f in findings if show_info or f.severity != "info"]
        warnings = sum(f.severity != "info" for f in findings)
        if as_json:
            emit_json(
                {
                    "path": str(path),
                    "ruleset": reg.id,
                    "findings": [f.to_json() for f in shown],
                    "warnings": warnings,
                    "notes": len(findings) - warnings,
                }
            )
        else:
            for f in shown:
                typer.echo(str(f))
            typer.echo(
                f"{path}: {warnings} warning(s), {len(findings) - warnings} note(s)",
                err=True,
            )
        if warnings:
            code = max(code, EXIT_NEGATIVE)
    raise typer.Exit(code)


@app.command("test")
def test_cmd(
    path: Path = DIR_ARG,
    as_json: bool = JSON_OPTION,
    scenarios: list[Path] = typer.Option(
        [], "--scenarios", help="Scenario files or folders (default: the ruleset's tests/)."
    ),
    require_coverage: bool = typer.Option(
        False, "--require-coverage", help="Also fail (exit 1) when some rule is not exercised."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="List passing scenarios too."),
) -> None:
    """Run the scenario tests and report rule coverage.

    Exit 0 all pass; 1 a failure (or no scenario, or with --require-coverage a rule
    not exercised); 2 a scenario file that does not validate; 3 an invalid ruleset.
    With --json one object per scenario, then {"summary": ...}.
    """
    reg = _load(path, as_json)
    cases = _scenarios_or_exit(scenarios if scenarios else [path / "tests"], as_json)
    if not cases and not as_json:
        typer.echo("no scenarios found (looked in the ruleset's tests/ folder)", err=True)
    report = run_scenarios(reg, cases)
    for r in report.results:
        if as_json:
            emit_json(r.to_json())
        elif not r.passed:
            typer.echo(f"FAIL {r.scenario.file}:{r.scenario.line}: {r.scenario.name}")
            for p in r.problems:
                typer.echo(f"     {p}")
        elif verbose:
            typer.echo(f"ok   {r.scenario.name}")
    summary = report.to_json()
    if as_json:
        emit_json({"summary": summary})
    else:
        typer.echo(
            f"{summary['passed']} passed, {summary['failed']} failed; rule coverage "
            f"{len(report.exercised)}/{len(report.exercised) + len(report.uncovered)} "
            f"({report.coverage:.0%})"
        )
        if report.uncovered:
            typer.echo("not exercised by any scenario: " + ", ".join(report.uncovered))
    bad = not report.passed or not cases or (require_coverage and report.uncovered)
    raise typer.Exit(EXIT_NEGATIVE if bad else EXIT_OK)


def _scenarios_or_exit(paths: list[Path], as_json: bool) -> list[Scenario]:
    """Read scenario files; bad ones are bad input (exit 2), one report per file."""
    try:
        return load_scenarios(paths)
    except RulesetLoadError as exc:
        by_file: dict[str | None, list[RulesetError]] = {}
        for err in exc.errors:
            by_file.setdefault(err.file, []).append(err)
        for file, errs in by_file.items():
            if as_json:
                emit_json(
                    {
                        "path": file,
                        "error": f"scenario file rejected: {len(errs)} error(s)",
                        "errors": [_error_json(e) for e in errs],
                    }
                )
            else:
                for err in errs:
                    typer.echo(f"error: {err}", err=True)
        if not as_json:
            typer.echo(f"scenarios rejected: {len(exc.errors)} error(s)", err=True)
        raise typer.Exit(EXIT_USAGE) from None


@dataclass(frozen=True, slots=True)
class _Line:
    """One request read from the input: its line number and value, or why it is unreadable."""

    number: int
    value: Any = None
    error: str | None = None


def _read_requests(source: str, as_json: bool) -> list[_Line]:
    """The requests in ``source``: one JSON object, or JSON Lines (one per line).

    A line that is not JSON is kept as an error, so the other lines are still decided.
    """
    where = "-" if source == "-" else source
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read request: {read_failure(exc)}", as_json=as_json, path=where)
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        pass
    else:
        stripped = text.lstrip()
        first = text[: len(text) - len(stripped)].count("\n") + 1
        return [_Line(first, whole)]
    out: list[_Line] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            out.append(_Line(n, json.loads(line)))
        except json.JSONDecodeError as exc:
            out.append(
                _Line(
                    n,
                    error=f"line {n}: request is not json (column {exc.colno}): {exc.msg.lower()}",
                )
            )
    if not out:
        fail("request is empty", as_json=as_json, path=where)
    return out


@app.command()
def decide(
    rulesets: Path = typer.Option(..., "--rulesets", help="Ruleset folder."),
    request: str = typer.Option(
        ..., "--request", help="Request JSON file (one object, or JSON Lines), or - for stdin."
    ),
    at: str | None = typer.Option(
        None, "--at", help="Decide on this date (default: the request's `at`, then today)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Decide sharing requests: one object, or JSON Lines with one request per line.

    Every line is decided or reported on its own: with --json one object per input
    line, a decision or {"error": "line N: ...", "path": FILE or -}.  Exit code, the
    worst over the lines: 2 if any line is not JSON or not a well-formed request
    (lacks from/to/categories/purpose, wrong types); else 1 if any outcome is
    prohibited, not_covered or indeterminate; else 0.  3 an invalid ruleset; 2 a
    --rulesets path that holds no ruleset.
    """
    on = None
    if at is not None:
        try:
            on = parse_date(at, field_name="--at")
        except RequestError as exc:
            fail(str(exc), as_json=as_json)
    reg = _load(rulesets, as_json)
    where = "-" if request == "-" else request
    code = EXIT_OK
    for item in _read_requests(request, as_json):
        message = item.error
        if message is None:
            try:
                decision = reg.decide(item.value, at=on)
            except RequestError as exc:
                message = f"line {item.number}: {exc}"
        if message is not None:
            code = EXIT_USAGE
            if as_json:
                emit_json(error_line(message, path=where))
            else:
                typer.echo(f"error: {where}: {message}", err=True)
            continue
        if not decision.allows_sharing:
            code = max(code, EXIT_NEGATIVE)
        if as_json:
            emit_json(decision.to_json())
        else:
            _print_decision(decision.to_json())
    raise typer.Exit(code)


def _print_decision(d: dict[str, Any]) -> None:
    typer.echo(f"{d['outcome'].upper()}  ({d['ruleset']})")
    for c in d["per_category"]:
        rules = ", ".join(c["rules"]) or "-"
        extra = f"; overrides {', '.join(c['overridden'])}" if c["overridden"] else ""
        due = f"; due within {c['due_within']}" if c["due_within"] else ""
        typer.echo(f"  {c['category']:<22} {c['outcome']:<14} {rules}{extra}{due}")
    for ref in d["legal_basis"]:
        cite = " ".join(
            x for x in (ref["act"], ref["section"], ref["subsection"], ref["item"]) if x
        )
        typer.echo(f"  basis: {cite}  {ref['title']}")
    if d["route"] and d["outcome"] in ("required", "permitted"):
        r = d["route"]
        typer.echo(f"  route: {r['agency']} via {r['channel']} {r['contact_point']}")
    typer.echo(f"  en: {d['explanation']['en']}")
    typer.echo(f"  fi: {d['explanation']['fi']}")


@app.command()
def diff(
    path: Path = DIR_ARG,
    old: str = typer.Argument(..., help="Old version: its date (2020-09-01) or id@date."),
    new: str = typer.Argument(..., help="New version: its date or id@date."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show what changed between two versions, rule by rule, and which scenarios move."""
    reg = _load(path, as_json)
    cases = _scenarios_or_exit([path / "tests"], as_json)
    try:
        result = diff_versions(reg, old, new, scenarios=cases)
    except KeyError as exc:
        fail(str(exc.args[0]), as_json=as_json)
    if as_json:
        emit_json(result.to_json())
        return
    typer.echo(f"{result.old} -> {result.new}")
    if not result.rules:
        typer.echo("  no rule changes")
    for c in result.rules:
        mark = {"added": "+", "removed": "-", "changed": "~"}[c.change]
        typer.echo(f"  {mark} {c.rule} ({c.change})")
        for field, (a, b) in c.fields.items():
            typer.echo(
                f"      {field}: {json.dumps(a, ensure_ascii=False)} -> "
                f"{json.dumps(b, ensure_ascii=False)}"
            )
    moved = [s for s in result.scenarios if s.outcome_changed]
    rebased = [s for s in result.scenarios if not s.outcome_changed]
    typer.echo(f"scenarios whose outcome changes: {len(moved)} of {result.scenarios_run}")
    for s in moved:
        typer.echo(
            f"  {s.name}: {s.old_outcome} ({', '.join(s.old_rules) or '-'}) -> "
            f"{s.new_outcome} ({', '.join(s.new_rules) or '-'})"
        )
    typer.echo(f"same outcome on different rules: {len(rebased)}")
    for s in rebased:
        typer.echo(
            f"  {s.name}: {s.new_outcome}: {', '.join(s.old_rules) or '-'} -> "
            f"{', '.join(s.new_rules) or '-'}"
        )


@app.command()
def matrix(
    path: Path = DIR_ARG,
    at: str = typer.Option(..., "--at", help="Date (YYYY-MM-DD)."),
    category: str | None = typer.Option(
        None, "--category", help="Only this data category and its descendants."
    ),
    html: Path | None = typer.Option(None, "--html", help="Also write an HTML page here."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Print the agency-by-agency grid: R must, P may, X must not share, ! conflict.

    With --category C each cell covers C and its descendants; `~` marks a cell where
    some descendant is decided differently from C itself.  Exit 2 for a bad date, an
    unknown category or an --html file that cannot be written; 3 an invalid ruleset.
    """
    try:
        on = parse_date(at, field_name="--at")
    except RequestError as exc:
        fail(str(exc), as_json=as_json)
    if html is not None:
        problem = check_writable_file(html)
        if problem is not None:
            fail(f"cannot write `--html` file: {problem}", as_json=as_json, path=str(html))
    reg = _load(path, as_json)
    try:
        grid = build_matrix(reg, on, category=category)
    except KeyError as exc:
        fail(str(exc.args[0]), as_json=as_json)
    if html is not None:
        try:
            html.write_text(render_matrix_html(grid), encoding="utf-8")
        except OSError as exc:
            fail(
                f"cannot write `--html` file: {read_failure(exc)}", as_json=as_json, path=str(html)
            )
    if as_json:
        emit_json(grid.to_json())
        return
    width = max(8, *(len(a) for a in grid.agencies)) + 1
    typer.echo(f"{grid.ruleset} on {grid.at} ({grid.scope()}); rows share with columns")
    typer.echo("from\\to".ljust(width) + "".join(a.ljust(width) for a in grid.agencies))
    for src in grid.agencies:
        row = src.ljust(width)
        for dst in grid.agencies:
            sym = "-" if src == dst else (grid.cell(src, dst).symbol or ".")
            row += sym.ljust(width)
        typer.echo(row)
    typer.echo(
        "R required  P permitted  X prohibited  ! indeterminate  . not covered  "
        "* conditional rule (letters for an empty context)"
        + ("  ~ descendants decided differently" if len(grid.categories) > 1 else "")
    )
    if html is not None:
        typer.echo(f"wrote {html}", err=True)


@app.command()
def schema(
    kind: str = typer.Option(
        "ruleset", "--kind", help="Which file: " + ", ".join(SCHEMA_KINDS) + "."
    ),
) -> None:
    """Print the JSON Schema of ruleset files, for editors."""
    if kind not in SCHEMA_KINDS:
        fail(f"unknown schema kind `{kind}`", as_json=False)
    typer.echo(json.dumps(ruleset_json_schema(kind), indent=2, ensure_ascii=False))


__all__ = ["app"]
