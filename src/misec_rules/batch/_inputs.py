"""Enumerate the documents of a batch: a folder (recursive) or a CSV manifest.

Both are streamed: a folder is walked directory by directory with names sorted,
so the order is stable between runs; a manifest is read row by row.
"""

from __future__ import annotations

import csv
import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from misec_rules.batch._errors import BatchError, os_reason

__all__ = ["IMAGE_EXTENSIONS", "DocumentRef", "count_documents", "iter_documents"]

#: File name extensions (lower case) taken as images when INPUT is a folder.
IMAGE_EXTENSIONS = frozenset(
    {".bmp", ".jp2", ".jpeg", ".jpg", ".pbm", ".pgm", ".png", ".ppm", ".tif", ".tiff", ".webp"}
)


@dataclass(frozen=True, slots=True)
class DocumentRef:
    """One document of a batch.

    Attributes
    ----------
    id : str
        The manifest's ``id``, or the path as written (manifest) or relative to the folder.
    path : str
        The path as the batch reports it: relative to the input folder or as the
        manifest wrote it (POSIX separators for folders).
    file : str
        The absolute file name the worker reads.
    """

    id: str
    path: str
    file: str


def key_digest(doc_id: str) -> bytes:
    """A compact (8-byte) key for a document id, used to skip done documents on resume."""
    return hashlib.blake2b(doc_id.encode("utf-8", "surrogateescape"), digest_size=8).digest()


def _walk_folder(root: Path, exclude: Path | None) -> Iterator[DocumentRef]:
    root_s = os.fspath(root)
    excl = os.path.realpath(exclude) if exclude is not None else None
    for dirpath, dirnames, filenames in os.walk(root_s, followlinks=False):
        kept = []
        for d in sorted(dirnames):
            if d.startswith("."):
                continue
            if excl is not None and os.path.realpath(os.path.join(dirpath, d)) == excl:
                continue
            kept.append(d)
        dirnames[:] = kept
        for name in sorted(filenames):
            if name.startswith(".") or os.path.splitext(name)[1].lower() not in IMAGE_EXTENSIONS:
                continue
            full = os.path.join(dirpath, name)
            rel = Path(os.path.relpath(full, root_s)).as_posix()
            yield DocumentRef(id=rel, path=rel, file=os.path.abspath(full))


def _read_manifest(manifest: Path) -> Iterator[DocumentRef]:
    base = manifest.parent
    try:
        fh = manifest.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise BatchError(f"cannot read manifest `{manifest}`: {os_reason(exc)}") from None
    with fh:
        reader = csv.DictReader(fh)
        try:
            fields = [f.strip() for f in (reader.fieldnames or [])]
            if "path" not in fields:
                raise BatchError(f"manifest `{manifest}` has no `path` column (line 1)")
            reader.fieldnames = fields
            for row in reader:
                line = reader.line_num
                raw = (row.get("path") or "").strip()
                if not raw:
                    raise BatchError(f"manifest `{manifest}`, line {line}: empty `path`")
                doc_id = (row.get("id") or "").strip() or raw
                file = Path(raw) if os.path.isabs(raw) else base / raw
                yield DocumentRef(id=doc_id, path=raw, file=os.path.abspath(file))
        except UnicodeDecodeError:
            raise BatchError(
                f"manifest `{manifest}`, line {reader.line_num + 1}: not utf-8 text"
            ) from None
        except csv.Error as exc:
            raise BatchError(
                f"manifest `{manifest}`, line {reader.line_num}: not a csv file ({exc})"
            ) from None
        except OSError as exc:
            raise BatchError(f"cannot read manifest `{manifest}`: {os_reason(exc)}") from None


def iter_documents(
    source: str | Path, *, exclude: str | Path | None = None
) -> Iterator[DocumentRef]:
    """Yield the documents of ``source`` in a stable order.

    Parameters
    ----------
    source : str or Path
        A folder (searched recursively for :data:`IMAGE_EXTENSIONS`, hidden names
        skipped) or a CSV manifest (``.csv``) with a ``path`` column, relative to the
        manifest's folder, and an optional ``id`` column.
    exclude : str or Path, optional
        A folder not to descend into (the batch's own output folder).

    Raises
    ------
    BatchError
        When ``source`` is neither a folder nor a readable CSV manifest.
    """
    src = Path(source)
    if src.is_dir():
        yield from _walk_folder(src, Path(exclude) if exclude is not None else None)
    elif src.is_file() and src.suffix.lower() == ".csv":
        yield from _read_manifest(src)
    elif src.exists():
        raise BatchError(f"input `{source}` is neither a folder nor a `.csv` manifest")
    else:
        raise BatchError(f"input `{source}` does not exist")


def count_documents(source: str | Path, *, exclude: str | Path | None = None) -> int:
    """Count the documents of ``source`` and check that their ids are unique.

    Raises
    ------
    BatchError
        On a bad manifest or a duplicate id (named with its manifest line).
    """
    seen: set[bytes] = set()
    n = 0
    for doc in iter_documents(source, exclude=exclude):
        k = key_digest(doc.id)
        if k in seen:
            raise BatchError(f"duplicate document id `{doc.id}` in `{source}` (document {n + 1})")
        seen.add(k)
        n += 1
    return n
