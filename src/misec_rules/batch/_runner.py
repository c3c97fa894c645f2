"""``run_batch``: the whole job, from an input folder or manifest to a report."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import time
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from misec_rules.batch._analysis import CrossDocumentAnalyzer
from misec_rules.batch._errors import BatchError, os_reason
from misec_rules.batch._inputs import count_documents, iter_documents, key_digest
from misec_rules.batch._journal import ResultsJournal, recover
from misec_rules.batch._processor import DocumentProcessor, PipelineProcessor, load_request
from misec_rules.batch._progress import make_progress
from misec_rules.batch._report import finalize

__all__ = ["BatchSummary", "run_batch"]


class BatchSummary(BaseModel):
    """What a batch did; ``to_json()`` is what ``misec batch --json`` prints.

    ``documents`` counts the input's documents; ``processed`` those done in this run;
    ``documents_per_second`` is ``processed`` over this run's processing time, worker
    start-up included (``startup_seconds``: until the first worker was ready);
    ``skipped`` those found done in results.jsonl on ``resume``; ``verdicts``, ``errors``
    and ``groups`` describe the whole results file.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    input: str
    out: str
    documents: int
    processed: int
    skipped: int
    errors: int
    verdicts: dict[str, int]
    decisions: dict[str, int]
    groups: int
    seconds: float
    documents_per_second: float
    workers: int
    scheduler: str | None
    resumed: bool
    torn_line_dropped: bool
    worker_restarts: int
    startup_seconds: float
    results: str
    summary: str
    report: str
    analysis: str

    @property
    def all_consistent(self) -> bool:
        """True when every document was read and found consistent."""
        return self.errors == 0 and set(self.verdicts) <= {"consistent"}

    def to_json(self) -> dict[str, Any]:
        """The summary as a JSON-ready dict."""
        return self.model_dump()


def _sha(obj: Any) -> str | None:
    if obj is None:
        return None
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _processor_name(p: Any) -> str:
    t = type(p)
    name = getattr(p, "__qualname__", None) if callable(p) and t.__name__ == "function" else None
    return f"{getattr(p, '__module__', t.__module__)}.{name or t.__qualname__}"


def _check_resume(path: Path, conf: dict[str, Any]) -> None:
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    for key, value in conf.items():
        if key in old and old[key] != value:
            raise BatchError(
                f"cannot resume: `{key}` differs from the first run's (see `{path}`); "
                "use the same options or a new output folder"
            )


def _scheduler_name(scheduler: Any) -> str | None:
    """The scheduler's address, whether given as a string or a ``distributed.Client``."""
    if scheduler is None or isinstance(scheduler, str):
        return scheduler
    rpc = getattr(scheduler, "scheduler", None)
    return str(getattr(rpc, "address", None) or type(scheduler).__name__)


def _write_thumbnail(out: Path, rel: str, data: bytes) -> None:
    final = out / rel
    if final.exists():
        return
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(final.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, final)


