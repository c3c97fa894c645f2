"""The sharing request: who shares what with whom, for which purpose."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

from misec_rules.errors import RequestError

__all__ = ["INITIATIVES", "SharingRequest", "parse_date"]

INITIATIVES = ("request", "proactive")
_EMPTY: Mapping[str, Any] = MappingProxyType({})
_KEYS = frozenset({"from", "to", "categories", "purpose", "at", "initiative", "context"})


def parse_date(value: Any, *, field_name: str = "at") -> date:
    """Read a date from a ``date``, a ``datetime`` or an ISO 8601 string.

    A time of day, if given, is dropped: rulesets are dated by day.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) > 10 and text[10] in "T ":
                return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise RequestError(
        f"`{field_name}` must be an iso 8601 date such as `2021-03-01`, got `{value}`"
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
        if not isinstance(data, Mapping):
            raise RequestError("a request must be a json object")
        for key in ("from", "to", "purpose"):
            value = data.get(key)
            if value is None:
                raise RequestError(f"request lacks `{key}`")
            if not isinstance(value, str) or not value:
                raise RequestError(f"request `{key}` must be a non-empty string")
        cats = data.get("categories")
        if cats is None:
            raise RequestError("request lacks `categories`")
        if isinstance(cats, str):
            cats = (cats,)
        if (
            not isinstance(cats, list | tuple)
            or not cats
            or not all(isinstance(c, str) and c for c in cats)
        ):
            raise RequestError("request `categories` must be a non-empty list of strings")
        initiative = data.get("initiative", "request")
        if initiative not in INITIATIVES:
            raise RequestError(
                f"request `initiative` must be `request` or `proactive`, got `{initiative}`"
            )
        at = data.get("at")
        context = data.get("context")
        if context is None:
            context = _EMPTY
        elif not isinstance(context, Mapping):
            raise RequestError("request `context` must be a json object")
        if len(data) > 7 or not _KEYS.issuperset(data):
            extra = sorted(str(k) for k in data if k not in _KEYS)
            raise RequestError(f"request has unknown key `{extra[0]}`")
        return cls(
            data["from"],
            data["to"],
            tuple(dict.fromkeys(cats)),
            data["purpose"],
            initiative,
            None if at is None else parse_date(at),
            context,
        )

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
