"""Bad and unusual inputs to load_image: each a clear ImageError or the right pixels."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from misec_rules.errors import ImageError, ImageTooLarge
from misec_rules.vision import MAX_PIXELS, load_image


def _png_bytes(arr: np.ndarray, mode: str | None = None) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr, mode=mode).save(buf, format="PNG")
    return buf.getvalue()


def _huge_png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height (the pixel data is a stub)."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + tag
            + data
            + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + chunk(b"IEND", b"")
    )


def test_empty_file_is_refused_and_named(tmp_path: Path) -> None:
    p = tmp_path / "empty.png"
    p.write_bytes(b"")
    with pytest.raises(ImageError) as err:
        load_image(p)
    assert "empty.png" in str(err.value)
    assert "empty" in str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="no such file"):
        load_image(tmp_path / "nope.jpg")


def test_folder_is_not_an_image(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="folder"):
        load_image(tmp_path)


def test_not_an_image(tmp_path: Path) -> None:
    p = tmp_path / "notes.png"
    p.write_text("P<UTOERIKSSON<<ANNA<MARIA\n" * 20)
    with pytest.raises(ImageError, match="not an image") as err:
        load_image(p)
    assert "notes.png" in str(err.value)


def test_truncated_png_and_jpeg(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    arr = rng.integers(0, 255, (300, 400, 3), dtype=np.uint8)
    for fmt in ("PNG", "JPEG"):
        buf = io.BytesIO()
        Image.fromarray(arr).save(buf, format=fmt)
        p = tmp_path / f"cut.{fmt.lower()}"
        p.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
        with pytest.raises(ImageError) as err:
            load_image(p)
        assert "cut." in str(err.value)
        assert str(err.value) == str(err.value).strip()
        assert "\n" not in str(err.value)


def test_enormous_image_refused_before_decoding(tmp_path: Path) -> None:
    p = tmp_path / "huge.png"
    p.write_bytes(_huge_png_header(10_000, 7_000))  # 70 MP
    with pytest.raises(ImageTooLarge, match="megapixels"):
        load_image(p)
    # far beyond Pillow's own bomb limit too
    p.write_bytes(_huge_png_header(60_000, 60_000))
    with pytest.raises(ImageTooLarge):
        load_image(p)


def test_just_under_the_limit_header_is_not_refused_for_size(tmp_path: Path) -> None:
    p = tmp_path / "big.png"
    p.write_bytes(_huge_png_header(100, 100))
    # decodes or fails as broken data, but never as too large
    with pytest.raises(ImageError) as err:
        load_image(p)
    assert not isinstance(err.value, ImageTooLarge)
    assert MAX_PIXELS == 60_000_000


def test_sixteen_bit_grayscale() -> None:
    arr = np.full((20, 30), 40000, dtype=np.uint16)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    out = load_image(buf.getvalue())
    assert out.shape == (20, 30, 3)
    assert out.dtype == np.uint8
    assert int(out[0, 0, 0]) == 40000 >> 8


def test_grayscale_alpha_palette() -> None:
    gray = np.full((10, 12), 77, dtype=np.uint8)
    out = load_image(_png_bytes(gray))
    assert out.shape == (10, 12, 3) and (out == 77).all()
    rgba = np.zeros((10, 12, 4), dtype=np.uint8)
    rgba[..., 0] = 255  # red, fully transparent -> white
    out = load_image(_png_bytes(rgba, "RGBA"))
    assert (out == 255).all()
    rgba[..., 3] = 255  # opaque red -> BGR (0, 0, 255)
    out = load_image(_png_bytes(rgba, "RGBA"))
    assert tuple(out[0, 0]) == (0, 0, 255)
    pal = Image.fromarray(np.full((10, 12, 3), (0, 200, 0), dtype=np.uint8)).convert("P")
    buf = io.BytesIO()
    pal.save(buf, format="GIF")
    out = load_image(buf.getvalue())
    assert out.shape == (10, 12, 3)
    assert out[0, 0, 1] > 150 and out[0, 0, 2] < 60


def test_webp_and_animated_gif_first_frame() -> None:
    a = Image.fromarray(np.full((8, 8, 3), 10, dtype=np.uint8))
    b = Image.fromarray(np.full((8, 8, 3), 250, dtype=np.uint8))
    buf = io.BytesIO()
    a.save(buf, format="GIF", save_all=True, append_images=[b])
    assert load_image(buf.getvalue()).max() < 50
    buf = io.BytesIO()
    b.save(buf, format="WEBP", lossless=True)
    assert load_image(buf.getvalue()).min() > 200


def test_exif_orientation_applied() -> None:
    arr = np.zeros((10, 20, 3), dtype=np.uint8)
    arr[:, :10] = 255  # left half white
    im = Image.fromarray(arr)
    exif = im.getexif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    buf = io.BytesIO()
    im.save(buf, format="JPEG", exif=exif, quality=95)
    out = load_image(buf.getvalue())
    assert out.shape[:2] == (20, 10)
    assert out[:8].mean() > 200 and out[12:].mean() < 50  # the white half is now on top


def test_arrays_of_every_kind_are_normalised_without_modifying_input() -> None:
    gray = np.full((5, 6), 9, dtype=np.uint8)
    assert load_image(gray).shape == (5, 6, 3)
    f = np.full((5, 6, 3), 0.5)
    assert int(load_image(f)[0, 0, 0]) in (127, 128)
    bgra = np.zeros((5, 6, 4), dtype=np.uint8)
    before = bgra.copy()
    assert (load_image(bgra) == 255).all()
    assert (bgra == before).all()
    assert load_image(np.ones((5, 6), dtype=bool)).max() == 255
    with pytest.raises(ImageError, match="shape"):
        load_image(np.zeros((5,), dtype=np.uint8))
    with pytest.raises(ImageError, match="channels"):
        load_image(np.zeros((5, 6, 7), dtype=np.uint8))


def test_wrong_source_type_and_empty_bytes() -> None:
    with pytest.raises(ImageError):
        load_image(b"")
    with pytest.raises(ImageError):
        load_image(12345)  # type: ignore[arg-type]


@pytest.mark.specimens
def test_every_specimen_loads_or_fails_cleanly(specimens_dir: Path) -> None:
    files = sorted(p for p in specimens_dir.rglob("*") if p.is_file() and p.suffix != ".md")
    assert files
    loaded = 0
    for p in files:
        try:
            arr = load_image(p)
        except ImageError as exc:
            assert p.name in str(exc)
            continue
        assert arr.dtype == np.uint8 and arr.ndim == 3 and arr.shape[2] == 3
        loaded += 1
    assert loaded > len(files) // 2
