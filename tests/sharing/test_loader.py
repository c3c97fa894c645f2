"""Loading errors: one bad fixture per error, each named with file, line and path."""

from __future__ import annotations

from pathlib import Path

import pytest

from misec_rules.errors import RulesetError
from misec_rules.sharing import RulesetLoadError, load_rulesets

BAD = Path(__file__).parent / "fixtures" / "bad"

# fixture -> (words the message must contain, line, path inside the document)
CASES = {
    "malformed_yaml": ("malformed yaml", 30, None),
    "duplicate_key": ("duplicate key `A`", 7, "agencies.A"),
    "unknown_key": ("unknown key `categorys`", 28, "rules[0].categorys"),
    "missing_key": ("missing required key `legal_basis`", 24, "rules[0].legal_basis"),
    "bad_modality": ("`might_share`", 25, "rules[0].modality"),
    "unknown_agency": ("unknown agency or group `POLIS`", 26, "rules[0].from"),
    "unknown_group_member": ("unknown agency `C` in group `AB`", 11, "groups.AB[1]"),
    "unknown_category": ("unknown category `identiti`", 28, "rules[0].categories[0]"),
    "unknown_purpose": ("unknown purpose `p9`", 37, "rules[1].purposes[1]"),
    "unknown_source": ("unknown source `s7`", 30, "rules[0].legal_basis[1]"),
    "unknown_rule": ("unknown rule `r3`", 32, "rules[0].exception_to[0]"),
    "category_cycle": ("cycle in category parents", 14, "categories.biometrics.parent"),
    "exception_cycle": ("cycle in `exception_to`", 32, "rules[0].exception_to"),
    "version_overlap": ("overlaps the version from 2010-01-01", 22, "versions[1].in_force_from"),
    "bad_condition": ("unknown operator `like`", 32, "rules[0].when.context.case"),
    "bad_duration": ("`14 days` is not an iso 8601 duration", 32, "rules[0].due_within"),
    "duplicate_rule_id": ("duplicate rule id `r1`", 32, "rules[1].id"),
}


def test_base_fixture_loads() -> None:
    reg = load_rulesets(BAD / "good")
    assert reg.id == "bad" and len(reg.rules) == 2


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_error_names_problem_and_location(name: str) -> None:
    words, line, path = CASES[name]
    with pytest.raises(RulesetLoadError) as info:
        load_rulesets(BAD / name)
    matching = [e for e in info.value.errors if words in e.reason]
    assert matching, info.value.lines()
    err = matching[0]
    assert err.file is not None and err.file.endswith(f"{name}/ruleset.yaml")
    assert err.line == line
    assert err.path == path
    text = str(err)
    assert "\n" not in text and not text.endswith(".")
    assert f"ruleset.yaml:{line}: " in text
    assert isinstance(info.value, RulesetError)


def test_every_fixture_dir_has_a_case() -> None:
    dirs = {p.name for p in BAD.iterdir() if p.is_dir()} - {"good"}
    assert dirs == set(CASES)


