"""The hash-chained audit log: appending, pseudonyms, keys, tamper detection, replay."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from misec_rules.audit import AuditLog, pseudonymise, record_hash, replay_decision, verify_log
from misec_rules.cli.main import app
from misec_rules.errors import AuditError, AuditIntegrityError

KEY = "k" * 32
REPO = Path(__file__).resolve().parents[2]


def _log(tmp_path: Path, n: int = 6) -> Path:
    path = tmp_path / "audit.jsonl"
    with AuditLog(path, key=KEY) as log:
        for i in range(n):
            log.append("note", {"i": i, "subject": f"person-{i}"})
    return path


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def test_intact_log_verifies(tmp_path):
    path = _log(tmp_path)
    result = verify_log(path)
    assert result.ok and result.records == 6
    assert result.head == json.loads(_lines(path)[-1])["hash"]


def test_each_record_chains_to_the_previous(tmp_path):
    recs = [json.loads(x) for x in _lines(_log(tmp_path))]
    assert recs[0]["prev"] == "0" * 64
    for a, b in itertools.pairwise(recs):
        assert b["prev"] == a["hash"] and b["seq"] == a["seq"] + 1
    assert all(r["hash"] == record_hash(r) for r in recs)


def test_subjects_are_pseudonymised_and_key_never_written(tmp_path):
    path = _log(tmp_path)
    text = path.read_text()
    assert "person-" not in text
    assert KEY not in text
    first = json.loads(_lines(path)[0])
    assert first["data"]["subject"] == pseudonymise(KEY.encode(), "person-0")
    assert first["data"]["subject"] != pseudonymise(b"x" * 32, "person-0")


def test_appending_continues_the_chain_across_opens(tmp_path):
    path = _log(tmp_path, 3)
    with AuditLog(path, key=KEY) as log:
        assert log.records == 3
        log.append("note", {"i": 99})
    assert verify_log(path).records == 4


@pytest.mark.parametrize(
    ("tamper", "line", "words"),
    [
        ("modify", 3, "was modified"),
        ("delete", 3, "deleted or moved"),
        ("insert", 3, "inserted, deleted or replaced"),
        ("reorder", 3, "deleted or moved"),
        ("torn", 6, "torn last record"),
        ("garbage_tail", 7, "torn last record"),
    ],
)
def test_tampering_is_detected_and_the_record_named(tmp_path, tamper, line, words):
    path = _log(tmp_path)
    lines = _lines(path)
    if tamper == "modify":
        rec = json.loads(lines[2])
        rec["data"]["i"] = 1000
        lines[2] = (json.dumps(rec, separators=(",", ":")) + "\n").encode()
    elif tamper == "delete":
        del lines[2]
    elif tamper == "insert":
        # a forged record that is internally consistent and carries the right seq
        prev = json.loads(lines[1])
        forged = {"seq": 3, "at": prev["at"], "kind": "note", "data": {"i": -1}, "prev": "f" * 64}
        forged["hash"] = record_hash(forged)
        renumbered = []
        for raw in lines[2:]:
            r = json.loads(raw)
            r["seq"] += 1
            r["hash"] = record_hash(r)
            renumbered.append((json.dumps(r, separators=(",", ":")) + "\n").encode())
        lines = [
            *lines[:2],
            (json.dumps(forged, separators=(",", ":")) + "\n").encode(),
            *renumbered,
        ]
    elif tamper == "reorder":
        lines[2], lines[3] = lines[3], lines[2]
    elif tamper == "torn":
        lines[-1] = lines[-1][: len(lines[-1]) // 2]
    elif tamper == "garbage_tail":
        lines.append(b'{"seq": 7, "at"')
    path.write_bytes(b"".join(lines))
    result = verify_log(path)
    assert not result.ok
    assert result.line == line
    assert words in (result.problem or "")
    assert f"line {line}" in (result.problem or "")


def test_cut_tail_needs_the_head(tmp_path):
    path = _log(tmp_path)
    head = verify_log(path).head
    path.write_bytes(b"".join(_lines(path)[:-2]))
    assert verify_log(path).ok  # a clean cut is a valid shorter chain...
    result = verify_log(path, head=head)
    assert not result.ok and "records missing at the end" in (result.problem or "")


def test_appending_to_a_torn_log_is_refused(tmp_path):
    path = _log(tmp_path)
    path.write_bytes(path.read_bytes()[:-5])
    with pytest.raises(AuditIntegrityError, match="torn record"):
        AuditLog(path, key=KEY)


def test_key_sources(tmp_path, monkeypatch):
    monkeypatch.delenv("MISEC_AUDIT_KEY", raising=False)
    monkeypatch.delenv("MISEC_AUDIT_KEY_FILE", raising=False)
    logdir = tmp_path / "logs"
    logdir.mkdir()
    with pytest.raises(AuditError, match="no pseudonymisation key"):
        AuditLog(logdir / "a.jsonl")
    with pytest.raises(AuditError, match="shorter than 16 bytes"):
        AuditLog(logdir / "a.jsonl", key="short")
    monkeypatch.setenv("MISEC_AUDIT_KEY", KEY)
    with AuditLog(logdir / "a.jsonl") as log:
        env_pseudonym = log.pseudonym("p")
    monkeypatch.delenv("MISEC_AUDIT_KEY")
    keydir = tmp_path / "secrets"
    keydir.mkdir()
    (keydir / "key").write_text(KEY + "\n")
    monkeypatch.setenv("MISEC_AUDIT_KEY_FILE", str(keydir / "key"))
    with AuditLog(logdir / "a.jsonl") as log:
        assert log.pseudonym("p") == env_pseudonym
    (logdir / "key").write_text(KEY)
    with pytest.raises(AuditError, match="in the log's folder"):
        AuditLog(logdir / "a.jsonl", key_file=logdir / "key")


def test_decision_record_replays_exactly(tmp_path):
    from misec_rules.sharing import load_rulesets

    registry = load_rulesets(REPO / "rulesets" / "fi")
    request = {
        "from": "SUPO",
        "to": "MIGRI",
        "categories": ["security_assessment"],
        "purpose": "entry_residence",
        "initiative": "proactive",
        "at": "2024-03-01",
    }
    decision = registry.decide(request)
    path = tmp_path / "a.jsonl"
    with AuditLog(path, key=KEY) as log:
        rec = log.record_decision(request, decision, subject="person-1")
    data = rec["data"]
    assert data["ruleset_id"] == "fi-sharing" and data["version"] == decision.ruleset.split("@")[1]
    assert data["outcome"] == decision.outcome and data["rules"] == list(decision.rules)
    assert data["subject"].startswith("hmac-sha256:")
    assert "person-1" not in path.read_text()
    assert replay_decision(json.loads(path.read_text()), registry)
    forged = json.loads(path.read_text())
    forged["data"]["outcome"] = "required"
    assert not replay_decision(forged, registry)


def test_duty_monitor_writes_decisions_and_duties(tmp_path):
    from misec_rules.sharing import load_rulesets
    from misec_rules.sharing.duties import DutyMonitor

    registry = load_rulesets(REPO / "rulesets" / "fi")
    path = tmp_path / "a.jsonl"
    events = [
        {
            "id": "e1",
            "at": "2024-03-01T10:00:00Z",
            "type": "case_opened",
            "agency": "MIGRI",
            "subject": "person-7",
            "case_type": "residence_permit",
            "case_id": "c1",
        },
        {
            "id": "e2",
            "at": "2024-03-02T10:00:00Z",
            "type": "finding_recorded",
            "agency": "SUPO",
            "subject": "person-7",
            "category": "security_assessment",
            "finding_id": "f1",
        },
        {
            "id": "e3",
            "at": "2024-03-03T10:00:00Z",
            "type": "case_closed",
            "agency": "MIGRI",
            "subject": "person-7",
            "case_id": "c1",
        },
    ]
    with AuditLog(path, key=KEY) as log, DutyMonitor(registry, audit=log) as m:
        m.replay(events)
    recs = [json.loads(x) for x in _lines(path)]
    assert [r["kind"] for r in recs] == ["decision", "duty", "duty"]
    assert [r["data"].get("status") for r in recs[1:]] == ["raised", "withdrawn"]
    assert "person-7" not in path.read_text()
    assert verify_log(path).ok


def test_cli_verify_exit_codes(tmp_path):
    runner = CliRunner()
    path = _log(tmp_path)
    ok = runner.invoke(app, ["audit", "verify", str(path), "--json"])
    assert ok.exit_code == 0 and json.loads(ok.stdout)["ok"] is True
    lines = _lines(path)
    lines[1], lines[2] = lines[2], lines[1]
    path.write_bytes(b"".join(lines))
    bad = runner.invoke(app, ["audit", "verify", str(path)])
    assert bad.exit_code == 1 and "line 2" in bad.stdout
    missing = runner.invoke(app, ["audit", "verify", str(tmp_path / "none.jsonl"), "--json"])
    assert missing.exit_code == 2 and "cannot read" in json.loads(missing.stdout)["error"]


# --- data minimisation in decision records -----------------------------------------

_POLICE_REQUEST = {
    "from": "POLICE",
    "to": "MIGRI",
    "categories": ["identity"],
    "purpose": "identity_establishment",
    "initiative": "request",
    "at": "2024-03-01",
}


def test_decision_record_keeps_only_the_context_the_rules_read(tmp_path):
    from misec_rules.sharing import load_rulesets

    registry = load_rulesets(REPO / "rulesets" / "fi")
    request = {
        **_POLICE_REQUEST,
        "context": {
            "justified_reason": True,  # read by police-justified-reason-22-3's condition
            "name": "Matti Meikäläinen",
            "notes": {"free_text": "Matti M., born 1980"},
            "subject": "P-123",
        },
    }
    decision = registry.decide(request)
    # the condition decides: without the context field the outcome differs
    assert decision.outcome == "permitted"
    assert registry.decide({**request, "context": {}}).outcome != "permitted"
    path = tmp_path / "a.jsonl"
    with AuditLog(path, key=KEY) as log:
        rec = log.record_decision(request, decision, subject="P-123")
    text = path.read_text(encoding="utf-8")
    assert "Meikäläinen" not in text and "Matti" not in text and "P-123" not in text
    assert rec["data"]["request"]["context"] == {"justified_reason": True}
    assert replay_decision(json.loads(text), registry)


def test_allow_listed_context_keys_are_kept_when_plain(tmp_path):
    from misec_rules.sharing import load_rulesets

    registry = load_rulesets(REPO / "rulesets" / "fi")
    request = {
        **_POLICE_REQUEST,
        "context": {
            "justified_reason": True,
            "case": {"type": "residence_permit", "holder": "Matti"},
            "channel": "secure-mail",
            "name": "Matti",
            "subject": "P-9",
        },
    }
    path = tmp_path / "a.jsonl"
    with AuditLog(path, key=KEY, context_keys=["case.type", "channel", "subject", "case"]) as log:
        rec = log.record_decision(request, registry.decide(request))
    ctx = rec["data"]["request"]["context"]
    assert ctx == {
        "justified_reason": True,
        "case": {"type": "residence_permit"},
        "channel": "secure-mail",
        "subject": pseudonymise(KEY.encode(), "P-9"),
    }
    assert "Matti" not in path.read_text(encoding="utf-8")


def test_minimal_context_keeps_what_conditions_can_tell_apart():
    from misec_rules.audit import minimal_context
    from misec_rules.sharing import compile_condition

    context = {"a": {"b": 3, "c": "x"}, "d": {"deep": "secret"}, "e": ["p", "q"], "f": "drop"}
    read = {("a", "b"), ("d",), ("e",), ("missing", "x")}
    kept = minimal_context(context, read)
    assert kept == {"a": {"b": 3}, "d": {}, "e": []}
    conditions = [
        {"context.a.b": {"ge": 2}},
        {"context.d": {"exists": True}},
        {"context.d": "secret"},
        {"context.e": {"ne": "p"}},
        {"not": {"context.missing.x": {"exists": True}}},
    ]
    for spec in conditions:
        test = compile_condition(spec)
        assert test(kept) == test(context), spec


def test_decision_paths_come_from_every_combinator():
    from misec_rules.audit._log import condition_paths

    spec = {
        "context.a": 1,
        "all": [
            {"context.b.c": {"in": [1]}},
            {"any": [{"context.d": 2}, {"not": {"context.e": 3}}]},
        ],
    }
    assert condition_paths(spec) == {("a",), ("b", "c"), ("d",), ("e",)}


# --- verify: not an audit log at all is bad input (exit 2) --------------------------


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (bytes(range(256)) * 4, "binary"),
        (b"\xff\xfe not utf-8\n", "not utf-8"),
        (b"hello, world\nsecond line\n", "not json"),
        (b'{"path": "x.png", "verdict": "consistent"}\n', "not an audit record"),
        (b"no newline at all", "not json"),
    ],
)
def test_verify_rejects_a_file_that_is_not_an_audit_log(tmp_path, content, says):
    path = tmp_path / "x.jsonl"
    path.write_bytes(content)
    with pytest.raises(AuditError, match=says):
        verify_log(path)
    res = CliRunner().invoke(app, ["audit", "verify", str(path), "--json"])
    assert res.exit_code == 2
    (line,) = res.stdout.splitlines()
    obj = json.loads(line)
    assert says in obj["error"] and obj["path"] == str(path)
    assert "Error" not in obj["error"]


def test_verify_still_names_a_torn_or_garbled_record_inside_a_real_log(tmp_path):
    path = _log(tmp_path, 4)
    lines = _lines(path)
    path.write_bytes(b"".join(lines[:2]) + b"\xff\x00garbage\n" + lines[3])
    res = CliRunner().invoke(app, ["audit", "verify", str(path), "--json"])
    assert res.exit_code == 1 and json.loads(res.stdout)["line"] == 3
    one = tmp_path / "one.jsonl"
    one.write_bytes(lines[0][:40])  # the first record cut mid-write
    res = CliRunner().invoke(app, ["audit", "verify", str(one), "--json"])
    assert res.exit_code == 1 and "torn last record" in json.loads(res.stdout)["problem"]


@pytest.mark.parametrize(("target", "says"), [("folder", "is a folder"), ("nope", "no such file")])
def test_verify_unreadable_paths_say_why_in_words(tmp_path, target, says):
    (tmp_path / "folder").mkdir()
    path = tmp_path / target
    res = CliRunner().invoke(app, ["audit", "verify", str(path)])
    assert res.exit_code == 2
    assert res.stderr.strip().endswith(f"cannot read audit log `{path}`: {says}")
