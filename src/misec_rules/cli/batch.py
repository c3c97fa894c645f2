"""`misec batch` command: check a folder or manifest of documents, write results and a report."""

from __future__ import annotations

from pathlib import Path

import typer

from misec_rules.cli._common import (
    EXIT_NEGATIVE,
    EXIT_OK,
    EXIT_RULESET,
    JSON_OPTION,
    emit_json,
    fail,
)

_HELP = (
    "Check every document of INPUT and write results and a report to OUT.\n\n"
    "INPUT is a folder (searched recursively for images, in sorted order) or a CSV manifest "
    "with a `path` column (relative to the manifest) and an optional `id` column. OUT gets "
    "results.jsonl (one record per document), summary.csv, analysis.json (cross-document "
    "links) and report.html (self-contained; open it in a browser).\n\n"
    "Exit code 0 when every document is consistent, 1 when any is not or could not be "
    "processed, 2 on bad input or options, 3 on an invalid ruleset. Kill it at any time and "
    "run the same command with --resume to continue."
)


def register(app: typer.Typer) -> None:
    """Add the `batch` command to ``app``."""

    @app.command("batch", help=_HELP)
    def batch(
        input: Path = typer.Argument(
            ..., help="A folder of document images, or a CSV manifest (`path`, optional `id`)."
        ),
        out: Path = typer.Option(
            ..., "-o", "--out", help="The output folder (created if missing)."
        ),
        workers: int | None = typer.Option(
            None, "--workers", "-w", min=1, help="Local worker processes (default: CPU count)."
        ),
        scheduler: str | None = typer.Option(
            None,
            "--scheduler",
            help="Run on an existing Dask cluster at this address (tcp://host:port); "
            "needs the `dask` extra and the input visible to every worker at the same path.",
        ),
        resume: bool = typer.Option(
            False, "--resume", help="Continue the results in OUT, skipping documents already done."
        ),
        profile: str | None = typer.Option(
            None,
            "--profile",
            help="The authenticity profile (YAML) for the checks; checked before any document.",
        ),
        rulesets: Path | None = typer.Option(
            None,
            "--rulesets",
            help="A rulesets folder; with --request, decide sharing per document.",
        ),
        request: Path | None = typer.Option(
            None, "--request", help="A sharing request (JSON file) decided for every document."
        ),
        timeout: float | None = typer.Option(
            None, "--timeout", min=1, help="Seconds one document may take (local workers only)."
        ),
        progress: str = typer.Option(
            "auto",
            "--progress",
            help="`auto` (a bar on a terminal, lines otherwise), `bar`, `lines` or `none`; on stderr.",
        ),
        as_json: bool = JSON_OPTION,
    ) -> None:
        from misec_rules.batch import run_batch
        from misec_rules.errors import MisecError, ProfileError, RequestError, RulesetError

        if progress not in {"auto", "bar", "lines", "none"}:
            fail(f"unknown progress mode `{progress}`", as_json=as_json)
        try:
            summary = run_batch(
                input,
                out,
                workers=workers,
                scheduler=scheduler,
                resume=resume,
                profile=profile,
                rulesets=rulesets,
                request=request,
                timeout=timeout,
                progress=progress,
            )
        except RulesetError as exc:
            fail(str(exc), as_json=as_json, code=EXIT_RULESET)
        except ProfileError as exc:
            fail(str(exc), as_json=as_json, path=profile if as_json else None)
        except RequestError as exc:
            fail(f"request `{request}`: {exc}", as_json=as_json, path=str(request))
        except MisecError as exc:
            fail(str(exc), as_json=as_json, path=str(input))
        except KeyboardInterrupt:
            typer.echo(
                "interrupted: results so far are kept; run the same command with --resume", err=True
            )
            raise typer.Exit(130) from None
        if as_json:
            emit_json(summary.to_json())
        else:
            verdicts = ", ".join(f"{n} {v}" for v, n in summary.verdicts.items()) or "none"
            typer.echo(
                f"{summary.documents} documents ({summary.processed} processed now, "
                f"{summary.skipped} done before): {verdicts}; {summary.errors} errors; "
                f"{summary.groups} cross-document groups"
            )
            typer.echo(f"report: {summary.report}")
            typer.echo(f"results: {summary.results}")
        raise typer.Exit(EXIT_OK if summary.all_consistent else EXIT_NEGATIVE)
