"""read_mrz on rendered documents: formats, engines, rotations, no MRZ, errors, debug output."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import misec_rules.vision as vision
from misec_rules.errors import EngineError, ImageError
from misec_rules.vision import ENGINES, MRZReading, read_mrz
from misec_rules.vision import _tesseract as tess

from .conftest import TD3_BAD_CHECK, TD3_SPEC, render_mrz_page

KINDS = ["td3_passport", "td1_id", "td2_id", "mrva_visa", "mrvb_visa"]


def test_public_names_are_pinned() -> None:
    assert sorted(vision.__all__) == sorted(
        [
            "ENGINES",
            "DebugDirError",
            "MAX_PIXELS",
            "EngineError",
            "ImageError",
            "ImageTooLarge",
            "MRZReading",
            "load_image",
            "read_mrz",
        ]
    )
    assert set(ENGINES) == {"auto", "ocrb", "tesseract", "passporteye"}


def test_reading_shape_and_json() -> None:
    r = read_mrz(render_mrz_page(TD3_SPEC), engine="ocrb")
    assert isinstance(r, MRZReading)
    assert r.ok and r.mrz is not None
    assert r.mrz.lines == TD3_SPEC
    assert r.mrz.valid
    assert r.polygon is not None and len(r.polygon) == 4
    assert all(len(p) == 2 for p in r.polygon)
    assert r.confidences is not None and [len(c) for c in r.confidences] == [44, 44]
    assert {"load", "locate"} <= set(r.stage_seconds)
    j = r.to_json(path="x.png")
    assert set(j) == {"path", "ok", "mrz", "error", "seconds"}
    assert j["path"] == "x.png" and j["ok"] is True and j["error"] is None
    assert j["mrz"]["document_number"] == "L898902C3"


def test_polygon_surrounds_the_mrz() -> None:
    img = render_mrz_page(TD3_SPEC)
    r = read_mrz(img, engine="ocrb")
    assert r.polygon is not None
    ys = [p[1] for p in r.polygon]
    xs = [p[0] for p in r.polygon]
    h, w = img.shape[:2]
    assert min(ys) > h * 0.7  # the MRZ is at the bottom of the page
    assert max(xs) - min(xs) > w * 0.8


def test_wrong_check_digit_is_read_as_printed_and_reported_invalid() -> None:
    r = read_mrz(render_mrz_page(TD3_BAD_CHECK), engine="auto")
    assert r.ok and r.mrz is not None
    assert not r.mrz.valid
    assert r.mrz.checks.composite is False
    assert r.mrz.checks.document_number is True


def test_no_mrz_gives_ok_false_with_reason() -> None:
    rng = np.random.default_rng(0)
    blank = np.full((600, 800, 3), 235, dtype=np.uint8)
    noisy = rng.integers(0, 255, (600, 800, 3), dtype=np.uint8)
    for img in (blank, noisy):
        r = read_mrz(img)
        assert not r.ok
        assert r.mrz is None
        assert r.error and "no mrz" in r.error
        assert r.to_json()["ok"] is False


def test_tiny_image_is_not_a_crash() -> None:
    r = read_mrz(np.zeros((3, 3, 3), dtype=np.uint8))
    assert not r.ok


def test_unknown_engine_and_bad_input() -> None:
    with pytest.raises(EngineError, match="unknown engine"):
        read_mrz(np.zeros((10, 10, 3), dtype=np.uint8), engine="magic")
    with pytest.raises(ImageError):
        read_mrz(b"not an image at all")


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
def test_every_format_is_read_exactly(kind: str, sample: Any) -> None:
    """auto reads clean documents exactly; ocrb alone misses at most one in three,
    and then only where it says it is unsure (a flagged name or code)."""
    ocrb_exact = 0
    for index in range(3):
        img, truth = sample(kind, None, index)
        auto = read_mrz(img, engine="auto")
        assert auto.mrz is not None, auto.error
        assert auto.mrz.lines == truth
        own = read_mrz(img, engine="ocrb")
        assert own.mrz is not None
        if own.mrz.lines == truth:
            ocrb_exact += 1
        else:
            codes = {w.code for w in own.mrz.warnings}
            assert not own.mrz.valid or codes & {"repair_name_uncertain", "repair_unconfirmed"}
    assert ocrb_exact >= 2


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["td3_passport", "td1_id"])
def test_auto_and_tesseract_read_clean_documents(kind: str, sample: Any) -> None:
    img, truth = sample(kind, None, 1)
    auto = read_mrz(img, engine="auto")
    assert auto.mrz is not None and auto.mrz.lines == truth
    t = read_mrz(img, engine="tesseract")
    assert t.ok and t.mrz is not None
    assert t.engine == "tesseract"
    # Tesseract may misread a character, but it finds the same document
    assert t.mrz.format == auto.mrz.format
    assert sum(
        a == b for a, b in zip("".join(t.mrz.lines), "".join(truth), strict=True)
    ) > 0.9 * len("".join(truth))


@pytest.mark.slow
@pytest.mark.parametrize("degradation", ["rotate_90", "rotate_180", "rotate_270", "rotate_small"])
def test_rotated_documents(degradation: str, sample: Any) -> None:
    for kind in ("td3_passport", "td1_id"):
        img, truth = sample(kind, degradation, 2)
        r = read_mrz(img, engine="auto")
        assert r.mrz is not None, f"{kind} {degradation}: {r.error}"
        assert r.mrz.lines == truth, f"{kind} {degradation}"


@pytest.mark.slow
def test_numpy_rotations_of_one_page() -> None:
    page = render_mrz_page(TD3_SPEC)
    for k in (1, 2, 3):
        r = read_mrz(np.ascontiguousarray(np.rot90(page, k)), engine="ocrb")
        assert r.mrz is not None and r.mrz.lines == TD3_SPEC, f"rot90 k={k}"


@pytest.mark.slow
def test_passporteye_engine_is_wrapped(sample: Any) -> None:
    img, _truth = sample("td3_passport", None, 3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = read_mrz(img, engine="passporteye")
    assert r.engine == "passporteye"
    # the adapter hides PassportEye's scikit-image FutureWarnings
    assert [str(w.message) for w in caught] == []
    if r.ok:
        assert r.mrz is not None and r.mrz.format == "TD3"
    else:
        assert r.error


def test_debug_dir_gets_every_stage(tmp_path: Path) -> None:
    r = read_mrz(render_mrz_page(TD3_SPEC), engine="ocrb", debug_dir=tmp_path / "dbg")
    assert r.ok
    names = {p.name for p in (tmp_path / "dbg").iterdir()}
    for expected in (
        "01_gray.png",
        "02_line_mask.png",
        "03_bands.png",
        "04_line1.png",
        "05_cells1.png",
        "reading.json",
    ):
        assert expected in names


def test_tesseract_failures_become_engine_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    import pytesseract

    def boom(*_a: object, **_k: object) -> None:
        raise pytesseract.TesseractNotFoundError()

    monkeypatch.setattr(pytesseract, "image_to_data", boom)
    with pytest.raises(EngineError, match="tesseract"):
        read_mrz(render_mrz_page(TD3_SPEC), engine="tesseract")

    def crash(*_a: object, **_k: object) -> None:
        raise pytesseract.TesseractError(1, "bad")

    monkeypatch.setattr(pytesseract, "image_to_data", crash)
    with pytest.raises(EngineError):
        read_mrz(render_mrz_page(TD3_SPEC), engine="tesseract")


def test_passporteye_failures_become_engine_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    import passporteye

    def boom(*_a: object, **_k: object) -> None:
        raise ValueError("internal")

    monkeypatch.setattr(passporteye, "read_mrz", boom)
    with pytest.raises(EngineError, match="passporteye"):
        read_mrz(np.full((100, 100, 3), 200, dtype=np.uint8), engine="passporteye")


@pytest.mark.parametrize(
    ("raw", "fixed"),
    [
        (
            "P<UTOERIKSSONKKANNAKMARIAKKKKKKKKKKKKKKKKKKK",
            "P<UTOERIKSSONKKANNAKMARIA<<<<<<<<<<<<<<<<<<<",
        ),
        ("ERIK<<ANNA<<<<", "ERIK<<ANNA<<<<"),
        ("VCESTEL<AMRANI<<KHALID<<<<", "VCESTEL<AMRANI<<KHALID<<<<"),
        ("L898902C36<<<<KK10", "L898902C36<<<<<<10"),
        ("ABC<<<<KCL", "ABC<<<<<<<"),
        ("P<PRTMUNOZ<<LUCIA<<<<<<S<S<<KEKEEE<<", "P<PRTMUNOZ<<LUCIA<<<<<<<<<<<<<<<<<<<"),
        ("ZE184226B<<<<<10", "ZE184226B<<<<<10"),
    ],
)
def test_fix_fillers(raw: str, fixed: str) -> None:
    assert tess.fix_fillers(raw) == fixed


@pytest.mark.parametrize("n", [30, 36, 44])
def test_fit_length(n: int) -> None:
    for text in (
        "ABC<<<<DEF",
        "A" * (n + 3),
        "ABC<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<DEF",
    ):
        out = tess.fit_length(text, n)
        assert len(out) == n
        if "<" in text and len(text) > n:
            assert out.startswith("ABC") and out.endswith("DEF")


def _rss_mb() -> float:
    import os

    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


@pytest.mark.slow
def test_passporteye_memory_does_not_grow(sample: Any) -> None:
    """PassportEye leaks ~17 MB per image without the adapter's gc.collect()."""
    import gc

    img, _ = sample("td2_id", None, 4)
    read_mrz(img, engine="passporteye")  # warm up: imports, tesseract, caches
    gc.collect()
    start = _rss_mb()
    for _ in range(12):
        read_mrz(img, engine="passporteye")
    grown = _rss_mb() - start
    assert grown < 60, f"RSS grew by {grown:.0f} MB over 12 reads"


def test_number_prior_only_touches_letters_between_digits() -> None:
    from misec_rules.mrz import FORMATS
    from misec_rules.vision._read import _number_prior

    w = _number_prior("L898902C36UTO7408122F1204159ZE184226B<<<<<10", FORMATS["TD3"], 1)
    assert w is not None
    assert w[7, 10:36].max() < 1.0  # `C` between `2` and `3` in the document number
    assert w[7, :10].min() == 1.0  # digits keep their weight
    assert (np.delete(w, 7, axis=0) == 1.0).all()  # nothing else changes
    assert _number_prior("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", FORMATS["TD3"], 0) is None
