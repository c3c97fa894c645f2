"""Specimen values and user lists of lost or stolen documents.

References
----------
ICAO Doc 9303 Parts 4-7, Appendix B (the Utopia specimen documents).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from misec_rules._io import read_text
from misec_rules.authenticity._context import CheckContext, finding, mrz_value
from misec_rules.authenticity._model import Finding, Severity
from misec_rules.errors import ProfileError

__all__ = ["load_lost_stolen", "run"]


@dataclass(frozen=True)
class _Specimens:
    names: tuple[tuple[str, str, str], ...]
    tokens: frozenset[str]
    numbers: dict[str, str]
    states: dict[str, str]


def _norm(text: str) -> str:
    return " ".join(str(text).upper().replace("<", " ").split())


@lru_cache(maxsize=4)
def _load_specimens(path: str | None) -> _Specimens:
    if path is None:
        text = (resources.files("misec_rules.authenticity") / "data" / "specimens.yaml").read_text(
            encoding="utf-8"
        )
        where = "specimens.yaml"
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ProfileError(f"{path}: cannot read the specimen list") from exc
        where = path
    try:
        data: dict[str, Any] = yaml.safe_load(text) or {}
        return _Specimens(
            names=tuple(
                (_norm(n["surname"]), _norm(n["given_names"]), str(n.get("source", "")))
                for n in data.get("names", [])
            ),
            tokens=frozenset(_norm(t) for t in data.get("name_tokens", [])),
            numbers={
                _norm(n["number"]): str(n.get("source", ""))
                for n in data.get("document_numbers", [])
            },
            states={_norm(s["code"]): str(s.get("source", "")) for s in data.get("states", [])},
        )
    except (yaml.YAMLError, KeyError, TypeError, AttributeError) as exc:
        raise ProfileError(f"{where}: not a valid specimen list") from exc


def load_lost_stolen(path: str | Path) -> list[tuple[str, str | None]]:
    """Read a CSV of lost or stolen documents.

    The CSV has a header with ``document_number`` and, optionally, ``issuing_state``.

    Raises
    ------
    ProfileError
        When the file cannot be read or lacks the ``document_number`` column.
    """
    text = read_text(path, what="lost/stolen list", error=ProfileError, encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    fields = [f.strip().lower() for f in (reader.fieldnames or [])]
    if "document_number" not in fields:
        raise ProfileError(f"{path}: line 1: the header needs a `document_number` column")
    out: list[tuple[str, str | None]] = []
    for row in reader:
        clean = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        number = clean.get("document_number", "").upper().replace("<", "").replace(" ", "")
        if not number:
            continue
        state = clean.get("issuing_state", "").upper() or None
        out.append((number, state))
    return out


def run(ctx: CheckContext) -> list[Finding]:
    """Report specimen names, numbers and states, and listed lost or stolen documents."""
    spec = _load_specimens(ctx.profile.checks.specimen.specimen_file)
    region = ctx.mrz_box()
    surname = _norm(mrz_value(ctx.mrz, "surname") or "")
    given = _norm(mrz_value(ctx.mrz, "given_names") or "")
    number = _norm(mrz_value(ctx.mrz, "document_number") or "").replace(" ", "")
    state = _norm(mrz_value(ctx.mrz, "issuing_state") or "")
    nationality = _norm(mrz_value(ctx.mrz, "nationality") or "")
    out: list[Finding] = []
    for s_surname, s_given, source in spec.names:
        if surname == s_surname and (given == s_given or given.startswith(s_given + " ")):
            out.append(
                finding(
                    "specimen.name",
                    Severity.FAIL,
                    f"MRZ name `{surname} {given}` is a published specimen name",
                    {"surname": surname, "given_names": given, "source": source},
                    region,
                )
            )
            break
    else:
        tokens = set(surname.split()) | set(given.split())
        hit = sorted(tokens & spec.tokens)
        if hit:
            out.append(
                finding(
                    "specimen.name",
                    Severity.FAIL,
                    f"MRZ name contains the specimen word `{hit[0]}`",
                    {"surname": surname, "given_names": given, "tokens": hit},
                    region,
                )
            )
    if number in spec.numbers:
        out.append(
            finding(
                "specimen.document_number",
                Severity.FAIL,
                f"document number `{number}` is a published specimen number",
                {"document_number": number, "source": spec.numbers[number]},
                region,
            )
        )
    for field, value in (("issuing_state", state), ("nationality", nationality)):
        if value in spec.states:
            out.append(
                finding(
                    f"specimen.{field}",
                    Severity.FAIL,
                    f"MRZ {field.replace('_', ' ')} `{value}` exists only on specimen documents",
                    {field: value, "source": spec.states[value]},
                    region,
                )
            )
    for listed, listed_state in ctx.lost_stolen:
        if listed == number and (listed_state is None or listed_state == state):
            out.append(
                finding(
                    "specimen.lost_stolen",
                    Severity.FAIL,
                    f"document number `{number}` is on the supplied lost/stolen list",
                    {
                        "document_number": number,
                        "issuing_state": state,
                        "listed_state": listed_state,
                    },
                    region,
                )
            )
            break
    return out
