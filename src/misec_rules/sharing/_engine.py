"""Compiled rulesets and the decision procedure.

Each ruleset version is compiled once into a dictionary keyed by
``(from, to, purpose, initiative)``; each entry maps a data category either to a
ready, immutable :class:`CategoryDecision` (when no rule there has a condition or
a date boundary inside the version) or to a small plan that tests only the rules
that have conditions and caches the result per set of applicable rules.  A
decision is therefore a few dictionary look-ups, not a scan of the rules.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final, NamedTuple

from misec_rules.sharing._conditions import ConditionError, Predicate

__all__ = [
    "OUTCOMES",
    "CategoryDecision",
    "CompiledVersion",
    "Decision",
    "LegalReference",
    "Route",
    "Rule",
    "RulesetVersion",
]

#: Outcomes from weakest to strongest; the overall outcome is the weakest.
OUTCOMES: Final = ("prohibited", "indeterminate", "not_covered", "permitted", "required")
_RANK: Final = {name: i for i, name in enumerate(OUTCOMES)}
_FI_OUTCOME: Final = {
    "required": "luovutettava",
    "permitted": "saa luovuttaa",
    "prohibited": "ei saa luovuttaa",
    "not_covered": "ei säännöillä katettu",
    "indeterminate": "ratkaisematon",
}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)([YMWDHS])")
_DURATION_SECONDS = {"Y": 365 * 86400, "W": 7 * 86400, "D": 86400, "H": 3600, "S": 1}


def duration_seconds(value: str) -> float:
    """Approximate length in seconds of an ISO 8601 duration (for ordering only)."""
    date_part, _, time_part = value[1:].partition("T")
    total = 0.0
    for number, unit in _DURATION_PART.findall(date_part):
        total += float(number) * (30 * 86400 if unit == "M" else _DURATION_SECONDS[unit])
    for number, unit in _DURATION_PART.findall(time_part):
        total += float(number) * (60 if unit == "M" else _DURATION_SECONDS[unit])
    return total


@dataclass(frozen=True, slots=True)
class LegalReference:
    """One cited provision: act, section, subsection, item, title and url.

    ``to_json`` gives DESIGN.md's legal-basis object.
    """

    source_id: str
    act: str
    section: str
    subsection: str | None
    item: str | None
    title: str
    url: str | None
    in_force_from: date
    in_force_to: date | None
    confidence: str

    def cite(self) -> str:
        """A short citation such as ``615/2020 11 § 1 mom 1 kohta``."""
        parts = [self.act, self.section, self.subsection, self.item]
        return " ".join(p for p in parts if p)

    def to_json(self) -> dict[str, Any]:
        """DESIGN.md's legal-basis object."""
        return {
            "act": self.act,
            "section": self.section,
            "subsection": self.subsection,
            "item": self.item,
            "title": self.title,
            "url": self.url,
        }


@dataclass(frozen=True, slots=True)
class Route:
    """Where to send shared data: the recipient agency's contact point."""

    agency: str
    contact_point: str
    channel: str
    example: bool = False
    send_en: str = field(default="", repr=False, compare=False)
    send_fi: str = field(default="", repr=False, compare=False)

    def __post_init__(self) -> None:
        target = f"{self.agency}, {self.channel} {self.contact_point}"
        object.__setattr__(self, "send_en", f" Send to {target}.")
        object.__setattr__(self, "send_fi", f" Toimita: {target}.")

    def to_json(self) -> dict[str, Any]:
        """DESIGN.md's route object."""
        return {"agency": self.agency, "contact_point": self.contact_point, "channel": self.channel}


@dataclass(frozen=True, slots=True, eq=False)
class Rule:
    """A rule after loading: references resolved, groups and category trees expanded.

    ``categories`` holds the categories as written; ``covers`` also holds their
    descendants.  ``order`` is the rule's position in the ruleset.
    """

    id: str
    modality: str
    from_: tuple[str, ...]
    to: tuple[str, ...]
    categories: tuple[str, ...]
    purposes: tuple[str, ...]
    initiative: str
    when: Mapping[str, Any] | None
    legal_basis: tuple[LegalReference, ...]
    in_force_from: date
    in_force_to: date | None
    exception_to: tuple[str, ...]
    due_within: str | None
    basis: str
    notes: str | None
    order: int
    file: str
    line: int | None
    from_agencies: frozenset[str] = field(repr=False)
    to_agencies: frozenset[str] = field(repr=False)
    covers: frozenset[str] = field(repr=False)
    purpose_set: frozenset[str] = field(repr=False)
    initiatives: frozenset[str] = field(repr=False)
    predicate: Predicate | None = field(repr=False, default=None)

    def in_force(self, on: date) -> bool:
        """Whether the rule is in force on ``on``."""
        return self.in_force_from <= on and (self.in_force_to is None or on <= self.in_force_to)

    def to_json(self) -> dict[str, Any]:
        """The rule as written (for ``diff`` and reports)."""
        return {
            "id": self.id,
            "modality": self.modality,
            "from": list(self.from_),
            "to": list(self.to),
            "categories": list(self.categories),
            "purposes": list(self.purposes),
            "initiative": self.initiative,
            "when": self.when,
            "legal_basis": [ref.source_id for ref in self.legal_basis],
            "in_force_from": self.in_force_from.isoformat(),
            "in_force_to": self.in_force_to.isoformat() if self.in_force_to else None,
            "exception_to": list(self.exception_to),
            "due_within": self.due_within,
            "basis": self.basis,
            "notes": self.notes,
        }


