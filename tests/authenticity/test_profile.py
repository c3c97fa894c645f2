"""Profiles: the shipped default, user overrides, and errors that name file and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from misec_rules.authenticity import Profile, default_profile, load_profile
from misec_rules.errors import ProfileError


def test_default_profile_is_versioned_and_enables_every_family() -> None:
    p = default_profile()
    assert p.name == "default"
    assert p.label.startswith("default@")
    for family in (
        "check_digits",
        "dates",
        "codes",
        "specimen",
        "viz",
        "typography",
        "integrity",
        "quality",
    ):
        assert getattr(p.checks, family).enabled, family


def test_user_profile_overrides_only_what_it_names(tmp_path: Path) -> None:
    f = tmp_path / "strict.yaml"
    f.write_text(
        "name: strict\nversion: '1'\nchecks:\n  dates:\n    max_age_years: 99\n  viz:\n    enabled: false\n"
    )
    p = load_profile(f)
    assert p.label == "strict@1"
    assert p.checks.dates.max_age_years == 99
    assert not p.checks.viz.enabled
    assert (
        p.checks.integrity.recapture_max_peak
        == default_profile().checks.integrity.recapture_max_peak
    )


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (
            "name: x\nversion: '1'\nchecks:\n  dates:\n    max_age_years: -3\n",
            "checks.dates.max_age_years",
        ),
        ("name: x\nversion: '1'\nchecks:\n  dates:\n    colour: red\n", "checks.dates.colour"),
        ("name: x\nversion: '1'\nchecks:\n  nonsense: {}\n", "checks.nonsense"),
        ("name: x\nversion: '1'\nschema_version: 7\n", "schema_version"),
        ("name: x\nname: y\nversion: '1'\n", "duplicate key `name`"),
        ("name: [unclosed\n", "not valid yaml"),
        ("- a list\n", "must be a mapping"),
    ],
)
def test_bad_profile_names_file_and_field(tmp_path: Path, text: str, needle: str) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    with pytest.raises(ProfileError) as err:
        load_profile(f)
    msg = str(err.value)
    assert str(f) in msg
    assert needle in msg
    assert not msg.endswith(".")


def test_missing_profile_file(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="cannot read"):
        load_profile(tmp_path / "nope.yaml")


def test_profile_objects_pass_through() -> None:
    p = Profile(name="a", version="1")
    assert load_profile(p) is p
