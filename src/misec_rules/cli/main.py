"""Entry point of the ``misec`` command.

Each command group lives in its own module and is added here; the modules stay
thin: they parse arguments, call the public API and format its results.
"""

from __future__ import annotations

import typer

from misec_rules.cli import audit, batch, check, demo, duties, mrz, mrz_read, rules, samples

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


def main() -> None:
    """Run the ``misec`` command."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
