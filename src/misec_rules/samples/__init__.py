"""Synthetic specimen documents with ground truth, for tests, demos and benchmarks.

``generate`` writes images and truth.jsonl; ``render_document`` draws one clean
document and returns its layout; the degradation functions turn a render into a
scan or photo and report the geometry they applied.
"""

from __future__ import annotations

from misec_rules.samples._degrade import (
    DEGRADATIONS,
    Degraded,
    blur,
    cluttered_background,
    flatbed_scan,
    glare,
    jpeg,
    low_resolution,
    noise,
    perspective,
    rotate_90,
    rotate_180,
    rotate_270,
    rotate_small,
    transform_box,
    transform_points,
    uneven_light,
)
from misec_rules.samples._fonts import FontNotFound, ocrb_font_path, viz_font_path
from misec_rules.samples._generate import (
    DEFAULT_DEGRADATIONS,
    Regions,
    Sample,
    TruthRecord,
    generate,
    iter_samples,
    load_truth,
    make_sample,
)
from misec_rules.samples._identity import (
    KINDS,
    Identity,
    mrz_lines,
    random_identity,
    transliterate,
    viz_date,
)
from misec_rules.samples._render import (
    DOCUMENT_SIZES_MM,
    TRUTH_FIELDS,
    FieldLayout,
    MRZLayout,
    RenderedDocument,
    render_document,
)

__all__ = [
    "DEFAULT_DEGRADATIONS",
    "DEGRADATIONS",
    "DOCUMENT_SIZES_MM",
    "KINDS",
    "TRUTH_FIELDS",
    "Degraded",
    "FieldLayout",
    "FontNotFound",
    "Identity",
    "MRZLayout",
    "Regions",
    "RenderedDocument",
    "Sample",
    "TruthRecord",
    "blur",
    "cluttered_background",
    "flatbed_scan",
    "generate",
    "glare",
    "iter_samples",
    "jpeg",
    "load_truth",
    "low_resolution",
    "make_sample",
    "mrz_lines",
    "noise",
    "ocrb_font_path",
    "perspective",
    "random_identity",
    "render_document",
    "rotate_90",
    "rotate_180",
    "rotate_270",
    "rotate_small",
    "transform_box",
    "transform_points",
    "transliterate",
    "uneven_light",
    "viz_date",
    "viz_font_path",
]
