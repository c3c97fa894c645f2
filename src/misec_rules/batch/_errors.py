"""Errors raised by the batch runner, and operating-system errors put into words."""

from __future__ import annotations

from misec_rules._io import os_reason
from misec_rules.errors import MisecError

__all__ = ["BatchError", "os_reason"]


class BatchError(MisecError, ValueError):
    """A batch that cannot start: unreadable input, bad manifest, or an output folder in use.

    Errors on single documents never raise; they are recorded as those documents' results.
    """
