"""`misec mrz read` command (images); `misec mrz parse` lives in cli/mrz.py."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import typer

from misec_rules.cli._common import (
    EXIT_NEGATIVE,
    EXIT_OK,
    EXIT_USAGE,
    JSON_OPTION,
    emit_json,
    error_line,
)
from misec_rules.errors import EngineError, ImageError


def register(app: typer.Typer) -> None:
    """Add the `read` command to the `mrz` group ``app``."""

    @app.command("read")
    def read_cmd(
        images: list[Path] = typer.Argument(
            ..., metavar="IMAGE...", help="Image files (PNG, JPEG, TIFF, WebP, GIF, BMP)."
        ),
        as_json: bool = JSON_OPTION,
        engine: str = typer.Option(
            "auto",
            "--engine",
            help="auto (own OCR-B recogniser, Tesseract where unsure), ocrb, tesseract or "
            "passporteye.",
        ),
        debug: Path | None = typer.Option(
            None,
            "--debug",
            help="Write each stage's intermediate images to DIR: into DIR itself for one "
            "image, one sub-folder per image (NNN_name) for several.",
            metavar="DIR",
        ),
    ) -> None:
        """Read the machine-readable zone from document images.

        Exit code 0: every MRZ found and valid.

        Exit code 1: a check digit fails, or no MRZ is found.

        Exit code 2: an input cannot be read as an image, or bad usage.
        """
        from misec_rules.vision import ENGINES, DebugDirError, read_mrz
        from misec_rules.vision._read import check_debug_dir

        def usage(msg: str) -> NoReturn:
            if as_json:
                emit_json(error_line(msg))
            else:
                typer.echo(f"error: {msg}", err=True)
            raise typer.Exit(EXIT_USAGE)

        if engine not in ENGINES:
            usage(f"unknown engine `{engine}`; choose one of {', '.join(ENGINES)}")
        if debug is not None:
            try:
                check_debug_dir(debug)
            except DebugDirError as exc:
                usage(str(exc))
        worst = EXIT_OK
        for k, path in enumerate(images):
            name = str(path)
            dbg = None
            if debug is not None:
                dbg = debug / f"{k + 1:03d}_{path.stem}" if len(images) > 1 else debug
            try:
                reading = read_mrz(path, engine=engine, debug_dir=dbg)
            except (ImageError, EngineError, DebugDirError) as exc:
                worst = max(worst, EXIT_USAGE)
                if as_json:
                    emit_json(error_line(str(exc), path=name))
                else:
                    typer.echo(f"error: {exc}", err=True)
                continue
            valid = reading.mrz is not None and reading.mrz.valid
            if not valid:
                worst = max(worst, EXIT_NEGATIVE)
            if as_json:
                emit_json(reading.to_json(path=name))
                continue
            _print_human(name, reading)
        raise typer.Exit(worst)


def _print_human(name: str, reading: object) -> None:
    from misec_rules.vision import MRZReading

    assert isinstance(reading, MRZReading)
    out = sys.stdout
    if reading.mrz is None:
        out.write(f"{name}: no MRZ ({reading.error}) [{reading.seconds:.2f} s]\n")
        return
    m = reading.mrz
    status = "valid" if m.valid else "INVALID"
    out.write(f"{name}: {m.format} {status} [{reading.engine}, {reading.seconds:.2f} s]\n")
    for line in m.lines:
        out.write(f"  {line}\n")
    failed = [k for k, v in m.checks.model_dump().items() if v is False]
    out.write(
        f"  {m.surname}, {m.given_names}; {m.document_number}; born {m.birth_date}; "
        f"expires {m.expiry_date}; {m.sex or '-'}; {m.nationality}\n"
    )
    if failed:
        out.write(f"  failed checks: {', '.join(failed)}\n")
    for w in m.warnings:
        out.write(f"  warning {w.code}: {w.message}\n")
    for r in m.repairs:
        out.write(f"  repaired {r.line}:{r.column} `{r.read}` -> `{r.corrected}`\n")
