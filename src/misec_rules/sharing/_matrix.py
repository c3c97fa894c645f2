"""The agency-by-agency matrix of what must, may or must not be shared."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import jinja2

from misec_rules.sharing._engine import ConditionalPlan
from misec_rules.sharing._registry import RulesetRegistry
from misec_rules.sharing._request import INITIATIVES, SharingRequest, parse_date

__all__ = ["Matrix", "MatrixCell", "build_matrix", "render_matrix_html"]

#: One letter per outcome in the text grid.
SYMBOLS = {"required": "R", "permitted": "P", "prohibited": "X", "indeterminate": "!"}
_ORDER = ("required", "permitted", "indeterminate", "prohibited")


@dataclass(frozen=True, slots=True)
class MatrixCell:
    """What ``from`` may/must/must not share with ``to``.

    ``entries`` maps an outcome to the ``(category, purpose, initiative)`` triples
    that get it (not_covered is left out); ``rules`` are the deciding rule ids.
    """

    from_: str
    to: str
    entries: dict[str, tuple[tuple[str, str, str], ...]]
    rules: tuple[str, ...]
    conditional: tuple[str, ...] = ()
    children_differ: bool = False

    @property
    def symbol(self) -> str:
        """The cell at a glance: ``R`` required, ``P`` permitted, ``X`` prohibited, ``!``.

        The letters are every outcome other than not_covered that some category of
        the matrix (with ``--category C``: C or a descendant), purpose and initiative
        gets, so an ``X`` anywhere below C shows.  ``~`` says some descendant of C is
        decided differently from C itself for the same purpose and initiative.  A
        trailing ``*`` says some rule here applies only when its condition holds
        (the letters are for a request with an empty context).
        """
        letters = "".join(SYMBOLS[o] for o in _ORDER if self.entries.get(o))
        return letters + ("~" if self.children_differ else "") + ("*" if self.conditional else "")

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "from": self.from_,
            "to": self.to,
            "symbol": self.symbol,
            "outcomes": {o: [list(t) for t in v] for o, v in self.entries.items()},
            "rules": list(self.rules),
            "conditional": list(self.conditional),
            "children_differ": self.children_differ,
        }


@dataclass(frozen=True, slots=True)
class Matrix:
    """The grid for one date (and optionally one category and its descendants)."""

    ruleset: str
    at: date
    category: str | None
    agencies: tuple[str, ...]
    cells: dict[tuple[str, str], MatrixCell]
    #: The categories the cells sum up: all, or ``category`` and its descendants.
    categories: tuple[str, ...] = ()

    def scope(self) -> str:
        """The categories covered, in words."""
        if self.category is None:
            return "all categories"
        below = [c for c in self.categories if c != self.category]
        if not below:
            return self.category
        return f"{self.category} and its descendants {', '.join(below)}"

    def cell(self, src: str, dst: str) -> MatrixCell:
        """The cell for ``src`` sharing with ``dst``."""
        return self.cells[(src, dst)]

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "ruleset": self.ruleset,
            "at": self.at.isoformat(),
            "category": self.category,
            "categories": list(self.categories),
            "agencies": list(self.agencies),
            "cells": [c.to_json() for c in self.cells.values()],
        }


def build_matrix(
    registry: RulesetRegistry, at: date | str, *, category: str | None = None
) -> Matrix:
    """Decide every agency pair, category, purpose and initiative on ``at``.

    With ``category``, the cells sum up that category and all its descendants
    (a rule on a child is part of the parent's picture) and mark with ``~`` the
    cells where a descendant is decided differently from the category itself.

    Raises
    ------
    KeyError
        ``category`` is not a category of the ruleset.
    """
    on = parse_date(at, field_name="at")
    spec = registry.spec
    if category is not None and category not in spec.categories:
        raise KeyError(f"unknown category `{category}`")
    cats = _subtree(registry, category) if category else tuple(spec.categories)
    agencies = tuple(spec.agencies)
    version = registry.version_at(on)
    compiled = registry._compiled_at(on)
    cells: dict[tuple[str, str], MatrixCell] = {}
    for src in agencies:
        for dst in agencies:
            if src == dst:
                continue
            entries: dict[str, list[tuple[str, str, str]]] = {}
            rules: dict[str, None] = {}
            conditional: dict[str, None] = {}
            differ = False
            for purpose in spec.purposes:
                for initiative in INITIATIVES:
                    plans = (
                        compiled.index.get((src, dst, purpose, initiative), {}) if compiled else {}
                    )
                    for cat in cats:
                        plan = plans.get(cat)
                        if isinstance(plan, ConditionalPlan):
                            conditional.update(
                                dict.fromkeys(
                                    r.id for r, _, pred in plan.checks if pred is not None
                                )
                            )
                    d = registry.decide(
                        SharingRequest(src, dst, cats, purpose, initiative, on), at=on
                    )
                    if category is not None:
                        own = d.per_category[0].outcome
                        differ = differ or any(c.outcome != own for c in d.per_category[1:])
                    for c in d.per_category:
                        if c.outcome == "not_covered":
                            continue
                        entries.setdefault(c.outcome, []).append((c.category, purpose, initiative))
                        rules.update(dict.fromkeys(c.rules))
            cells[(src, dst)] = MatrixCell(
                src,
                dst,
                {k: tuple(v) for k, v in entries.items()},
                tuple(rules),
                tuple(conditional),
                differ,
            )
    name = version.name if version else registry.id
    return Matrix(name, on, category, agencies, cells, cats)


def _subtree(registry: RulesetRegistry, category: str) -> tuple[str, ...]:
    """``category`` then its descendants, in the ruleset's order."""
    parents = {cid: c.parent for cid, c in registry.spec.categories.items()}
    inside = {category}
    changed = True
    while changed:
        changed = False
        for cid, parent in parents.items():
            if parent in inside and cid not in inside:
                inside.add(cid)
                changed = True
    return (category, *(c for c in parents if c in inside and c != category))


_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{{ m.ruleset }} sharing matrix on {{ m.at }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; }
table { border-collapse: collapse; }
th, td { border: 1px solid #999; padding: .4em .6em; text-align: center; }
th.row { text-align: left; }
td.R { background: #9fd39f; } td.P { background: #d8f0d8; } td.X { background: #f3b0b0; }
td.bang { background: #ffd27f; } td.none { color: #aaa; }
td.self { background: #eee; }
details { margin: .3em 0; }
</style></head><body>
<h1>{{ m.ruleset }}: who shares with whom on {{ m.at }}</h1>
<p>Categories: <b>{{ m.scope() }}</b>. Rows share with columns.
R = must share (required), P = may share (permitted), X = must not share (prohibited),
! = indeterminate (conflicting rules); &middot; = no rule covers it (not_covered);
* = a rule here applies only when its condition on the case holds (letters are for a
request with no case context){% if m.category %}; ~ = a descendant of {{ m.category }} is
decided differently from {{ m.category }} itself (see the details){% endif %}.
Hover a cell for the purposes.</p>
<table>
<tr><th>from \\ to</th>{% for a in m.agencies %}<th>{{ a }}</th>{% endfor %}</tr>
{% for src in m.agencies %}<tr><th class="row">{{ src }}</th>
{% for dst in m.agencies %}{% if src == dst %}<td class="self">&mdash;</td>
{% else %}{% set c = m.cells[(src, dst)] %}
<td class="{{ css(c) }}" title="{{ tip(c) }}">{{ c.symbol or "&middot;"|safe }}</td>
{% endif %}{% endfor %}</tr>
{% endfor %}
</table>
<h2>Details</h2>
{% for c in m.cells.values() if c.entries or c.conditional %}
<details><summary>{{ c.from_ }} &rarr; {{ c.to }}: {{ c.symbol }}
({{ c.rules|join(", ") }}{% if c.conditional %}; conditional: {{ c.conditional|join(", ") }}{% endif %})</summary><ul>
{% for outcome, triples in c.entries.items() %}<li><b>{{ outcome }}</b>:
{% for cat, purpose, ini in triples %}{{ cat }}/{{ purpose }}/{{ ini }}{% if not loop.last %}, {% endif %}{% endfor %}
</li>{% endfor %}</ul></details>
{% endfor %}
</body></html>
"""


def _css(cell: MatrixCell) -> str:
    sym = cell.symbol.rstrip("*~")
    if not sym:
        return "none"
    if "!" in sym:
        return "bang"
    return sym[0]


def _tip(cell: MatrixCell) -> str:
    parts = []
    for outcome, triples in cell.entries.items():
        purposes = sorted({p for _, p, _ in triples})
        parts.append(f"{outcome}: {', '.join(purposes)}")
    return "; ".join(parts) or "not covered"


def render_matrix_html(matrix: Matrix) -> str:
    """The matrix as a self-contained HTML page (Jinja2, autoescaped)."""
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = env.from_string(_TEMPLATE)
    return template.render(m=matrix, css=_css, tip=_tip)
