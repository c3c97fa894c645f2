"""Reading user files: reasons in words, never a type name."""

from __future__ import annotations

from pathlib import Path

import pytest

from misec_rules._io import check_writable_file, os_reason, read_text
from misec_rules.errors import ProfileError


def test_read_text_reasons(tmp_path: Path) -> None:
    (tmp_path / "ok.txt").write_text("hello", encoding="utf-8")
    assert read_text(tmp_path / "ok.txt", what="file", error=ProfileError) == "hello"
    (tmp_path / "bad.txt").write_bytes(b"ab\xff")
    cases = {
        tmp_path / "bad.txt": "not utf-8 text (byte 3)",
        tmp_path / "missing.txt": "no such file",
        tmp_path: "is a folder",
    }
    for path, reason in cases.items():
        with pytest.raises(ProfileError) as info:
            read_text(path, what="profile", error=ProfileError)
        message = str(info.value)
        assert message == f"cannot read profile `{path}`: {reason}"


def test_os_reason_is_lowercase_words() -> None:
    assert os_reason(FileNotFoundError(2, "No such file or directory")) == "no such file"
    assert os_reason(OSError(9999, "Odd Failure.")) == "odd failure"


def test_check_writable_file(tmp_path: Path) -> None:
    assert check_writable_file(tmp_path / "out.html") is None
    assert "is a folder" in str(check_writable_file(tmp_path))
    assert "no such folder" in str(check_writable_file(tmp_path / "x" / "out.html"))
    (tmp_path / "f").write_text("")
    assert "is not a folder" in str(check_writable_file(tmp_path / "f" / "out.html"))
