"""Fixtures shared by every test area."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SPECIMENS = REPO.parent / "shared" / "specimens"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository's root folder."""
    return REPO


@pytest.fixture(scope="session")
def specimens_dir() -> Path:
    """../shared/specimens (real specimen images); skips the test when absent."""
    if not SPECIMENS.is_dir():
        pytest.skip("../shared/specimens is not present on this machine")
    return SPECIMENS
