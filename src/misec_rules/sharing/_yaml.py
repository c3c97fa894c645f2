"""YAML reading that keeps line numbers and rejects duplicate keys.

The document is composed into PyYAML nodes (whose marks carry line numbers) and
turned into plain Python values here, so that every value's path inside the
document (``rules[3].from``) can be mapped back to the line it came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from misec_rules.errors import RulesetError

__all__ = ["LineMap", "format_path", "read_failure", "read_yaml"]

PathKey = tuple[str | int, ...]


def format_path(path: Sequence[str | int]) -> str:
    """Render a path inside a document as ``rules[3].from``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


class LineMap:
    """Line numbers (1-based) of the values in one YAML document, by path."""

    __slots__ = ("bad", "errors", "file", "lines")

    def __init__(self, file: str) -> None:
        self.file = file
        self.lines: dict[PathKey, int] = {}
        #: Errors found while reading values (a bad date, a duplicate key, ...);
        #: reading goes on past them so that later errors are reported too.
        self.errors: list[RulesetError] = []
        #: The paths of the values those errors are about (their values are
        #: left as the raw text, so schema errors there are not reported twice).
        self.bad: set[PathKey] = set()

    def is_bad(self, path: Sequence[str | int]) -> bool:
        """Whether ``path`` or one of its ancestors already has a reading error."""
        key = tuple(path)
        return any(key[:n] in self.bad for n in range(len(key) + 1))

    def record(self, error: RulesetError, path: Sequence[str | int]) -> None:
        """Keep a reading error about the value at ``path``."""
        self.errors.append(error)
        self.bad.add(tuple(path))

    def line(self, path: Sequence[str | int]) -> int | None:
        """The line of ``path``, or of its nearest known ancestor."""
        key = tuple(path)
        while True:
            if key in self.lines:
                return self.lines[key]
            if not key:
                return None
            key = key[:-1]

    def error(self, message: str, path: Sequence[str | int]) -> RulesetError:
        """A :class:`RulesetError` located at ``path`` in this document."""
        return RulesetError(
            message, file=self.file, line=self.line(path), path=format_path(path) or None
        )


def read_failure(exc: BaseException) -> str:
    """Why a file could not be read, in words (never an exception class name)."""
    if isinstance(exc, UnicodeDecodeError):
        return f"not utf-8 text (byte {exc.start + 1})"
    if isinstance(exc, IsADirectoryError):
        return "is a folder"
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, NotADirectoryError):
        return "a part of the path is not a folder"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return "input/output error"


_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml if built


def _scalar(node: yaml.ScalarNode, loader: yaml.SafeLoader, path: PathKey, lines: LineMap) -> Any:
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, OverflowError, yaml.YAMLError) as exc:
        # e.g. a date-like value that is no date (`2020-13-01`): report it, keep
        # the raw text and go on reading
        reason = str(exc).splitlines()[0] if str(exc) else "not a valid value"
        lines.record(
            RulesetError(
                f"invalid value `{node.value}`: {reason}",
                file=lines.file,
                line=node.start_mark.line + 1,
                path=format_path(path) or None,
            ),
            path,
        )
        return node.value


def _convert(
    node: yaml.Node, loader: yaml.SafeLoader, path: PathKey, lines: LineMap, seen: set[int]
) -> Any:
    lines.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.ScalarNode):
        return _scalar(node, loader, path, lines)
    if id(node) in seen:
        lines.record(lines.error("recursive alias in yaml", path), path)
        return None
    if isinstance(node, yaml.SequenceNode):
        seen = seen | {id(node)}
        return [
            _convert(item, loader, (*path, i), lines, seen) for i, item in enumerate(node.value)
        ]
    if isinstance(node, yaml.MappingNode):
        seen = seen | {id(node)}
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                lines.record(lines.error("mapping keys must be plain scalars", path), path)
                continue
            if key_node.tag == "tag:yaml.org,2002:merge":
                lines.record(lines.error("yaml merge keys (`<<`) are not supported", path), path)
                continue
            key = _scalar(key_node, loader, path, lines)
            if not isinstance(key, str | int | bool) and key is not None:
                key = str(key_node.value)
            skey = str(key) if not isinstance(key, str) else key
            if skey in out:
                first = lines.line((*path, skey))
                # the first value is kept; the error rejects the ruleset anyway
                lines.errors.append(
                    RulesetError(
                        f"duplicate key `{skey}` (first defined on line {first})",
                        file=lines.file,
                        line=key_node.start_mark.line + 1,
                        path=format_path((*path, skey)),
                    )
                )
                continue
            lines.lines[(*path, skey)] = key_node.start_mark.line + 1
            out[skey] = _convert(value_node, loader, (*path, skey), lines, seen)
        return out
    lines.record(lines.error("unsupported yaml node", path), path)  # pragma: no cover
    return None  # pragma: no cover


def read_yaml(file: Path, *, display: str | None = None) -> tuple[Any, LineMap]:
    """Read one YAML document, returning its value and its line map.

    Errors in single values (a date that is no date, a duplicate key, a merge
    key) do not stop the reading: they are kept in ``lines.errors`` and the
    caller reports them with the rest.

    Raises
    ------
    RulesetError
        Malformed YAML (with the line and column PyYAML reports) or a file that
        cannot be read: nothing more can be learnt from that file.
    """
    name = display or str(file)
    lines = LineMap(name)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesetError(f"cannot read file: {read_failure(exc)}", file=name) from exc
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, lines
        return _convert(node, loader, (), lines, set()), lines
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = (exc.problem or exc.context or "malformed yaml").strip()
        line = mark.line + 1 if mark is not None else None
        col = f", column {mark.column + 1}" if mark is not None else ""
        raise RulesetError(f"malformed yaml: {problem}{col}", file=name, line=line) from exc
    except yaml.YAMLError as exc:
        raise RulesetError(f"malformed yaml: {str(exc).splitlines()[0]}", file=name) from exc
    finally:
        loader.dispose()
