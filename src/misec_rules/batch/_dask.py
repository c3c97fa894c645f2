"""Run a batch on an existing Dask distributed cluster (the ``dask`` extra).

This is the only module that imports ``distributed``.  The runner stays the only
writer of the output folder; workers only read the documents, so every worker must
see the input files under the same path (a shared mount).  In-flight tasks are
bounded (two per worker thread) so the runner's memory stays flat.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from misec_rules.batch._inputs import DocumentRef
from misec_rules.batch._processor import DocumentProcessor
from misec_rules.batch._work import describe, error_record, run_task
from misec_rules.errors import EngineError, MissingExtraError

__all__ = ["DaskExecutor"]


# glibc mallopt parameters
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def _undo_malloc_trim() -> bool:
    """Give the worker glibc's large-allocation behaviour back (Linux only).

    Dask's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which also fixes
    glibc's mmap threshold at 128 KiB: every image-sized array is then mapped and unmapped
    afresh, page faults included. Measured on the 42 samples, that made each document
    about 60% slower on a Dask worker than in a local worker process (1.09 s against
    0.69 s). Raising both thresholds keeps freed arrays for reuse, as a local process does.
    """
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        ok = libc.mallopt(_M_MMAP_THRESHOLD, 32 * 1024 * 1024)
        ok &= libc.mallopt(_M_TRIM_THRESHOLD, 64 * 1024 * 1024)
    except (OSError, AttributeError):  # not glibc
        return False
    return bool(ok)


def _warm_up(processor: DocumentProcessor) -> bool:
    """Ready a worker before it takes documents, as local workers are readied.

    Receiving ``processor`` unpickles it there (a registry reloads its rulesets), and the
    imports load OpenCV and the checks, so none of it is counted in a document's time;
    Dask's malloc settings are undone for this worker (:func:`_undo_malloc_trim`).
    """
    _undo_malloc_trim()
    import misec_rules.authenticity
    import misec_rules.batch._imaging
    import misec_rules.vision  # noqa: F401

    return processor is not None


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError as exc:
        raise MissingExtraError(
            "running a batch on a Dask cluster (`--scheduler`)", "dask"
        ) from exc
    return distributed


class DaskExecutor:
    """Run documents on the Dask cluster at ``scheduler`` (an address or a ``Client``).

    Raises
    ------
    MissingExtraError
        When ``distributed`` is not installed.
    EngineError
        When the scheduler cannot be reached.
    """

    def __init__(
        self,
        processor: DocumentProcessor,
        *,
        scheduler: Any,
        thumbnails: bool = True,
        connect_timeout: float = 15.0,
    ) -> None:
        self.processor = processor
        self.scheduler = scheduler
        self.thumbnails = thumbnails
        self.connect_timeout = connect_timeout
        self.restarts = 0
        self.startup_seconds = 0.0
        self._distributed = _import_distributed()

    def _client(self) -> tuple[Any, bool]:
        d = self._distributed
        if isinstance(self.scheduler, d.Client):
            return self.scheduler, False
        try:
            client = d.Client(
                str(self.scheduler), timeout=self.connect_timeout, set_as_default=False
            )
        except (OSError, TimeoutError) as exc:
            raise EngineError(f"cannot reach the dask scheduler `{self.scheduler}`") from exc
        return client, True

    def map_unordered(
        self, docs: Iterable[DocumentRef]
    ) -> Iterator[tuple[DocumentRef, dict[str, Any]]]:
        """Process ``docs`` on the cluster and yield each with its record, in completion order."""
        d = self._distributed
        t0 = time.monotonic()
        client, owned = self._client()
        try:
            threads = sum(client.nthreads().values()) or 1
            limit = max(2, 2 * threads)
            run = uuid.uuid4().hex[:12]
            proc = client.scatter(self.processor, broadcast=True, hash=False)
            warm = [
                client.submit(_warm_up, proc, workers=[addr], allow_other_workers=False, pure=False)
                for addr in client.nthreads()
            ]
            client.gather(warm)
            self.startup_seconds = time.monotonic() - t0
            pending: dict[str, DocumentRef] = {}
            ac = d.as_completed(loop=client.loop)
            it = iter(docs)
            seq = 0

            def submit() -> bool:
                nonlocal seq
                doc = next(it, None)
                if doc is None:
                    return False
                seq += 1
                key = f"misec-batch-{run}-{seq}"
                fut = client.submit(
                    run_task, doc, proc, thumbnails=self.thumbnails, key=key, pure=False
                )
                pending[key] = doc
                ac.add(fut)
                return True

            while len(pending) < limit and submit():
                pass
            for fut in ac:
                doc = pending.pop(fut.key)
                try:
                    rec = fut.result()
                except Exception as exc:  # a task lost with its worker, a pickling error
                    rec = error_record(
                        doc, "the task failed on the dask cluster", detail=describe(exc)
                    )
                fut.release()
                yield doc, rec
                while len(pending) < limit and submit():
                    pass
        finally:
            if owned:
                client.close()
