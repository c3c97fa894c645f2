"""The registry of a ruleset's dated versions, and ``decide``."""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from misec_rules.sharing._engine import (
    _RANK,
    CategoryDecision,
    CompiledVersion,
    ConditionalPlan,
    Decision,
    LegalReference,
    Route,
    Rule,
    RulesetVersion,
    not_covered,
)
from misec_rules.sharing._model import RulesetFile
from misec_rules.sharing._request import SharingRequest, parse_date

__all__ = ["RulesetRegistry"]

_FI_OUT = {
    "required": "luovutettava",
    "permitted": "saa luovuttaa",
    "prohibited": "ei saa luovuttaa",
    "not_covered": "ei säännöillä katettu",
    "indeterminate": "ratkaisematon",
}


class RulesetRegistry:
    """A ruleset's dated versions, compiled, answering sharing requests.

    Build it with :func:`misec_rules.sharing.load_rulesets`.
    """

    __slots__ = ("_compiled", "_starts", "id", "root", "rules", "spec", "title", "versions")

    def __init__(
        self,
        spec: RulesetFile,
        rules: Sequence[Rule],
        compiled: Sequence[CompiledVersion],
        *,
        root: Path | None = None,
    ) -> None:
        self.spec = spec
        self.id = spec.ruleset
        self.title = spec.title
        self.root = root
        self.rules: tuple[Rule, ...] = tuple(rules)
        self._compiled = sorted(compiled, key=lambda c: c.version.in_force_from)
        self._starts = [c.version.in_force_from for c in self._compiled]
        self.versions: tuple[RulesetVersion, ...] = tuple(c.version for c in self._compiled)

    def __repr__(self) -> str:
        return f"<RulesetRegistry {self.id} versions={[v.name for v in self.versions]}>"

    # -- versions --------------------------------------------------------------

    def _compiled_at(self, on: date) -> CompiledVersion | None:
        i = bisect.bisect_right(self._starts, on) - 1
        if i < 0:
            return None
        compiled = self._compiled[i]
        return compiled if compiled.version.covers(on) else None

    def version_at(self, on: date | str) -> RulesetVersion | None:
        """The version in force on ``on``, or None when none is."""
        compiled = self._compiled_at(parse_date(on, field_name="date"))
        return compiled.version if compiled is not None else None

    at = version_at

    def version(self, name: str | date) -> RulesetVersion:
        """The version named ``<id>@<date>`` or by its start date.

        Raises
        ------
        KeyError
            No version starts on that date.
        """
        text = name.isoformat() if isinstance(name, date) else str(name)
        text = text.split("@", 1)[1] if "@" in text else text
        for v in self.versions:
            if v.in_force_from.isoformat() == text:
                return v
        raise KeyError(f"no version `{name}` in ruleset `{self.id}`")

    def _compiled_for(self, version: RulesetVersion) -> CompiledVersion:
        for c in self._compiled:
            if c.version is version:
                return c
        raise KeyError(version.name)  # pragma: no cover

    # -- deciding ----------------------------------------------------------------

    def decide(
        self, request: SharingRequest | Mapping[str, Any], *, at: date | str | None = None
    ) -> Decision:
        """Decide a sharing request.

        Parameters
        ----------
        request
            A :class:`SharingRequest`, or a mapping in DESIGN.md's JSON shape.
        at
            The date; defaults to the request's own ``at``, then today.

        Returns
        -------
        Decision
            With one entry per category and the weakest outcome overall.

        Raises
        ------
        RequestError
            The mapping is not a well-formed request.
        """
        req = request if isinstance(request, SharingRequest) else SharingRequest.from_json(request)
        on = parse_date(at) if at is not None else (req.at if req.at is not None else date.today())
        return self._decide(req, self._compiled_at(on), on)

    def decide_in(
        self,
        request: SharingRequest | Mapping[str, Any],
        version: RulesetVersion | str,
        *,
        at: date | str | None = None,
    ) -> Decision:
        """Decide under a given version (``at`` defaults to the version's first day)."""
        req = request if isinstance(request, SharingRequest) else SharingRequest.from_json(request)
        ver = version if isinstance(version, RulesetVersion) else self.version(version)
        on = parse_date(at) if at is not None else ver.in_force_from
        return self._decide(req, self._compiled_for(ver), on)

    def _decide(self, req: SharingRequest, compiled: CompiledVersion | None, on: date) -> Decision:
        categories = req.categories
        if compiled is None:
            why_en = f"no version of {self.id} is in force on {on.isoformat()}"
            why_fi = f"sääntökokoelman {self.id} mikään versio ei ole voimassa {on.isoformat()}"
            per = tuple(not_covered(c, why_en, why_fi) for c in categories)
            return self._combine(self.id, per, None, on, None)
        version = compiled.version
        name = version.name
        unknown = self._unknown(compiled, req)
        if unknown is not None:
            per = tuple(not_covered(c, unknown[0], unknown[1]) for c in categories)
            return self._combine(name, per, None, on, version)
        plans = compiled.index.get((req.from_, req.to, req.purpose, req.initiative))
        results: list[CategoryDecision] = []
        known = compiled.categories
        fallback = compiled.unconditional
        for cat in categories:
            plan = plans.get(cat) if plans is not None else None
            if plan is None:
                if cat in known:
                    results.append(fallback[cat])
                else:
                    results.append(
                        not_covered(
                            cat, f"unknown category `{cat}`", f"tuntematon tietoryhmä `{cat}`"
                        )
                    )
            elif isinstance(plan, ConditionalPlan):
                results.append(plan.evaluate(req.context, on))
            else:
                results.append(plan)
        route = compiled.route_for(req.to, categories)
        return self._combine(name, tuple(results), route, on, version)

    @staticmethod
    def _unknown(compiled: CompiledVersion, req: SharingRequest) -> tuple[str, str] | None:
        if req.from_ not in compiled.agencies:
            return f"unknown agency `{req.from_}`", f"tuntematon viranomainen `{req.from_}`"
        if req.to not in compiled.agencies:
            return f"unknown agency `{req.to}`", f"tuntematon viranomainen `{req.to}`"
        if req.purpose not in compiled.purposes:
            return f"unknown purpose `{req.purpose}`", f"tuntematon käyttötarkoitus `{req.purpose}`"
        return None

    @staticmethod
    def _combine(
        name: str,
        per: tuple[CategoryDecision, ...],
        route: Route | None,
        on: date,
        version: RulesetVersion | None,
    ) -> Decision:
        if len(per) == 1:
            only = per[0]
            outcome = only.outcome
            rules = only.rules
            refs = only.legal_basis
            en_body = only.explanation_en
            fi_body = only.explanation_fi
        else:
            outcome = min((c.outcome for c in per), key=_RANK.__getitem__)
            rules = tuple(dict.fromkeys(r for c in per for r in c.rules))
            seen: dict[str, LegalReference] = {}
            for c in per:
                for ref in c.legal_basis:
                    seen.setdefault(ref.source_id, ref)
            refs = tuple(seen.values())
            en_body = " ".join(c.explanation_en for c in per)
            fi_body = " ".join(c.explanation_fi for c in per)
        when = on.isoformat()
        if outcome == "required" or outcome == "permitted":
            send_en = (
                f" Send to {route.agency} via {route.channel} {route.contact_point}."
                if route
                else ""
            )
            send_fi = (
                f" Toimita: {route.agency}, {route.channel} {route.contact_point}." if route else ""
            )
        else:
            send_en = " Do not share."
            send_fi = " Älä luovuta."
        en = f"Outcome {outcome} under {name} on {when}. {en_body}{send_en}"
        fi = f"Ratkaisu: {_FI_OUT[outcome]} ({name}, {when}). {fi_body}{send_fi}"
        return Decision(outcome, name, per, rules, refs, route, en, fi, on, version)
