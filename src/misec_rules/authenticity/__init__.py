"""Explainable document authenticity checks.

:func:`check_document` runs the checks a :class:`Profile` enables over one
document image and returns an :class:`AuthenticityReport`: a verdict and the
findings behind it, each with its evidence and the image region concerned.

References
----------
ICAO Doc 9303, 8th ed. (2021), Parts 3-7.
"""

from __future__ import annotations

from misec_rules.authenticity._check import check_document
from misec_rules.authenticity._html import render_html
from misec_rules.authenticity._model import AuthenticityReport, Finding, Severity, Verdict
from misec_rules.authenticity._profile import Profile, default_profile, load_profile
from misec_rules.authenticity._specimen import load_lost_stolen
from misec_rules.authenticity._transliterate import variants as transliterations

__all__ = [
    "AuthenticityReport",
    "Finding",
    "Profile",
    "Severity",
    "Verdict",
    "check_document",
    "default_profile",
    "load_lost_stolen",
    "load_profile",
    "render_html",
    "transliterations",
]