def run_batch(
    input: str | Path,
    out: str | Path,
    *,
    workers: int | None = None,
    scheduler: Any = None,
    resume: bool = False,
    profile: str | None = None,
    rulesets: str | Path | None = None,
    request: str | Path | Mapping[str, Any] | None = None,
    reference_date: date | None = None,
    processor: DocumentProcessor | None = None,
    timeout: float | None = None,
    progress: str = "auto",
    thumbnails: bool = True,
    max_thumbnails: int = 500,
    portrait_distance: int = 4,
    fsync: bool = True,
) -> BatchSummary:
    """Check every document of a folder or CSV manifest and write results and a report.

    Parameters
    ----------
    input : str or Path
        A folder (searched recursively for images, in a stable sorted order) or a CSV
        manifest with a ``path`` column (relative to the manifest) and an optional ``id``.
    out : str or Path
        The output folder: results.jsonl, summary.csv, analysis.json, report.html,
        thumbs/ and run.json.  Created if missing.
    workers : int, optional
        Local worker processes (default: the number of CPUs).  Ignored with ``scheduler``.
    scheduler : str or distributed.Client, optional
        A Dask scheduler address (``tcp://host:port``) or client: run on that cluster
        instead of local processes (needs the ``dask`` extra).
    resume : bool
        Continue the results already in ``out``: documents with a complete record are
        skipped, a torn last line is dropped and its document done again.
    profile : str, optional
        The authenticity profile for ``check_document``.
    rulesets, request : optional
        A rulesets folder and a sharing request (a JSON file or a mapping); with both,
        every document gets the decision for that request.
    reference_date : date, optional
        The date MRZ dates are judged against (default: today).
    processor : DocumentProcessor, optional
        What to run per document (default: :class:`PipelineProcessor`, the real pipeline).
        Must be picklable.
    timeout : float, optional
        Seconds one document may take before its worker is stopped (local workers only).
    progress : str
        ``auto`` (a bar on a terminal, periodic lines otherwise), ``bar``, ``lines``, ``none``.
    thumbnails : bool
        Make thumbnails for the report.
    max_thumbnails : int
        The most thumbnails embedded in report.html (documents not consistent first).
    portrait_distance : int
        The pHash Hamming distance (of 64 bits, at most 7) for "the same portrait".
    fsync : bool
        fsync results.jsonl after every record (turn off only for throwaway runs).

    Returns
    -------
    BatchSummary

    Raises
    ------
    BatchError
        The input cannot be read, the output folder holds results without ``resume``
        or is in use by another batch, or ``resume`` meets different options.
    ProfileError
        ``profile`` cannot be read or does not validate (checked before any document).
    RequestError
        ``request`` lacks ``from``, ``to``, ``categories`` or ``purpose``, or is malformed.
    RulesetError
        ``rulesets`` does not validate.
    MissingExtraError
        ``scheduler`` is given and Dask is not installed.
    """
    t0 = time.monotonic()
    src = Path(input)
    dst = Path(out)
    if (rulesets is None) != (request is None):
        raise BatchError("`rulesets` and `request` go together: give both or neither")
    req: dict[str, Any] | None = None
    if request is not None:
        req = dict(request) if isinstance(request, Mapping) else load_request(request)
        from misec_rules.sharing import SharingRequest  # type: ignore[attr-defined,unused-ignore]

        SharingRequest.from_json(req)  # fail early (exit 2) on a malformed request
    rules_path = os.path.abspath(rulesets) if rulesets is not None else None
    if rules_path is not None:
        from misec_rules.sharing import load_rulesets  # type: ignore[attr-defined,unused-ignore]

        load_rulesets(rules_path)  # fail early (exit 3) on an invalid ruleset
    if profile is not None:
        check_profile(profile)  # fail early (exit 2), not once per document
    proc: DocumentProcessor = processor or PipelineProcessor(
        profile=profile, reference_date=reference_date, rulesets=rules_path, request=req
    )
    if not src.exists():
        raise BatchError(f"input `{input}` does not exist")
    try:
        dst.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BatchError(f"cannot create output folder `{out}`: {os_reason(exc)}") from None
    if not dst.is_dir():
        raise BatchError(f"cannot create output folder `{out}`: is a file, not a folder")
    try:
        lock = (dst / ".lock").open("a")
    except OSError as exc:
        raise BatchError(f"cannot write to output folder `{out}`: {os_reason(exc)}") from None
    try:
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            raise BatchError(f"output folder `{out}` is in use by another batch") from exc
        try:
            return _run_locked(
                src, dst, t0=t0, proc=proc, workers=workers, scheduler=scheduler, resume=resume,
                profile=profile, rules_path=rules_path, req=req, reference_date=reference_date,
                timeout=timeout, progress=progress, thumbnails=thumbnails,
                max_thumbnails=max_thumbnails, portrait_distance=portrait_distance, fsync=fsync,
            )  # fmt: skip
        except OSError as exc:  # the output folder: unwritable, full, removed under us
            where = exc.filename or dst
            raise BatchError(f"cannot write `{where}`: {os_reason(exc)}") from None
    finally:
        lock.close()


def check_profile(profile: str) -> None:
    """Load and validate the authenticity profile once, before any document.

    Raises
    ------
    ProfileError
        The profile cannot be read, is not UTF-8 text, or does not validate.
    """
    from misec_rules.authenticity import load_profile  # type: ignore[attr-defined,unused-ignore]
    from misec_rules.errors import ProfileError

    try:
        load_profile(profile)
    except UnicodeDecodeError as exc:
        raise ProfileError(
            f"profile `{profile}` is not utf-8 text (byte {exc.start + 1})"
        ) from None


