"""Entry point of the ``misec`` command.

Each command group lives in its own module and is added here; the modules stay
thin: they parse arguments, call the public API and format its results.
"""

from __future__ import annotations

import sys

import typer

from misec_rules.cli import audit, batch, check, demo, duties, mrz, mrz_read, rules, samples
from misec_rules.cli._common import EXIT_USAGE, emit_json, error_line

app = typer.Typer(
    name="misec",
    help=(
        "Read travel-document MRZs, check documents for signs of manipulation, and decide "
        "what Finnish authorities may, must or must not share with each other."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
mrz_read.register(mrz.app)
app.add_typer(mrz.app, name="mrz")
app.add_typer(samples.app, name="samples")
app.add_typer(rules.app, name="rules")
app.add_typer(duties.app, name="duties")
app.add_typer(audit.app, name="audit")
check.register(app)
batch.register(app)
demo.register(app)


# typer >= 0.20 vendors click; find its exception classes through a public typer name.
_USAGE_ERROR: type[Exception] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError"
)
_CLICK_EXCEPTION: type[Exception] = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"
)


def _one_line(message: str) -> str:
    """A click message in the project's error style: one line, lowercase, no final period."""
    text = " ".join(message.split()).rstrip(".")
    return text[:1].lower() + text[1:]


def main(argv: list[str] | None = None) -> None:
    """Run the ``misec`` command.

    With ``--json`` anywhere on the command line, bad usage (an unknown option, a missing
    argument, a value out of range) prints ``{"error": "..."}`` on stdout and exits 2, as
    every other unreadable input does; without it, click's usage message goes to stderr.
    """
    args = sys.argv[1:] if argv is None else argv
    if "--json" not in args:
        app(args=args)
        return
    try:
        code = app(args=args, standalone_mode=False)
    except _USAGE_ERROR as exc:
        emit_json(error_line(_one_line(exc.format_message())))  # type: ignore[attr-defined]
        sys.exit(EXIT_USAGE)
    except _CLICK_EXCEPTION as exc:
        emit_json(error_line(_one_line(exc.format_message())))  # type: ignore[attr-defined]
        sys.exit(getattr(exc, "exit_code", EXIT_USAGE))
    except typer.Abort:
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
