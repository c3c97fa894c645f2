"""Reading user files with errors in the project's style.

One place that turns operating-system and decoding failures into short, lowercase
reasons (``no such file``, ``is a folder``, ``not utf-8 text (byte 3)``), so every
command words them the same way and no internal type name reaches a user.
"""

from __future__ import annotations

import errno
from pathlib import Path

_REASONS = {
    errno.ENOENT: "no such file",
    # mkdir(exist_ok=True) is where these arise: a file stands where a folder should be
    errno.EEXIST: "is a file, not a folder",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "is a folder",
    errno.EACCES: "permission denied",
    errno.EPERM: "not permitted",
    errno.EROFS: "read-only file system",
    errno.ENOSPC: "no space left on the device",
    errno.ENAMETOOLONG: "name too long",
}


def os_reason(exc: OSError) -> str:
    """The reason of an operating-system error in lowercase words."""
    if exc.errno in _REASONS:
        return _REASONS[exc.errno]
    text = exc.strerror or str(exc) or "input/output error"
    return " ".join(text.split()).rstrip(".").lower()


def read_text(
    path: str | Path, *, what: str, error: type[Exception], encoding: str = "utf-8"
) -> str:
    """Read a text file, or raise ``error`` with a one-line reason naming ``what`` and the path.

    ``error`` is called with the message as its only argument.
    """
    p = Path(path)
    try:
        if p.is_dir():
            raise error(f"cannot read {what} `{p}`: is a folder")
        return p.read_text(encoding=encoding)
    except UnicodeDecodeError as exc:
        raise error(f"cannot read {what} `{p}`: not utf-8 text (byte {exc.start + 1})") from None
    except OSError as exc:
        raise error(f"cannot read {what} `{p}`: {os_reason(exc)}") from None


def check_writable_file(path: str | Path) -> str | None:
    """Why a file cannot be written at ``path``, or None when it looks writable.

    Checked before long work, so a bad output path fails at once, not after it.
    """
    p = Path(path)
    if p.is_dir():
        return f"`{p}` is a folder"
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.exists():
        return f"no such folder `{parent}`"
    if not parent.is_dir():
        return f"`{parent}` is not a folder"
    import os

    if not os.access(parent, os.W_OK) or (p.exists() and not os.access(p, os.W_OK)):
        return f"`{p}`: permission denied"
    return None
