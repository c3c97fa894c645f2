"""`misec samples ...` commands: generate synthetic specimen documents."""

from __future__ import annotations

import errno
from pathlib import Path

import typer

from misec_rules._io import os_reason
from misec_rules.cli._common import EXIT_USAGE, JSON_OPTION, emit_json, fail

app = typer.Typer(no_args_is_help=True, help="Synthetic specimen documents with ground truth.")


def _split(value: str | None) -> list[str] | None:
    if value is None:
        return None
    items = [v.strip() for v in value.split(",") if v.strip()]
    return items or None


@app.command("generate")
def generate_cmd(
    out: Path = typer.Option(..., "--out", help="Folder for the images and truth.jsonl."),
    count: int = typer.Option(
        70, "--count", min=0, help="Number of images (70: every kind with every degradation once)."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed; the same seed gives the same set."),
    degradations: str | None = typer.Option(
        None,
        "--degradations",
        help=(
            "Comma-separated degradations, `none` for clean renders "
            "(default: none and every degradation, in equal parts)."
        ),
    ),
    kinds: str | None = typer.Option(
        None,
        "--kinds",
        help=(
            "Comma-separated kinds: td3_passport, td1_id, td2_id, mrva_visa, mrvb_visa "
            "(default: all, in equal parts)."
        ),
    ),
    image_format: str = typer.Option("png", "--image-format", help="png or jpg."),
    jpeg_quality: int = typer.Option(
        92, "--jpeg-quality", min=1, max=100, help="Quality of jpg files."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Write N synthetic specimen images and DIR/truth.jsonl (one JSON object per image).

    With --json, prints the truth records (JSON Lines) after writing them.
    """
    from misec_rules.samples import generate

    try:
        records = generate(
            out,
            count=count,
            seed=seed,
            kinds=_split(kinds),
            degradations=_split(degradations),
            image_format=image_format,
            jpeg_quality=jpeg_quality,
        )
    except ValueError as exc:
        fail(str(exc), as_json=as_json, code=EXIT_USAGE)
    except OSError as exc:
        where = exc.filename if exc.filename and exc.errno != errno.EEXIST else out
        fail(
            f"cannot write to `{where}`: {os_reason(exc)}",
            as_json=as_json,
            path=str(out) if as_json else None,
        )
    if as_json:
        for r in records:
            emit_json(r.model_dump())
    typer.echo(f"wrote {len(records)} images and truth.jsonl to {out}", err=True)
