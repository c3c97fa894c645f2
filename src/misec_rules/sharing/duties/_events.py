"""Duty-monitor events: the JSON Lines format of DESIGN.md, parsed and checked."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeGuard

from misec_rules.errors import MisecError

__all__ = [
    "CASE_TYPES",
    "EVENT_TYPES",
    "PURPOSE_OF_CASE",
    "DutyEvent",
    "EventError",
    "check_event_file",
    "iter_event_file",
    "parse_event",
]

EVENT_TYPES = frozenset(
    {"case_opened", "case_closed", "finding_recorded", "finding_withdrawn", "duty_delivered"}
)
#: P(case_type): the purpose the receiving agency uses the data for (DESIGN.md, Duties).
PURPOSE_OF_CASE: Mapping[str, str] = {
    "residence_permit": "entry_residence",
    "asylum": "entry_residence",
    "removal": "entry_residence",
    "citizenship": "citizenship",
    "visa": "visa",
}
CASE_TYPES = frozenset(PURPOSE_OF_CASE)


class EventError(MisecError, ValueError):
    """An event that is not well formed; names the line (when known) and the field."""

    def __init__(self, message: str, *, line: int | None = None, field: str | None = None) -> None:
        self.reason = message
        self.line = line
        self.field = field
        where = f"line {line}: " if line is not None else ""
        at = f"field `{field}`: " if field is not None else ""
        super().__init__(f"{where}{at}{message}")


@dataclass(frozen=True, slots=True)
class DutyEvent:
    """One event for the duty monitor (DESIGN.md, Duties).

    ``key`` is the case id for case events, the finding id for findings and
    the duty id for deliveries; ``value`` is the case type or the category.
    """

    id: str
    at: datetime
    type: str
    agency: str
    subject: str
    key: str
    value: str | None

    @property
    def is_case(self) -> bool:
        """Whether this is a case event."""
        return self.type in ("case_opened", "case_closed")

    def to_json(self) -> dict[str, Any]:
        """The event in DESIGN.md's JSON shape."""
        out: dict[str, Any] = {
            "id": self.id,
            "at": self.at.isoformat(),
            "type": self.type,
            "agency": self.agency,
            "subject": self.subject,
        }
        if self.type in ("case_opened", "case_closed"):
            out["case_id"] = self.key
            if self.value is not None:
                out["case_type"] = self.value
        elif self.type in ("finding_recorded", "finding_withdrawn"):
            out["finding_id"] = self.key
            if self.value is not None:
                out["category"] = self.value
        else:
            out["duty_id"] = self.key
        return out


def _text(data: Mapping[str, Any], name: str, line: int | None, *, required: bool = True) -> str:
    value = data.get(name)
    if type(value) is str and value and not value.isspace():
        return value  # the common case, without building a stripped copy
    if value is None:
        if required:
            raise EventError("missing", line=line, field=name)
        return ""
    if not isinstance(value, str) or not value.strip():
        raise EventError(f"must be a non-empty string, got `{value!r}`", line=line, field=name)
    return value


def _time(value: str, line: int | None) -> datetime:
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise EventError(f"not an ISO 8601 time `{value}`", line=line, field="at") from None


#: Per event type: the field holding ``key``, the one holding ``value``, whether it is required.
_SHAPES: dict[str, tuple[str, str | None, bool]] = {
    "case_opened": ("case_id", "case_type", True),
    "case_closed": ("case_id", "case_type", False),
    "finding_recorded": ("finding_id", "category", True),
    "finding_withdrawn": ("finding_id", "category", False),
    "duty_delivered": ("duty_id", None, False),
}


def _plain(value: Any) -> TypeGuard[str]:
    return type(value) is str and value != "" and not value.isspace()


