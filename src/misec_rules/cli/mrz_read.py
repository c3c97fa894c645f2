"""`misec mrz read` command (images); `misec mrz parse` lives in cli/mrz.py."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the `read` command to the `mrz` group ``app``."""
