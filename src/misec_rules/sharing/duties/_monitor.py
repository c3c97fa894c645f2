"""The proactive sharing duty monitor: events in, SharingDuty records out.

References
----------
Laki henkilötietojen käsittelystä maahanmuuttohallinnossa 615/2020 1 § (the
purposes P1-P5 that case types map to); the rules that let or make an agency
share proactively are in the ruleset (rulesets/fi), not here.
"""

from __future__ import annotations

import bisect
import calendar
import contextlib
import functools
import hashlib
import itertools
import json
import re
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from misec_rules.errors import DutyError
from misec_rules.sharing._registry import RulesetRegistry
from misec_rules.sharing.duties._durable import (
    MAX_LIVE_SESSIONS,
    PairEngine,
    json_str,
    loads_compact,
)
from misec_rules.sharing.duties._events import (
    PURPOSE_OF_CASE,
    DutyEvent,
    EventError,
    parse_event,
)

if TYPE_CHECKING:
    from misec_rules.audit import AuditLog

__all__ = ["DutyMonitor", "SharingDuty", "add_duration", "read_duties"]

STATUSES = ("raised", "withdrawn", "delivered")
#: Entries kept in each in-memory decision cache (cleared when full: memory stays bounded).
_CACHE_SIZE = 32768


class _DecisionLike(Protocol):
    @property
    def allows_sharing(self) -> bool: ...

    def to_json(self) -> dict[str, Any]: ...


class _RegistryLike(Protocol):
    def decide(self, request: Mapping[str, Any], *, at: Any = None) -> Any: ...


# --- durations ------------------------------------------------------------------

_DURATION = re.compile(
    r"^P(?:(?P<y>\d+)Y)?(?:(?P<mo>\d+)M)?(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?"
    r"(?:T(?:(?P<h>\d+)H)?(?:(?P<mi>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


@functools.lru_cache(maxsize=256)
def _parse_duration(duration: str) -> tuple[int, timedelta]:
    m = _DURATION.match(duration)
    if m is None or duration in ("P", "PT") or duration.endswith("T"):
        raise ValueError(f"not an ISO 8601 duration `{duration}`")
    g = {k: v for k, v in m.groupdict().items() if v is not None}
    months = int(g.get("y", 0)) * 12 + int(g.get("mo", 0))
    rest = timedelta(
        weeks=int(g.get("w", 0)),
        days=int(g.get("d", 0)),
        hours=int(g.get("h", 0)),
        minutes=int(g.get("mi", 0)),
        seconds=float(g.get("s", 0)),
    )
    return months, rest


def add_duration(start: datetime, duration: str) -> datetime:
    """``start`` plus an ISO 8601 duration (years and months by the calendar).

    Raises
    ------
    ValueError
        ``duration`` is not an ISO 8601 duration such as ``P14D`` or ``PT48H``.
    """
    months, rest = _parse_duration(duration)
    out = start
    if months:
        total = out.month - 1 + months
        year, month = out.year + total // 12, total % 12 + 1
        day = min(out.day, calendar.monthrange(year, month)[1])
        out = out.replace(year=year, month=month, day=day)
    return out + rest


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


# --- the duty record --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SharingDuty:
    """A duty to share data proactively, in its current state.

    ``id`` is derived from the ids of the finding and case events behind the
    duty, so it is the same in every run over the same events; it doubles as
    the idempotency key receivers use to drop repeated deliveries.
    ``because`` lists those two event ids (earlier first) and then the event
    that withdrew or delivered the duty, if any.

    References
    ----------
    615/2020 1 § 1 mom (purposes); the legal basis is the ruleset's, per duty.
    """

    id: str
    status: str
    from_: str
    to: str
    categories: tuple[str, ...]
    subject: str
    legal_basis: tuple[dict[str, Any], ...]
    route: dict[str, Any] | None
    due: str | None
    because: tuple[str, ...]
    ruleset: str
    outcome: str
    rules: tuple[str, ...]
    purpose: str
    raised_at: str
    finding: str = field(default="", repr=False)
    case: str = field(default="", repr=False)

    @property
    def idempotency_key(self) -> str:
        """The key a receiver de-duplicates deliveries by (stable across runs)."""
        return self.id

    def to_json(self) -> dict[str, Any]:
        """DESIGN.md's duty line, plus ``ruleset``, ``outcome``, ``rules``, ``purpose``."""
        return {
            "id": self.id,
            "status": self.status,
            "from": self.from_,
            "to": self.to,
            "categories": list(self.categories),
            "subject": self.subject,
            "legal_basis": list(self.legal_basis),
            "route": self.route,
            "due": self.due,
            "because": list(self.because),
            "ruleset": self.ruleset,
            "outcome": self.outcome,
            "rules": list(self.rules),
            "purpose": self.purpose,
            "raised_at": self.raised_at,
            "idempotency_key": self.idempotency_key,
        }


_DUTY_COLUMNS = (
    "id, status, subject, finding, kase, decision, category, purpose, due, because, raised_at"
)
_DUTY_COLUMNS_NO_SUBJECT = (
    "id, status, finding, kase, decision, category, purpose, due, because, raised_at"
)


def _duty_from_row(
    row: Sequence[Any], decision: Mapping[str, Any], because_ids: tuple[str, ...] | None = None
) -> SharingDuty:
    """A duty from its row in the store and the stored decision it was raised under."""
    # (a row may have `seq` after these columns)
    duty_id, status, subject, finding, case, _, category, purpose, due, because = row[:10]
    raised_at = row[10]
    return SharingDuty(
        id=duty_id,
        status=status,
        from_=decision["from"],
        to=decision["to"],
        categories=(category,),
        subject=subject,
        legal_basis=tuple(decision["legal_basis"]),
        route=decision["route"],
        due=due,
        because=because_ids if because_ids is not None else tuple(json.loads(because)),
        ruleset=decision["ruleset"],
        outcome=decision["outcome"],
        rules=tuple(decision["rules"]),
        purpose=purpose,
        raised_at=raised_at,
        finding=finding,
        case=case,
    )


def _select_duties(db: sqlite3.Connection, status: str | None) -> list[SharingDuty]:
    version = _store_version(db)
    # from version 4 withdrawn duties are in their own table, and only there
    split = version is not None and version not in ("1", "2", "3")
    if status is None and split:
        rows = db.execute(
            f"SELECT {_DUTY_COLUMNS}, seq FROM duties UNION ALL "
            f"SELECT {_DUTY_COLUMNS}, seq FROM withdrawn ORDER BY seq"
        ).fetchall()
    elif status is None:
        rows = db.execute(f"SELECT {_DUTY_COLUMNS} FROM duties ORDER BY seq").fetchall()
    elif status == "withdrawn" and split:
        rows = db.execute(f"SELECT {_DUTY_COLUMNS} FROM withdrawn ORDER BY seq").fetchall()
    elif status == "raised" and version in ("3", _SCHEMA_VERSION):
        columns = ", ".join(f"d.{c}" for c in _DUTY_COLUMNS.split(", "))
        rows = db.execute(
            f"SELECT {columns} FROM pending AS p JOIN duties AS d "
            "ON d.subject = p.subject AND d.seq = p.seq ORDER BY p.seq"
        ).fetchall()
    elif status == "raised" and version == "2":
        rows = db.execute(
            f"SELECT {_DUTY_COLUMNS} FROM duties WHERE seq IN (SELECT seq FROM pending) "
            "ORDER BY seq"
        ).fetchall()
    else:  # a whole scan (and a store written before the pending table)
        rows = db.execute(
            f"SELECT {_DUTY_COLUMNS} FROM duties WHERE status = ? ORDER BY seq", (status,)
        ).fetchall()
    return _read_rows(db, rows)


def _has_table(db: sqlite3.Connection, name: str) -> bool:
    found = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
    ).fetchone()
    return found is not None