def _parse_plain(data: dict[str, Any]) -> DutyEvent | None:
    """A well-formed event as a dict parsed without per-field checks; None to check it fully."""
    kind = data.get("type")
    if type(kind) is not str:
        return None
    shape = _SHAPES.get(kind)
    if shape is None:
        return None
    key_field, value_field, required = shape
    eid = data.get("id")
    at = data.get("at")
    agency = data.get("agency")
    subject = data.get("subject")
    key = data.get(key_field)
    # all plain strings (checked inline: this runs for every event)
    if not (type(eid) is type(at) is type(agency) is type(subject) is type(key) is str):
        return None
    if not (eid and at and agency and subject and key) or (
        eid.isspace() or at.isspace() or agency.isspace() or subject.isspace() or key.isspace()
    ):
        return None
    value = data.get(value_field) if value_field is not None else None
    if value is None:
        if required:
            return None
    elif not _plain(value) or (value_field == "case_type" and value not in CASE_TYPES):
        return None
    try:
        when = datetime.fromisoformat(at[:-1] + "+00:00" if at.endswith(("Z", "z")) else at)
    except ValueError:
        return None
    return DutyEvent(eid, when, kind, agency, subject, key, value)


def parse_event(data: Any, *, line: int | None = None) -> DutyEvent:
    """Check one event object and return it as a :class:`DutyEvent`.

    Raises
    ------
    EventError
        A field is missing or malformed (the message names line and field).
    """
    if type(data) is dict:
        event = _parse_plain(data)
        if event is not None:
            return event
    return _parse_checked(data, line)


def _parse_checked(data: Any, line: int | None) -> DutyEvent:
    """:func:`parse_event` field by field, naming the first field that is wrong."""
    if not isinstance(data, Mapping):
        raise EventError("an event must be a JSON object", line=line)
    eid = _text(data, "id", line)
    kind = _text(data, "type", line)
    if kind not in EVENT_TYPES:
        raise EventError(
            f"unknown event type `{kind}`, expected one of {', '.join(sorted(EVENT_TYPES))}",
            line=line,
            field="type",
        )
    at = _time(_text(data, "at", line), line)
    agency = _text(data, "agency", line)
    value: str | None = None
    if kind in ("case_opened", "case_closed"):
        subject = _text(data, "subject", line)
        key = _text(data, "case_id", line)
        if kind == "case_opened" or data.get("case_type") is not None:
            value = _text(data, "case_type", line)
            if value not in CASE_TYPES:
                raise EventError(
                    f"unknown case type `{value}`, expected one of {', '.join(sorted(CASE_TYPES))}",
                    line=line,
                    field="case_type",
                )
    elif kind in ("finding_recorded", "finding_withdrawn"):
        subject = _text(data, "subject", line)
        key = _text(data, "finding_id", line)
        if kind == "finding_recorded" or data.get("category") is not None:
            value = _text(data, "category", line)
    else:
        subject = _text(data, "subject", line, required=False)
        key = _text(data, "duty_id", line)
    return DutyEvent(eid, at, kind, agency, subject, key, value)


def iter_event_file(path: str | Path) -> Iterator[DutyEvent]:
    """Parse an events JSON Lines file, line by line (blank lines are skipped).

    Raises
    ------
    EventError
        On the first line that is not JSON or not a well-formed event.
    OSError
        The file cannot be read.
    """
    with open(path, encoding="utf-8") as fh:
        for number, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                data = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise EventError(
                    f"not JSON ({exc.msg} at column {exc.colno})", line=number
                ) from None
            yield parse_event(data, line=number)


def check_event_file(path: str | Path, *, limit: int = 100) -> list[EventError]:
    """Every malformed line of an events file (up to ``limit``), without stopping at the first.

    Raises
    ------
    OSError
        The file cannot be read.
    """
    errors: list[EventError] = []
    with open(path, encoding="utf-8") as fh:
        for number, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                try:
                    data = json.loads(raw)
                except json.JSONDecodeError as exc:
                    raise EventError(
                        f"not JSON ({exc.msg} at column {exc.colno})", line=number
                    ) from None
                parse_event(data, line=number)
            except EventError as exc:
                errors.append(exc)
                if len(errors) >= limit:
                    break
    return errors
