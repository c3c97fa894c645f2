"""Conventions shared by every ``misec`` command.

Exit codes (DESIGN.md): 0 success; 1 a negative result; 2 bad usage or input
that cannot be read at all; 3 an invalid ruleset.  With ``--json`` a command
prints one JSON object per input on its own line and nothing else on stdout;
errors then print ``{"error": "...", "path": ...}``.
"""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import typer

EXIT_OK = 0
EXIT_NEGATIVE = 1
EXIT_USAGE = 2
EXIT_RULESET = 3

JSON_OPTION = typer.Option(False, "--json", help="Print one JSON object per input (JSON Lines).")


def emit_json(obj: Any) -> None:
    """Write ``obj`` as one JSON line on stdout."""
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=str) + "\n")
    sys.stdout.flush()


def error_line(message: str, *, path: str | None = None) -> dict[str, Any]:
    """The JSON object printed for an input that could not be read."""
    out: dict[str, Any] = {"error": message}
    if path is not None:
        out["path"] = path
    return out


def fail(
    message: str, *, as_json: bool, path: str | None = None, code: int = EXIT_USAGE
) -> NoReturn:
    """Report an error in the chosen output mode and exit with ``code``."""
    if as_json:
        emit_json(error_line(message, path=path))
    else:
        where = f"{path}: " if path else ""
        typer.echo(f"error: {where}{message}", err=True)
    raise typer.Exit(code)