def _store_version(db: sqlite3.Connection) -> str | None:
    """The version of a store's tables; None for a new (empty) store."""
    if not _has_table(db, "duties"):
        return None
    row = (
        db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if _has_table(db, "meta")
        else None
    )
    return "1" if row is None else str(row[0])


def _read_rows(db: sqlite3.Connection, rows: Iterable[Sequence[Any]]) -> list[SharingDuty]:
    cache: dict[int, dict[str, Any]] = {}
    out = []
    for row in rows:
        dec_id = row[5]
        data = cache.get(dec_id)
        if data is None:
            found = db.execute("SELECT data FROM decisions WHERE id = ?", (dec_id,)).fetchone()
            data = cache[dec_id] = json.loads(found[0])
        out.append(_duty_from_row(row, data))
    return out


# --- the monitor -------------------------------------------------------------------

#: The duties raised or delivered.  Rows are kept in the order of their subject,
#: then of the order raised (``seq``, unique over the store), so that the duties
#: one event raises, and a subject's other rows, share pages.
_DUTIES_TABLE = """(
  subject TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL, status TEXT NOT NULL,
  finding TEXT NOT NULL, kase TEXT NOT NULL,
  decision INTEGER NOT NULL REFERENCES decisions (id), category TEXT NOT NULL,
  purpose TEXT NOT NULL, due TEXT, because TEXT NOT NULL, raised_at TEXT NOT NULL,
  PRIMARY KEY (subject, seq)) WITHOUT ROWID"""
#: Withdrawn duties, in the order raised.  A withdrawn duty never changes again
#: and is never looked up by subject, so it is appended here rather than written
#: among its subject's rows (which, with random subject references, meant a
#: random page and often a page split for nine duties in ten).
_WITHDRAWN_TABLE = """(
  seq INTEGER PRIMARY KEY, subject TEXT NOT NULL, id TEXT NOT NULL, status TEXT NOT NULL,
  finding TEXT NOT NULL, kase TEXT NOT NULL,
  decision INTEGER NOT NULL REFERENCES decisions (id), category TEXT NOT NULL,
  purpose TEXT NOT NULL, due TEXT, because TEXT NOT NULL, raised_at TEXT NOT NULL)"""
#: Raised duties by id (to deliver or withdraw them): the only ones looked up by id.
_PENDING_TABLE = """(
  id TEXT PRIMARY KEY, subject TEXT NOT NULL, seq INTEGER NOT NULL) WITHOUT ROWID"""

