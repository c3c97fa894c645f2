"""Progress on stderr: a rich bar on a terminal, plain periodic lines otherwise.

Only counts and rates are shown, never a document's path or content.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

__all__ = ["Progress", "make_progress"]


def _fmt_eta(seconds: float) -> str:
    s = int(seconds)
    if s >= 3600:
        return f"{s // 3600}h{(s % 3600) // 60:02d}m"
    if s >= 60:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s}s"


class Progress:
    """Silent progress (the base); :meth:`advance` once per finished document."""

    def __init__(self, total: int, done: int = 0) -> None:
        self.total = total
        self.done = done
        self.errors = 0
        self._start_done = done
        self._t0 = time.monotonic()

    def start(self) -> None:
        """Begin showing progress."""

    def advance(self, *, error: bool = False) -> None:
        """Count one finished document."""
        self.done += 1
        self.errors += int(error)

    def stop(self) -> None:
        """Stop showing progress."""

    def rate(self) -> float:
        """Documents per second in this run."""
        dt = time.monotonic() - self._t0
        return (self.done - self._start_done) / dt if dt > 0 else 0.0


class PlainProgress(Progress):
    """A line on ``stream`` every ``every`` seconds, and one at the end."""

    def __init__(self, total: int, done: int = 0, *, stream: TextIO, every: float = 10.0) -> None:
        super().__init__(total, done)
        self.stream = stream
        self.every = every
        self._last = time.monotonic()

    def _line(self) -> None:
        rate = self.rate()
        left = self.total - self.done
        eta = f", about {_fmt_eta(left / rate)} left" if rate > 0 and left > 0 else ""
        self.stream.write(
            f"batch: {self.done}/{self.total} done, {self.errors} errors, {rate:.2f} docs/s{eta}\n"
        )
        self.stream.flush()

    def start(self) -> None:
        """Print the starting line."""
        self._line()

    def advance(self, *, error: bool = False) -> None:
        """Count one document; print a line when ``every`` seconds have passed."""
        super().advance(error=error)
        now = time.monotonic()
        if now - self._last >= self.every:
            self._last = now
            self._line()

    def stop(self) -> None:
        """Print the final line."""
        self._line()


class RichProgress(Progress):
    """A rich progress bar with the rate and the time left."""

    def __init__(self, total: int, done: int = 0, *, stream: TextIO) -> None:
        super().__init__(total, done)
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as RP

        self._bar: Any = RP(
            TextColumn("batch"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rate]} docs/s"),
            TextColumn("{task.fields[errors]} errors"),
            TimeElapsedColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
            console=Console(file=stream),
            transient=False,
        )
        self._task = self._bar.add_task("batch", total=total, completed=done, rate="0.00", errors=0)

    def start(self) -> None:
        """Show the bar."""
        self._bar.start()

    def advance(self, *, error: bool = False) -> None:
        """Move the bar by one document."""
        super().advance(error=error)
        self._bar.update(self._task, advance=1, rate=f"{self.rate():.2f}", errors=self.errors)

    def stop(self) -> None:
        """Remove the live display, leaving the last bar."""
        self._bar.stop()


def make_progress(
    total: int, done: int, *, mode: str = "auto", stream: TextIO | None = None
) -> Progress:
    """A progress display: ``mode`` is ``auto`` (bar on a terminal, lines otherwise),
    ``bar``, ``lines`` or ``none``."""
    out = stream if stream is not None else sys.stderr
    if mode == "auto":
        mode = "bar" if out.isatty() else "lines"
    if mode == "bar":
        return RichProgress(total, done, stream=out)
    if mode == "lines":
        return PlainProgress(total, done, stream=out)
    return Progress(total, done)
