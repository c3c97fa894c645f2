"""Date plausibility: birth, expiry, age and validity period.

References
----------
ICAO Doc 9303 Part 3 §4.5 (dates in the MRZ, YYMMDD); Part 4-7 §4.2.2 (positions).
"""

from __future__ import annotations

from datetime import date

from misec_rules.authenticity._context import CheckContext, as_date, finding, mrz_value
from misec_rules.authenticity._model import Finding, Severity

__all__ = ["run"]


def _years(a: date, b: date) -> float:
    return (b - a).days / 365.25


def _raw_date(ctx: CheckContext, field: str) -> str | None:
    """The six MRZ digits of a date field, for the evidence."""
    from misec_rules.authenticity._check_digits import _POSITIONS

    fmt = str(mrz_value(ctx.mrz, "format") or "")
    lines = list(mrz_value(ctx.mrz, "lines") or [])
    spec = _POSITIONS.get(fmt, {}).get(field)
    if spec is None:
        return None
    ln, a, b = spec.data[0]
    try:
        return str(lines[ln][a:b])
    except IndexError:
        return None


def run(ctx: CheckContext) -> list[Finding]:
    """Report birth in the future, expiry before birth, expiry passed, implausible age
    and a validity period longer than issuers use for the document type."""
    cfg = ctx.profile.checks.dates
    ref = ctx.reference_date
    birth = as_date(mrz_value(ctx.mrz, "birth_date"))
    expiry = as_date(mrz_value(ctx.mrz, "expiry_date"))
    code = str(mrz_value(ctx.mrz, "document_code") or "")
    region = ctx.mrz_box()
    out: list[Finding] = []

    raw_birth = _raw_date(ctx, "birth_date")
    if birth is None and raw_birth and raw_birth.isdigit():
        out.append(
            finding(
                "dates.birth_invalid",
                Severity.FAIL,
                f"MRZ birth date `{raw_birth}` is not a calendar date",
                {"birth_date": raw_birth},
                region,
            )
        )
    raw_expiry = _raw_date(ctx, "expiry_date")
    if expiry is None and raw_expiry and raw_expiry.isdigit():
        out.append(
            finding(
                "dates.expiry_invalid",
                Severity.FAIL,
                f"MRZ expiry date `{raw_expiry}` is not a calendar date",
                {"expiry_date": raw_expiry},
                region,
            )
        )
    if birth is not None and birth > ref:
        out.append(
            finding(
                "dates.birth_in_future",
                Severity.FAIL,
                "birth date is after the reference date",
                {"birth_date": birth, "reference_date": ref},
                region,
            )
        )
    if birth is not None and expiry is not None and expiry <= birth:
        out.append(
            finding(
                "dates.expiry_before_birth",
                Severity.FAIL,
                "expiry date is not after the birth date",
                {"birth_date": birth, "expiry_date": expiry},
                region,
            )
        )
    if expiry is not None and expiry < ref:
        out.append(
            finding(
                "dates.expired",
                Severity(cfg.expired_severity),
                "document expiry date has passed on the reference date",
                {"expiry_date": expiry, "reference_date": ref},
                region,
            )
        )
    if birth is not None and birth <= ref:
        age = _years(birth, ref)
        if age > cfg.max_age_years:
            out.append(
                finding(
                    "dates.implausible_age",
                    Severity.FAIL,
                    f"holder's age on the reference date ({age:.0f} years) is above "
                    f"{cfg.max_age_years}",
                    {"age_years": round(age, 1), "threshold": cfg.max_age_years},
                    region,
                )
            )
    if expiry is not None and expiry > ref:
        longest = cfg.validity_years.get(code[:1], cfg.default_validity_years)
        remaining = _years(ref, expiry)
        if remaining > longest + 0.1:
            out.append(
                finding(
                    "dates.validity_unusual",
                    Severity.WARNING,
                    f"expiry is {remaining:.1f} years after the reference date, longer than "
                    f"the {longest:g}-year validity issuers use for document code `{code}`",
                    {
                        "expiry_date": expiry,
                        "reference_date": ref,
                        "years_remaining": round(remaining, 2),
                        "threshold_years": longest,
                    },
                    region,
                )
            )
    if birth is not None and expiry is not None and expiry > birth:
        # a document valid for longer than the holder has been alive at issue is fine
        # for children; only expiry more than max_age after birth is flagged here
        span = _years(birth, expiry)
        if span > cfg.max_age_years + cfg.default_validity_years:
            out.append(
                finding(
                    "dates.implausible_span",
                    Severity.WARNING,
                    f"expiry is {span:.0f} years after birth",
                    {"years": round(span, 1)},
                    region,
                )
            )
    return ctx.soften_if_misread(out)
