"""Bad usage and bad inputs of `misec batch`: one clean line, the right exit code, no traceback.

And per-document errors: a user-facing reason naming the document, never a class name
or a source location (those go to ``error_detail``, for internal errors only).
"""

from __future__ import annotations

import errno
import json
import re
from pathlib import Path
from typing import Any

import pytest
from batch_procs import TagProcessor, make_docs
from typer.testing import CliRunner

import misec_rules.batch._runner as runner_mod
from misec_rules.batch import BatchError, PipelineProcessor, run_batch
from misec_rules.cli.main import app
from misec_rules.errors import ProfileError

_INTERNALS = re.compile(r"[A-Z][a-z]+(Error|Exception)\b|\.py:\d+|Traceback")


def _invoke(*args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(app, ["batch", *args])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    return res.exit_code, res.stdout, res.stderr


def _records(out: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]


def _one_error(out: str) -> dict[str, Any]:
    lines = out.splitlines()
    assert len(lines) == 1, out
    obj: dict[str, Any] = json.loads(lines[0])
    assert "\n" not in obj["error"] and not _INTERNALS.search(obj["error"]), obj
    assert obj["error"] == obj["error"].strip() and not obj["error"][0].isupper()
    return obj


# --- the profile is checked once, before anything runs ---------------------------


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"foo: [\n", "not valid yaml"),
        (b"\xff\xfe\x00\x01 not text", "not utf-8"),
    ],
)
def test_bad_profile_stops_the_batch_before_any_document(
    tmp_path: Path, content: bytes, says: str
) -> None:
    make_docs(tmp_path / "in", 2)
    prof = tmp_path / "prof.yaml"
    prof.write_bytes(content)
    code, out, _ = _invoke(str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--profile",
                           str(prof), "--json", "--workers", "1", "--progress", "none")  # fmt: skip
    assert code == 2
    obj = _one_error(out)
    assert says in obj["error"] and str(prof) in obj["error"] and obj["path"] == str(prof)
    assert not (tmp_path / "out" / "results.jsonl").exists()


def test_bad_profile_on_an_empty_folder_is_still_an_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    prof = tmp_path / "prof.yaml"
    prof.write_text("foo: [\n", encoding="utf-8")
    code, out, _ = _invoke(str(tmp_path / "empty"), "-o", str(tmp_path / "out"), "--profile",
                           str(prof), "--json")  # fmt: skip
    assert code == 2 and "not valid yaml" in _one_error(out)["error"]


def test_missing_profile_raises_before_the_processor_runs(tmp_path: Path) -> None:
    make_docs(tmp_path / "in", 1)
    with pytest.raises(ProfileError, match=r"nope\.yaml"):
        run_batch(tmp_path / "in", tmp_path / "out", profile=str(tmp_path / "nope.yaml"),
                  processor=TagProcessor(), workers=1, progress="none")  # fmt: skip
    assert not (tmp_path / "out").exists()


# --- per-document errors ------------------------------------------------------------


def test_not_an_image_names_the_document_not_bytes_nor_a_class(tmp_path: Path) -> None:
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "junk.png").write_bytes(b"this is not an image at all")
    run_batch(inp, tmp_path / "out", workers=1, processor=PipelineProcessor(), progress="none")
    (rec,) = _records(tmp_path / "out")
    assert rec["error"] == "cannot read `junk.png`: not an image (unknown format)"
    assert rec["error_detail"] is None and rec["verdict"] is None


def test_internal_error_is_one_line_with_the_detail_apart(tmp_path: Path) -> None:
    make_docs(tmp_path / "in", 1)
    from batch_procs import make_doc

    make_doc(tmp_path / "in" / "crash.png", behave="crash", noise_seed=9)
    run_batch(tmp_path / "in", tmp_path / "out", workers=1, processor=TagProcessor(),
              progress="none")  # fmt: skip
    recs = {r["id"]: r for r in _records(tmp_path / "out")}
    crash = recs["crash.png"]
    assert crash["error"] == "`crash.png`: internal error: RuntimeError"
    assert crash["error_detail"].startswith("RuntimeError: engine crashed (at batch_procs.py:")
    assert recs["doc-0000.png"]["error"] is None and recs["doc-0000.png"]["error_detail"] is None


# --- the output folder ------------------------------------------------------------