def test_all_errors_are_reported_not_just_first(tmp_path: Path) -> None:
    text = (BAD / "good" / "ruleset.yaml").read_text(encoding="utf-8")
    text = text.replace("from: A\n", "from: X1\n").replace(
        "to: B\n    categories: [fing", "to: X2\n    categories: [fing"
    )
    (tmp_path / "ruleset.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(RulesetLoadError) as info:
        load_rulesets(tmp_path)
    reasons = " ".join(e.reason for e in info.value.errors)
    assert "`X1`" in reasons and "`X2`" in reasons


def test_errors_in_rule_files_name_that_file(tmp_path: Path) -> None:
    (tmp_path / "ruleset.yaml").write_text(
        (BAD / "good" / "ruleset.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "extra.yaml").write_text(
        "rules:\n  - id: r9\n    modality: may_share\n    from: A\n    to: NOPE\n"
        "    categories: [identity]\n    purposes: [p1]\n    legal_basis: [s1]\n"
        "    in_force_from: 2010-01-01\n",
        encoding="utf-8",
    )
    with pytest.raises(RulesetLoadError) as info:
        load_rulesets(tmp_path)
    (err,) = info.value.errors
    assert err.file is not None and err.file.endswith("rules/extra.yaml")
    assert err.line == 5 and err.path == "rules[0].to"


def test_missing_folder_and_empty_file(tmp_path: Path) -> None:
    with pytest.raises(RulesetLoadError, match=r"no `ruleset\.yaml`"):
        load_rulesets(tmp_path)
    with pytest.raises(RulesetLoadError, match="no such file"):
        load_rulesets(tmp_path / "nope")
    (tmp_path / "ruleset.yaml").write_text("# nothing\n", encoding="utf-8")
    with pytest.raises(RulesetLoadError, match="empty"):
        load_rulesets(tmp_path)


def test_yaml_tricks_are_rejected(tmp_path: Path) -> None:
    base = (BAD / "good" / "ruleset.yaml").read_text(encoding="utf-8")
    (tmp_path / "ruleset.yaml").write_text(
        base.replace("  p1: {}", "  p1: {}\n  p2: &x {a: 1}\n  p3: {<<: *x}"), encoding="utf-8"
    )
    with pytest.raises(RulesetLoadError, match="merge keys"):
        load_rulesets(tmp_path)
    (tmp_path / "ruleset.yaml").write_text(
        base.replace("ruleset: bad", "ruleset: !!python/object:os.system bad"), encoding="utf-8"
    )
    with pytest.raises(RulesetLoadError, match="could not determine a constructor"):
        load_rulesets(tmp_path)


def test_impossible_date_is_a_located_error(tmp_path: Path) -> None:
    text = (BAD / "good" / "ruleset.yaml").read_text(encoding="utf-8")
    (tmp_path / "ruleset.yaml").write_text(
        text.replace("in_force_from: 2010-01-01\n", "in_force_from: 2010-13-01\n", 1),
        encoding="utf-8",
    )
    with pytest.raises(RulesetLoadError) as info:
        load_rulesets(tmp_path)
    (err,) = info.value.errors
    assert "invalid value `2010-13-01`" in err.reason
    assert err.line == 31 and err.path == "rules[0].in_force_from"


def _broken_copy(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    text = (BAD / "good" / "ruleset.yaml").read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    (tmp_path / "ruleset.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def test_errors_of_every_stage_are_reported_together(tmp_path: Path) -> None:
    good = (BAD / "good" / "ruleset.yaml").read_text(encoding="utf-8")
    assert "in_force_from: 2010-01-01" in good and "from: A" in good
    folder = _broken_copy(
        tmp_path,
        ("in_force_from: 2010-01-01", "in_force_from: 2010-13-01"),  # a date that is no date
        ("from: A", "from: POLIS"),  # an unknown agency (a reference error)
    )
    text = (folder / "ruleset.yaml").read_text(encoding="utf-8")
    # an unknown key in the second rule (a schema error)
    (folder / "ruleset.yaml").write_text(
        text.replace(
            "    modality: must_not_share", "    colour: red\n    modality: must_not_share"
        ),
        encoding="utf-8",
    )
    with pytest.raises(RulesetLoadError) as info:
        load_rulesets(folder)
    reasons = " | ".join(e.reason for e in info.value.errors)
    assert "invalid value `2010-13-01`" in reasons
    assert "unknown key `colour`" in reasons
    assert "unknown agency or group `POLIS`" in reasons


def test_schema_messages_name_no_internal_class(tmp_path: Path) -> None:
    text = (BAD / "good" / "ruleset.yaml").read_text(encoding="utf-8")
    (tmp_path / "ruleset.yaml").write_text(text + "  - [1, 2]\n", encoding="utf-8")
    with pytest.raises(RulesetLoadError) as info:
        load_rulesets(tmp_path)
    for line in info.value.lines():
        assert "instance of" not in line and "RuleSpec" not in line, line
    assert any("expected a mapping" in e.reason for e in info.value.errors)


def test_unreadable_file_says_why_in_words(tmp_path: Path) -> None:
    (tmp_path / "ruleset.yaml").write_bytes(b"ruleset: \xff\xfe\n")
    with pytest.raises(RulesetLoadError) as info:
        load_rulesets(tmp_path)
    (err,) = info.value.errors
    assert err.reason.startswith("cannot read file: not utf-8 text")
    assert "error" not in err.reason


def test_missing_folder_is_not_found_not_invalid(tmp_path: Path) -> None:
    from misec_rules.sharing import RulesetNotFoundError

    with pytest.raises(RulesetNotFoundError):
        load_rulesets(tmp_path / "nope")
    with pytest.raises(RulesetNotFoundError):
        load_rulesets(tmp_path)  # a folder without ruleset.yaml
    with pytest.raises(RulesetLoadError) as info:
        load_rulesets(BAD / "unknown_agency")
    assert not isinstance(info.value, RulesetNotFoundError)
