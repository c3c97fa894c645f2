"""The sharing request: who shares what with whom, for which purpose."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

from misec_rules.errors import RequestError

__all__ = ["INITIATIVES", "SharingRequest", "parse_date", "parse_request"]

INITIATIVES = ("request", "proactive")
_EMPTY: Mapping[str, Any] = MappingProxyType({})
_KEYS = frozenset({"from", "to", "categories", "purpose", "at", "initiative", "context"})


_DATE_CACHE: dict[str, date] = {}


def parse_date(value: Any, *, field_name: str = "at") -> date:
    """Read a date from a ``date``, a ``datetime`` or an ISO 8601 string.

    A time of day, if given, is dropped: rulesets are dated by day.

    Raises
    ------
    RequestError
        The value is not a date; the message names ``field_name``.
    """
    if type(value) is str:
        hit = _DATE_CACHE.get(value)
        if hit is not None:
            return hit
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) > 10 and text[10] in "T ":
                parsed = datetime.fromisoformat(text.replace("Z", "+00:00")).date()
            else:
                parsed = date.fromisoformat(text)
        except ValueError:
            pass
        else:
            if len(_DATE_CACHE) > 4096:
                _DATE_CACHE.clear()
            _DATE_CACHE[value] = parsed
            return parsed
    raise RequestError(
        f"`{field_name}` must be an iso 8601 date such as `2021-03-01`, got `{value}`"
    )


Parsed = tuple[str, str, tuple[str, ...], str, str, date | None, Mapping[str, Any]]


def parse_request(data: Any) -> Parsed:
    """Check a request mapping and return its fields as a tuple (the fast path).

    Raises
    ------
    RequestError
        Not a mapping, a required key missing, a value of the wrong type or an
        unknown key; the message names the key.
    """
    if type(data) is not dict and not isinstance(data, Mapping):
        raise RequestError("a request must be a json object")
    src = data.get("from")
    dst = data.get("to")
    purpose = data.get("purpose")
    cats = data.get("categories")
    if type(src) is not str or type(dst) is not str or type(purpose) is not str:
        for key, value in (("from", src), ("to", dst), ("purpose", purpose)):
            if value is None:
                raise RequestError(f"request lacks `{key}`")
            if not isinstance(value, str):
                raise RequestError(f"request `{key}` must be a non-empty string")
    if not src or not dst or not purpose:
        key = "from" if not src else "to" if not dst else "purpose"
        raise RequestError(f"request `{key}` must be a non-empty string")
    if type(cats) is list and len(cats) == 1 and type(cats[0]) is str and cats[0]:
        categories: tuple[str, ...] = (cats[0],)
    else:
        if cats is None:
            raise RequestError("request lacks `categories`")
        if not isinstance(cats, list | tuple) or not cats:
            raise RequestError("request `categories` must be a non-empty list of strings")
        for c in cats:
            if not isinstance(c, str) or not c:
                raise RequestError("request `categories` must be a non-empty list of strings")
        categories = tuple(dict.fromkeys(cats))
    initiative = data.get("initiative", "request")
    if initiative != "request" and initiative != "proactive":
        raise RequestError(
            f"request `initiative` must be `request` or `proactive`, got `{initiative}`"
        )
    at = data.get("at")
    context = data.get("context")
    if context is None:
        context = _EMPTY
    elif type(context) is not dict and not isinstance(context, Mapping):
        raise RequestError("request `context` must be a json object")
    if not _KEYS.issuperset(data):
        extra = sorted(str(k) for k in data if k not in _KEYS)
        raise RequestError(f"request has unknown key `{extra[0]}`")
    return (
        src,
        dst,
        categories,
        purpose,
        initiative,
        None if at is None else parse_date(at),
        context,
    )


@dataclass(frozen=True, slots=True)
class SharingRequest:
    """A request to share data, in DESIGN.md's shape.

    Attributes
    ----------
    from_
        The agency that holds the data (``from`` in JSON).
    to
        The recipient agency.
    categories
        The data categories asked for (at least one).
    purpose
        What the recipient will use the data for.
    initiative
        ``request`` (the recipient asked) or ``proactive`` (the holder's own initiative).
    at
        The date the sharing happens; ``None`` lets the caller's date decide.
    context
        Facts about the case that rule conditions may test.
    """

    from_: str
    to: str
    categories: tuple[str, ...]
    purpose: str
    initiative: str = "request"
    at: date | None = None
    context: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)

    @classmethod
    def from_json(cls, data: Any) -> SharingRequest:
        """Build a request from a mapping with the keys of DESIGN.md's request JSON.

        Raises
        ------
        RequestError
            Not a mapping, a required key (``from``, ``to``, ``categories``,
            ``purpose``) missing, or a value of the wrong type; the message names the key.
        """
        return cls(*parse_request(data))

    def to_json(self) -> dict[str, Any]:
        """The request as DESIGN.md's JSON object."""
        out: dict[str, Any] = {
            "from": self.from_,
            "to": self.to,
            "categories": list(self.categories),
            "purpose": self.purpose,
            "initiative": self.initiative,
        }
        if self.at is not None:
            out["at"] = self.at.isoformat()
        if self.context:
            out["context"] = dict(self.context)
        return out
