"""Loading a ruleset folder: YAML, shape validation, references, compilation.

A ruleset folder holds ``ruleset.yaml`` (agencies, groups, categories, purposes,
sources, versions and optionally rules) and any number of ``rules/*.yaml`` files
(``rules:`` lists).  Every problem found is collected as a one-line
:class:`~misec_rules.errors.RulesetError` with file, line and path inside the
document; if there is any, the whole ruleset is rejected with
:class:`RulesetLoadError`, which carries them all.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
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
from misec_rules.sharing._model import (
    AgencySpec,
    CategorySpec,
    PurposeSpec,
    RulesetFile,
    RulesFile,
    RuleSpec,
    SourceSpec,
    VersionSpec,
)
from misec_rules.sharing._registry import RulesetRegistry
from misec_rules.sharing._request import INITIATIVES
from misec_rules.sharing._yaml import LineMap, read_yaml

__all__ = [
    "RulesetLoadError",
    "RulesetNotFoundError",
    "display_path",
    "load_rulesets",
    "validate_document",
]

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


class RulesetNotFoundError(RulesetLoadError):
    """No ruleset at the path: nothing there, or a folder without ``ruleset.yaml``.

    A subclass of :class:`RulesetLoadError`, so code that catches that still works;
    the command line tells it apart (input that cannot be read, exit 2, rather than
    an invalid ruleset, exit 3).
    """


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


_KIND_WORDS = {
    "dict_type": "expected a mapping (`key: value` lines)",
    "model_type": "expected a mapping (`key: value` lines)",
    "model_attributes_type": "expected a mapping (`key: value` lines)",
    "list_type": "expected a list",
    "string_type": "expected text",
    "bool_type": "expected `true` or `false`",
    "bool_parsing": "expected `true` or `false`",
    "date_type": "expected a date such as `2020-01-01`",
    "date_parsing": "expected a date such as `2020-01-01`",
    "date_from_datetime_parsing": "expected a date such as `2020-01-01`",
    "date_from_datetime_inexact": "expected a date without a time of day",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
}


def _pydantic_message(err: Any, loc: tuple[Any, ...]) -> str:
    """One pydantic error in our words: lowercase, no class names, input in backticks."""
    kind = err["type"]
    given = err.get("input")
    if kind == "extra_forbidden":
        return f"unknown key `{loc[-1]}`" if loc else "unknown key"
    if kind == "missing":
        return f"missing required key `{loc[-1]}`" if loc else "missing required key"
    if kind == "too_short":
        return "must not be empty"
    if kind == "string_pattern_mismatch":
        return (
            f"`{_short(given)}` is not a valid id: use letters, digits, `_`, `.` and `-`, "
            "starting with a letter or digit"
        )
    if kind == "literal_error":
        expected = str(err.get("ctx", {}).get("expected", "")).replace("'", "`")
        return f"expected one of {expected}, got `{_short(given)}`"
    if kind in _KIND_WORDS:
        msg = _KIND_WORDS[kind]
    else:
        msg = str(err["msg"])
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        msg = re.sub(r"\s*or instance of \w+", "", msg)
        msg = msg[:1].lower() + msg[1:]
        msg = msg.rstrip(".")
    if kind in _KIND_WORDS or "`" not in msg:
        if given is None:
            msg += ", got nothing" if kind in _KIND_WORDS else ""
        elif isinstance(given, dict):
            msg += ", got a mapping"
        elif isinstance(given, list):
            msg += ", got a list"
        else:
            msg += f", got `{_short(given)}`"
    return msg


def validate_document(
    model: type[M], data: Any, lines: LineMap
) -> tuple[M | None, list[RulesetError]]:
    """Validate ``data`` with a pydantic ``model``, turning its errors into located lines.

    The reading errors kept in ``lines`` come first; schema errors about values that
    already have a reading error are not repeated.
    """
    errors: list[RulesetError] = list(lines.errors)
    if data is None:
        return None, [*errors, RulesetError("the file is empty", file=lines.file)]
    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        seen: set[tuple[Any, ...]] = set()
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if not _is_type_tag(p))
            if loc in seen or lines.is_bad(loc):
                continue
            seen.add(loc)
            errors.append(lines.error(_pydantic_message(err, loc), loc))
        return None, errors
    return parsed, errors


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


@dataclass(frozen=True)
class _Known:
    """The ids a ruleset defines, taken from the raw document so that an id whose
    body has an error is still known (and not reported again as unknown)."""

    agencies: frozenset[str]
    groups: frozenset[str]
    categories: frozenset[str]
    purposes: frozenset[str]
    sources: frozenset[str]

    @classmethod
    def of(cls, spec: RulesetFile, raw: Any) -> _Known:
        def ids(section: str, parsed: Any) -> frozenset[str]:
            value = raw.get(section) if isinstance(raw, dict) else None
            if isinstance(value, dict):
                return frozenset(str(k) for k in value)
            return frozenset(parsed)

        return cls(
            ids("agencies", spec.agencies),
            ids("groups", spec.groups),
            ids("categories", spec.categories),
            ids("purposes", spec.purposes),
            ids("sources", spec.sources),
        )


def _valid_items(model: type[M], raw: Any) -> dict[str, M]:
    """The entries of a mapping section that validate on their own."""
    out: dict[str, M] = {}
    if isinstance(raw, dict):
        for key, value in raw.items():
            with contextlib.suppress(ValidationError):
                out[str(key)] = model.model_validate(value)
    return out


def _valid_list(model: type[M], raw: Any) -> list[tuple[int, M]]:
    """The items of a list section that validate on their own, with their index."""
    out: list[tuple[int, M]] = []
    if isinstance(raw, list):
        for i, value in enumerate(raw):
            with contextlib.suppress(ValidationError):
                out.append((i, model.model_validate(value)))
    return out


def _salvage_header(raw: Any) -> tuple[RulesetFile, list[tuple[int, RuleSpec]]] | None:
    """The parts of a ``ruleset.yaml`` that validate on their own, for reference checks.

    Used when the whole document does not validate: every schema error is then
    already reported, and the references between the parts that did validate are
    still checked, so that one bad value does not hide the other errors.
    """
    if not isinstance(raw, dict):
        return None
    groups: dict[str, list[str]] = {}
    if isinstance(raw.get("groups"), dict):
        for gid, members in raw["groups"].items():
            if isinstance(members, list) and all(isinstance(m, str) for m in members):
                groups[str(gid)] = members
    versions = [v for _, v in _valid_list(VersionSpec, raw.get("versions"))]
    partial = RulesetFile.model_construct(
        ruleset=str(raw.get("ruleset", "")),
        agencies=_valid_items(AgencySpec, raw.get("agencies")),
        groups=groups,
        categories=_valid_items(CategorySpec, raw.get("categories")),
        purposes=_valid_items(PurposeSpec, raw.get("purposes")),
        sources=_valid_items(SourceSpec, raw.get("sources")),
        versions=versions,
        rules=[],
    )
    return partial, _valid_list(RuleSpec, raw.get("rules"))


def _raw_rule_ids(raw: Any) -> set[str]:
    rules = raw.get("rules") if isinstance(raw, dict) else None
    if not isinstance(rules, list):
        return set()
    return {r["id"] for r in rules if isinstance(r, dict) and isinstance(r.get("id"), str)}


def _check_header(spec: RulesetFile, known: _Known, lines: LineMap) -> list[RulesetError]:
    errors: list[RulesetError] = []
    agencies = known.agencies
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
        if category.parent is not None and category.parent not in known.categories:
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
                if cat_id not in known.categories:
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


def _check_rules(known: _Known, origins: list[_Origin], rule_ids: set[str]) -> list[RulesetError]:
    """Check the references of the rules that validated.

    ``rule_ids`` holds the ids of every rule written, valid or not, so that an
    ``exception_to`` naming a rule with some other error is not reported again.
    """
    errors: list[RulesetError] = []
    known_who = known.agencies | known.groups | {"*"}
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
        for key, value, ids, what in (
            ("categories", r.categories, known.categories, "category"),
            ("purposes", r.purposes, known.purposes, "purpose"),
        ):
            names = _names(value)
            if not names:
                errors.append(o.error(f"expected at least one {what}", key))
            for i, name in enumerate(names):
                if name != "*" and name not in ids:
                    errors.append(
                        o.error(
                            f"unknown {what} `{name}`",
                            *((key,) if isinstance(value, str) else (key, i)),
                        )
                    )
        for i, sid in enumerate(r.legal_basis):
            if sid not in known.sources:
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
            elif target not in first and target not in rule_ids:
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
            raise RulesetNotFoundError(
                [RulesetError("no `ruleset.yaml` in the folder", file=display_path(given))]
            )
    elif given.is_file():
        main, root = given, given.parent
    else:
        raise RulesetNotFoundError(
            [RulesetError("no such file or folder", file=display_path(given))]
        )
    errors: list[RulesetError] = []
    origins: list[_Origin] = []
    spec: RulesetFile | None = None
    known: _Known | None = None
    rule_ids: set[str] = set()
    try:
        data, lines = read_yaml(main, display=display_path(main))
    except RulesetError as exc:
        errors.append(exc)
    else:
        spec, errs = validate_document(RulesetFile, data, lines)
        errors += errs
        rule_ids |= _raw_rule_ids(data)
        if spec is not None:
            known = _Known.of(spec, data)
            errors += _check_header(spec, known, lines)
            origins += [_Origin(r, lines, i) for i, r in enumerate(spec.rules)]
        else:
            salvaged = _salvage_header(data)
            if salvaged is not None:
                partial, rules = salvaged
                known = _Known.of(partial, data)
                errors += _check_header(partial, known, lines)
                origins += [_Origin(r, lines, i) for i, r in rules]
    for file in _rule_files(root):
        try:
            data, lines = read_yaml(file, display=display_path(file))
        except RulesetError as exc:
            errors.append(exc)
            continue
        more, errs = validate_document(RulesFile, data, lines)
        errors += errs
        rule_ids |= _raw_rule_ids(data)
        if more is not None:
            origins += [_Origin(r, lines, i) for i, r in enumerate(more.rules)]
        elif isinstance(data, dict):
            origins += [_Origin(r, lines, i) for i, r in _valid_list(RuleSpec, data.get("rules"))]
    if known is not None:
        # without a readable ruleset.yaml nothing is known to refer to: the rules'
        # references are checked once it reads
        errors += _check_rules(known, origins, rule_ids)
    if errors or spec is None:
        raise RulesetLoadError(errors or [RulesetError("the ruleset is empty", file=str(main))])
    return _build(spec, origins, root)
