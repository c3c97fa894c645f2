"""Loading a ruleset folder: YAML, shape validation, references, compilation.

A ruleset folder holds ``ruleset.yaml`` (agencies, groups, categories, purposes,
sources, versions and optionally rules) and any number of ``rules/*.yaml`` files
(``rules:`` lists).  Every problem found is collected as a one-line
:class:`~misec_rules.errors.RulesetError` with file, line and path inside the
document; if there is any, the whole ruleset is rejected with
:class:`RulesetLoadError`, which carries them all.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from misec_rules.errors import RulesetError
from misec_rules.sharing._conditions import ConditionSyntaxError, compile_condition
from misec_rules.sharing._engine import (
    CompiledVersion,
    LegalReference,
    Route,
    Rule,
    RulesetVersion,
)
from misec_rules.sharing._model import RulesetFile, RulesFile, RuleSpec
from misec_rules.sharing._registry import RulesetRegistry
from misec_rules.sharing._request import INITIATIVES
from misec_rules.sharing._yaml import LineMap, read_yaml

__all__ = ["RulesetLoadError", "display_path", "load_rulesets", "validate_document"]

M = TypeVar("M", bound=BaseModel)
_TYPE_TAGS = ("str", "int", "float", "bool", "list", "dict", "date", "none", "literal")


class RulesetLoadError(RulesetError):
    """A ruleset rejected because of one or more errors (all in ``errors``)."""

    def __init__(self, errors: Sequence[RulesetError]) -> None:
        first = errors[0]
        super().__init__(first.reason, file=first.file, line=first.line, path=first.path)
        self.errors: tuple[RulesetError, ...] = tuple(errors)

    def lines(self) -> list[str]:
        """Every error, one line each."""
        return [str(e) for e in self.errors]


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when it is inside it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # pragma: no cover - other drive on Windows
        return str(path)
    return str(path) if rel.startswith("..") else rel


def _is_type_tag(part: Any) -> bool:
    if not isinstance(part, str):
        return False
    low = part.lower()
    return low.startswith(_TYPE_TAGS) or "[" in part or low.startswith("function-")


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def validate_document(
    model: type[M], data: Any, lines: LineMap
) -> tuple[M | None, list[RulesetError]]:
    """Validate ``data`` with a pydantic ``model``, turning its errors into located lines."""
    if data is None:
        return None, [RulesetError("the file is empty", file=lines.file)]
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        errors: list[RulesetError] = []
        seen: set[tuple[Any, ...]] = set()
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if not _is_type_tag(p))
            if loc in seen:
                continue
            seen.add(loc)
            kind = err["type"]
            if kind == "extra_forbidden":
                msg = f"unknown key `{loc[-1]}`"
            elif kind == "missing":
                msg = f"missing required key `{loc[-1]}`"
            else:
                msg = err["msg"]
                if msg.startswith("Value error, "):
                    msg = msg[len("Value error, ") :]
                msg = msg[:1].lower() + msg[1:]
                if not isinstance(err.get("input"), dict | list) and "`" not in msg:
                    msg += f", got `{_short(err.get('input'))}`"
            errors.append(lines.error(msg, loc))
        return None, errors


@dataclass
class _Origin:
    spec: RuleSpec
    lines: LineMap
    index: int

    def error(self, message: str, *path: str | int) -> RulesetError:
        return self.lines.error(message, ("rules", self.index, *path))


def _names(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _find_cycle(graph: dict[str, list[str]]) -> list[list[str]]:
    """Every elementary cycle found by depth-first search (each reported once)."""
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []
    reported: set[frozenset[str]] = set()

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                cycle = [*stack[stack.index(nxt) :], nxt]
                key = frozenset(cycle)
                if key not in reported:
                    reported.add(key)
                    cycles.append(cycle)
            elif nxt in graph and state.get(nxt) is None:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in graph:
        if state.get(node) is None:
            visit(node)
    return cycles


def _descendants(parents: dict[str, str | None]) -> dict[str, frozenset[str]]:
    children: dict[str, list[str]] = {c: [] for c in parents}
    for child, parent in parents.items():
        if parent is not None and parent in children:
            children[parent].append(child)
    out: dict[str, frozenset[str]] = {}
    for cat in parents:
        seen = {cat}
        todo = [cat]
        while todo:
            for kid in children[todo.pop()]:
                if kid not in seen:
                    seen.add(kid)
                    todo.append(kid)
        out[cat] = frozenset(seen)
    return out


def _check_header(spec: RulesetFile, lines: LineMap) -> list[RulesetError]:
    errors: list[RulesetError] = []
    agencies = spec.agencies
    for gid, members in spec.groups.items():
        if gid in agencies:
            errors.append(
                lines.error(f"group `{gid}` has the same id as an agency", ("groups", gid))
            )
        if gid == "*":
            errors.append(lines.error("`*` is reserved for all agencies", ("groups", gid)))
        for i, member in enumerate(members):
            if member not in agencies:
                errors.append(
                    lines.error(f"unknown agency `{member}` in group `{gid}`", ("groups", gid, i))
                )
    for cid, category in spec.categories.items():
        if category.parent is not None and category.parent not in spec.categories:
            errors.append(
                lines.error(f"unknown category `{category.parent}`", ("categories", cid, "parent"))
            )
    graph = {cid: [c.parent] if c.parent else [] for cid, c in spec.categories.items()}
    for cycle in _find_cycle(graph):
        errors.append(
            lines.error(
                "cycle in category parents: " + " -> ".join(f"`{c}`" for c in cycle),
                ("categories", cycle[0], "parent"),
            )
        )
    for aid, agency in spec.agencies.items():
        for i, cp in enumerate(agency.contact_points):
            for j, cat_id in enumerate(cp.categories or []):
                if cat_id not in spec.categories:
                    errors.append(
                        lines.error(
                            f"unknown category `{cat_id}`",
                            ("agencies", aid, "contact_points", i, "categories", j),
                        )
                    )
    for sid, src in spec.sources.items():
        if src.in_force_to is not None and src.in_force_to < src.in_force_from:
            errors.append(
                lines.error(
                    "`in_force_to` is before `in_force_from`", ("sources", sid, "in_force_to")
                )
            )
    order = sorted(range(len(spec.versions)), key=lambda i: spec.versions[i].in_force_from)
    for i, v in enumerate(spec.versions):
        if v.in_force_to is not None and v.in_force_to < v.in_force_from:
            errors.append(
                lines.error(
                    "`in_force_to` is before `in_force_from`", ("versions", i, "in_force_to")
                )
            )
    for a, b in itertools.pairwise(order):
        va, vb = spec.versions[a], spec.versions[b]
        if va.in_force_to is None or va.in_force_to >= vb.in_force_from:
            ends = va.in_force_to.isoformat() if va.in_force_to else "open-ended"
            errors.append(
                lines.error(
                    f"version from {vb.in_force_from.isoformat()} overlaps the version from "
                    f"{va.in_force_from.isoformat()} ({ends}); end that one the day before",
                    ("versions", b, "in_force_from"),
                )
            )
    return errors


def _check_rules(spec: RulesetFile, origins: list[_Origin]) -> list[RulesetError]:
    errors: list[RulesetError] = []
    known_who = set(spec.agencies) | set(spec.groups) | {"*"}
    first: dict[str, _Origin] = {}
    for o in origins:
        r = o.spec
        if r.id in first:
            prev = first[r.id]
            where = f"{prev.lines.file}:{prev.lines.line(('rules', prev.index, 'id'))}"
            errors.append(o.error(f"duplicate rule id `{r.id}` (first at {where})", "id"))
        else:
            first[r.id] = o
        for key, value in (("from", r.from_), ("to", r.to)):
            names = _names(value)
            if not names:
                errors.append(o.error("expected at least one agency or group", key))
            for i, name in enumerate(names):
                if name not in known_who:
                    errors.append(
                        o.error(
                            f"unknown agency or group `{name}`",
                            *((key,) if isinstance(value, str) else (key, i)),
                        )
                    )
        for key, value, known, what in (
            ("categories", r.categories, spec.categories, "category"),
            ("purposes", r.purposes, spec.purposes, "purpose"),
        ):
            names = _names(value)
            if not names:
                errors.append(o.error(f"expected at least one {what}", key))
            for i, name in enumerate(names):
                if name != "*" and name not in known:
                    errors.append(
                        o.error(
                            f"unknown {what} `{name}`",
                            *((key,) if isinstance(value, str) else (key, i)),
                        )
                    )
        for i, sid in enumerate(r.legal_basis):
            if sid not in spec.sources:
                errors.append(o.error(f"unknown source `{sid}`", "legal_basis", i))
        if r.in_force_to is not None and r.in_force_to < r.in_force_from:
            errors.append(o.error("`in_force_to` is before `in_force_from`", "in_force_to"))
        if r.when is not None:
            try:
                compile_condition(r.when)
            except ConditionSyntaxError as exc:
                errors.append(o.error(str(exc), "when", *exc.path))
    for o in origins:
        for i, target in enumerate(o.spec.exception_to):
            if target == o.spec.id:
                errors.append(o.error("a rule cannot be an exception to itself", "exception_to", i))
            elif target not in first:
                errors.append(o.error(f"unknown rule `{target}`", "exception_to", i))
    graph = {o.spec.id: [t for t in o.spec.exception_to if t != o.spec.id] for o in origins}
    for cycle in _find_cycle(graph):
        o = first[cycle[0]]
        errors.append(
            o.error(
                "cycle in `exception_to`: " + " -> ".join(f"`{c}`" for c in cycle), "exception_to"
            )
        )
    return errors


def _expand_who(value: str | list[str], spec: RulesetFile) -> frozenset[str]:
    out: set[str] = set()
    for name in _names(value):
        if name == "*":
            out.update(spec.agencies)
        elif name in spec.groups:
            out.update(spec.groups[name])
        else:
            out.add(name)
    return frozenset(out)


def _build(spec: RulesetFile, origins: list[_Origin], root: Path | None) -> RulesetRegistry:
    refs = {
        sid: LegalReference(
            sid,
            s.act,
            s.section,
            s.subsection,
            s.item,
            s.title,
            s.url,
            s.in_force_from,
            s.in_force_to,
            s.confidence,
        )
        for sid, s in spec.sources.items()
    }
    below = _descendants({cid: c.parent for cid, c in spec.categories.items()})
    all_purposes = frozenset(spec.purposes)
    rules: list[Rule] = []
    for order, o in enumerate(origins):
        r = o.spec
        cats = _names(r.categories)
        covers: set[str] = set()
        for cat in cats:
            covers.update(spec.categories if cat == "*" else below[cat])
        purposes = _names(r.purposes)
        purpose_set = all_purposes if "*" in purposes else frozenset(purposes)
        if r.modality == "may_request":
            initiatives = frozenset({"request"})
        elif r.initiative == "any":
            initiatives = frozenset(INITIATIVES)
        else:
            initiatives = frozenset({r.initiative})
        rules.append(
            Rule(
                id=r.id,
                modality=r.modality,
                from_=tuple(_names(r.from_)),
                to=tuple(_names(r.to)),
                categories=tuple(cats),
                purposes=tuple(purposes),
                initiative=r.initiative,
                when=r.when,
                legal_basis=tuple(refs[s] for s in r.legal_basis),
                in_force_from=r.in_force_from,
                in_force_to=r.in_force_to,
                exception_to=tuple(r.exception_to),
                due_within=r.due_within,
                basis=r.basis,
                notes=r.notes,
                order=order,
                file=o.lines.file,
                line=o.lines.line(("rules", o.index)),
                from_agencies=_expand_who(r.from_, spec),
                to_agencies=_expand_who(r.to, spec),
                covers=frozenset(covers),
                purpose_set=purpose_set,
                initiatives=initiatives,
                predicate=compile_condition(r.when) if r.when is not None else None,
            )
        )
    routes: dict[str, tuple[tuple[frozenset[str] | None, Route], ...]] = {}
    for aid, agency in spec.agencies.items():
        options = []
        for cp in agency.contact_points:
            cats_cp = None
            if cp.categories is not None:
                cats_cp = frozenset(c for cat in cp.categories for c in below[cat])
            options.append((cats_cp, Route(aid, cp.address, cp.channel, cp.example)))
        routes[aid] = tuple(options)
    compiled = []
    for v in spec.versions:
        members = tuple(
            r
            for r in rules
            if r.in_force_from <= (v.in_force_to or date.max)
            and (r.in_force_to is None or r.in_force_to >= v.in_force_from)
        )
        version = RulesetVersion(
            spec.ruleset, v.in_force_from, v.in_force_to, v.title, v.notes, members
        )
        compiled.append(
            CompiledVersion(
                version,
                agencies=frozenset(spec.agencies),
                categories=frozenset(spec.categories),
                purposes=all_purposes,
                routes=routes,
            )
        )
    return RulesetRegistry(spec, rules, compiled, root=root)


def _rule_files(root: Path) -> Iterable[Path]:
    rules_dir = root / "rules"
    if rules_dir.is_dir():
        yield from sorted(p for p in rules_dir.rglob("*") if p.suffix in (".yaml", ".yml"))


def load_rulesets(path: str | os.PathLike[str]) -> RulesetRegistry:
    """Load, validate and compile a ruleset folder.

    Parameters
    ----------
    path
        A folder holding ``ruleset.yaml`` (and optionally ``rules/*.yaml``), or the
        ``ruleset.yaml`` file itself.

    Returns
    -------
    RulesetRegistry
        The ruleset's versions, compiled and ready to decide.

    Raises
    ------
    RulesetLoadError
        Any error in any file (a :class:`~misec_rules.errors.RulesetError`);
        ``errors`` lists them all, one line each, with file, line and path.
    """
    given = Path(path)
    if given.is_dir():
        main = next(
            (given / n for n in ("ruleset.yaml", "ruleset.yml") if (given / n).is_file()), None
        )
        root = given
        if main is None:
            raise RulesetLoadError(
                [RulesetError("no `ruleset.yaml` in the folder", file=display_path(given))]
            )
    elif given.is_file():
        main, root = given, given.parent
    else:
        raise RulesetLoadError([RulesetError("no such file or folder", file=display_path(given))])
    errors: list[RulesetError] = []
    origins: list[_Origin] = []
    spec: RulesetFile | None = None
    try:
        data, lines = read_yaml(main, display=display_path(main))
        spec, errs = validate_document(RulesetFile, data, lines)
        errors += errs
        if spec is not None:
            errors += _check_header(spec, lines)
            origins += [_Origin(r, lines, i) for i, r in enumerate(spec.rules)]
    except RulesetError as exc:
        errors.append(exc)
    for file in _rule_files(root):
        try:
            data, lines = read_yaml(file, display=display_path(file))
        except RulesetError as exc:
            errors.append(exc)
            continue
        more, errs = validate_document(RulesFile, data, lines)
        errors += errs
        if more is not None:
            origins += [_Origin(r, lines, i) for i, r in enumerate(more.rules)]
    if spec is not None:
        errors += _check_rules(spec, origins)
    if errors or spec is None:
        raise RulesetLoadError(errors or [RulesetError("the ruleset is empty", file=str(main))])
    return _build(spec, origins, root)
