"""The public API stays put: names are pinned, every one resolves, imports stay light."""

from __future__ import annotations

import subprocess
import sys

import misec_rules

PINNED = {
    "FORMATS", "MRZ", "WARNING_CODES", "AuditError", "AuditIntegrityError", "AuditLog",
    "AuthenticityReport", "BatchSummary", "CategoryDecision", "Checks", "Decision",
    "DutyError", "DutyEvent", "DutyMonitor", "EngineError", "Finding", "ImageError",
    "ImageTooLarge", "InvalidCharacter", "InvalidLength", "LegalReference", "MRZError",
    "MRZReading", "MRZWarning", "MisecError", "MissingExtraError", "ProfileError", "Profile",
    "Repair", "RequestError", "Route", "RulesetError", "RulesetLoadError", "RulesetNotFoundError", "RulesetRegistry",
    "RulesetVersion", "SharingDuty", "SharingRequest", "TruthRecord", "UnknownFormat",
    "__version__", "check_digit", "check_document", "default_profile", "generate_mrz",
    "generate_samples", "load_image", "load_profile", "load_rulesets", "load_truth",
    "parse_mrz", "pseudonymise", "read_mrz", "render_document", "repair_mrz", "run_batch",
    "verify_log",
}  # fmt: skip


def test_exported_names_are_pinned() -> None:
    assert set(misec_rules.__all__) == PINNED
    assert len(misec_rules.__all__) == len(set(misec_rules.__all__))


def test_every_exported_name_resolves() -> None:
    for name in misec_rules.__all__:
        assert getattr(misec_rules, name) is not None, name


def test_unknown_attribute_is_an_attribute_error() -> None:
    try:
        misec_rules.no_such_name  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("no AttributeError")


def test_library_errors_share_one_base() -> None:
    for name in misec_rules.__all__:
        obj = getattr(misec_rules, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, misec_rules.MisecError), name


def test_import_stays_light() -> None:
    code = (
        "import sys, misec_rules; "
        "heavy = [m for m in ('cv2', 'durable', 'pytesseract', 'dask', 'passporteye') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
