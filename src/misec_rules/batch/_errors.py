"""Errors raised by the batch runner, and operating-system errors put into words."""

from __future__ import annotations

import errno

from misec_rules.errors import MisecError

__all__ = ["BatchError", "os_reason"]

_REASONS = {
    errno.ENOENT: "no such file",
    errno.EEXIST: "is a file, not a folder",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "is a folder",
    errno.EACCES: "permission denied",
    errno.EPERM: "not permitted",
    errno.EROFS: "read-only file system",
    errno.ENOSPC: "no space left on the device",
}


class BatchError(MisecError, ValueError):
    """A batch that cannot start: unreadable input, bad manifest, or an output folder in use.

    Errors on single documents never raise; they are recorded as those documents' results.
    """


def os_reason(exc: OSError) -> str:
    """The reason of an operating-system error in lower-case words (``no such file``)."""
    if exc.errno in _REASONS:
        return _REASONS[exc.errno]
    text = exc.strerror or str(exc) or "input/output error"
    return " ".join(text.split()).lower()
