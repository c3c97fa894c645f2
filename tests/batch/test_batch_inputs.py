"""Enumerating a batch's documents: folders and CSV manifests."""

from __future__ import annotations

from pathlib import Path

import pytest

from misec_rules.batch import BatchError, iter_documents
from misec_rules.batch._inputs import count_documents


def _touch(p: Path) -> Path:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(b"x")
    return p


def test_folder_is_recursive_sorted_and_filtered(tmp_path: Path) -> None:
    for name in ["b.png", "a.JPG", "sub/c.tif", "sub/deeper/d.jpeg", "notes.txt", ".hidden.png"]:
        _touch(tmp_path / "in" / name)
    _touch(tmp_path / "in" / ".git" / "x.png")
    _touch(tmp_path / "in" / "out" / "thumbs" / "t.jpg")
    docs = list(iter_documents(tmp_path / "in", exclude=tmp_path / "in" / "out"))
    assert [d.path for d in docs] == ["a.JPG", "b.png", "sub/c.tif", "sub/deeper/d.jpeg"]
    assert all(Path(d.file).is_absolute() and Path(d.file).exists() for d in docs)
    assert [d.id for d in docs] == [d.path for d in docs]
    # stable: a second walk gives the same order
    assert [d.path for d in iter_documents(tmp_path / "in", exclude=tmp_path / "in" / "out")] == [
        d.path for d in docs
    ]


def test_manifest_paths_are_relative_to_the_manifest(tmp_path: Path) -> None:
    _touch(tmp_path / "scans" / "one.png")
    manifest = tmp_path / "lists" / "m.csv"
    manifest.parent.mkdir()
    manifest.write_text(
        "id,path,extra\nA-1,../scans/one.png,x\n,../scans/two.png,y\n", encoding="utf-8"
    )
    docs = list(iter_documents(manifest))
    assert [(d.id, d.path) for d in docs] == [
        ("A-1", "../scans/one.png"),
        ("../scans/two.png", "../scans/two.png"),
    ]
    assert Path(docs[0].file) == (tmp_path / "scans" / "one.png").resolve()


def test_manifest_without_path_column_names_the_problem(tmp_path: Path) -> None:
    m = tmp_path / "m.csv"
    m.write_text("file,id\na.png,1\n", encoding="utf-8")
    with pytest.raises(BatchError, match="no `path` column"):
        list(iter_documents(m))


def test_manifest_duplicate_id_is_refused(tmp_path: Path) -> None:
    m = tmp_path / "m.csv"
    m.write_text("path,id\na.png,X\nb.png,X\n", encoding="utf-8")
    with pytest.raises(BatchError, match="duplicate document id `X`"):
        count_documents(m)


def test_manifest_empty_path_names_the_line(tmp_path: Path) -> None:
    m = tmp_path / "m.csv"
    m.write_text("path\na.png\n \n", encoding="utf-8")
    with pytest.raises(BatchError, match="line 3"):
        list(iter_documents(m))


def test_input_that_is_neither_folder_nor_manifest(tmp_path: Path) -> None:
    f = _touch(tmp_path / "x.png")
    with pytest.raises(BatchError, match="neither a folder nor"):
        list(iter_documents(f))
    with pytest.raises(BatchError, match="does not exist"):
        list(iter_documents(tmp_path / "nope"))
