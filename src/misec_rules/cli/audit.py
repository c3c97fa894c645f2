"""`misec audit ...` commands: check an audit log's hash chain."""

from __future__ import annotations

from pathlib import Path

import typer

from misec_rules.audit import verify_log
from misec_rules.cli._common import EXIT_NEGATIVE, EXIT_OK, JSON_OPTION, emit_json, fail
from misec_rules.errors import AuditError

app = typer.Typer(
    no_args_is_help=True,
    help="The tamper-evident audit log of sharing decisions and duties.",
)


@app.command()
def verify(
    log: Path = typer.Argument(..., help="Audit log (JSON Lines) to check."),
    head: str | None = typer.Option(
        None,
        "--head",
        help="Hash of the last record, kept elsewhere: also detects records cut from the end.",
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Walk the hash chain; name the first modified, deleted, inserted, moved or torn record.

    Exit 0 when the chain is whole, 1 when it is broken, 2 when the file cannot be read.
    """
    try:
        result = verify_log(log, head=head)
    except AuditError as exc:
        fail(str(exc), as_json=as_json, path=str(log))
    if as_json:
        emit_json({"path": str(log), **result.to_json()})
    elif result.ok:
        typer.echo(f"{log}: ok, {result.records} records, head {result.head}")
    else:
        typer.echo(f"{log}: broken chain: {result.problem}")
    raise typer.Exit(EXIT_OK if result.ok else EXIT_NEGATIVE)
