"""misec_rules: identity documents, authenticity checks and legal data-sharing rules.

The public API is what ``__all__`` lists; everything else is private and may change.
The MRZ text engine, the sharing rules and the errors are imported at once; the parts
that pull in OpenCV, tesseract, durable_rules or Dask (images, authenticity, duties,
batch, samples) are imported on first use, so ``import misec_rules`` stays light for
systems that only parse MRZ text or decide sharing requests.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from misec_rules.errors import (
    AuditError,
    AuditIntegrityError,
    DutyError,
    EngineError,
    ImageError,
    ImageTooLarge,
    InvalidCharacter,
    InvalidLength,
    MisecError,
    MissingExtraError,
    MRZError,
    ProfileError,
    RequestError,
    RulesetError,
    UnknownFormat,
)
from misec_rules.mrz import (
    FORMATS,
    MRZ,
    WARNING_CODES,
    Checks,
    MRZWarning,
    Repair,
    check_digit,
    generate_mrz,
    parse_mrz,
    repair_mrz,
)
from misec_rules.sharing import (
    CategoryDecision,
    Decision,
    LegalReference,
    Route,
    RulesetLoadError,
    RulesetNotFoundError,
    RulesetRegistry,
    RulesetVersion,
    SharingRequest,
    load_rulesets,
)

if TYPE_CHECKING:
    from misec_rules.audit import AuditLog, pseudonymise, verify_log
    from misec_rules.authenticity import (
        AuthenticityReport,
        Finding,
        Profile,
        check_document,
        default_profile,
        load_profile,
    )
    from misec_rules.batch import BatchSummary, run_batch
    from misec_rules.samples import TruthRecord, load_truth, render_document
    from misec_rules.samples import generate as generate_samples
    from misec_rules.sharing.duties import DutyEvent, DutyMonitor, SharingDuty
    from misec_rules.vision import MRZReading, load_image, read_mrz

__version__ = "0.1.0"

# name -> (module, attribute) for the parts imported on first use
_LAZY: dict[str, tuple[str, str]] = {
    "read_mrz": ("misec_rules.vision", "read_mrz"),
    "load_image": ("misec_rules.vision", "load_image"),
    "MRZReading": ("misec_rules.vision", "MRZReading"),
    "check_document": ("misec_rules.authenticity", "check_document"),
    "AuthenticityReport": ("misec_rules.authenticity", "AuthenticityReport"),
    "Finding": ("misec_rules.authenticity", "Finding"),
    "Profile": ("misec_rules.authenticity", "Profile"),
    "load_profile": ("misec_rules.authenticity", "load_profile"),
    "default_profile": ("misec_rules.authenticity", "default_profile"),
    "DutyMonitor": ("misec_rules.sharing.duties", "DutyMonitor"),
    "SharingDuty": ("misec_rules.sharing.duties", "SharingDuty"),
    "DutyEvent": ("misec_rules.sharing.duties", "DutyEvent"),
    "AuditLog": ("misec_rules.audit", "AuditLog"),
    "verify_log": ("misec_rules.audit", "verify_log"),
    "pseudonymise": ("misec_rules.audit", "pseudonymise"),
    "run_batch": ("misec_rules.batch", "run_batch"),
    "BatchSummary": ("misec_rules.batch", "BatchSummary"),
    "generate_samples": ("misec_rules.samples", "generate"),
    "render_document": ("misec_rules.samples", "render_document"),
    "load_truth": ("misec_rules.samples", "load_truth"),
    "TruthRecord": ("misec_rules.samples", "TruthRecord"),
}


def __getattr__(name: str) -> Any:
    """Import the heavier public names on first use."""
    try:
        module, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'misec_rules' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "FORMATS",
    "MRZ",
    "WARNING_CODES",
    "AuditError",
    "AuditIntegrityError",
    "AuditLog",
    "AuthenticityReport",
    "BatchSummary",
    "CategoryDecision",
    "Checks",
    "Decision",
    "DutyError",
    "DutyEvent",
    "DutyMonitor",
    "EngineError",
    "Finding",
    "ImageError",
    "ImageTooLarge",
    "InvalidCharacter",
    "InvalidLength",
    "LegalReference",
    "MRZError",
    "MRZReading",
    "MRZWarning",
    "MisecError",
    "MissingExtraError",
    "Profile",
    "ProfileError",
    "Repair",
    "RequestError",
    "Route",
    "RulesetError",
    "RulesetLoadError",
    "RulesetNotFoundError",
    "RulesetRegistry",
    "RulesetVersion",
    "SharingDuty",
    "SharingRequest",
    "TruthRecord",
    "UnknownFormat",
    "__version__",
    "check_digit",
    "check_document",
    "default_profile",
    "generate_mrz",
    "generate_samples",
    "load_image",
    "load_profile",
    "load_rulesets",
    "load_truth",
    "parse_mrz",
    "pseudonymise",
    "read_mrz",
    "render_document",
    "repair_mrz",
    "run_batch",
    "verify_log",
]
