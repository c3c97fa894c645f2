"""`misec duties ...` commands: replay an event file into duties, list pending duties."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer

from misec_rules.audit import AuditLog
from misec_rules.cli._common import EXIT_OK, EXIT_RULESET, EXIT_USAGE, JSON_OPTION, emit_json, fail
from misec_rules.errors import AuditError, DutyError, MisecError, RulesetError
from misec_rules.sharing.duties import (
    DutyMonitor,
    SharingDuty,
    check_event_file,
    iter_event_file,
    read_duties,
)

app = typer.Typer(
    no_args_is_help=True,
    help="Proactive sharing duties raised by case events and findings (DESIGN.md, Duties).",
)

#: Default store of `misec duties pending` when --store is not given.
STORE_ENV = "MISEC_DUTY_STORE"
DEFAULT_STORE = "misec-duties.sqlite"

STORE_OPTION = typer.Option(
    None,
    "--store",
    help=f"SQLite duty store (default for replay: in memory; for pending: ${STORE_ENV} "
    f"or ./{DEFAULT_STORE}).  Replaying into an existing store resumes it: events "
    "already processed are skipped.",
)


def _print_duty(d: SharingDuty) -> None:
    cats = ",".join(d.categories)
    due = d.due or "-"
    typer.echo(
        f"{d.id}  {d.status:<9}  {d.from_}->{d.to}  {cats}  subject={d.subject}  due={due}  "
        f"because={','.join(d.because)}"
    )


def _emit(duties: list[SharingDuty], as_json: bool) -> None:
    for d in duties:
        if as_json:
            emit_json(d.to_json())
        else:
            _print_duty(d)


def _load_registry(path: Path, as_json: bool) -> Any:
    from misec_rules.sharing import RulesetLoadError, RulesetNotFoundError, load_rulesets

    try:
        return load_rulesets(path)
    except RulesetNotFoundError as exc:
        # no ruleset there at all: input that cannot be read (2), not an invalid one (3)
        fail(getattr(exc, "reason", str(exc)), as_json=as_json, path=str(path), code=EXIT_USAGE)
    except RulesetLoadError as exc:
        errors = getattr(exc, "errors", [exc])
        for err in errors:
            if as_json:
                emit_json({"error": getattr(err, "reason", str(err)), "path": str(path)})
            else:
                typer.echo(f"error: {err}", err=True)
        raise typer.Exit(EXIT_RULESET) from None
    except RulesetError as exc:
        fail(str(exc), as_json=as_json, path=str(path), code=EXIT_RULESET)
    except OSError as exc:
        fail(f"cannot read rulesets: {exc.strerror}", as_json=as_json, path=str(path))


@app.command()
def replay(
    events: Path = typer.Argument(..., help="Events, one JSON object per line (DESIGN.md)."),
    rulesets: Path = typer.Option(..., "--rulesets", help="Ruleset folder (holding ruleset.yaml)."),
    store: Path | None = STORE_OPTION,
    commit_every: int = typer.Option(
        1000, "--commit-every", min=1, help="Commit the store after this many events."
    ),
    cache_mib: int = typer.Option(
        32,
        "--cache-mib",
        min=1,
        help="SQLite page cache for the store, in MiB (docs/duties.md, Performance).",
    ),
    audit: Path | None = typer.Option(
        None,
        "--audit",
        help="Also append every decision and duty change to this audit log (key from "
        "$MISEC_AUDIT_KEY or $MISEC_AUDIT_KEY_FILE).",
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Process an event file and print every duty in its final state.

    The whole file is checked first: a malformed line is reported as
    `line N: field F: ...` and nothing is processed, so no event is
    half-applied or lost.  Exit 0 when processed; 2 for an unreadable or
    malformed event file, store or audit log; 3 for an invalid ruleset.
    """
    try:
        errors = check_event_file(events)
    except OSError as exc:
        fail(f"cannot read events: {exc.strerror}", as_json=as_json, path=str(events))
    except UnicodeDecodeError:
        fail("events file is not UTF-8 text", as_json=as_json, path=str(events))
    if errors:
        for err in errors[:-1]:
            if as_json:
                emit_json({"error": str(err), "path": str(events)})
            else:
                typer.echo(f"error: {events}: {err}", err=True)
        fail(str(errors[-1]), as_json=as_json, path=str(events))
    registry = _load_registry(rulesets, as_json)
    log: AuditLog | None = None
    if audit is not None:
        try:
            log = AuditLog(audit)
        except AuditError as exc:
            fail(str(exc), as_json=as_json, path=str(audit))
    try:
        monitor = DutyMonitor(
            registry,
            store=str(store) if store else ":memory:",
            commit_every=commit_every,
            cache_mib=cache_mib,
            audit=log,
        )
    except (DutyError, ValueError) as exc:
        fail(str(exc), as_json=as_json, path=str(store) if store else None)
    try:
        with monitor:
            duties = monitor.replay(iter_event_file(events))
            typer.echo(
                "processed {events} events ({skipped} already in the store): "
                "{raised} raised, {withdrawn} withdrawn, {delivered} delivered".format(
                    **monitor.stats
                ),
                err=True,
            )
    except MisecError as exc:
        fail(str(exc), as_json=as_json, path=str(events))
    finally:
        if log is not None:
            log.close()
    _emit(duties, as_json)
    raise typer.Exit(EXIT_OK)


@app.command()
def pending(
    store: Path | None = STORE_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """List the duties raised and not yet delivered or withdrawn, oldest first."""
    path = store or Path(os.environ.get(STORE_ENV) or DEFAULT_STORE)
    try:
        duties = read_duties(path, status="raised")
    except DutyError as exc:
        fail(str(exc), as_json=as_json, path=str(path), code=EXIT_USAGE)
    _emit(duties, as_json)
    if not as_json:
        typer.echo(f"{len(duties)} pending", err=True)
    raise typer.Exit(EXIT_OK)
