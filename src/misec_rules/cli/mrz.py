"""`misec mrz ...` commands: `parse` lives here; `read` (images) is added from cli/mrz_read.py."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from misec_rules.cli._common import EXIT_NEGATIVE, EXIT_OK, JSON_OPTION, emit_json, fail
from misec_rules.errors import MRZError
from misec_rules.mrz import MRZ, parse_mrz, repair_mrz

app = typer.Typer(
    no_args_is_help=True,
    help="Read and check ICAO 9303 machine-readable zones (MRZ).",
)

_MAX_BYTES = 1_000_000


def _read_input(source: str, *, as_json: bool) -> str:
    path = None if source == "-" else source
    try:
        data = sys.stdin.buffer.read(_MAX_BYTES + 1) if path is None else Path(source).read_bytes()
    except OSError as exc:
        fail(
            f"cannot read `{source}`: {(exc.strerror or 'error').lower()}",
            as_json=as_json,
            path=path,
        )
    if len(data) > _MAX_BYTES:
        fail("input is larger than 1 mb, not one mrz", as_json=as_json, path=path)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        fail(
            f"input is not utf-8 text (byte {exc.start + 1})",
            as_json=as_json,
            path=path,
        )


def _table(m: MRZ) -> str:
    def show(v: object) -> str:
        if v is None:
            return "-"
        if isinstance(v, bool):
            return "ok" if v else "FAILS"
        return str(v)

    rows: list[tuple[str, str]] = [
        ("format", m.format),
        ("document code", m.document_code),
        ("issuing state", m.issuing_state),
        ("nationality", m.nationality),
        ("surname", m.surname),
        ("given names", m.given_names),
        ("document number", m.document_number),
        ("birth date", show(m.birth_date)),
        ("expiry date", show(m.expiry_date)),
        ("sex", show(m.sex)),
        ("optional data", m.optional_data),
    ]
    if m.optional_data_2 is not None:
        rows.append(("optional data 2", m.optional_data_2))
    for name, result in m.checks.model_dump().items():
        if result is not None:
            rows.append((f"check {name.replace('_', ' ')}", show(result)))
    rows.append(("valid", "yes" if m.valid else "NO"))
    width = max(len(k) for k, _ in rows)
    out = [f"{k:<{width}}  {v}" for k, v in rows]
    out += [
        f"repaired  line {r.line} column {r.column}: {r.read} -> {r.corrected}" for r in m.repairs
    ]
    out += [f"warning  {w.code}: {w.message}" for w in m.warnings]
    return "\n".join(out)


@app.command("parse")
def parse(
    file: Annotated[
        str, typer.Argument(help="A text file holding one MRZ, or `-` for standard input.")
    ] = "-",
    as_json: bool = JSON_OPTION,
    reference_date: Annotated[
        str | None,
        typer.Option(
            "--reference-date",
            help="Resolve two-digit years against this date (YYYY-MM-DD; default today).",
        ),
    ] = None,
    repair: Annotated[
        bool,
        typer.Option(
            "--repair",
            help="Treat the text as OCR output: correct confusable characters where check "
            "digits or position rules confirm it (see docs/mrz.md).",
        ),
    ] = False,
) -> None:
    """Parse and check one MRZ (lines separated by newlines; blank lines ignored).

    Exit 0 when every check digit passes, 1 when the MRZ parsed but a check fails,
    2 when the input cannot be read as an MRZ.
    """
    path = None if file == "-" else file
    ref: date | None = None
    if reference_date is not None:
        try:
            ref = date.fromisoformat(reference_date)
        except ValueError:
            fail(
                f"--reference-date `{reference_date}` is not a date (YYYY-MM-DD)",
                as_json=as_json,
                path=path,
            )
    text = _read_input(file, as_json=as_json)
    try:
        if repair:
            lines = [line for line in text.splitlines() if line.strip()]
            m = repair_mrz(lines, reference_date=ref)
        else:
            m = parse_mrz(text, reference_date=ref)
    except MRZError as exc:
        fail(str(exc), as_json=as_json, path=path)
    if as_json:
        emit_json(m.to_json())
    else:
        typer.echo(_table(m))
    raise typer.Exit(EXIT_OK if m.valid else EXIT_NEGATIVE)
