"""misec_rules: identity documents, authenticity checks and legal data-sharing rules.

The public API is what ``__all__`` lists; everything else is private and may change.
"""

from __future__ import annotations

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

__version__ = "0.1.0"

__all__ = [
    "AuditError",
    "AuditIntegrityError",
    "DutyError",
    "EngineError",
    "ImageError",
    "ImageTooLarge",
    "InvalidCharacter",
    "InvalidLength",
    "MRZError",
    "MisecError",
    "MissingExtraError",
    "ProfileError",
    "RequestError",
    "RulesetError",
    "UnknownFormat",
    "__version__",
]
