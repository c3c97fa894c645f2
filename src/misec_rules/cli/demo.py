"""`misec demo`: the main job on the bundled samples.

Parses the sample MRZ texts, then runs the batch job (MRZ reading, authenticity checks and
a sharing decision under the Finnish ruleset) over the sample document images and says
where the report is.  `make demo` runs it from the repository's root.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import typer

from misec_rules.cli._common import EXIT_OK, fail

_DEFAULT_REQUEST = (
    Path(__file__).resolve().parents[1] / "batch" / "examples" / "request-rvl-migri.json"
)


def register(app: typer.Typer) -> None:
    """Add the `demo` command to ``app``."""

    @app.command("demo")
    def demo(
        samples: Path = typer.Option(
            Path("samples"), "--samples", help="The samples folder (MRZ texts and document images)."
        ),
        rulesets: Path = typer.Option(
            Path("rulesets/fi"), "--rulesets", help="The rulesets used for the sharing decision."
        ),
        request: Path = typer.Option(
            _DEFAULT_REQUEST, "--request", help="The sharing request decided for every document."
        ),
        out: Path = typer.Option(
            Path("build/demo"), "--out", "-o", help="Where the batch writes (replaced each run)."
        ),
        workers: int | None = typer.Option(
            None, "--workers", "-w", min=1, help="Local worker processes (default: CPU count)."
        ),
    ) -> None:
        """Run the main job on the bundled samples: MRZ texts, then a batch with a report."""
        from rich.console import Console
        from rich.table import Table

        from misec_rules.batch import run_batch
        from misec_rules.errors import MisecError
        from misec_rules.mrz import parse_mrz

        if not samples.is_dir():
            fail(
                f"samples folder `{samples}` not found; run from the repository's root",
                as_json=False,
            )
        console = Console(stderr=False)

        texts = sorted((samples / "mrz").glob("*.txt"))
        if texts:
            table = Table(title=f"MRZ texts in {samples / 'mrz'}")
            for column in ("file", "format", "valid", "failing checks", "warnings"):
                table.add_column(column)
            for path in texts:
                try:
                    mrz = parse_mrz(path.read_text(encoding="utf-8"))
                except MisecError as exc:
                    table.add_row(path.name, "-", "unreadable", "-", str(exc))
                    continue
                failing = [name for name, ok in mrz.checks.model_dump().items() if ok is False]
                table.add_row(
                    path.name,
                    mrz.format,
                    "yes" if mrz.valid else "no",
                    ", ".join(failing) or "-",
                    ", ".join(w.code for w in mrz.warnings) or "-",
                )
            console.print(table)

        # A previous demo's output is replaced, so the demo can be run again and again.
        if out.exists() and (out / "results.jsonl").exists():
            shutil.rmtree(out)
        console.print(f"batch: {samples} -> {out} (rulesets {rulesets}, request {request.name})")
        try:
            summary = run_batch(samples, out, workers=workers, rulesets=rulesets, request=request)
        except MisecError as exc:
            fail(str(exc), as_json=False)
        table = Table(title="batch summary")
        table.add_column("what")
        table.add_column("count", justify="right")
        table.add_row("documents", str(summary.documents))
        for verdict, count in sorted(summary.verdicts.items()):
            table.add_row(f"verdict {verdict}", str(count))
        for outcome, count in sorted(summary.decisions.items()):
            table.add_row(f"sharing {outcome}", str(count))
        table.add_row("errors", str(summary.errors))
        table.add_row("cross-document groups", str(summary.groups))
        console.print(table)
        console.print(f"report: {summary.report}")
        console.print(f"results: {summary.results}")
        raise typer.Exit(EXIT_OK)
