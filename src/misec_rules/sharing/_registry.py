"""The registry of a ruleset's dated versions, and ``decide``."""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from misec_rules.sharing._engine import (
    _FI_OUTCOME,
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
from misec_rules.sharing._request import SharingRequest, parse_date, parse_request

__all__ = ["RulesetRegistry"]


_new_decision = tuple.__new__  # builds a Decision without its Python-level __new__


class RulesetRegistry:
    """A ruleset's dated versions, compiled, answering sharing requests.

    Build it with :func:`misec_rules.sharing.load_rulesets`.
    """

    __slots__ = (
        "_by_date",
        "_compiled",
        "_starts",
        "id",
        "root",
        "rules",
        "spec",
        "title",
        "versions",
    )

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
        self._by_date: dict[date, tuple[CompiledVersion | None, str]] = {}

    def __repr__(self) -> str:
        return f"<RulesetRegistry {self.id} versions={[v.name for v in self.versions]}>"

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # Compiled conditions are closures, which pickle cannot carry; a registry
        # sent to another process (batch workers) is loaded again from its folder.
        if self.root is None:
            raise TypeError("a registry not loaded from a folder cannot be pickled")
        from misec_rules.sharing._loader import load_rulesets

        return (load_rulesets, (self.root,))

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
        if type(request) is SharingRequest:
            src, dst, cats, purpose, initiative, req_at, context = (
                request.from_,
                request.to,
                request.categories,
                request.purpose,
                request.initiative,
                request.at,
                request.context,
            )
        else:
            src, dst, cats, purpose, initiative, req_at, context = parse_request(request)
        if at is not None:
            on = at if type(at) is date else parse_date(at)
        elif req_at is not None:
            on = req_at
        else:
            on = date.today()
        cached = self._by_date.get(on)
        if cached is None:
            if len(self._by_date) > 4096:
                self._by_date.clear()
            cached = self._by_date[on] = (self._compiled_at(on), on.isoformat())
        return self._decide(src, dst, cats, purpose, initiative, context, cached[0], on, cached[1])

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
        return self._decide(
            req.from_,
            req.to,
            req.categories,
            req.purpose,
            req.initiative,
            req.context,
            self._compiled_for(ver),
            on,
        )

    def _decide(
        self,
        src: str,
        dst: str,
        categories: tuple[str, ...],
        purpose: str,
        initiative: str,
        context: Mapping[str, Any],
        compiled: CompiledVersion | None,
        on: date,
        when: str | None = None,
    ) -> Decision:
        when = when or on.isoformat()
        if compiled is None:
            why_en = f"no version of {self.id} is in force on {on.isoformat()}"
            why_fi = f"sääntökokoelman {self.id} mikään versio ei ole voimassa {on.isoformat()}"
            per = tuple(not_covered(c, why_en, why_fi) for c in categories)
            return self._combine(self.id, per, None, on, None, when)
        version = compiled.version
        agencies = compiled.agencies
        if src not in agencies or dst not in agencies or purpose not in compiled.purposes:
            why = self._unknown(compiled, src, dst, purpose)
            per = tuple(not_covered(c, why[0], why[1]) for c in categories)
            # the route names the recipient whenever the recipient is known
            known_route = compiled.route_for(dst, categories) if dst in agencies else None
            return self._combine(version.name, per, known_route, on, version, when)
        plans = compiled.index.get((src, dst, purpose, initiative))
        route = compiled.route_for(dst, categories)
        if len(categories) == 1:
            cat = categories[0]
            plan = plans.get(cat) if plans is not None else None
            if plan is None:
                result = compiled.unconditional.get(cat) or not_covered(
                    cat, f"unknown category `{cat}`", f"tuntematon tietoryhmä `{cat}`"
                )
            elif type(plan) is ConditionalPlan:
                result = plan.evaluate(context, on)
            else:
                result = plan  # type: ignore[assignment]
            # the single-category case inlined: most requests name one category
            outcome = result.outcome
            name = version.name
            if route is not None and (outcome == "required" or outcome == "permitted"):
                send_en, send_fi = route.send_en, route.send_fi
            elif outcome == "required" or outcome == "permitted":
                send_en = send_fi = ""
            else:
                send_en, send_fi = " Do not share.", " Älä luovuta."
            return _new_decision(
                Decision,
                (
                    outcome,
                    name,
                    (result,),
                    result.rules,
                    result.legal_basis,
                    route,
                    f"Outcome {outcome} under {name} on {when}. {result.explanation_en}{send_en}",
                    f"Ratkaisu: {_FI_OUTCOME[outcome]} ({name}, {when}). "
                    f"{result.explanation_fi}{send_fi}",
                    on,
                    version,
                ),
            )
        results: list[CategoryDecision] = []
        for cat in categories:
            plan = plans.get(cat) if plans is not None else None
            if plan is None:
                results.append(
                    compiled.unconditional.get(cat)
                    or not_covered(
                        cat, f"unknown category `{cat}`", f"tuntematon tietoryhmä `{cat}`"
                    )
                )
            elif type(plan) is ConditionalPlan:
                results.append(plan.evaluate(context, on))
            else:
                results.append(plan)  # type: ignore[arg-type]
        return self._combine(version.name, tuple(results), route, on, version, when)

    @staticmethod
    def _unknown(compiled: CompiledVersion, src: str, dst: str, purpose: str) -> tuple[str, str]:
        if src not in compiled.agencies:
            return f"unknown agency `{src}`", f"tuntematon viranomainen `{src}`"
        if dst not in compiled.agencies:
            return f"unknown agency `{dst}`", f"tuntematon viranomainen `{dst}`"
        return f"unknown purpose `{purpose}`", f"tuntematon käyttötarkoitus `{purpose}`"

    @staticmethod
    def _combine(
        name: str,
        per: tuple[CategoryDecision, ...],
        route: Route | None,
        on: date,
        version: RulesetVersion | None,
        when: str,
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
        if outcome == "required" or outcome == "permitted":
            send_en = route.send_en if route is not None else ""
            send_fi = route.send_fi if route is not None else ""
        else:
            send_en = " Do not share."
            send_fi = " Älä luovuta."
        en = f"Outcome {outcome} under {name} on {when}. {en_body}{send_en}"
        fi = f"Ratkaisu: {_FI_OUTCOME[outcome]} ({name}, {when}). {fi_body}{send_fi}"
        return Decision(outcome, name, per, rules, refs, route, en, fi, on, version)
