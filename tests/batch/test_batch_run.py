"""run_batch end to end with a light processor: outputs, errors, cross-document links, resume."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from batch_procs import TagProcessor, make_doc, make_docs, plain_processor

from misec_rules.batch import BatchError, run_batch


def _records(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]


def test_folder_batch_writes_every_output(tmp_path: Path) -> None:
    paths = make_docs(tmp_path / "in", 5)
    make_doc(tmp_path / "in" / "sub" / "flagged.png", finding="test_finding", noise_seed=99)
    out = tmp_path / "out"
    summary = run_batch(tmp_path / "in", out, workers=2, processor=TagProcessor(), progress="none")
    assert summary.documents == summary.processed == 6
    assert summary.verdicts == {"consistent": 5, "suspicious": 1}
    assert not summary.all_consistent
    recs = _records(out)
    assert sorted(r["path"] for r in recs) == sorted([p.name for p in paths] + ["sub/flagged.png"])
    for r in recs:
        data = (tmp_path / "in" / r["path"]).read_bytes()
        assert r["sha256"] == hashlib.sha256(data).hexdigest()
        assert r["mrz"]["valid"] is True
        assert r["error"] is None
        assert r["seconds"] >= 0
        assert (out / r["thumbnail"]["file"]).is_file()
        assert re.fullmatch(r"[0-9a-f]{16}", r["portrait_phash"])
        assert r["cross_document"] == []
    rows = list(csv.DictReader((out / "summary.csv").open(encoding="utf-8")))
    assert len(rows) == 6 and {r["verdict"] for r in rows} == {"consistent", "suspicious"}
    assert [r["finding_ids"] for r in rows if r["verdict"] == "suspicious"] == ["test_finding"]
    analysis = json.loads((out / "analysis.json").read_text())
    assert analysis["findings_by_type"] == [
        {"id": "test_finding", "severity": "warning", "count": 1, "documents": 1}
    ]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "test_finding" in html and "data:image/jpeg;base64," in html
    assert html.count('class="card"') == 6
    # self-contained: nothing is fetched from anywhere
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "<link" not in html
    # the flagged document comes first and carries its finding's box
    first_card = html.index('class="card"')
    assert html.index("flagged.png") > first_card
    assert html.index("flagged.png") < html.index("doc-0000.png", first_card)
    assert 'stroke="#dc2626"' in html


def test_function_processor_and_one_worker(tmp_path: Path) -> None:
    make_docs(tmp_path / "in", 2)
    s = run_batch(
        tmp_path / "in", tmp_path / "out", workers=1, processor=plain_processor, progress="none"
    )
    assert s.verdicts == {"consistent": 2} and s.all_consistent


def test_errors_are_recorded_and_the_batch_goes_on(tmp_path: Path) -> None:
    inp = tmp_path / "in"
    make_docs(inp, 3)
    make_doc(inp / "crash.png", behave="crash", noise_seed=50)
    make_doc(inp / "die.png", behave="die", noise_seed=51)
    (inp / "garbage.png").write_bytes(b"\x89PNG not really")
    manifest = tmp_path / "m.csv"
    lines = ["path,id"] + [f"in/{p.name},{p.stem}" for p in sorted(inp.iterdir())]
    lines.append("in/missing.png,missing")
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    s = run_batch(manifest, tmp_path / "out", workers=2, processor=TagProcessor(), progress="none")
    assert s.documents == s.processed == 7
    recs = {r["id"]: r for r in _records(tmp_path / "out")}
    assert set(recs) == {"doc-0000", "doc-0001", "doc-0002", "crash", "die", "garbage", "missing"}
    assert recs["crash"]["error"] == "`in/crash.png`: internal error: RuntimeError"
    assert "RuntimeError: engine crashed (at batch_procs.py:" in recs["crash"]["error_detail"]
    assert recs["die"]["error"].startswith("`in/die.png`: worker process died")
    assert recs["die"]["sha256"] == hashlib.sha256((inp / "die.png").read_bytes()).hexdigest()
    assert recs["garbage"]["error"].startswith("`in/garbage.png`: internal error: ")
    assert recs["missing"]["error"] == "cannot read `in/missing.png`: no such file"
    assert recs["missing"]["sha256"] is None
    for k in ("doc-0000", "doc-0001", "doc-0002"):
        assert recs[k]["error"] is None and recs[k]["verdict"] == "consistent"
    assert s.errors == 4 and s.worker_restarts >= 1
    assert s.verdicts["error"] == 4


def test_a_document_over_the_timeout_is_stopped(tmp_path: Path) -> None:
    make_docs(tmp_path / "in", 2)
    make_doc(tmp_path / "in" / "slow.png", behave="sleep:30", noise_seed=7)
    s = run_batch(
        tmp_path / "in",
        tmp_path / "out",
        workers=2,
        processor=TagProcessor(),
        timeout=5,
        progress="none",
    )
    recs = {r["id"]: r for r in _records(tmp_path / "out")}
    assert "timed out" in recs["slow.png"]["error"]
    assert recs["doc-0000.png"]["error"] is None and s.processed == 3


def test_cross_document_links(tmp_path: Path) -> None:
    inp = tmp_path / "in"
    # one number, two holders
    make_doc(inp / "n1.png", surname="KORHONEN", number="XC1111111", noise_seed=1)
    make_doc(inp / "n2.png", surname="NIEMINEN", number="XC1111111", noise_seed=2)
    # one holder, two issuers
    make_doc(inp / "h1.png", surname="LAINE", number="XD2222222", issuer="FIN", noise_seed=3)
    make_doc(inp / "h2.png", surname="LAINE", number="XE3333333", issuer="SWE", noise_seed=4)
    # one portrait, two identities (different background noise)
    make_doc(
        inp / "p1.png", surname="HEIKKINEN", number="XF4444444", portrait_seed=77, noise_seed=5
    )
    make_doc(inp / "p2.png", surname="KOSKINEN", number="XG5555555", portrait_seed=77, noise_seed=6)
    # unrelated
    make_doc(inp / "z.png", surname="MAKINEN", number="XH6666666", noise_seed=8)
    run_batch(inp, tmp_path / "out", workers=2, processor=TagProcessor(), progress="none")
    analysis = json.loads((tmp_path / "out" / "analysis.json").read_text())
    groups = {g["type"]: g for g in analysis["groups"]}
    assert set(groups) == {"document_number_conflict", "holder_multiple_issuers", "portrait_reuse"}
    assert sorted(m["id"] for m in groups["document_number_conflict"]["members"]) == [
        "n1.png",
        "n2.png",
    ]
    assert groups["document_number_conflict"]["document_number"] == "XC1111111"
    assert sorted(m["id"] for m in groups["holder_multiple_issuers"]["members"]) == [
        "h1.png",
        "h2.png",
    ]
    assert groups["holder_multiple_issuers"]["issuing_states"] == ["FIN", "SWE"]
    assert sorted(m["id"] for m in groups["portrait_reuse"]["members"]) == ["p1.png", "p2.png"]
    recs = {r["id"]: r for r in _records(tmp_path / "out")}
    assert recs["n1.png"]["cross_document"] == [
        {
            "group": groups["document_number_conflict"]["id"],
            "type": "document_number_conflict",
            "with": ["n2.png"],
        }
    ]
    assert recs["p2.png"]["cross_document"][0]["with"] == ["p1.png"]
    assert recs["z.png"]["cross_document"] == []
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "document number conflict" in html and "portrait reuse" in html


def test_finding_clusters_by_issuer_and_type(tmp_path: Path) -> None:
    inp = tmp_path / "in"
    for i in range(4):
        make_doc(inp / f"s{i}.png", issuer="SWE", number=f"XS{i:07d}", surname=f"SVENSSON{chr(65 + i)}",
                 finding="font_mismatch", noise_seed=10 + i)  # fmt: skip
    for i in range(4):
        make_doc(inp / f"f{i}.png", issuer="FIN", number=f"XF{i:07d}", surname=f"VIRTA{chr(65 + i)}",
                 noise_seed=20 + i, finding="font_mismatch" if i == 0 else "")  # fmt: skip
    run_batch(inp, tmp_path / "out", workers=2, processor=TagProcessor(), progress="none")
    clusters = json.loads((tmp_path / "out" / "analysis.json").read_text())["finding_clusters"]
    by = {(c["issuing_state"], c["finding"]): c for c in clusters}
    assert by[("SWE", "font_mismatch")]["documents"] == 4
    assert by[("SWE", "font_mismatch")]["cluster"] is True
    assert by[("FIN", "font_mismatch")]["documents"] == 1
    assert by[("FIN", "font_mismatch")]["cluster"] is False
    assert clusters[0]["issuing_state"] == "SWE"


def test_existing_results_need_resume(tmp_path: Path) -> None:
    make_docs(tmp_path / "in", 3)
    run_batch(
        tmp_path / "in", tmp_path / "out", workers=1, processor=TagProcessor(), progress="none"
    )
    with pytest.raises(BatchError, match="--resume"):
        run_batch(
            tmp_path / "in", tmp_path / "out", workers=1, processor=TagProcessor(), progress="none"
        )
    s = run_batch(
        tmp_path / "in",
        tmp_path / "out",
        workers=1,
        processor=TagProcessor(),
        resume=True,
        progress="none",
    )
    assert (s.processed, s.skipped) == (0, 3)
    assert len(_records(tmp_path / "out")) == 3


def test_resume_drops_a_torn_line_and_adds_new_documents(tmp_path: Path) -> None:
    make_docs(tmp_path / "in", 4)
    out = tmp_path / "out"
    run_batch(tmp_path / "in", out, workers=2, processor=TagProcessor(), progress="none")
    text = (out / "results.jsonl").read_text()
    lines = text.splitlines(keepends=True)
    torn_id = json.loads(lines[-1])["id"]
    (out / "results.jsonl").write_text("".join(lines[:-1]) + lines[-1][: len(lines[-1]) // 2])
    make_docs(tmp_path / "in", 2, start=10)
    s = run_batch(
        tmp_path / "in", out, workers=2, processor=TagProcessor(), resume=True, progress="none"
    )
    assert s.torn_line_dropped and s.skipped == 3 and s.processed == 3
    ids = [r["id"] for r in _records(out)]
    assert len(ids) == len(set(ids)) == 6
    assert torn_id in ids


def test_resume_refuses_different_options(tmp_path: Path) -> None:
    make_docs(tmp_path / "in", 1)
    run_batch(
        tmp_path / "in", tmp_path / "out", workers=1, processor=TagProcessor(), progress="none"
    )
    with pytest.raises(BatchError, match="`profile` differs"):
        run_batch(tmp_path / "in", tmp_path / "out", workers=1, processor=TagProcessor(),
                  resume=True, profile="default", progress="none")  # fmt: skip


def test_rulesets_and_request_go_together(tmp_path: Path) -> None:
    make_docs(tmp_path / "in", 1)
    with pytest.raises(BatchError, match="give both or neither"):
        run_batch(tmp_path / "in", tmp_path / "out", rulesets=tmp_path, progress="none")


def test_plain_progress_lines_name_no_document(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_doc(tmp_path / "in" / "KORHONEN-MATTI.png", surname="KORHONEN", birth=date(1970, 1, 1))
    run_batch(
        tmp_path / "in", tmp_path / "out", workers=1, processor=TagProcessor(), progress="lines"
    )
    err = capsys.readouterr().err
    assert "batch: 1/1 done, 0 errors" in err
    assert "KORHONEN" not in err


def test_out_folder_inside_input_is_not_read_back(tmp_path: Path) -> None:
    make_docs(tmp_path / "in", 2)
    s = run_batch(
        tmp_path / "in",
        tmp_path / "in" / "out",
        workers=1,
        processor=TagProcessor(),
        progress="none",
    )
    assert s.documents == 2
    s2 = run_batch(tmp_path / "in", tmp_path / "in" / "out", workers=1, processor=TagProcessor(),
                   progress="none", resume=True)  # fmt: skip
    assert s2.documents == 2 and s2.processed == 0


def test_processors_that_cannot_reach_the_workers(tmp_path: Path) -> None:
    from batch_procs import BrokenOnLoad

    make_docs(tmp_path / "in", 1)
    with pytest.raises(BatchError, match="cannot be sent to worker processes"):
        run_batch(tmp_path / "in", tmp_path / "o1", workers=1, processor=lambda d, *, name: {},
                  progress="none")  # fmt: skip
    with pytest.raises(BatchError, match="fail to start"):
        run_batch(
            tmp_path / "in", tmp_path / "o2", workers=1, processor=BrokenOnLoad(), progress="none"
        )


def test_progress_bar_mode_reports_rate_and_total(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_docs(tmp_path / "in", 2)
    run_batch(
        tmp_path / "in", tmp_path / "out", workers=1, processor=TagProcessor(), progress="bar"
    )
    err = capsys.readouterr().err
    assert "2/2" in err and "docs/s" in err and "left" in err
