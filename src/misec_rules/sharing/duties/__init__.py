"""Proactive sharing duties raised by case events and findings.

:class:`DutyMonitor` turns events (DESIGN.md, Duties) into :class:`SharingDuty`
records: a standing finding by one agency about a subject, while another agency
has a case open about the same subject, is decided as a proactive sharing
request; required or permitted outcomes raise a duty, which is withdrawn when
the case closes or the finding is withdrawn before delivery.  Facts and duties
live in SQLite so a restarted monitor resumes with nothing lost and nothing
raised twice.  The forward chaining runs on durable_rules, behind one private
adapter (the only module in the project that imports it).

References
----------
Laki henkilötietojen käsittelystä maahanmuuttohallinnossa 615/2020 1 § (purposes).
"""

from __future__ import annotations

from misec_rules.sharing.duties._events import (
    CASE_TYPES,
    EVENT_TYPES,
    PURPOSE_OF_CASE,
    DutyEvent,
    EventError,
    check_event_file,
    iter_event_file,
    parse_event,
)
from misec_rules.sharing.duties._monitor import (
    DutyMonitor,
    SharingDuty,
    add_duration,
    read_duties,
)

__all__ = [
    "CASE_TYPES",
    "EVENT_TYPES",
    "PURPOSE_OF_CASE",
    "DutyEvent",
    "DutyMonitor",
    "EventError",
    "SharingDuty",
    "add_duration",
    "check_event_file",
    "iter_event_file",
    "parse_event",
    "read_duties",
]
