"""The append-only results file: one JSON line per document, fsynced per record.

A record is done once its whole line, newline included, is on disk.  On resume
the file is read back: a torn last line (the process was killed while writing it)
is cut off and its document done again; every complete line's document is skipped.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from misec_rules.batch._errors import BatchError
from misec_rules.batch._inputs import key_digest

__all__ = ["ResultsJournal", "iter_records", "recover"]


def _dumps(record: dict[str, Any]) -> bytes:
    return (
        json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str) + "\n"
    ).encode()


class ResultsJournal:
    """Append records to ``path``; each is flushed and fsynced before :meth:`append` returns."""

    def __init__(self, path: Path, *, fsync: bool = True) -> None:
        self.path = path
        self._fsync = fsync
        self._fh = path.open("ab")

    def append(self, record: dict[str, Any]) -> None:
        """Write ``record`` as one line and make it durable."""
        self._fh.write(_dumps(record))
        self._fh.flush()
        if self._fsync:
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        """Close the file."""
        self._fh.close()

    def __enter__(self) -> ResultsJournal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def recover(path: Path) -> tuple[set[bytes], int, bool]:
    """Read ``path`` back for a resume: the done documents' keys, their count, and
    whether a torn last line was cut off (the file is truncated to its last whole line).

    Raises
    ------
    BatchError
        When a line other than the last is not a JSON object with an ``id``.
    """
    done: set[bytes] = set()
    if not path.exists():
        return done, 0, False
    good_end = 0
    count = 0
    torn = False
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            rec: Any = None
            if raw.endswith(b"\n"):
                try:
                    rec = json.loads(raw)
                except ValueError:
                    rec = None
            if not isinstance(rec, dict) or not isinstance(rec.get("id"), str):
                if fh.read(1):  # not the last line: the file was damaged, not torn
                    raise BatchError(f"`{path}`, line {lineno}: not a result record; cannot resume")
                torn = True
                break
            done.add(key_digest(rec["id"]))
            count += 1
            good_end += len(raw)
    if torn:
        with path.open("r+b") as fh:
            fh.truncate(good_end)
            fh.flush()
            os.fsync(fh.fileno())
    return done, count, torn


def iter_records(path: Path) -> Iterator[dict[str, Any]]:
    """Stream the records of a results file (skipping a torn last line)."""
    with path.open("rb") as fh:
        for raw in fh:
            if not raw.endswith(b"\n"):
                break
            try:
                rec = json.loads(raw)
            except ValueError:
                continue
            if isinstance(rec, dict):
                yield rec