@dataclass(frozen=True, slots=True, eq=False)
class RulesetVersion:
    """One dated version of a ruleset and the rules in force at some time in it."""

    ruleset_id: str
    in_force_from: date
    in_force_to: date | None
    title: str | None
    notes: str | None
    rules: tuple[Rule, ...]
    #: ``<ruleset-id>@<date the version comes into force>``.
    name: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", f"{self.ruleset_id}@{self.in_force_from.isoformat()}")

    def covers(self, on: date) -> bool:
        """Whether the version is in force on ``on``."""
        return self.in_force_from <= on and (self.in_force_to is None or on <= self.in_force_to)


@dataclass(frozen=True, slots=True)
class CategoryDecision:
    """The decision for one data category."""

    category: str
    outcome: str
    rules: tuple[str, ...]
    overridden: tuple[str, ...]
    legal_basis: tuple[LegalReference, ...]
    due_within: str | None
    explanation_en: str
    explanation_fi: str

    @property
    def allows_sharing(self) -> bool:
        """True only for ``required`` and ``permitted``."""
        return self.outcome == "required" or self.outcome == "permitted"

    def to_json(self) -> dict[str, Any]:
        """DESIGN.md's per-category entry, with ``due_within``."""
        return {
            "category": self.category,
            "outcome": self.outcome,
            "rules": list(self.rules),
            "overridden": list(self.overridden),
            "legal_basis": [ref.to_json() for ref in self.legal_basis],
            "due_within": self.due_within,
        }


class Decision(NamedTuple):
    """A decision on a sharing request, explained (immutable).

    ``to_json`` gives DESIGN.md's decision object.  A named tuple rather than a
    dataclass because it is built once per decision and tuples are the cheapest
    immutable objects Python makes.
    """

    outcome: str
    ruleset: str
    per_category: tuple[CategoryDecision, ...]
    rules: tuple[str, ...]
    legal_basis: tuple[LegalReference, ...]
    route: Route | None
    explanation_en: str
    explanation_fi: str
    at: date
    version: RulesetVersion | None = None

    @property
    def allows_sharing(self) -> bool:
        """True only when the outcome is ``required`` or ``permitted``."""
        return self.outcome == "required" or self.outcome == "permitted"

    @property
    def explanation(self) -> dict[str, str]:
        """The explanation in English and Finnish."""
        return {"en": self.explanation_en, "fi": self.explanation_fi}

    @property
    def overridden(self) -> tuple[str, ...]:
        """The ids of rules overridden in any category, in order."""
        if len(self.per_category) == 1:
            return self.per_category[0].overridden
        return tuple(dict.fromkeys(r for c in self.per_category for r in c.overridden))

    @property
    def due_within(self) -> str | None:
        """The shortest ``due_within`` of the categories, or None."""
        dues = [c.due_within for c in self.per_category if c.due_within]
        return min(dues, key=duration_seconds) if dues else None

    def to_json(self) -> dict[str, Any]:
        """DESIGN.md's decision object."""
        return {
            "outcome": self.outcome,
            "ruleset": self.ruleset,
            "per_category": [c.to_json() for c in self.per_category],
            "rules": list(self.rules),
            "legal_basis": [ref.to_json() for ref in self.legal_basis],
            "route": self.route.to_json() if self.route is not None else None,
            "explanation": {"en": self.explanation_en, "fi": self.explanation_fi},
        }


# --- resolving one category ---------------------------------------------------


def _cites(rules: Sequence[Rule]) -> str:
    seen: dict[str, None] = {}
    for rule in rules:
        for ref in rule.legal_basis:
            seen.setdefault(ref.cite(), None)
    return "; ".join(seen)


def _ids(rules: Sequence[Rule]) -> str:
    return ", ".join(r.id for r in rules)


