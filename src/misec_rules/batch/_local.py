"""Local worker processes, one document in flight per worker.

Each worker is a spawned process with a pipe of its own, so the runner always
knows which document a worker holds: when a worker dies (a crash in a native
library, the OOM killer) or overruns the per-document timeout, that document
alone is recorded as failed and a fresh worker takes its place.  In-flight work is
bounded by the number of workers, so memory stays flat.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import pickle
import signal
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from misec_rules.batch._errors import BatchError
from misec_rules.batch._inputs import DocumentRef
from misec_rules.batch._processor import DocumentProcessor
from misec_rules.batch._work import error_record, run_task

__all__ = ["LocalExecutor"]

_READY = "ready"
_MAX_FAILED_STARTS = 5


def _worker_main(conn: Connection, processor: DocumentProcessor, thumbnails: bool) -> None:
    os.environ["OMP_THREAD_LIMIT"] = "1"
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the runner handles Ctrl-C
    import misec_rules.batch._imaging  # noqa: F401  (warm up: not counted in a document's time)

    conn.send(_READY)
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        rec = run_task(msg, processor, thumbnails=thumbnails)
        conn.send(rec)


def _start_method() -> str:
    """``spawn`` (clean workers, no inherited threads or locks), except when the main
    module is not a file spawn can re-import (``python - < script``): then ``fork``."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    spec = getattr(main, "__spec__", None)
    if spec is None and path is not None and not os.path.exists(path):
        return "fork"
    return "spawn"


@dataclass
class _Worker:
    proc: Any
    conn: Connection
    doc: DocumentRef | None = None
    started: float = 0.0
    ready: bool = False


class LocalExecutor:
    """Run documents on ``workers`` local processes; yields ``(doc, record)`` as they finish.

    Parameters
    ----------
    processor : DocumentProcessor
        Pickled once per worker.
    workers : int
        Number of worker processes.
    timeout : float, optional
        Seconds after which a document's worker is killed and the document recorded
        as timed out.
    """

    def __init__(
        self,
        processor: DocumentProcessor,
        *,
        workers: int,
        timeout: float | None = None,
        thumbnails: bool = True,
    ) -> None:
        self.processor = processor
        self.workers = max(1, int(workers))
        self.timeout = timeout
        self.thumbnails = thumbnails
        self._ctx: Any = mp.get_context(_start_method())
        self.restarts = 0
        self.startup_seconds = 0.0

    def _start(self) -> _Worker:
        parent, child = self._ctx.Pipe(duplex=True)
        proc = self._ctx.Process(
            target=_worker_main,
            args=(child, self.processor, self.thumbnails),
            daemon=True,
            name="misec-batch-worker",
        )
        try:
            proc.start()
        except (pickle.PicklingError, AttributeError, TypeError) as exc:
            parent.close()
            child.close()
            raise BatchError(
                f"the processor cannot be sent to worker processes: {type(exc).__name__}; "
                "use a module-level function or class"
            ) from exc
        child.close()
        return _Worker(proc=proc, conn=parent)

    @staticmethod
    def _stop(w: _Worker, *, kill: bool = False) -> None:
        if kill and w.proc.is_alive():
            w.proc.kill()
        w.proc.join(timeout=5)
        if w.proc.is_alive():  # pragma: no cover - a worker ignoring its shutdown
            w.proc.kill()
            w.proc.join(timeout=5)
        w.conn.close()

    def map_unordered(
        self, docs: Iterable[DocumentRef]
    ) -> Iterator[tuple[DocumentRef, dict[str, Any]]]:
        """Process ``docs`` and yield each with its record, in completion order."""
        old = os.environ.get("OMP_THREAD_LIMIT")
        os.environ["OMP_THREAD_LIMIT"] = "1"  # inherited by the spawned workers
        try:
            pool = [self._start() for _ in range(self.workers)]
        finally:
            if old is None:
                os.environ.pop("OMP_THREAD_LIMIT", None)
            else:
                os.environ["OMP_THREAD_LIMIT"] = old
        it = iter(docs)
        exhausted = False
        failed_starts = 0
        t_start = time.monotonic()
        self.startup_seconds = 0.0

        def feed(w: _Worker) -> None:
            """Give an idle, ready worker its next document."""
            nonlocal exhausted
            if not w.ready or w.doc is not None or exhausted:
                return
            doc = next(it, None)
            if doc is None:
                exhausted = True
                return
            w.doc, w.started = doc, time.monotonic()
            with contextlib.suppress(BrokenPipeError, OSError):
                w.conn.send(doc)  # a worker gone meanwhile is seen below

        try:
            while True:
                for w in pool:
                    feed(w)
                if exhausted and all(w.doc is None for w in pool):
                    return
                waitables: list[Any] = [w.conn for w in pool] + [w.proc.sentinel for w in pool]
                ready = set(wait(waitables, timeout=0.5))
                now = time.monotonic()
                for i, w in enumerate(pool):
                    doc = w.doc
                    msg: Any = None
                    dead = False
                    if w.conn in ready:
                        try:
                            msg = w.conn.recv()
                        except (EOFError, OSError):
                            dead = True
                    elif w.proc.sentinel in ready:
                        dead = True
                    if msg == _READY:
                        if not self.startup_seconds:
                            self.startup_seconds = now - t_start
                        w.ready = True
                        failed_starts = 0
                        feed(w)
                        continue
                    if msg is not None and doc is not None:
                        # the worker gets its next document before this record is written
                        # and fsynced, so it never waits on the runner's disk
                        w.doc = None
                        feed(w)
                        yield doc, msg
                        continue
                    overdue = (
                        doc is not None
                        and self.timeout is not None
                        and now - w.started > self.timeout
                    )
                    if not dead and not overdue:
                        continue
                    self._stop(w, kill=True)
                    code = w.proc.exitcode
                    if not w.ready:
                        failed_starts += 1
                        if failed_starts > _MAX_FAILED_STARTS * self.workers:
                            raise BatchError(
                                f"worker processes fail to start (exit code {code}); "
                                "is the processor picklable and importable?"
                            )
                    pool[i] = self._start()
                    self.restarts += 1
                    if doc is None:
                        continue
                    if dead:
                        text = (
                            f"worker process died (exit code {code}) while processing this document"
                        )
                    else:
                        text = f"timed out after {self.timeout:g} s; its worker was stopped"
                    yield doc, error_record(doc, text, seconds=now - w.started)
        finally:
            for w in pool:
                with contextlib.suppress(BrokenPipeError, OSError):
                    w.conn.send(None)
            for w in pool:
                self._stop(w, kill=w.doc is not None)