#: A ``facts`` row whose ``ref`` starts with this marks an event of the subject as
#: processed (the rest of ``ref`` is the event id; ``fact`` is empty).  Facts'
#: refs start with ``case`` or ``finding``, so they sort before every marker.
_EVENT_MARK = "~"

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS facts (
  subject TEXT NOT NULL, ref TEXT NOT NULL, fact TEXT NOT NULL,
  PRIMARY KEY (subject, ref)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS decisions (
  id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS duties {_DUTIES_TABLE};
CREATE TABLE IF NOT EXISTS pending {_PENDING_TABLE};
CREATE TABLE IF NOT EXISTS withdrawn {_WITHDRAWN_TABLE};
"""
# Subject references, event ids and duty ids are pseudonyms, UUIDs and hashes:
# keys in no useful order.  Every key an event writes under is its subject's: its
# facts, the mark that it was processed (in `facts`, next to them) and the
# duties it raises or delivers (in `duties`, in subject order).  An event
# therefore dirties about two pages; keyed on their own (event ids, duties in
# the order raised with an index by subject, as in version 2) its writes went
# to about three random pages.  Withdrawn duties, nine in ten, are appended to
# `withdrawn` in the order raised.  `events` keeps the ids of deliveries (which
# need not name a subject) and those of events processed by versions 1 and 2.

#: Version of the store's tables.  Version 1 (0.1.0, no ``schema`` key) indexed
#: every duty id; version 2 kept duties in the order raised, with an index by
#: subject, and every processed event id in ``events``; version 3 kept withdrawn
#: duties in ``duties`` too.
_SCHEMA_VERSION = "4"

#: From version 1 or 2: duties in subject order, `pending` rebuilt from them.
#: Event ids stay in `events`, where they are still looked up.
_MIGRATE_TO_3 = f"""
CREATE TABLE duties_v3 {_DUTIES_TABLE};
INSERT INTO duties_v3 (subject, seq, {_DUTY_COLUMNS_NO_SUBJECT})
  SELECT subject, seq, {_DUTY_COLUMNS_NO_SUBJECT} FROM duties;
CREATE TABLE pending_v3 {_PENDING_TABLE};
INSERT INTO pending_v3 SELECT id, subject, seq FROM duties WHERE status = 'raised';
DROP TABLE duties;
DROP TABLE IF EXISTS pending;
ALTER TABLE duties_v3 RENAME TO duties;
ALTER TABLE pending_v3 RENAME TO pending;
INSERT OR REPLACE INTO meta VALUES
  ('next_seq', (SELECT coalesce(max(seq), 0) + 1 FROM duties));
"""

#: From version 3: withdrawn duties moved to their own table.
_MIGRATE_TO_4 = f"""
CREATE TABLE withdrawn {_WITHDRAWN_TABLE};
INSERT INTO withdrawn (subject, seq, {_DUTY_COLUMNS_NO_SUBJECT})
  SELECT subject, seq, {_DUTY_COLUMNS_NO_SUBJECT} FROM duties WHERE status = 'withdrawn';
DELETE FROM duties WHERE status = 'withdrawn';
"""

_Decided = tuple[bool, str | None, int]  # allows sharing, due_within, decision row id
#: What a duty takes from its decision: from, to, legal basis, route, ruleset, outcome, rules.
_Parts = tuple[str, str, tuple[dict[str, Any], ...], Any, str, str, tuple[str, ...]]

#: Staged writes go to SQLite (inside the open transaction) at least this often, so
#: what is held in memory between commits stays bounded whatever ``commit_every`` is
#: (a few MiB); a fact opened and closed, or a duty raised and withdrawn, within
#: one such span is written once or not at all.
_FLUSH_EVERY = 8192
#: Pages the write-ahead log may hold before SQLite copies them into the store
#: (SQLite's default is 1,000).  A page written by many commits in between is
#: copied once: with random subject references and event ids, whose writes land
#: on random pages, this cut the commits' CPU time by a third at 400,000 events
#: (less on larger stores, where fewer pages repeat).  The log file is cut back
#: to this size (40 MiB with 4 KiB pages) after each copy.
_CHECKPOINT_PAGES = 10000
#: Smallest and largest Bloom filter of processed event ids, in bits (1 MiB, 16 MiB).
_SEEN_MIN_BITS = 23
_SEEN_MAX_BITS = 27
#: Events whose ids are looked up in the store with one statement (``process_many``).
_CHUNK = 256

# A duty row in memory: a list, mutated in place when the status changes.
(_ID, _STATUS, _SUBJECT, _FINDING, _KASE, _DEC, _CAT, _PURPOSE, _DUE, _BECAUSE, _RAISED, _SEQ) = (
    range(12)
)


#: Inserts a :func:`_store_row` into the table named by ``format``.
_INSERT_ROW = f"INSERT INTO {{}} ({_DUTY_COLUMNS}, seq) VALUES ({','.join('?' * 12)})"


def _store_row(row: Sequence[Any]) -> tuple[Any, ...]:
    """A duty row in memory as the store's inserts take it: its columns, then ``seq``."""
    return (*row[:_BECAUSE], _because_json(row[_BECAUSE]), row[_RAISED], row[_SEQ])


def _memory_row(row: Sequence[Any]) -> list[Any]:
    """A duty row in memory from ``SELECT {_DUTY_COLUMNS}, seq``."""
    return [*row[:9], tuple(json.loads(row[9])), row[10], row[11]]


def _pair_order(pair: tuple[Mapping[str, Any], Mapping[str, Any]]) -> tuple[str, str]:
    """Pairs raised by one event are ordered by their finding's, then their case's event id."""
    return pair[0]["eid"], pair[1]["eid"]


def _ref(kind: str, agency: str, key: str) -> str:
    return f"{kind}\x1f{agency}\x1f{key}"


def _marks(values: Sequence[object]) -> str:
    """``?`` placeholders for ``values``, comma-separated."""
    return ",".join("?" * len(values))


def _plain_text(text: str) -> bool:
    """Whether JSON quotes ``text`` as it is (what :func:`json_str` checks, for many at once)."""
    return text.isprintable() and '"' not in text and "\\" not in text


def _fact_text(agency: str, at: str, eid: str, key: str, kind: str, value: str) -> str:
    """``fact_json`` of a fact, built without the encoder (the keys are fixed and sorted)."""
    if _plain_text(agency + at + eid + key + value):  # one test instead of five
        return (
            f'{{"agency":"{agency}","at":"{at}","eid":"{eid}",'
            f'"key":"{key}","t":"{kind}","v":"{value}"}}'
        )
    return (
        f'{{"agency":{json_str(agency)},"at":{json_str(at)},"eid":{json_str(eid)},'
        f'"key":{json_str(key)},"t":"{kind}","v":{json_str(value)}}}'
    )


def _because_json(ids: Sequence[str]) -> str:
    if _plain_text("".join(ids)):
        return '["' + '","'.join(ids) + '"]' if ids else "[]"
    return "[" + ",".join(json_str(i) for i in ids) + "]"


def _fingerprint(registry: Any) -> str:
    rid = str(getattr(registry, "id", type(registry).__name__))
    versions = getattr(registry, "versions", ())
    names = [str(getattr(v, "name", v)) for v in versions]
    return f"{rid}|{','.join(names)}"


def _date_bounds(registry: Any) -> tuple[date, ...] | None:
    """The days a :class:`RulesetRegistry`'s decisions may change on, or None for others.

    A registry decides by the version in force and the rules in force on the
    day (conditions look at the request's context, which duty requests do not
    have), so between two consecutive bounds -- a version's or a rule's first
    day, or the day after its last -- every request is decided the same way.
    Other registries may depend on the day in other ways: None, decide per day.
    """
    if not isinstance(registry, RulesetRegistry):
        return None
    days: set[date] = set()
    spans = [(v.in_force_from, v.in_force_to) for v in registry.versions]
    spans += [(r.in_force_from, r.in_force_to) for r in registry.rules]
    for first, last in spans:
        days.add(first)
        if last is not None:
            days.add(last + timedelta(days=1))
    return tuple(sorted(days))


class _SeenIds:
    """A Bloom filter of processed event ids: "not seen" is certain, "maybe" asks the store.

    Two probes from the string's hash, in a bit array of ``2**bits`` bits
    that doubles (rebuilt from the store) once it holds ``2**bits / 32`` ids,
    up to :data:`_SEEN_MAX_BITS` (16 MiB); past that the share of "maybe"
    answers grows slowly and each costs one indexed read, as before the
    filter.  Ids of events rolled back stay in the filter: a "maybe" that the
    store answers "no".
    """

    __slots__ = ("bits", "count", "mask", "size")

    def __init__(self, ids: Iterable[str], count: int, *, min_bits: int = _SEEN_MIN_BITS) -> None:
        size = min_bits
        while size < _SEEN_MAX_BITS and (1 << size) < count * 32:
            size += 1
        self.size = size
        self.mask = (1 << size) - 1
        self.bits = bytearray(1 << (size - 3))
        self.count = 0
        for i in ids:
            self.add(i)

    def add(self, text: str) -> None:
        h = hash(text)
        mask = self.mask
        bits = self.bits
        i = h & mask
        bits[i >> 3] |= 1 << (i & 7)
        i = (h >> 32) & mask
        bits[i >> 3] |= 1 << (i & 7)
        self.count += 1

    def maybe(self, text: str) -> bool:
        h = hash(text)
        mask = self.mask
        bits = self.bits
        i = h & mask
        if not bits[i >> 3] & (1 << (i & 7)):
            return False
        i = (h >> 32) & mask
        return bool(bits[i >> 3] & (1 << (i & 7)))

    @property
    def full(self) -> bool:
        """Whether it should grow (it can, and it holds more ids than it is sized for)."""
        return self.size < _SEEN_MAX_BITS and self.count * 32 > (1 << self.size)


#: A standing fact in memory: JSON text, ``t``, agency, ``v``, whether it can pair.
_Fact = tuple[str, str, str, str, bool]


class _PairFilter:
    """Which findings and which cases can ever be in a pair that is decided.

    A pair (a finding of agency A in category C, a case of agency B for
    purpose P) can only be permitted or required if some proactive
    may_share/must_share rule, in some version of the rulesets, has A among
    its senders, C among its categories, B among its receivers and P among
    its purposes.  So a finding whose (agency, category) no such rule sends,
    and a case whose (agency, purpose) no such rule receives, never pair:
    they are kept in memory and in the store, but the engine never sees them
    and no decision is taken for them.  A necessary condition only: a pair
    that passes is decided as before (it may still be refused).
    """

    __slots__ = ("categories", "receivers", "senders")

    def __init__(self, rules: Iterable[Any]) -> None:
        senders: set[tuple[str, str]] = set()
        receivers: set[tuple[str, str]] = set()
        for rule in rules:
            if rule.modality in ("may_share", "must_share") and "proactive" in rule.initiatives:
                senders.update((a, c) for a in rule.from_agencies for c in rule.covers)
                receivers.update((a, p) for a in rule.to_agencies for p in rule.purpose_set)
        self.senders = frozenset(senders)
        self.receivers = frozenset(receivers)
        #: the categories some such rule sends (tested inside durable_rules too)
        self.categories = frozenset(c for _, c in senders)

    def can_pair(self, kind: str, agency: str, value: str) -> bool:
        """Whether a finding (``value``: its category) or case (its type) can pair."""
        if kind == "finding":
            return (agency, value) in self.senders
        return (agency, PURPOSE_OF_CASE.get(value, "")) in self.receivers


def _pair_filter(registry: Any) -> _PairFilter | None:
    """The registry's :class:`_PairFilter`, or None if it does not expose its rules."""
    rules = getattr(registry, "rules", None)
    if rules is None:
        return None
    try:
        return _PairFilter(rules)
    except AttributeError:
        return None


class _Subject:
    """What the monitor holds in memory about one subject (a cache of the store).

    ``facts``: ref -> (fact JSON text, ``t``, agency, ``v``, whether it can
    be in a pair that is decided: see :class:`_PairFilter`) for each open
    case and standing finding; the engine only ever holds those that can.
    ``duties``: id -> row for every duty of the subject that is raised, or
    delivered while its finding and case both stand (the only ones a new pair
    could collide with), in the order raised.  Rows changed since the last flush are the
    same list objects as in the staging dicts.
    """

    __slots__ = ("duties", "facts")

    def __init__(self) -> None:
        self.facts: dict[str, _Fact] = {}
        self.duties: dict[str, list[Any]] = {}


class DutyMonitor:
    """Raise, withdraw and deliver proactive sharing duties from case events and findings.

    A standing finding by agency X about a subject, while agency Y != X has a
    case open about the same subject (in either order of arrival), is decided
    as the request ``{from: X, to: Y, categories: [category], purpose:
    P(case_type), initiative: proactive, at: the later event's date}``; a duty
    is raised when the outcome is required or permitted.  Closing the case or
    withdrawing the finding withdraws a duty not yet delivered.

    Parameters
    ----------
    registry
        Anything with ``decide(request_mapping, *, at=None)`` returning a
        decision with ``allows_sharing`` and ``to_json()`` (a
        :class:`~misec_rules.sharing.RulesetRegistry`).
    store
        SQLite file for facts, duties and processed event ids (``":memory:"``
        keeps nothing across runs).  Reopening a store resumes where it
        stopped: events already processed are skipped.  One monitor writes a
        store at a time.
    commit_every
        Commit the store after this many events (1: after each).  Events
        after the last commit are lost in a crash and must be fed again;
        replaying the same event file does exactly that.
    max_sessions
        Subjects kept live in durable_rules (at most 1,000); the others'
        facts stay in the store and are reloaded when an event names them.
    audit
        An :class:`~misec_rules.audit.AuditLog` that records every decision
        taken and every duty raised, withdrawn or delivered.
    synchronous
        SQLite ``synchronous`` pragma: ``NORMAL`` survives a killed process,
        ``FULL`` also a power loss.
    cached_subjects
        Subjects whose facts and duties are kept in memory between events
        (least recently used dropped at each flush); the others are read from
        the store when an event names them.
    cache_mib
        SQLite's page cache for the store, in MiB (SQLite's own default is 2).
        With random subject references and a store of hundreds of MiB, 256
        instead of 32 gave 5 % more events per second in one side-by-side
        run, for 240 MiB more memory; a single run did not show it
        (docs/duties.md, Performance).

    References
    ----------
    615/2020 1 § 1 mom (purposes P1 entry and residence, P2 citizenship).
    """

    def __init__(
        self,
        registry: _RegistryLike,
        *,
        store: str | Path = ":memory:",
        commit_every: int = 1,
        max_sessions: int = 512,
        audit: AuditLog | None = None,
        synchronous: str = "NORMAL",
        prefilter: bool = True,
        cached_subjects: int = 2048,
        cache_mib: int = 32,
    ) -> None:
        if commit_every < 1:
            raise ValueError(f"commit_every must be at least 1, got `{commit_every}`")
        if cache_mib < 1:
            raise ValueError(f"cache_mib must be at least 1, got `{cache_mib}`")
        if cached_subjects < 1:
            raise ValueError(f"cached_subjects must be at least 1, got `{cached_subjects}`")
        if synchronous.upper() not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ValueError(f"unknown synchronous mode `{synchronous}`")
        self.registry = registry
        self.store = str(store)
        self.commit_every = commit_every
        self.cached_subjects = cached_subjects
        self.audit = audit
        self._lock = threading.RLock()
        self._uncommitted = 0
        self._closed = False
        self._decisions: dict[tuple[str, str, str, str, date | int], tuple[_Decided, Any]] = {}
        # without an audit log (which records each day's Decision) a decision is
        # cached for every day between two bounds of the ruleset, not per day
        self._bounds = _date_bounds(registry) if audit is None else None
        self._decision_parts: dict[int, _Parts] = {}
        self._decision_ids: dict[str, int] = {}
        # the in-memory side of the store: subjects, and the writes not yet in SQLite
        self._subjects: OrderedDict[str, _Subject] = OrderedDict()
        # (subject, event id) of events processed since the last flush ("" for deliveries)
        self._staged_events: dict[tuple[str, str], None] = {}
        self._staged_facts: dict[tuple[str, str], str | None] = {}
        # staged facts the store does not hold: withdrawn before a flush, never written
        self._fresh_facts: set[tuple[str, str]] = set()
        self._new_duties: dict[str, list[Any]] = {}
        self._changed_duties: dict[str, list[Any]] = {}
        self.stats = {
            "events": 0,
            "skipped": 0,
            "engine_skipped": 0,
            "raised": 0,
            "withdrawn": 0,
            "delivered": 0,
        }
        try:
            self._db = sqlite3.connect(self.store, check_same_thread=False, isolation_level=None)
            if self.store != ":memory:":
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute(f"PRAGMA wal_autocheckpoint={_CHECKPOINT_PAGES}")
                self._db.execute(f"PRAGMA journal_size_limit={_CHECKPOINT_PAGES * 4096}")
            self._db.execute(f"PRAGMA synchronous={synchronous.upper()}")
            self._db.execute(f"PRAGMA cache_size=-{cache_mib * 1024}")
            self._migrate()
            self._db.executescript(_SCHEMA)
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (_SCHEMA_VERSION,))
        except sqlite3.Error as exc:
            raise DutyError(f"cannot open duty store `{self.store}`: {exc}") from exc
        fp = _fingerprint(registry)
        row = self._db.execute("SELECT value FROM meta WHERE key = 'registry'").fetchone()
        if row is None:
            self._db.execute("INSERT INTO meta VALUES ('registry', ?)", (fp,))
        elif row[0] != fp:
            raise DutyError(
                f"duty store `{self.store}` was written under rulesets `{row[0]}`, "
                f"not `{fp}`; use a new store"
            )
        self._seen = self._read_seen()
        self._next_seq = self._read_next_seq()
        self._pair_filter = _pair_filter(registry) if prefilter else None
        self._engine = PairEngine(
            fp,
            categories=self._pair_filter.categories if self._pair_filter else None,
            max_sessions=min(max_sessions, MAX_LIVE_SESSIONS),
            load=self._load_facts,
        )
        self._db.execute("BEGIN")

    # -- the store and its in-memory side ----------------------------------------------

    def _migrate(self) -> None:
        """Bring a store written by an earlier version to the current tables, in one go."""
        db = self._db
        version = _store_version(db)
        if version is None or version == _SCHEMA_VERSION:
            return  # new, or current
        if version not in ("1", "2", "3"):
            raise DutyError(
                f"duty store `{self.store}` has tables of version `{version}`, "
                f"this misec_rules reads version {_SCHEMA_VERSION}"
            )
        db.execute("BEGIN IMMEDIATE")
        try:
            script = _MIGRATE_TO_4 if version == "3" else _MIGRATE_TO_3 + ";" + _MIGRATE_TO_4
            for statement in script.split(";"):
                if statement.strip():
                    db.execute(statement)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _read_next_seq(self) -> int:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'next_seq'").fetchone()
        return int(row[0]) if row is not None else 1

    def _subject(self, subject: str) -> _Subject:
        """The subject's facts and duties, from memory or else from the store."""
        subjects = self._subjects
        state = subjects.get(subject)
        if state is not None:
            subjects.move_to_end(subject)
            return state
        # not in memory: nothing of it is staged either (staging is flushed
        # before anything is dropped), so the store is the whole truth
        state = _Subject()
        facts = state.facts
        kinds = set()
        for ref, text in self._db.execute(
            "SELECT ref, fact FROM facts WHERE subject = ? AND ref < ?", (subject, _EVENT_MARK)
        ):
            fact = loads_compact(text)  # compact JSON we wrote: the scanner alone
            kind, agency, value = fact["t"], fact["agency"], fact["v"]
            facts[ref] = (text, kind, agency, value, self._can_ever_pair(kind, agency, value))
            kinds.add(kind)
        if len(kinds) == 2:
            # a raised duty needs its finding and its case standing: only then
            # can the store hold one (or one a new pair could collide with)
            rows = self._db.execute(
                f"SELECT {_DUTY_COLUMNS}, seq FROM duties WHERE subject = ? ORDER BY seq",
                (subject,),
            ).fetchall()
            for row in rows:
                if row[1] == "raised" or (row[3] in facts and row[4] in facts):
                    state.duties[row[0]] = _memory_row(row)
        subjects[subject] = state
        return state

    def _read_seen(self, min_bits: int | None = None) -> _SeenIds:
        """The filter of processed event ids, built from the store (staging flushed)."""
        min_bits = _SEEN_MIN_BITS if min_bits is None else min_bits
        db = self._db
        count = db.execute(
            "SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM facts WHERE ref > ?)",
            (_EVENT_MARK,),
        ).fetchone()[0]
        ids = itertools.chain(
            (r[0] for r in db.execute("SELECT id FROM events")),
            (
                r[0]
                for r in db.execute(
                    "SELECT substr(ref, 2) FROM facts WHERE ref > ?", (_EVENT_MARK,)
                )
            ),
        )
        return _SeenIds(ids, count, min_bits=min_bits)

    @staticmethod
    def _event_key(ev: DutyEvent) -> tuple[str, str]:
        """Under what an event is recorded as processed: its subject's, or none (deliveries)."""
        return ("" if ev.type == "duty_delivered" else ev.subject, ev.id)

    def _processed(self, key: tuple[str, str]) -> bool:
        """Whether the event with this key was processed (committed, flushed or staged)."""
        if key in self._staged_events:
            return True
        return self._seen.maybe(key[1]) and bool(self._processed_keys([key]))

    def _processed_keys(self, keys: list[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which of these events (keys from :meth:`_event_key`) the store holds as processed.

        A key is processed if its subject's mark is in ``facts`` or its id in
        ``events`` (deliveries, and events processed by versions 1 and 2).
        """
        if not keys:
            return set()
        db = self._db
        ids = [k[1] for k in keys]
        old = {r[0] for r in db.execute(f"SELECT id FROM events WHERE id IN ({_marks(ids)})", ids)}
        done = {k for k in keys if k[1] in old}
        marks = [(k[0], _EVENT_MARK + k[1]) for k in keys if k[0] and k not in done]
        if marks:
            found = db.execute(
                "SELECT subject, substr(ref, 2) FROM facts WHERE (subject, ref) IN "
                f"(SELECT column1, column2 FROM (VALUES {','.join(['(?, ?)'] * len(marks))}))",
                [v for m in marks for v in m],
            )
            done.update(found)
        return done

    def _load_facts(self, subject: str) -> list[str]:
        """The subject's standing facts (their JSON), for the engine to reload."""
        return [f[0] for f in self._subject(subject).facts.values() if f[4]]

    def _touched(self, row: list[Any]) -> None:
        """Stage a changed duty row (new rows are already staged whole)."""
        if row[_ID] not in self._new_duties:
            self._changed_duties[row[_ID]] = row

    def _flush_staged(self) -> None:
        """Write the staged events, facts and duties into the open transaction."""
        db = self._db
        if self._staged_events:
            staged = self._staged_events
            db.executemany(
                "INSERT INTO facts VALUES (?, ?, '')",
                [(s, _EVENT_MARK + e) for s, e in staged if s],
            )
            db.executemany("INSERT INTO events VALUES (?)", [(e,) for s, e in staged if not s])
            staged.clear()
        if self._staged_facts:
            gone = [key for key, text in self._staged_facts.items() if text is None]
            if gone:
                db.executemany("DELETE FROM facts WHERE subject = ? AND ref = ?", gone)
            kept = [(s, r, t) for (s, r), t in self._staged_facts.items() if t is not None]
            if kept:
                db.executemany("INSERT OR REPLACE INTO facts VALUES (?, ?, ?)", kept)
            self._staged_facts.clear()
            self._fresh_facts.clear()
        if self._new_duties:
            new = self._new_duties.values()
            db.executemany(
                _INSERT_ROW.format("duties"),
                [_store_row(r) for r in new if r[_STATUS] != "withdrawn"],
            )
            db.executemany(
                _INSERT_ROW.format("withdrawn"),
                [_store_row(r) for r in new if r[_STATUS] == "withdrawn"],
            )
            db.executemany(
                "INSERT INTO pending VALUES (?, ?, ?)",
                [(r[_ID], r[_SUBJECT], r[_SEQ]) for r in new if r[_STATUS] == "raised"],
            )
            db.execute("INSERT OR REPLACE INTO meta VALUES ('next_seq', ?)", (self._next_seq,))
            self._new_duties.clear()
        if self._changed_duties:
            # each was raised in the store (so in `pending`) and is raised no more
            changed = self._changed_duties.values()
            db.executemany(
                "UPDATE duties SET status = ?, because = ? WHERE subject = ? AND seq = ?",
                [
                    (r[_STATUS], _because_json(r[_BECAUSE]), r[_SUBJECT], r[_SEQ])
                    for r in changed
                    if r[_STATUS] != "withdrawn"
                ],
            )
            # a withdrawn duty moves to `withdrawn`
            moved = [r for r in changed if r[_STATUS] == "withdrawn"]
            db.executemany(
                "DELETE FROM duties WHERE subject = ? AND seq = ?",
                [(r[_SUBJECT], r[_SEQ]) for r in moved],
            )
            db.executemany(
                _INSERT_ROW.format("withdrawn"),
                [_store_row(r) for r in moved],
            )
            db.executemany("DELETE FROM pending WHERE id = ?", [(r[_ID],) for r in changed])
            self._changed_duties.clear()
        # nothing is staged now: subjects may be dropped from memory
        subjects = self._subjects
        while len(subjects) > self.cached_subjects:
            subjects.popitem(last=False)

    def _commit(self) -> None:
        self._flush_staged()
        self._db.execute("COMMIT")
        self._db.execute("BEGIN")
        self._uncommitted = 0

    def _rollback(self) -> None:
        """Back to the last commit, as after a crash: memory and the engine follow the store."""
        self._db.execute("ROLLBACK")
        self._db.execute("BEGIN")
        self._uncommitted = 0
        self._next_seq = self._read_next_seq()
        self._staged_events.clear()
        self._staged_facts.clear()
        self._fresh_facts.clear()
        self._new_duties.clear()
        self._changed_duties.clear()
        self._subjects.clear()
        self._decisions.clear()
        self._decision_parts.clear()
        self._decision_ids.clear()
        with contextlib.suppress(Exception):
            self._engine.close()

    def flush(self) -> None:
        """Commit everything processed so far to the store."""
        with self._lock:
            self._commit()

    def close(self) -> None:
        """Commit, delete the live durable_rules sessions and close the store."""
        with self._lock:
            if self._closed:
                return
            self._flush_staged()
            self._db.execute("COMMIT")
            self._engine.close()
            self._db.close()
            self._closed = True

    def __enter__(self) -> DutyMonitor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- deciding -------------------------------------------------------------------

    @staticmethod
    def _request(src: str, dst: str, category: str, purpose: str, on: date) -> dict[str, Any]:
        return {
            "from": src,
            "to": dst,
            "categories": [category],
            "purpose": purpose,
            "initiative": "proactive",
            "at": on.isoformat(),
        }

    def _decide(
        self, src: str, dst: str, category: str, purpose: str, on: date
    ) -> tuple[_Decided, Any]:
        bounds = self._bounds
        key = (src, dst, category, purpose, on if bounds is None else bisect.bisect(bounds, on))
        cached = self._decisions.get(key)
        if cached is not None:
            return cached
        request = self._request(src, dst, category, purpose, on)
        decision = self.registry.decide(request, at=on)
        data = decision.to_json()
        per = data.get("per_category") or [{}]
        entry = next((c for c in per if c.get("category") == category), per[0])
        stored = {
            "from": src,
            "to": dst,
            "outcome": str(data.get("outcome")),
            "ruleset": str(data.get("ruleset")),
            "legal_basis": list(entry.get("legal_basis") or data.get("legal_basis") or ()),
            "route": data.get("route"),
            "rules": list(data.get("rules") or ()),
            "due_within": entry.get("due_within"),
        }
        dec_id = 0
        allows = bool(decision.allows_sharing)
        if allows:
            # one stored row per distinct content, not per date: the date only
            # picks the version and the rules, and both are in the key
            text_key = "\x1f".join(
                (
                    src,
                    dst,
                    category,
                    purpose,
                    stored["ruleset"],
                    ",".join(stored["rules"]),
                    str(stored["due_within"]),
                )
            )
            found = self._decision_ids.get(text_key)
            if found is None:
                self._db.execute(
                    "INSERT OR IGNORE INTO decisions (key, data) VALUES (?, ?)",
                    (text_key, json.dumps(stored, ensure_ascii=False, separators=(",", ":"))),
                )
                found = self._db.execute(
                    "SELECT id FROM decisions WHERE key = ?", (text_key,)
                ).fetchone()[0]
                if len(self._decision_ids) >= _CACHE_SIZE:
                    self._decision_ids.clear()
                self._decision_ids[text_key] = found
            dec_id = found
        hit = (allows, stored["due_within"], dec_id)
        if len(self._decisions) >= _CACHE_SIZE:
            self._decisions.clear()
        # keep the Decision object only when the audit log needs it: it is large
        self._decisions[key] = (hit, decision if self.audit is not None else None)
        return hit, decision

    def _parts(self, dec_id: int) -> _Parts:
        """What the duties raised under a stored decision take from it."""
        parts = self._decision_parts.get(dec_id)
        if parts is None:
            found = self._db.execute(
                "SELECT data FROM decisions WHERE id = ?", (dec_id,)
            ).fetchone()
            d = json.loads(found[0])
            parts = (
                d["from"],
                d["to"],
                tuple(d["legal_basis"]),
                d["route"],
                d["ruleset"],
                d["outcome"],
                tuple(d["rules"]),
            )
            if len(self._decision_parts) >= _CACHE_SIZE:
                self._decision_parts.clear()
            self._decision_parts[dec_id] = parts
        return parts

    def _duty(self, row: Sequence[Any]) -> SharingDuty:
        """A duty record from an in-memory row (its state now)."""
        src, dst, basis, route, ruleset, outcome, rules = self._parts(row[_DEC])
        return SharingDuty(
            row[_ID],
            row[_STATUS],
            src,
            dst,
            (row[_CAT],),
            row[_SUBJECT],
            basis,
            route,
            row[_DUE],
            row[_BECAUSE],
            ruleset,
            outcome,
            rules,
            row[_PURPOSE],
            row[_RAISED],
            row[_FINDING],
            row[_KASE],
        )

    # -- processing -----------------------------------------------------------------

    def process(self, event: DutyEvent | Mapping[str, Any]) -> list[SharingDuty]:
        """Process one event; return the duties it raised, withdrew or delivered.

        An event whose id was processed before is skipped (returns ``[]``).

        Raises
        ------
        EventError
            ``event`` is a mapping that is not a well-formed event.
        DutyError
            The rule engine or a rule action failed (names the event id).  The
            store is rolled back to its last commit, as after a crash: feed the
            events since then again (with ``commit_every=1``, just this one).
        """
        ev = event if isinstance(event, DutyEvent) else parse_event(event)
        with self._lock:
            key = self._event_key(ev)
            if self._processed(key):
                self.stats["skipped"] += 1
                return []
            changed = self._process_new(ev, key, True)
        if self.audit is not None:
            for duty in changed:
                self.audit.record_duty(duty)
        return changed

    def process_many(
        self, events: Iterable[DutyEvent | Mapping[str, Any]], *, collect: bool = True
    ) -> list[SharingDuty]:
        """Process events in order, exactly as :meth:`process` on each, in fewer statements.

        The ids of up to 256 events at a time are looked up in the store with
        one statement.  Returns what :meth:`process` would have returned for
        each event, concatenated; with ``collect=False`` returns ``[]`` and
        builds no :class:`SharingDuty` (the store, the statistics and the
        audit log are written the same).

        Raises
        ------
        EventError
            An event is not well formed; the events before it are processed.
        DutyError
            As :meth:`process`: the store is rolled back to its last commit;
            feed the same events again (those committed are skipped).
        """
        out: list[SharingDuty] = []
        it = iter(events)
        while True:
            chunk: list[DutyEvent] = []
            error: EventError | None = None
            for raw in it:
                try:
                    chunk.append(raw if isinstance(raw, DutyEvent) else parse_event(raw))
                except EventError as exc:
                    error = exc
                    break
                if len(chunk) >= _CHUNK:
                    break
            if chunk:
                self._process_chunk(chunk, collect, out)
            if error is not None:
                raise error
            if len(chunk) < _CHUNK:
                return out

    def _process_chunk(self, chunk: list[DutyEvent], collect: bool, out: list[SharingDuty]) -> None:
        audit = self.audit
        build = collect or audit is not None
        with self._lock:
            staged, seen, key_of = self._staged_events, self._seen, self._event_key
            keys = {key_of(ev): None for ev in chunk if seen.maybe(ev.id)}
            done = self._processed_keys([k for k in keys if k not in staged])
            for ev in chunk:
                key = key_of(ev)
                if key in done or key in self._staged_events:
                    self.stats["skipped"] += 1
                    continue
                changed = self._process_new(ev, key, build)
                done.add(key)  # a flush may have moved it out of the staged ids
                if changed:
                    if audit is not None:
                        for duty in changed:
                            audit.record_duty(duty)
                    if collect:
                        out.extend(changed)

    def _process_new(self, ev: DutyEvent, key: tuple[str, str], collect: bool) -> list[SharingDuty]:
        """Apply an event not processed before (``key``: its :meth:`_event_key`; the lock held).

        Rolls back to the last commit on failure.
        """
        try:
            rows = self._apply(ev)
            self._staged_events[key] = None
            seen = self._seen
            seen.add(ev.id)
            if seen.full:
                self._flush_staged()
                self._seen = self._read_seen(seen.size + 1)
        except BaseException:
            self._rollback()
            raise
        self.stats["events"] += 1
        self._uncommitted += 1
        if self._uncommitted >= self.commit_every:
            self._commit()
        elif len(self._staged_events) >= _FLUSH_EVERY:
            self._flush_staged()
        if not rows or not collect:
            return []
        return [self._duty(r) for r in rows]

    def replay(self, events: Iterable[DutyEvent | Mapping[str, Any]]) -> list[SharingDuty]:
        """Process ``events`` in order, commit, and return every duty in its final state."""
        self.process_many(events, collect=False)
        self.flush()
        return self.duties()

    def _can_ever_pair(self, kind: str, agency: str, value: str) -> bool:
        """Whether a fact can be in a pair that is decided (:class:`_PairFilter`)."""
        pf = self._pair_filter
        return pf is None or pf.can_pair(kind, agency, value)

    @staticmethod
    def _may_pair(kind: str, agency: str, standing: Iterable[_Fact]) -> bool:
        """Whether a new fact that can pair finds a standing one to pair with.

        A finding pairs with a case of another agency, a case with a finding
        of another agency, each of them one that can pair (see
        :class:`_PairFilter`).  When nothing can pair, the engine need not see
        the fact now: it is in the store and is loaded into the subject's
        session when an event that can pair arrives.
        """
        other = "case" if kind == "finding" else "finding"
        return any(f[4] and f[1] == other and f[2] != agency for f in standing)

    @staticmethod
    def _can_pair(standing: Iterable[_Fact]) -> bool:
        """Whether two of the standing facts could form a pair that is decided."""
        facts = [f for f in standing if f[4]]
        finders = {f[2] for f in facts if f[1] == "finding"}
        if not finders:
            return False
        return any(f[1] == "case" and (len(finders) > 1 or f[2] not in finders) for f in facts)

    def _apply(self, ev: DutyEvent) -> list[list[Any]]:
        """Apply an event to memory and the engine; the duty rows it changed."""
        kind = ev.type
        if kind == "duty_delivered":
            row = self._set_status(ev.key, "delivered", ev.id)
            return [row] if row is not None else []
        subject = ev.subject
        engine = self._engine
        kind_name = "case" if kind in ("case_opened", "case_closed") else "finding"
        ref = f"{kind_name}\x1f{ev.agency}\x1f{ev.key}"
        state = self._subject(subject)
        facts = state.facts
        if kind in ("case_opened", "finding_recorded"):
            if ref in facts:
                return []  # already open / standing
            agency = ev.agency
            value = ev.value or ""
            text = _fact_text(agency, _utc(ev.at).isoformat(), ev.id, ev.key, kind_name, value)
            pairs = None
            live = self._can_ever_pair(kind_name, agency, value)
            if not live:
                # it can never be in a pair that is decided: the engine never sees it
                self.stats["engine_skipped"] += 1
            elif engine.is_live(subject):
                pairs = engine.assert_fact(subject, text, ev.id)
            elif self._may_pair(kind_name, agency, facts.values()):
                standing = [f[0] for f in facts.values() if f[4]]
                pairs = engine.assert_fact(subject, text, ev.id, loaded=standing)
            else:
                # nothing it could pair with: kept only, the engine sees it
                # (with the subject's other facts) once an event can pair
                self.stats["engine_skipped"] += 1
            facts[ref] = (text, kind_name, agency, value, live)
            key = (subject, ref)
            staged = self._staged_facts
            if key not in staged:
                # not standing and no delete staged: the store does not hold it
                self._fresh_facts.add(key)
            staged[key] = text
            if not pairs:
                return []
            if len(pairs) > 1:
                # durable_rules reports the pairs of one fact in an order that depends
                # on whether the session was live or rebuilt: raise them in the order
                # of their events, so a resumed run lists duties as a straight one
                pairs.sort(key=_pair_order)
            out = []
            for f, k in pairs:
                row = self._raise(state, subject, f, k)
                if row is not None:
                    out.append(row)
            return out
        # case_closed / finding_withdrawn
        gone = facts.pop(ref, None)
        if gone is None:
            return []
        key = (subject, ref)
        if key in self._fresh_facts:
            # opened and closed since the last flush: the store never sees it
            self._fresh_facts.discard(key)
            del self._staged_facts[key]
        else:
            self._staged_facts[key] = None
        if gone[4] and engine.is_live(subject):  # (one that cannot pair was never in it)
            if self._can_pair(facts.values()):
                engine.retract_fact(subject, gone[0], ev.id)
            else:
                # nothing left that could pair (typically the subject's last case
                # closed): drop the session now rather than retract and evict it
                # later; it is rebuilt from the store if a pair becomes possible
                engine.forget(subject, ev.id)
        # else: the subject's session holds nothing; the fact is gone from memory
        column = _KASE if kind_name == "case" else _FINDING
        duties = state.duties
        out = [row for row in duties.values() if row[column] == ref]
        if not out:
            return out
        for row in out:
            # its fact no longer stands: no new pair can collide with it, so
            # memory need not keep it once it is no longer raised
            del duties[row[_ID]]
        out = [row for row in out if row[_STATUS] == "raised"]
        for row in out:
            row[_STATUS] = "withdrawn"
            row[_BECAUSE] = (*row[_BECAUSE], ev.id)
            self._touched(row)
        self.stats["withdrawn"] += len(out)
        return out

    def _raise(
        self, state: _Subject, subject: str, f: Mapping[str, Any], k: Mapping[str, Any]
    ) -> list[Any] | None:
        f_at = datetime.fromisoformat(f["at"])
        k_at = datetime.fromisoformat(k["at"])
        # the later time, and its text: a fact's `at` is its time's isoformat()
        later, later_text = (k_at, k["at"]) if k_at > f_at else (f_at, f["at"])
        purpose = PURPOSE_OF_CASE[k["v"]]
        hit, decision = self._decide(f["agency"], k["agency"], f["v"], purpose, later.date())
        allows, due_within, dec_id = hit
        if self.audit is not None:
            request = self._request(f["agency"], k["agency"], f["v"], purpose, later.date())
            self.audit.record_decision(request, decision, subject=subject)
        if not allows:
            return None
        duty_id = "duty-" + hashlib.sha256(f"{f['eid']}\n{k['eid']}".encode()).hexdigest()[:24]
        if duty_id in state.duties:
            return None  # raised before: never twice
        f_eid, k_eid = f["eid"], k["eid"]
        because = (k_eid, f_eid) if (k_at, k_eid) < (f_at, f_eid) else (f_eid, k_eid)
        due = add_duration(later, due_within).isoformat() if due_within else None
        row = [
            duty_id,
            "raised",
            subject,
            f"finding\x1f{f['agency']}\x1f{f['key']}",
            f"case\x1f{k['agency']}\x1f{k['key']}",
            dec_id,
            f["v"],
            purpose,
            due,
            because,
            later_text,
            self._next_seq,
        ]
        self._next_seq += 1
        state.duties[duty_id] = row
        self._new_duties[duty_id] = row
        self.stats["raised"] += 1
        return row

    def _set_status(self, duty_id: str, status: str, event_id: str | None) -> list[Any] | None:
        """Move a raised duty to ``status``; its row, or None if it was not raised."""
        row = self._new_duties.get(duty_id) or self._changed_duties.get(duty_id)
        if row is None:
            found = self._db.execute(
                "SELECT subject, seq FROM pending WHERE id = ?", (duty_id,)
            ).fetchone()
            if found is None:
                return None  # not raised (or no such duty)
            # raised in the store and unchanged since: the subject's row in memory
            state = self._subject(found[0])
            row = state.duties.get(duty_id)
            if row is None:  # pragma: no cover - a raised duty's facts always stand
                full = self._db.execute(
                    f"SELECT {_DUTY_COLUMNS}, seq FROM duties WHERE subject = ? AND seq = ?",
                    found,
                ).fetchone()
                row = _memory_row(full)
                state.duties[duty_id] = row
        if row[_STATUS] != "raised":
            return None
        row[_STATUS] = status
        if event_id is not None:
            row[_BECAUSE] = (*row[_BECAUSE], event_id)
        self._touched(row)
        self.stats[status] += 1
        return row

    # -- reading and delivering -------------------------------------------------------

    def duties(self, *, status: str | None = None) -> list[SharingDuty]:
        """Every duty (or those with ``status``), in the order they were raised."""
        with self._lock:
            self._flush_staged()
            return _select_duties(self._db, status)

    def pending(self) -> list[SharingDuty]:
        """Duties raised and not yet delivered or withdrawn."""
        return self.duties(status="raised")

    def mark_delivered(self, duty_id: str, *, event_id: str | None = None) -> SharingDuty | None:
        """Record that a duty was delivered (committed at once); None if it was not pending."""
        with self._lock:
            duty = self._mark(duty_id, event_id)
            self._commit()
        if duty is not None and self.audit is not None:
            self.audit.record_duty(duty)
        return duty

    def _mark(self, duty_id: str, event_id: str | None) -> SharingDuty | None:
        try:
            row = self._set_status(duty_id, "delivered", event_id)
        except BaseException:
            self._rollback()
            raise
        return self._duty(row) if row is not None else None

    def deliver(self, send: Callable[[SharingDuty], object], *, commit_every: int = 1) -> int:
        """Send every pending duty with ``send`` and mark each delivered after it returns.

        Delivery is at least once: a crash after ``send`` and before the mark
        is committed sends the duty again on the next call, with the same
        :attr:`SharingDuty.idempotency_key`, so receivers can drop the repeat.
        The marks are committed every ``commit_every`` duties (1: after each,
        so at most one duty is sent twice after a crash; more: fewer commits,
        up to that many sent again) and when ``send`` raises.  Returns how
        many duties were delivered.
        """
        if commit_every < 1:
            raise ValueError(f"commit_every must be at least 1, got `{commit_every}`")
        count = 0
        marked: list[SharingDuty] = []
        try:
            for duty in self.pending():
                send(duty)
                with self._lock:
                    done = self._mark(duty.id, None)
                    if done is not None:
                        count += 1
                        marked.append(done)
                    if len(marked) >= commit_every:
                        self._commit()
                        self._audit_marked(marked)
        finally:
            with self._lock:
                self._commit()
            self._audit_marked(marked)
        return count

    def _audit_marked(self, marked: list[SharingDuty]) -> None:
        if self.audit is not None:
            for duty in marked:
                self.audit.record_duty(duty)
        marked.clear()

    @property
    def live_sessions(self) -> int:
        """Subjects live in durable_rules now (bounded by ``max_sessions``)."""
        return self._engine.live_sessions


def read_duties(store: str | Path, *, status: str | None = None) -> list[SharingDuty]:
    """Read the duties in a store without opening a monitor (read-only).

    Raises
    ------
    DutyError
        No such file, or not a duty store.
    """
    path = Path(store)
    if not path.is_file():
        raise DutyError(f"no duty store `{path}`")
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return _select_duties(db, status)
        finally:
            db.close()
    except sqlite3.Error as exc:
        raise DutyError(f"`{path}` is not a duty store: {exc}") from None