def _basis_notes(rules: Sequence[Rule]) -> tuple[str, str]:
    weak = [r for r in rules if r.basis != "settled"]
    if not weak:
        return "", ""
    en = " " + " ".join(f"The basis of {r.id} is {r.basis}." for r in weak)
    fi_word = {"arguable": "tulkinnanvarainen", "uncertain": "epävarma"}
    fi = " " + " ".join(f"Säännön {r.id} peruste on {fi_word[r.basis]}." for r in weak)
    return en, fi


def not_covered(category: str, reason_en: str, reason_fi: str) -> CategoryDecision:
    """A ``not_covered`` decision for one category, with its reason."""
    return CategoryDecision(
        category,
        "not_covered",
        (),
        (),
        (),
        None,
        f"{category}: not_covered: {reason_en}.",
        f"{category}: {_FI_OUTCOME['not_covered']}: {reason_fi}.",
    )


def indeterminate_error(category: str, rule: Rule, message: str) -> CategoryDecision:
    """An ``indeterminate`` decision after an error evaluating ``rule``."""
    return CategoryDecision(
        category,
        "indeterminate",
        (rule.id,),
        (),
        (),
        None,
        f"{category}: indeterminate: the condition of {rule.id} could not be evaluated ({message}).",
        f"{category}: {_FI_OUTCOME['indeterminate']}: säännön {rule.id} ehtoa ei voitu arvioida "
        f"({message}).",
    )


def resolve(category: str, applicable: Sequence[Rule]) -> CategoryDecision:
    """Decide one category from the rules that apply to it, in DESIGN.md's order.

    1. a rule naming another in ``exception_to`` removes it; 2. ``must_not_share``
    with ``must_share`` is indeterminate, ``must_not_share`` alone prohibited;
    3. ``must_share`` required; 4. ``may_share``/``may_request`` permitted;
    5. otherwise not_covered.
    """
    removed_ids = {x for r in applicable for x in r.exception_to}
    removed = [r for r in applicable if r.id in removed_ids]
    live = [r for r in applicable if r.id not in removed_ids]
    must_not = [r for r in live if r.modality == "must_not_share"]
    must = [r for r in live if r.modality == "must_share"]
    may = [r for r in live if r.modality == "may_share" or r.modality == "may_request"]
    overridden = list(removed)
    if must_not and must:
        outcome, deciding = "indeterminate", must + must_not
        overridden += may
        en_why = (
            f"must_share {_ids(must)} conflicts with must_not_share {_ids(must_not)} and no "
            "exception settles it"
        )
        fi_why = (
            f"luovutusvelvollisuus ({_ids(must)}) on ristiriidassa luovutuskiellon "
            f"({_ids(must_not)}) kanssa eikä poikkeussääntö ratkaise sitä"
        )
    elif must_not:
        outcome, deciding = "prohibited", must_not
        overridden += may
        en_why = f"prohibited by {_ids(must_not)}"
        fi_why = f"kielletty säännöllä {_ids(must_not)}"
    elif must:
        outcome, deciding = "required", must
        en_why = f"required by {_ids(must)}"
        fi_why = f"velvoite säännöllä {_ids(must)}"
    elif may:
        outcome, deciding = "permitted", may
        en_why = f"permitted by {_ids(may)}"
        fi_why = f"sallittu säännöllä {_ids(may)}"
    else:
        outcome, deciding = "not_covered", []
        en_why = "no rule applies"
        fi_why = "mikään sääntö ei sovellu"
    en = f"{category}: {outcome}: {en_why}"
    fi = f"{category}: {_FI_OUTCOME[outcome]}: {fi_why}"
    if deciding:
        en += f" ({_cites(deciding)})"
        fi += f" ({_cites(deciding)})"
    if removed:
        by = [r for r in applicable if set(r.exception_to) & {x.id for x in removed}]
        en += f"; {_ids(by)} is an exception to {_ids(removed)}"
        fi += f"; {_ids(by)} on poikkeus säännöstä {_ids(removed)}"
    if outcome in ("prohibited", "indeterminate") and may:
        en += f"; overrides {_ids(may)}"
        fi += f"; syrjäyttää säännön {_ids(may)}"
    en_note, fi_note = _basis_notes(deciding)
    en += "." + en_note
    fi += "." + fi_note
    refs: dict[str, LegalReference] = {}
    for rule in deciding:
        for ref in rule.legal_basis:
            refs.setdefault(ref.source_id, ref)
    due = None
    if outcome in ("required", "permitted"):
        dues = [r.due_within for r in deciding if r.due_within]
        due = min(dues, key=duration_seconds) if dues else None
    return CategoryDecision(
        category,
        outcome,
        tuple(r.id for r in deciding),
        tuple(r.id for r in overridden),
        tuple(refs.values()),
        due,
        en,
        fi,
    )