def test_output_that_is_a_file(tmp_path: Path) -> None:
    make_docs(tmp_path / "in", 1)
    (tmp_path / "file").write_text("x", encoding="utf-8")
    code, out, _ = _invoke(str(tmp_path / "in"), "-o", str(tmp_path / "file"), "--json")
    assert code == 2
    assert _one_error(out)["error"] == (
        f"cannot create output folder `{tmp_path / 'file'}`: is a file, not a folder"
    )


def test_output_below_a_file(tmp_path: Path) -> None:
    make_docs(tmp_path / "in", 1)
    (tmp_path / "file").write_text("x", encoding="utf-8")
    code, out, _ = _invoke(str(tmp_path / "in"), "-o", str(tmp_path / "file" / "sub"), "--json")
    assert code == 2 and "is a file, not a folder" in _one_error(out)["error"]


def test_unwritable_output_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the tests may run as root, for whom chmod does not deny: refuse the lock file instead
    make_docs(tmp_path / "in", 1)
    real_open = Path.open

    def deny(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self.name == ".lock":
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", deny)
    code, out, _ = _invoke(str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--json")
    assert code == 2
    assert _one_error(out)["error"] == (
        f"cannot write to output folder `{tmp_path / 'out'}`: permission denied"
    )


def test_output_write_failure_mid_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_docs(tmp_path / "in", 1)

    class Full:
        def __init__(self, path: Path, **_: Any) -> None:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(runner_mod, "ResultsJournal", Full)
    with pytest.raises(BatchError) as info:
        run_batch(tmp_path / "in", tmp_path / "out", workers=1, processor=TagProcessor(),
                  progress="none")  # fmt: skip
    assert str(info.value) == (
        f"cannot write `{tmp_path / 'out' / 'results.jsonl'}`: no space left on the device"
    )


# --- manifests ----------------------------------------------------------------------


def test_manifest_without_a_path_column(tmp_path: Path) -> None:
    m = tmp_path / "m.csv"
    m.write_text("document_number\nX1\n", encoding="utf-8")
    code, out, _ = _invoke(str(m), "-o", str(tmp_path / "out"), "--json")
    assert code == 2 and "has no `path` column (line 1)" in _one_error(out)["error"]


def test_manifest_that_is_not_utf8(tmp_path: Path) -> None:
    m = tmp_path / "m.csv"
    m.write_bytes(b"\xff\xfep\x00a\x00t\x00h\x00\n\x00")
    code, out, _ = _invoke(str(m), "-o", str(tmp_path / "out"), "--json")
    assert code == 2 and "not utf-8 text" in _one_error(out)["error"]


def test_manifest_with_missing_files_records_each_and_goes_on(tmp_path: Path) -> None:
    make_docs(tmp_path / "in", 2)
    (tmp_path / "folder").mkdir()
    m = tmp_path / "m.csv"
    m.write_text("path\nin/doc-0000.png\nin/gone.png\nfolder\nin/doc-0001.png\n", encoding="utf-8")
    s = run_batch(m, tmp_path / "out", workers=1, processor=TagProcessor(), progress="none")
    assert s.processed == 4 and s.errors == 2
    recs = {r["id"]: r for r in _records(tmp_path / "out")}
    assert recs["in/gone.png"]["error"] == "cannot read `in/gone.png`: no such file"
    assert recs["folder"]["error"] == "cannot read `folder`: is a folder"
    assert recs["in/doc-0000.png"]["verdict"] == recs["in/doc-0001.png"]["verdict"] == "consistent"


# --- the sharing request is checked once, before anything runs ---------------------

RULESETS = Path(__file__).resolve().parents[2] / "rulesets" / "fi"


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b'{"from": "RVL"}', "request `{req}`: request lacks `to`"),
        (b"\xff\xfe{}", "request `{req}` is not utf-8 text (byte 1)"),
    ],
)
def test_bad_request_stops_the_batch_before_any_document(
    tmp_path: Path, content: bytes, says: str
) -> None:
    make_docs(tmp_path / "in", 1)
    req = tmp_path / "req.json"
    req.write_bytes(content)
    code, out, _ = _invoke(str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--rulesets",
                           str(RULESETS), "--request", str(req), "--json")  # fmt: skip
    assert code == 2
    assert _one_error(out)["error"] == says.format(req=req)
    assert not (tmp_path / "out").exists()


def test_request_that_is_a_folder(tmp_path: Path) -> None:
    make_docs(tmp_path / "in", 1)
    code, out, _ = _invoke(str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--rulesets",
                           str(RULESETS), "--request", str(tmp_path), "--json")  # fmt: skip
    assert code == 2
    assert _one_error(out)["error"] == f"cannot read request `{tmp_path}`: is a folder"
