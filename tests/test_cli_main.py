"""The `misec` entry point: bad usage under --json is a JSON error line and exit 2."""

from __future__ import annotations

import json

import pytest

from misec_rules.cli.main import main


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["rules", "decide", "--json"], "--rulesets"),
        (["mrz", "read", "--json"], "image"),
        (["mrz", "parse", "--bogus", "--json"], "--bogus"),
        (["batch", "x", "-o", "y", "--workers", "0", "--json"], "--workers"),
    ],
)
def test_bad_usage_with_json_prints_one_error_object(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    error = json.loads(lines[0])["error"]
    assert needle.lower() in error.lower()
    assert "\n" not in error and not error.endswith(".") and error[0].islower()


def test_bad_usage_without_json_goes_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["rules", "decide"])
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "--rulesets" in captured.err


def test_success_with_json_keeps_the_command_exit_code(
    repo_root: object, capsys: pytest.CaptureFixture[str]
) -> None:
    from pathlib import Path

    sample = Path(str(repo_root)) / "samples/mrz/td3_failing_check.txt"
    with pytest.raises(SystemExit) as exit_info:
        main(["mrz", "parse", str(sample), "--json"])
    assert exit_info.value.code == 1
    assert json.loads(capsys.readouterr().out)["valid"] is False


@pytest.mark.parametrize(
    "argv",
    [
        ["duties", "replay", "samples/events/supo-migri.jsonl", "--rulesets", "/nonexistent"],
        ["rules", "decide", "--rulesets", "/nonexistent", "--request", "-"],
    ],
)
def test_a_missing_rulesets_folder_is_unreadable_input_not_an_invalid_ruleset(
    argv: list[str],
    repo_root: object,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import io

    monkeypatch.chdir(str(repo_root))
    monkeypatch.setattr("sys.stdin", io.StringIO('{"from": "SUPO"}'))
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--json"])
    assert exit_info.value.code == 2
    line = json.loads(capsys.readouterr().out.splitlines()[0])
    assert line["path"] == "/nonexistent"
