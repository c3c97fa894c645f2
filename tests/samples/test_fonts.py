"""Font lookup: the installed fonts are found; a missing one names its Debian package."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from misec_rules.errors import MisecError
from misec_rules.samples import FontNotFound, ocrb_font_path, viz_font_path


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    ocrb_font_path.cache_clear()
    viz_font_path.cache_clear()
    yield
    ocrb_font_path.cache_clear()
    viz_font_path.cache_clear()


def test_installed_fonts_are_found() -> None:
    assert ocrb_font_path().is_file()
    assert "ocr" in ocrb_font_path().name.lower()
    assert viz_font_path("sans").name == "DejaVuSans.ttf"


def test_missing_ocrb_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MISEC_OCRB_FONT", "/nonexistent/OCRB.otf")
    with pytest.raises(FontNotFound, match=r"/nonexistent/OCRB\.otf") as info:
        ocrb_font_path()
    assert isinstance(info.value, MisecError)
    monkeypatch.delenv("MISEC_OCRB_FONT")
    monkeypatch.setattr("misec_rules.samples._fonts._OCRB_CANDIDATES", ())
    monkeypatch.setattr("misec_rules.samples._fonts._fc_match", lambda pattern: None)
    with pytest.raises(FontNotFound, match="`fonts-ocr-b`"):
        ocrb_font_path()


def test_unknown_viz_face() -> None:
    with pytest.raises(FontNotFound, match="unknown viz font face `gothic`"):
        viz_font_path("gothic")