class ConditionalPlan:
    """Rules for one index cell where some rule has a condition or inner date bound."""

    __slots__ = ("cache", "category", "checks")

    def __init__(self, category: str, rules: Sequence[Rule], version: RulesetVersion) -> None:
        self.category = category
        # (rule, needs a date check, predicate or None)
        self.checks: tuple[tuple[Rule, bool, Predicate | None], ...] = tuple(
            (r, not _covers_version(r, version), r.predicate) for r in rules
        )
        self.cache: dict[tuple[int, ...], CategoryDecision] = {}

    def evaluate(self, context: Mapping[str, Any], on: date) -> CategoryDecision:
        """Test the conditions and return the (cached) decision for the rules that apply."""
        key: list[int] = []
        for rule, dated, predicate in self.checks:
            if dated and (
                on < rule.in_force_from or (rule.in_force_to is not None and on > rule.in_force_to)
            ):
                continue
            if predicate is not None:
                try:
                    if not predicate(context):
                        continue
                except ConditionError as exc:
                    return indeterminate_error(self.category, rule, str(exc))
                except Exception:  # any failure is indeterminate
                    return indeterminate_error(self.category, rule, "unexpected error")
            key.append(rule.order)
        applicable = tuple(key)
        hit = self.cache.get(applicable)
        if hit is None:
            rules = [r for r, _, _ in self.checks if r.order in applicable]
            if len(self.cache) > 1024:
                self.cache.clear()
            hit = self.cache[applicable] = resolve(self.category, rules)
        return hit


def _covers_version(rule: Rule, version: RulesetVersion) -> bool:
    if rule.in_force_from > version.in_force_from:
        return False
    if rule.in_force_to is None:
        return True
    return version.in_force_to is not None and rule.in_force_to >= version.in_force_to


IndexKey = tuple[str, str, str, str]
Plan = CategoryDecision | ConditionalPlan


class CompiledVersion:
    """A ruleset version compiled into its decision index."""

    __slots__ = (
        "agencies",
        "categories",
        "index",
        "purposes",
        "route_by_category",
        "routes",
        "unconditional",
        "version",
    )

    def __init__(
        self,
        version: RulesetVersion,
        *,
        agencies: frozenset[str],
        categories: frozenset[str],
        purposes: frozenset[str],
        routes: Mapping[str, tuple[tuple[frozenset[str] | None, Route], ...]],
    ) -> None:
        self.version = version
        self.agencies = agencies
        self.categories = categories
        self.purposes = purposes
        self.routes = dict(routes)
        self.route_by_category: dict[str, dict[str, Route]] = {}
        for agency, options in self.routes.items():
            table: dict[str, Route] = {}
            for cat in categories:
                for cats, route in options:
                    if cats is None or cat in cats:
                        table[cat] = route
                        break
                else:
                    if options:
                        table[cat] = options[0][1]
            self.route_by_category[agency] = table
        cells: dict[IndexKey, dict[str, list[Rule]]] = {}
        for rule in version.rules:
            for src in rule.from_agencies:
                for dst in rule.to_agencies:
                    for purpose in rule.purpose_set:
                        for initiative in rule.initiatives:
                            cell = cells.setdefault((src, dst, purpose, initiative), {})
                            for cat in rule.covers:
                                cell.setdefault(cat, []).append(rule)
        memo: dict[tuple[str, tuple[int, ...]], CategoryDecision] = {}
        self.index: dict[IndexKey, dict[str, Plan]] = {}
        for key, by_cat in cells.items():
            plans: dict[str, Plan] = {}
            for cat, rules in by_cat.items():
                rules.sort(key=lambda r: r.order)
                if all(r.predicate is None and _covers_version(r, version) for r in rules):
                    mkey = (cat, tuple(r.order for r in rules))
                    decided = memo.get(mkey)
                    if decided is None:
                        decided = memo[mkey] = resolve(cat, rules)
                    plans[cat] = decided
                else:
                    plans[cat] = ConditionalPlan(cat, rules, version)
            self.index[key] = plans
        self.unconditional: dict[str, CategoryDecision] = {
            cat: not_covered(cat, "no rule applies", "mikään sääntö ei sovellu")
            for cat in categories
        }

    def route_for(self, agency: str, categories: Sequence[str]) -> Route | None:
        """The recipient's first contact point that takes all ``categories``."""
        if len(categories) == 1:
            by_cat = self.route_by_category.get(agency)
            if by_cat is not None:
                hit = by_cat.get(categories[0])
                if hit is not None:
                    return hit
        options = self.routes.get(agency)
        if not options:
            return None
        for cats, route in options:
            if cats is None or all(c in cats for c in categories):
                return route
        return options[0][1]
