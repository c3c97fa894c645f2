"""Authenticity profiles: which checks run, and their thresholds.

A profile is a YAML file validated by pydantic on load.  The default profile
ships in the package (``profiles/default.yaml``); a user profile may name only
the values it changes, the rest come from the default.  Errors name the file
and the field (``checks.dates.max_age_years``).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from misec_rules._io import read_text
from misec_rules.authenticity._model import Severity
from misec_rules.errors import ProfileError

__all__ = ["Profile", "default_profile", "load_profile"]

PROFILE_SCHEMA_VERSION = 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CheckDigitsConfig(_Strict):
    """MRZ check digits (ICAO 9303 Part 3 §4.9)."""

    enabled: bool = True
    deviations_file: str | None = Field(
        default=None, description="CSV of issuers known to print a wrong check digit"
    )
    unreliable_read_failures: int = Field(
        default=3,
        ge=1,
        description="failing field check digits (composite not counted) at which an MRZ "
        "read from pixels is taken as misread rather than edited",
    )
    unreliable_unsure_fraction: float = Field(
        default=0.15,
        gt=0,
        le=1,
        description="fraction of MRZ characters the reader was unsure of (< 0.55) at which "
        "an MRZ that fails any check digit is taken as misread",
    )


class DatesConfig(_Strict):
    """Date plausibility."""

    enabled: bool = True
    max_age_years: int = Field(default=120, ge=1, le=200)
    expired_severity: str = Field(default="warning", pattern="^(info|warning|fail)$")
    validity_years: dict[str, float] = Field(
        default_factory=lambda: {"P": 11.0, "I": 16.0, "A": 16.0, "C": 16.0, "V": 11.0}
    )
    default_validity_years: float = Field(default=16.0, gt=0)


class CodesConfig(_Strict):
    """Issuing state, nationality and document code."""

    enabled: bool = True


class SpecimenConfig(_Strict):
    """ICAO and issuer specimen values; user lists of lost and stolen documents."""

    enabled: bool = True
    specimen_file: str | None = None
    lost_stolen_file: str | None = None


class VizConfig(_Strict):
    """Visual zone read with tesseract and compared with the MRZ."""

    enabled: bool = True
    languages: str = "eng"
    min_name_similarity: float = Field(default=0.8, ge=0, le=1)
    ocr_char_height_px: float = Field(
        default=22.0, ge=8, description="page scaled so MRZ characters are this high for OCR"
    )
    min_fail_confidence: float = Field(
        default=80.0,
        ge=0,
        le=100,
        description="no longer used (a fail now needs two agreeing readings); "
        "kept so that profiles written for 2026.11.2 still load",
    )
    min_confirm_sharpness: float = Field(
        default=1.0,
        ge=0,
        description="page sharpness (quality.measured) below which a difference the "
        "readings agree on is not trusted: the comparison is left unresolved",
    )
    fail_when: list[str] = Field(
        default_factory=lambda: ["document_number", "birth_date", "expiry_date"],
        description="fields whose mismatch is a fail; others give a warning",
    )


class TypographyConfig(_Strict):
    """OCR-B conformity of the MRZ print (ICAO 9303 Part 3 §4.2, Part 4 §4.2)."""

    enabled: bool = True
    max_pitch_cv: float = Field(default=0.12, gt=0)
    max_baseline_dev: float = Field(default=0.18, gt=0)
    line_spacing_range: tuple[float, float] = (1.3, 3.2)
    min_glyph_score: float = Field(default=0.45, ge=-1, le=1)


class IntegrityConfig(_Strict):
    """Pixel-level checks."""

    enabled: bool = True
    ela_qualities: list[int] = Field(default_factory=lambda: list(range(40, 85, 5)), min_length=3)
    ela_block: int = Field(default=16, ge=8)
    ela_min_blocks: int = Field(default=10, ge=1)
    copy_move: bool = True
    copy_move_min_shift: int = Field(default=24, ge=4)
    copy_move_min_matches: int = Field(default=8, ge=2)
    copy_move_min_side: float = Field(default=0.08, gt=0, le=1)
    recapture_max_peak: float = Field(default=15.0, gt=0)
    grey_max_chroma: float = Field(default=2.5, ge=0)
    portrait_max_seam_ratio: float = Field(default=3.0, gt=0)
    portrait_page_noise_range: tuple[float, float] = (0.25, 2.0)
    portrait_min_char_height_px: float = Field(default=22.0, ge=0)
    editors: list[str] = Field(
        default_factory=lambda: [
            "photoshop",
            "gimp",
            "paint.net",
            "affinity",
            "pixelmator",
            "corel",
            "photopea",
            "krita",
            "lightroom",
            "snapseed",
            "canva",
            "picsart",
        ]
    )


class QualityConfig(_Strict):
    """The quality gate: below these the image is too poor to judge."""

    enabled: bool = True
    min_mrz_char_height_px: float = Field(default=10.0, gt=0)
    min_width_px: int = Field(default=400, gt=0)
    min_sharpness: float = Field(default=0.35, ge=0)
    max_glare_fraction: float = Field(default=0.4, ge=0, le=1)


class ChecksConfig(_Strict):
    """Every family of checks and its configuration."""

    check_digits: CheckDigitsConfig = CheckDigitsConfig()
    dates: DatesConfig = DatesConfig()
    codes: CodesConfig = CodesConfig()
    specimen: SpecimenConfig = SpecimenConfig()
    viz: VizConfig = VizConfig()
    typography: TypographyConfig = TypographyConfig()
    integrity: IntegrityConfig = IntegrityConfig()
    quality: QualityConfig = QualityConfig()


class Profile(_Strict):
    """A versioned authenticity profile.

    Attributes
    ----------
    schema_version : int
        Version of this file format; only 1 exists.
    name, version : str
        ``name@version`` is recorded in every report made with the profile.
    checks : ChecksConfig
    """

    schema_version: int = PROFILE_SCHEMA_VERSION
    name: str
    version: str
    description: str = ""
    checks: ChecksConfig = ChecksConfig()
    severity_overrides: dict[str, Severity] = Field(
        default_factory=dict,
        description="finding id -> severity, for checks known to misfire on a deployment's documents",
    )

    @model_validator(mode="after")
    def _known_schema(self) -> Profile:
        if self.schema_version != PROFILE_SCHEMA_VERSION:
            raise ValueError(f"schema_version {self.schema_version} is not supported (only 1)")
        return self

    @property
    def label(self) -> str:
        """``name@version``."""
        return f"{self.name}@{self.version}"


class _NoDuplicatesLoader(yaml.SafeLoader):
    """A YAML loader that refuses duplicate mapping keys."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise ProfileError(f"duplicate key `{key}` (line {key_node.start_mark.line + 1})")
        seen.add(key)
    return loader.construct_mapping(node)


_NoDuplicatesLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping
)


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _read_yaml(text: str, where: str) -> dict[str, Any]:
    try:
        data = yaml.load(text, Loader=_NoDuplicatesLoader)
    except ProfileError as exc:
        raise ProfileError(f"{where}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ProfileError(f"{where}{line}: not valid yaml") from exc
    if not isinstance(data, dict):
        raise ProfileError(f"{where}: a profile must be a mapping")
    return data


def _validate(data: dict[str, Any], where: str) -> Profile:
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "(top)"
        raise ProfileError(f"{where}: field `{field}`: {err['msg'].lower()}") from None


def _default_text() -> str:
    return (resources.files("misec_rules.authenticity") / "profiles" / "default.yaml").read_text(
        encoding="utf-8"
    )


_DEFAULT: Profile | None = None


def default_profile() -> Profile:
    """The profile shipped with the package (``profiles/default.yaml``)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = _validate(_read_yaml(_default_text(), "default.yaml"), "default.yaml")
    return _DEFAULT


def load_profile(source: str | Path | Profile | None = None) -> Profile:
    """Load and validate a profile.

    Parameters
    ----------
    source : str, Path, Profile or None
        ``None`` or ``"default"`` gives the shipped profile; a path names a YAML
        file whose values override the default's.

    Raises
    ------
    ProfileError
        When the file cannot be read or does not validate; the message names the
        file and the field.
    """
    if source is None or source == "default":
        return default_profile()
    if isinstance(source, Profile):
        return source
    path = Path(source)
    text = read_text(path, what="profile", error=ProfileError)
    data = _read_yaml(text, str(path))
    base = _read_yaml(_default_text(), "default.yaml")
    return _validate(_merge(base, data), str(path))
