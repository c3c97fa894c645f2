"""`misec rules ...`: validate, lint, test, decide, diff, matrix and schema.

Exit codes (DESIGN.md): 0 success (outcome required/permitted, tests pass, no
lint warnings); 1 a negative result (prohibited, not_covered, indeterminate; a
failing scenario; lint warnings); 2 bad usage or a request that is not JSON or
lacks ``from``/``to``/``categories``/``purpose``; 3 an invalid ruleset.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from misec_rules.cli._common import (
    EXIT_NEGATIVE,
    EXIT_OK,
    EXIT_RULESET,
    JSON_OPTION,
    emit_json,
    fail,
)
from misec_rules.errors import RequestError
from misec_rules.sharing import RulesetLoadError, RulesetRegistry, load_rulesets
from misec_rules.sharing._diff import diff_versions
from misec_rules.sharing._lint import lint_rulesets
from misec_rules.sharing._matrix import build_matrix, render_matrix_html
from misec_rules.sharing._request import parse_date
from misec_rules.sharing._scenarios import load_scenarios, run_scenarios
from misec_rules.sharing._schema import SCHEMA_KINDS, ruleset_json_schema

app = typer.Typer(
    no_args_is_help=True,
    help=(
        "Write, check and use data-sharing rulesets: validate, lint, test, decide, diff, "
        "matrix and schema."
    ),
)

DIR_ARG = typer.Argument(..., help="Ruleset folder (holding ruleset.yaml).")


def _load(path: Path, as_json: bool) -> RulesetRegistry:
    try:
        return load_rulesets(path)
    except RulesetLoadError as exc:
        _report_ruleset_errors(exc, as_json)
    raise AssertionError("unreachable")  # pragma: no cover


def _report_ruleset_errors(exc: RulesetLoadError, as_json: bool) -> None:
    for err in exc.errors:
        if as_json:
            out: dict[str, Any] = {"error": err.reason}
            if err.file is not None:
                out["path"] = err.file
            out["line"] = err.line
            out["at"] = err.path
            emit_json(out)
        else:
            typer.echo(f"error: {err}", err=True)
    if not as_json:
        typer.echo(f"ruleset rejected: {len(exc.errors)} error(s)", err=True)
    raise typer.Exit(EXIT_RULESET)


@app.command()
def validate(path: Path = DIR_ARG, as_json: bool = JSON_OPTION) -> None:
    """Check a ruleset: YAML, keys, references, cycles, version dates (exit 3 if invalid)."""
    reg = _load(path, as_json)
    summary = {
        "ruleset": reg.id,
        "valid": True,
        "rules": len(reg.rules),
        "versions": [v.name for v in reg.versions],
    }
    if as_json:
        emit_json(summary)
    else:
        typer.echo(
            f"ok: {reg.id}: {len(reg.rules)} rules, {len(reg.versions)} versions "
            f"({', '.join(v.in_force_from.isoformat() for v in reg.versions)})"
        )


@app.command()
def lint(
    path: Path = DIR_ARG,
    as_json: bool = JSON_OPTION,
    show_info: bool = typer.Option(
        True, "--info/--no-info", help="Also list informational findings (gaps, overrides)."
    ),
) -> None:
    """List conflicts without exceptions, gaps, shadowed rules and sources not in force.

    Exit 1 when there is any warning; information alone exits 0.
    """
    reg = _load(path, as_json)
    findings = lint_rulesets(reg)
    shown = [f for f in findings if show_info or f.severity != "info"]
    for f in shown:
        if as_json:
            emit_json(f.to_json())
        else:
            typer.echo(str(f))
    warnings = sum(f.severity != "info" for f in findings)
    if not as_json:
        typer.echo(f"{warnings} warning(s), {len(findings) - warnings} note(s)", err=True)
    raise typer.Exit(EXIT_NEGATIVE if warnings else EXIT_OK)


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
    """Run the scenario tests and report rule coverage (exit 1 on a failure)."""
    reg = _load(path, as_json)
    try:
        cases = load_scenarios(scenarios if scenarios else path / "tests")
    except RulesetLoadError as exc:
        _report_ruleset_errors(exc, as_json)
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


def _read_requests(source: str, as_json: bool) -> list[Any]:
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read request: {type(exc).__name__.lower()}", as_json=as_json, path=source)
    try:
        return [json.loads(text)]
    except json.JSONDecodeError:
        pass
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError as exc:
            fail(
                f"request is not json (line {n}, column {exc.colno}): {exc.msg.lower()}",
                as_json=as_json,
                path=source,
            )
    if not out:
        fail("request is empty", as_json=as_json, path=source)
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
    """Decide a sharing request.

    Exit 0 required/permitted; 1 prohibited, not_covered or indeterminate; 2 a request
    that is not JSON or lacks from/to/categories/purpose; 3 an invalid ruleset.
    With several requests (JSON Lines) the exit code is 0 only if all allow sharing.
    """
    reg = _load(rulesets, as_json)
    items = _read_requests(request, as_json)
    on = None
    if at is not None:
        try:
            on = parse_date(at, field_name="--at")
        except RequestError as exc:
            fail(str(exc), as_json=as_json)
    code = EXIT_OK
    for item in items:
        try:
            decision = reg.decide(item, at=on)
        except RequestError as exc:
            fail(str(exc), as_json=as_json, path=None if request == "-" else request)
        if not decision.allows_sharing:
            code = EXIT_NEGATIVE
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
    try:
        cases = load_scenarios(path / "tests")
    except RulesetLoadError as exc:
        _report_ruleset_errors(exc, as_json)
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
    category: str | None = typer.Option(None, "--category", help="Only this data category."),
    html: Path | None = typer.Option(None, "--html", help="Also write an HTML page here."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Print the agency-by-agency grid: R must, P may, X must not share, ! conflict."""
    reg = _load(path, as_json)
    try:
        grid = build_matrix(reg, at, category=category)
    except (KeyError, RequestError) as exc:
        fail(str(exc.args[0]), as_json=as_json)
    if html is not None:
        html.write_text(render_matrix_html(grid), encoding="utf-8")
    if as_json:
        emit_json(grid.to_json())
        return
    width = max(8, *(len(a) for a in grid.agencies)) + 1
    typer.echo(
        f"{grid.ruleset} on {grid.at} ({grid.category or 'all categories'}); rows share with columns"
    )
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
