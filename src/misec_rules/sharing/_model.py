"""The ruleset language: pydantic models of the YAML files policy teams write.

These models check shapes only (unknown keys are rejected, every value has the
right type).  References between parts (an agency named by a rule, a rule named
by ``exception_to``) are checked by the loader, which knows the file lines.
"""

from __future__ import annotations

import datetime as dt
import re
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "AgencySpec",
    "CategorySpec",
    "ContactPointSpec",
    "LiaisonOfficerSpec",
    "Modality",
    "Names",
    "PurposeSpec",
    "RuleSpec",
    "RulesFile",
    "RulesetFile",
    "ScenarioFile",
    "ScenarioSpec",
    "SourceSpec",
    "VersionSpec",
]

Modality = Literal["must_share", "may_share", "must_not_share", "may_request"]
Initiative = Literal["request", "proactive", "any"]
Outcome = Literal["required", "permitted", "prohibited", "not_covered", "indeterminate"]

_DURATION = re.compile(
    r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$"
)
_ID = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False)


class Names(_Frozen):
    """A name in Finnish, Swedish and English."""

    fi: str = Field(min_length=1)
    sv: str = Field(min_length=1)
    en: str = Field(min_length=1)


class ContactPointSpec(_Frozen):
    """Where an agency receives shared data: a functional mailbox or an interface."""

    channel: str = Field(
        min_length=1, description="How data reach the agency: `functional_mailbox`, `interface`…"
    )
    address: str = Field(min_length=1, description="Mailbox address or interface endpoint")
    categories: list[str] | None = Field(
        default=None, description="Only for these data categories (and their children)"
    )
    example: bool = Field(default=False, description="A made-up placeholder, not a real address")
    notes: str | None = None


class LiaisonOfficerSpec(_Frozen):
    """A liaison officer (role, not a person's name)."""

    role: str = Field(min_length=1)
    contact: str = Field(min_length=1)
    example: bool = False


class AgencySpec(_Frozen):
    """An authority that shares or receives data."""

    names: Names
    contact_points: list[ContactPointSpec] = Field(min_length=1)
    liaison_officers: list[LiaisonOfficerSpec] = Field(default_factory=list)
    notes: str | None = None


class CategorySpec(_Frozen):
    """A data category; a rule on a parent covers its children."""

    names: Names | None = None
    parent: str | None = None
    notes: str | None = None


class PurposeSpec(_Frozen):
    """What the recipient will use the data for."""

    names: Names | None = None
    reference: str | None = Field(default=None, description="Where the purpose is defined")
    notes: str | None = None


class SourceSpec(_Frozen):
    """One provision of law (act, section, subsection, item) with its dates."""

    act: str = Field(min_length=1, description="Act number, e.g. `615/2020`")
    title: str = Field(min_length=1)
    section: str = Field(min_length=1, description="e.g. `11 §`")
    subsection: str | None = Field(default=None, description="e.g. `1 mom`")
    item: str | None = Field(default=None, description="e.g. `1 kohta`")
    url: str | None = None
    in_force_from: date
    in_force_to: date | None = None
    confidence: Literal["A", "B", "C", "U"] = Field(
        default="A", description="A verified, B reliable secondary, C inference, U unverified"
    )
    notes: str | None = None


class VersionSpec(_Frozen):
    """A dated version of the ruleset, like a consolidated text of law."""

    in_force_from: date
    in_force_to: date | None = None
    title: str | None = None
    notes: str | None = None


class RuleSpec(_Frozen):
    """One sharing rule."""

    id: str = Field(pattern=_ID)
    modality: Modality
    from_: str | list[str] = Field(alias="from", description="Agency or group ids, or `*`")
    to: str | list[str] = Field(description="Agency or group ids, or `*`")
    categories: str | list[str] = Field(description="Category ids (children included), or `*`")
    purposes: str | list[str] = Field(description="Purpose ids, or `*`")
    initiative: Initiative = "any"
    when: dict[str, Any] | None = Field(
        default=None, description="Condition on the request's `context` (see docs/rulesets.md)"
    )
    legal_basis: list[str] = Field(min_length=1, description="Source ids")
    in_force_from: date
    in_force_to: date | None = None
    exception_to: list[str] = Field(default_factory=list, description="Rule ids this overrides")
    due_within: str | None = Field(default=None, description="ISO 8601 duration, e.g. `P14D`")
    basis: Literal["settled", "arguable", "uncertain"] = Field(
        default="settled", description="How firm the legal basis is"
    )
    notes: str | None = None

    @field_validator("due_within")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        if value is not None and not _DURATION.match(value):
            raise ValueError(f"`{value}` is not an iso 8601 duration such as `P14D`")
        return value

    @model_validator(mode="after")
    def _may_request_on_request(self) -> RuleSpec:
        if self.modality == "may_request" and self.initiative == "proactive":
            raise ValueError("a `may_request` rule applies only on request, not `proactive`")
        return self


class RulesetFile(_Frozen):
    """The ruleset's main file (``ruleset.yaml``)."""

    ruleset: str = Field(pattern=_ID, description="Ruleset id, e.g. `fi-sharing`")
    title: str | None = None
    description: str | None = None
    agencies: dict[str, AgencySpec] = Field(min_length=1)
    groups: dict[str, list[str]] = Field(default_factory=dict)
    categories: dict[str, CategorySpec] = Field(min_length=1)
    purposes: dict[str, PurposeSpec] = Field(min_length=1)
    sources: dict[str, SourceSpec] = Field(default_factory=dict)
    versions: list[VersionSpec] = Field(min_length=1)
    rules: list[RuleSpec] = Field(default_factory=list)
    notes: str | None = None


class RulesFile(_Frozen):
    """A further file of rules (``rules/*.yaml``)."""

    rules: list[RuleSpec]
    notes: str | None = None


class ScenarioSpec(_Frozen):
    """A scenario test: a request on a date and the decision expected."""

    name: str = Field(min_length=1)
    date: dt.date
    request: dict[str, Any]
    outcome: Outcome
    rules: list[str] | None = Field(
        default=None, description="Expected rule ids (the decision's `rules`), in any order"
    )
    overridden: list[str] | None = None
    version: str | None = Field(default=None, description="Expected `<id>@<date>`")
    per_category: dict[str, Outcome] | None = None
    notes: str | None = None


class ScenarioFile(_Frozen):
    """A file of scenario tests (``tests/*.yaml`` beside the ruleset)."""

    scenarios: list[ScenarioSpec] = Field(min_length=1)
