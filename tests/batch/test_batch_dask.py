"""The same batch on a Dask LocalCluster the test starts; the missing-extra message."""

from __future__ import annotations

import builtins
import json
from pathlib import Path
from typing import Any

import pytest
from batch_procs import TagProcessor, make_doc, make_docs

from misec_rules.batch import run_batch
from misec_rules.errors import MissingExtraError


def _by_id(out: Path) -> dict[str, dict[str, Any]]:
    recs = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    return {r["id"]: r for r in recs}


@pytest.mark.slow
def test_dask_local_cluster_gives_the_same_results(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    make_docs(tmp_path / "in", 6)
    make_doc(tmp_path / "in" / "crash.png", behave="crash", noise_seed=40)
    local = run_batch(
        tmp_path / "in", tmp_path / "local", workers=2, processor=TagProcessor(), progress="none"
    )
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        remote = run_batch(
            tmp_path / "in",
            tmp_path / "dask",
            scheduler=cluster.scheduler_address,
            processor=TagProcessor(),
            progress="none",
        )
        with distributed.Client(cluster, set_as_default=False) as client:
            again = run_batch(
                tmp_path / "in", tmp_path / "dask2", scheduler=client, processor=TagProcessor(),
                progress="none",
            )  # fmt: skip
        assert again.processed == 7 and again.scheduler == cluster.scheduler_address
    assert remote.scheduler == cluster.scheduler_address
    assert remote.documents == remote.processed == local.processed == 7
    a, b = _by_id(tmp_path / "local"), _by_id(tmp_path / "dask")
    assert set(a) == set(b)
    for k in a:
        for field in ("sha256", "verdict", "mrz", "findings", "portrait_phash", "cross_document"):
            assert a[k][field] == b[k][field], (k, field)
        assert (a[k]["error"] is None) == (b[k]["error"] is None)
    assert "internal error" in b["crash.png"]["error"]
    assert "engine crashed" in b["crash.png"]["error_detail"]
    assert (tmp_path / "dask" / "report.html").is_file()


def test_missing_dask_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_distributed(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "distributed" or name.startswith("distributed."):
            raise ImportError("No module named 'distributed'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_distributed)
    make_docs(tmp_path / "in", 1)
    with pytest.raises(MissingExtraError, match=r"pip install 'misec-rules\[dask\]'"):
        run_batch(
            tmp_path / "in",
            tmp_path / "out",
            scheduler="tcp://127.0.0.1:1",
            processor=TagProcessor(),
        )


def test_unreachable_scheduler_is_an_engine_error(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    from misec_rules.batch._dask import DaskExecutor
    from misec_rules.batch._inputs import iter_documents
    from misec_rules.errors import EngineError

    make_docs(tmp_path / "in", 1)
    ex = DaskExecutor(TagProcessor(), scheduler="tcp://127.0.0.1:9", connect_timeout=2)
    with pytest.raises(
        EngineError, match=r"cannot reach the dask scheduler `tcp://127\.0\.0\.1:9`"
    ):
        list(ex.map_unordered(iter_documents(tmp_path / "in")))
