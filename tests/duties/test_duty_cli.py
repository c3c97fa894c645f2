"""`misec duties replay` and `misec duties pending`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from misec_rules.cli.main import app

from .conftest import FI_RULESETS

runner = CliRunner()

EVENTS = [
    {
        "id": "e1",
        "at": "2024-03-01T10:00:00Z",
        "type": "case_opened",
        "agency": "MIGRI",
        "subject": "P-1",
        "case_type": "residence_permit",
        "case_id": "c1",
    },
    {
        "id": "e2",
        "at": "2024-03-02T10:00:00Z",
        "type": "finding_recorded",
        "agency": "SUPO",
        "subject": "P-1",
        "category": "security_assessment",
        "finding_id": "f1",
    },
    {
        "id": "e3",
        "at": "2024-03-03T10:00:00Z",
        "type": "finding_recorded",
        "agency": "POLICE",
        "subject": "P-2",
        "category": "criminal_suspicion",
        "finding_id": "f2",
    },
    {
        "id": "e4",
        "at": "2024-03-04T10:00:00Z",
        "type": "case_opened",
        "agency": "MIGRI",
        "subject": "P-2",
        "case_type": "citizenship",
        "case_id": "c2",
    },
    {
        "id": "e5",
        "at": "2024-03-05T10:00:00Z",
        "type": "case_closed",
        "agency": "MIGRI",
        "subject": "P-2",
        "case_id": "c2",
    },
]


def _file(tmp_path: Path, events: list[dict], name: str = "events.jsonl") -> Path:
    p = tmp_path / name
    p.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    return p


def _replay(events: str, *options: str) -> Any:
    """``misec duties replay EVENTS --rulesets rulesets/fi OPTIONS``."""
    return runner.invoke(
        app, ["duties", "replay", events, "--rulesets", str(FI_RULESETS), *options]
    )


def test_replay_json_prints_one_line_per_duty_in_final_state(tmp_path):
    r = _replay(str(_file(tmp_path, EVENTS)), "--json")
    assert r.exit_code == 0, r.output
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert [(d["subject"], d["status"]) for d in lines] == [("P-1", "raised"), ("P-2", "withdrawn")]
    for d in lines:
        assert {
            "id",
            "status",
            "from",
            "to",
            "categories",
            "subject",
            "legal_basis",
            "route",
            "due",
            "because",
        } <= set(d)
    assert lines[0]["because"] == ["e1", "e2"] and lines[1]["because"] == ["e3", "e4", "e5"]
    assert lines[0]["route"]["agency"] == "MIGRI"
    again = _replay(str(_file(tmp_path, EVENTS)), "--json")
    assert [json.loads(x)["id"] for x in again.stdout.splitlines()] == [d["id"] for d in lines]


def test_replay_table(tmp_path):
    r = _replay(str(_file(tmp_path, EVENTS)))
    assert r.exit_code == 0
    assert "SUPO->MIGRI" in r.stdout and "withdrawn" in r.stdout


def test_malformed_lines_exit_2_naming_line_and_field_and_apply_nothing(tmp_path):
    bad = [
        *EVENTS[:2],
        {**EVENTS[2], "at": "last tuesday"},
        EVENTS[3],
        {"id": "x", "type": "case_opened"},
    ]
    events = _file(tmp_path, bad)
    (tmp_path / "events.jsonl").write_text(events.read_text() + "not json\n")
    store = tmp_path / "s.sqlite"
    r = _replay(str(events), "--json", "--store", str(store))
    assert r.exit_code == 2
    errors = [json.loads(x)["error"] for x in r.stdout.splitlines()]
    assert errors == [
        "line 3: field `at`: not an ISO 8601 time `last tuesday`",
        "line 5: field `at`: missing",
        "line 6: not JSON (Expecting value at column 1)",
    ]
    assert not store.exists()  # nothing half-applied


def test_replay_into_store_then_pending(tmp_path):
    store = tmp_path / "duties.sqlite"
    r = _replay(str(_file(tmp_path, EVENTS[:2])), "--store", str(store))
    assert r.exit_code == 0
    r = _replay(
        str(_file(tmp_path, EVENTS, "all.jsonl")),
        "--store",
        str(store),
        "--json",
        "--cache-mib",
        "64",
    )
    assert r.exit_code == 0
    assert len(r.stdout.splitlines()) == 2
    p = runner.invoke(app, ["duties", "pending", "--store", str(store), "--json"])
    assert p.exit_code == 0
    [pending] = [json.loads(x) for x in p.stdout.splitlines()]
    assert pending["subject"] == "P-1" and pending["status"] == "raised"


def test_pending_without_store_is_bad_input(tmp_path):
    r = runner.invoke(
        app, ["duties", "pending", "--store", str(tmp_path / "none.sqlite"), "--json"]
    )
    assert r.exit_code == 2
    assert "no duty store" in json.loads(r.stdout)["error"]


def test_invalid_ruleset_exits_3(tmp_path):
    (tmp_path / "rs").mkdir()
    (tmp_path / "rs" / "ruleset.yaml").write_text("ruleset: [broken\n")
    r = runner.invoke(
        app,
        [
            "duties",
            "replay",
            str(_file(tmp_path, EVENTS)),
            "--rulesets",
            str(tmp_path / "rs"),
            "--json",
        ],
    )
    assert r.exit_code == 3


def test_replay_with_audit_log(tmp_path, monkeypatch):
    monkeypatch.setenv("MISEC_AUDIT_KEY", "0123456789abcdef-key")
    log = tmp_path / "audit.jsonl"
    r = _replay(str(_file(tmp_path, EVENTS)), "--audit", str(log), "--json")
    assert r.exit_code == 0, r.output
    kinds = [json.loads(x)["kind"] for x in log.read_text().splitlines()]
    assert kinds.count("duty") == 3  # raised, raised, withdrawn
    assert kinds.count("decision") == 2
    assert "P-1" not in log.read_text()
    v = runner.invoke(app, ["audit", "verify", str(log)])
    assert v.exit_code == 0


def test_replay_rejects_a_cache_below_one_mib(tmp_path):
    r = _replay(str(_file(tmp_path, EVENTS)), "--cache-mib", "0")
    assert r.exit_code == 2
    assert "--cache-mib" in r.output
