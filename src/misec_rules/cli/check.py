"""`misec check` command: authenticity checks over document images."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import typer

from misec_rules.cli._common import (
    EXIT_NEGATIVE,
    EXIT_OK,
    EXIT_USAGE,
    JSON_OPTION,
    emit_json,
    error_line,
    fail,
)
from misec_rules.errors import EngineError, ImageError, ProfileError


def _parse_date(text: str | None, as_json: bool) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"--reference-date `{text}` is not a date (YYYY-MM-DD)", as_json=as_json)


def register(app: typer.Typer) -> None:
    """Add the `check` command to ``app``."""

    @app.command("check")
    def check_cmd(
        images: list[Path] = typer.Argument(
            ..., metavar="IMAGE...", help="Document images (PNG, JPEG, TIFF, WebP, GIF, BMP)."
        ),
        as_json: bool = JSON_OPTION,
        html: Path | None = typer.Option(
            None,
            "--html",
            metavar="OUT",
            help="Also write an HTML report: each image with the findings' regions, its MRZ "
            "and its findings table.",
        ),
        profile: Path | None = typer.Option(
            None,
            "--profile",
            metavar="P",
            help="Profile YAML (checks and thresholds); values it omits come from the default.",
        ),
        reference_date: str | None = typer.Option(
            None,
            "--reference-date",
            metavar="D",
            help="Judge expiry and age on this date (YYYY-MM-DD); default today.",
        ),
        lost_stolen: Path | None = typer.Option(
            None,
            "--lost-stolen",
            metavar="CSV",
            help="CSV of documents reported lost or stolen: columns document_number and "
            "optionally issuing_state.",
        ),
        show_info: bool = typer.Option(
            False, "--info", help="Also list info findings in the human-readable output."
        ),
    ) -> None:
        """Check document images for signs of manipulation and report the findings.

        Every finding says what was observed and gives its evidence; none is a verdict
        on the holder.  Exit code 0 when every document is consistent, 1 when any is
        suspicious, of insufficient quality or without a readable MRZ, 2 when an input
        cannot be read as an image or the profile or list is invalid.
        """
        from misec_rules.authenticity import check_document, load_lost_stolen, load_profile

        ref = _parse_date(reference_date, as_json)
        if html is not None:
            from misec_rules._io import check_writable_file

            problem = check_writable_file(html)
            if problem is not None:
                fail(f"cannot write `--html` report: {problem}", as_json=as_json)
        try:
            prof = load_profile(profile)
            listed = load_lost_stolen(lost_stolen) if lost_stolen is not None else None
        except ProfileError as exc:
            fail(str(exc), as_json=as_json)
        worst = EXIT_OK
        pages: list[tuple[str | None, Any, Any]] = []
        for path in images:
            name = str(path)
            try:
                report = check_document(
                    path,
                    profile=prof,
                    reference_date=ref,
                    lost_stolen=listed,
                )
            except (ImageError, EngineError) as exc:
                worst = max(worst, EXIT_USAGE)
                if as_json:
                    emit_json(error_line(str(exc), path=name))
                else:
                    typer.echo(f"error: {name}: {exc}", err=True)
                continue
            if report.verdict.value != "consistent":
                worst = max(worst, EXIT_NEGATIVE)
            if html is not None:
                from misec_rules.vision import load_image

                pages.append((name, report, load_image(path)))
            if as_json:
                emit_json(report.to_json(path=name))
                continue
            typer.echo(f"{name}: {report.verdict.value}")
            for f in report.findings:
                if f.severity.value == "info" and not show_info:
                    continue
                where = f" at {f.region}" if f.region else ""
                typer.echo(f"  {f.severity.value:7s} {f.id}: {f.message}{where}")
        if html is not None:
            from misec_rules.authenticity import render_html

            render_html(pages, html)
            typer.echo(f"wrote {html}", err=True)
        raise typer.Exit(worst)
