"""Fixtures for the authenticity tests: renders with known MRZ and layout."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pytest

from misec_rules.mrz import generate_mrz, parse_mrz

REF = date(2026, 11, 27)


def make_mrz(**over: Any) -> Any:
    """A valid TD3 MRZ with invented values, fields overridable."""
    fields: dict[str, Any] = {
        "document_code": "P",
        "issuing_state": "FIN",
        "surname": "VIRTANEN",
        "given_names": "AINO MARIA",
        "document_number": "XP1234567",
        "nationality": "FIN",
        "birth_date": date(1990, 4, 12),
        "sex": "F",
        "expiry_date": date(2030, 4, 11),
    }
    fmt = over.pop("fmt", "TD3")
    fields.update(over)
    return parse_mrz(generate_mrz(fmt, **fields), reference_date=REF)


@pytest.fixture
def blank_image() -> np.ndarray:
    """A plain colourful page with no MRZ (random colour blobs)."""
    rng = np.random.default_rng(0)
    img = np.full((600, 900, 3), 235, np.uint8)
    for _ in range(30):
        x, y = int(rng.integers(0, 850)), int(rng.integers(0, 550))
        img[y : y + 40, x : x + 40] = rng.integers(0, 255, 3)
    return img