def _run_locked(
    src: Path,
    dst: Path,
    *,
    t0: float,
    proc: DocumentProcessor,
    workers: int | None,
    scheduler: Any,
    resume: bool,
    profile: str | None,
    rules_path: str | None,
    req: dict[str, Any] | None,
    reference_date: date | None,
    timeout: float | None,
    progress: str,
    thumbnails: bool,
    max_thumbnails: int,
    portrait_distance: int,
    fsync: bool,
) -> BatchSummary:
    results = dst / "results.jsonl"
    for tmp in dst.glob("*.tmp"):
        tmp.unlink()
    conf = {
        "input": os.path.abspath(src),
        "profile": profile,
        "rulesets": rules_path,
        "request": _sha(req),
        "reference_date": reference_date.isoformat() if reference_date else None,
        "processor": _processor_name(proc),
    }
    run_json = dst / "run.json"
    if results.exists() and results.stat().st_size > 0 and not resume:
        raise BatchError(
            f"`{results}` already holds results: pass `--resume` to continue, or use a new folder"
        )
    if resume:
        _check_resume(run_json, conf)
    run_json.write_text(json.dumps(conf, indent=1) + "\n", encoding="utf-8")
    done, prior, torn = recover(results) if resume else (set(), 0, False)
    total = count_documents(src, exclude=dst)
    n_workers = max(1, workers if workers is not None else (os.cpu_count() or 1))
    executor: Any
    if scheduler is not None:
        from misec_rules.batch._dask import DaskExecutor

        executor = DaskExecutor(proc, scheduler=scheduler, thumbnails=thumbnails)
    else:
        from misec_rules.batch._local import LocalExecutor

        executor = LocalExecutor(proc, workers=n_workers, timeout=timeout, thumbnails=thumbnails)
    todo = (d for d in iter_documents(src, exclude=dst) if key_digest(d.id) not in done)
    already = min(prior, total)
    bar = make_progress(total, already, mode=progress)
    processed = 0
    t_run = time.monotonic()
    bar.start()
    try:
        with ResultsJournal(results, fsync=fsync) as journal:
            for _doc, rec in executor.map_unordered(todo):
                thumb = rec.pop("_thumbnail", None)
                if thumb is not None and rec.get("thumbnail"):
                    try:
                        _write_thumbnail(dst, rec["thumbnail"]["file"], thumb)
                    except OSError:
                        rec["thumbnail"] = None
                journal.append(rec)
                processed += 1
                bar.advance(error=bool(rec.get("error")))
    finally:
        bar.stop()
    run_seconds = time.monotonic() - t_run
    rate = processed / run_seconds if run_seconds > 0 and processed else 0.0
    from misec_rules import __version__

    meta = {
        "input": str(src),
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "version": __version__,
        "profile": profile,
        "request": (
            f"{req.get('from')} → {req.get('to')}, {', '.join(map(str, req.get('categories') or []))}"
            f" for {req.get('purpose')}"
            if req
            else None
        ),
        "rate": rate,
    }
    analysis = finalize(
        dst,
        meta,
        analyzer=CrossDocumentAnalyzer(portrait_distance=portrait_distance),
        max_thumbnails=max_thumbnails,
    )
    return BatchSummary(
        input=str(src),
        out=str(dst),
        documents=total,
        processed=processed,
        skipped=prior,
        errors=analysis["errors"],
        verdicts=analysis["verdicts"],
        decisions=analysis["decisions"],
        groups=len(analysis["groups"]),
        seconds=round(time.monotonic() - t0, 3),
        documents_per_second=round(rate, 3),
        workers=n_workers if scheduler is None else 0,
        scheduler=_scheduler_name(scheduler),
        resumed=resume,
        torn_line_dropped=torn,
        worker_restarts=int(getattr(executor, "restarts", 0)),
        startup_seconds=round(float(getattr(executor, "startup_seconds", 0.0)), 3),
        results=str(results),
        summary=str(dst / "summary.csv"),
        report=str(dst / "report.html"),
        analysis=str(dst / "analysis.json"),
    )
