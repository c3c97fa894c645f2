"""The proactive sharing duty monitor: events in, SharingDuty records out.

References
----------
Laki henkilötietojen käsittelystä maahanmuuttohallinnossa 615/2020 1 § (the
purposes P1-P5 that case types map to); the rules that let or make an agency
share proactively are in the ruleset (rulesets/fi), not here.
"""

from __future__ import annotations

import calendar
import contextlib
import functools
import hashlib
import json
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from misec_rules.errors import DutyError
from misec_rules.sharing.duties._durable import (
    MAX_LIVE_SESSIONS,
    PairEngine,
    fact_json,
    json_str,
)
from misec_rules.sharing.duties._events import PURPOSE_OF_CASE, DutyEvent, parse_event

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


def _duty_from_row(
    row: Sequence[Any], decision: Mapping[str, Any], because_ids: tuple[str, ...] | None = None
) -> SharingDuty:
    """A duty from its row in the store and the stored decision it was raised under."""
    duty_id, status, subject, finding, case, _, category, purpose, due, because, raised_at = row
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
    if status is None:
        rows = db.execute(f"SELECT {_DUTY_COLUMNS} FROM duties ORDER BY seq").fetchall()
    else:
        rows = db.execute(
            f"SELECT {_DUTY_COLUMNS} FROM duties WHERE status = ? ORDER BY seq", (status,)
        ).fetchall()
    return _read_rows(db, rows)


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

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS facts (
  subject TEXT NOT NULL, ref TEXT NOT NULL, fact TEXT NOT NULL,
  PRIMARY KEY (subject, ref)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS decisions (
  id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS duties (
  seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, status TEXT NOT NULL,
  subject TEXT NOT NULL, finding TEXT NOT NULL, kase TEXT NOT NULL,
  decision INTEGER NOT NULL REFERENCES decisions (id), category TEXT NOT NULL,
  purpose TEXT NOT NULL, due TEXT, because TEXT NOT NULL, raised_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS duties_subject ON duties (subject);
CREATE INDEX IF NOT EXISTS duties_pending ON duties (seq) WHERE status = 'raised';
"""

_Decided = tuple[bool, str | None, int]  # allows sharing, due_within, decision row id


def _ref(kind: str, agency: str, key: str) -> str:
    return f"{kind}\x1f{agency}\x1f{key}"


def _fingerprint(registry: Any) -> str:
    rid = str(getattr(registry, "id", type(registry).__name__))
    versions = getattr(registry, "versions", ())
    names = [str(getattr(v, "name", v)) for v in versions]
    return f"{rid}|{','.join(names)}"


def _proactive_categories(registry: Any) -> frozenset[str] | None:
    """Finding categories any proactive may_share/must_share rule covers, or None."""
    rules = getattr(registry, "rules", None)
    if rules is None:
        return None
    cats: set[str] = set()
    try:
        for rule in rules:
            if rule.modality in ("may_share", "must_share") and "proactive" in rule.initiatives:
                cats.update(rule.covers)
    except AttributeError:
        return None
    return frozenset(cats)


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
        stopped: events already processed are skipped.
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
    ) -> None:
        if commit_every < 1:
            raise ValueError(f"commit_every must be at least 1, got `{commit_every}`")
        if synchronous.upper() not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ValueError(f"unknown synchronous mode `{synchronous}`")
        self.registry = registry
        self.store = str(store)
        self.commit_every = commit_every
        self.audit = audit
        self._lock = threading.RLock()
        self._uncommitted = 0
        self._closed = False
        self._decisions: dict[tuple[str, str, str, str, date], tuple[_Decided, Any]] = {}
        self._decision_data: dict[int, dict[str, Any]] = {}
        self._decision_ids: dict[str, int] = {}
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
            self._db.execute(f"PRAGMA synchronous={synchronous.upper()}")
            self._db.executescript(_SCHEMA)
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
        cats = _proactive_categories(registry) if prefilter else None
        self._pair_categories = cats
        self._engine = PairEngine(
            fp,
            categories=cats,
            max_sessions=min(max_sessions, MAX_LIVE_SESSIONS),
            load=self._load_facts,
        )
        self._db.execute("BEGIN")

    # -- store helpers -------------------------------------------------------------

    def _load_facts(self, subject: str) -> list[dict[str, Any]]:
        rows = self._db.execute("SELECT fact FROM facts WHERE subject = ?", (subject,)).fetchall()
        return [json.loads(r[0]) for r in rows]

    def _commit(self) -> None:
        self._db.execute("COMMIT")
        self._db.execute("BEGIN")
        self._uncommitted = 0

    def flush(self) -> None:
        """Commit everything processed so far to the store."""
        with self._lock:
            self._commit()

    def close(self) -> None:
        """Commit, delete the live durable_rules sessions and close the store."""
        with self._lock:
            if self._closed:
                return
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
        key = (src, dst, category, purpose, on)
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
                self._decision_data[found] = stored
            dec_id = found
        hit = (allows, stored["due_within"], dec_id)
        if len(self._decisions) >= _CACHE_SIZE:
            self._decisions.clear()
            if len(self._decision_data) >= _CACHE_SIZE:
                self._decision_data.clear()
        # keep the Decision object only when the audit log needs it: it is large
        self._decisions[key] = (hit, decision if self.audit is not None else None)
        return hit, decision

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
            db = self._db
            try:
                if db.execute("INSERT OR IGNORE INTO events VALUES (?)", (ev.id,)).rowcount == 0:
                    self.stats["skipped"] += 1
                    return []
                changed = self._apply(ev)
            except BaseException:
                # back to the last commit, as after a crash: the engine and the
                # caches follow the store; feed the uncommitted events again
                db.execute("ROLLBACK")
                db.execute("BEGIN")
                self._uncommitted = 0
                self._decisions.clear()
                self._decision_data.clear()
                self._decision_ids.clear()
                with contextlib.suppress(Exception):
                    self._engine.close()
                raise
            self.stats["events"] += 1
            self._uncommitted += 1
            if self._uncommitted >= self.commit_every:
                self._commit()
        if self.audit is not None:
            for duty in changed:
                self.audit.record_duty(duty)
        return changed

    def replay(self, events: Iterable[DutyEvent | Mapping[str, Any]]) -> list[SharingDuty]:
        """Process ``events`` in order, commit, and return every duty in its final state."""
        for ev in events:
            self.process(ev)
        self.flush()
        return self.duties()

    def _may_pair(self, fact: Mapping[str, Any], standing: Iterable[Mapping[str, Any]]) -> bool:
        """Whether ``fact`` could complete a pair that is decided, given the standing facts.

        A finding pairs with a case of another agency, and only when its
        category is one some proactive rule covers (the prefilter); a case
        with such a finding of another agency.  When nothing can pair, the
        engine need not see the fact now: it is in the store and is loaded
        into the subject's session when an event that can pair arrives.
        """
        cats = self._pair_categories
        agency = fact["agency"]
        if fact["t"] == "finding":
            if cats is not None and fact["v"] not in cats:
                return False
            return any(f["t"] == "case" and f["agency"] != agency for f in standing)
        return any(
            f["t"] == "finding" and f["agency"] != agency and (cats is None or f["v"] in cats)
            for f in standing
        )

    def _apply(self, ev: DutyEvent) -> list[SharingDuty]:
        kind = ev.type
        if kind == "duty_delivered":
            duty = self._set_status(ev.key, "delivered", ev.id)
            return [duty] if duty is not None else []
        db = self._db
        engine = self._engine
        subject = ev.subject
        is_case = kind in ("case_opened", "case_closed")
        ref = _ref("case" if is_case else "finding", ev.agency, ev.key)
        if kind in ("case_opened", "finding_recorded"):
            fact = {
                "t": "case" if is_case else "finding",
                "agency": ev.agency,
                "v": ev.value,
                "key": ev.key,
                "eid": ev.id,
                "at": _utc(ev.at).isoformat(),
            }
            live = engine.is_live(subject)
            standing: list[dict[str, Any]] | None = None
            if not live:
                # read before the store changes: these are the facts to reload
                standing = self._load_facts(subject)
            text = fact_json(fact)
            if (
                db.execute(
                    "INSERT OR IGNORE INTO facts VALUES (?, ?, ?)", (subject, ref, text)
                ).rowcount
                == 0
            ):
                return []  # already open / standing
            if standing is not None and not self._may_pair(fact, standing):
                # nothing it could pair with: stored only, the engine sees it
                # (with the subject's other facts) once an event can pair
                self.stats["engine_skipped"] += 1
                return []
            pairs = engine.assert_fact(subject, fact, ev.id, loaded=standing, text=text)
            out = []
            for f, k in pairs:
                duty = self._raise(subject, f, k)
                if duty is not None:
                    out.append(duty)
            return out
        # case_closed / finding_withdrawn
        row = db.execute(
            "DELETE FROM facts WHERE subject = ? AND ref = ? RETURNING fact", (subject, ref)
        ).fetchone()
        if row is None:
            return []
        if engine.is_live(subject):
            engine.retract_fact(subject, row[0], ev.id)
        # else: the subject's session holds nothing; the store no longer has the fact
        column = "kase" if is_case else "finding"
        # a read first: most retractions have no duty to withdraw, and the
        # read is several times cheaper than an UPDATE that finds nothing
        if (
            db.execute(
                f"SELECT 1 FROM duties INDEXED BY duties_subject "
                f"WHERE subject = ? AND {column} = ? AND status = 'raised'",
                (subject, ref),
            ).fetchone()
            is None
        ):
            return []
        rows = db.execute(
            f"UPDATE duties INDEXED BY duties_subject SET status = 'withdrawn', "
            f"because = json_insert(because, '$[#]', ?) "
            f"WHERE subject = ? AND {column} = ? AND status = 'raised' "
            f"RETURNING seq, {_DUTY_COLUMNS}",
            (ev.id, subject, ref),
        ).fetchall()
        if not rows:
            return []
        rows.sort()
        self.stats["withdrawn"] += len(rows)
        return [_duty_from_row(r[1:], self._decision(r[6])) for r in rows]

    def _raise(
        self, subject: str, f: Mapping[str, Any], k: Mapping[str, Any]
    ) -> SharingDuty | None:
        f_at = datetime.fromisoformat(f["at"])
        k_at = datetime.fromisoformat(k["at"])
        later = max(f_at, k_at)
        purpose = PURPOSE_OF_CASE[k["v"]]
        hit, decision = self._decide(f["agency"], k["agency"], f["v"], purpose, later.date())
        allows, due_within, dec_id = hit
        if self.audit is not None:
            request = self._request(f["agency"], k["agency"], f["v"], purpose, later.date())
            self.audit.record_decision(request, decision, subject=subject)
        if not allows:
            return None
        first, second = sorted(((f_at, f["eid"]), (k_at, k["eid"])))
        duty_id = "duty-" + hashlib.sha256(f"{f['eid']}\n{k['eid']}".encode()).hexdigest()[:24]
        due = add_duration(later, due_within).isoformat() if due_within else None
        row = (
            duty_id,
            "raised",
            subject,
            _ref("finding", f["agency"], f["key"]),
            _ref("case", k["agency"], k["key"]),
            dec_id,
            f["v"],
            purpose,
            due,
            f"[{json_str(first[1])},{json_str(second[1])}]",
            later.isoformat(),
        )
        cur = self._db.execute(
            f"INSERT OR IGNORE INTO duties ({_DUTY_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)", row
        )
        if cur.rowcount == 0:
            return None  # raised before: never twice
        self.stats["raised"] += 1
        return _duty_from_row(row, self._decision(dec_id), (first[1], second[1]))

    def _decision(self, dec_id: int) -> dict[str, Any]:
        data = self._decision_data.get(dec_id)
        if data is None:
            found = self._db.execute(
                "SELECT data FROM decisions WHERE id = ?", (dec_id,)
            ).fetchone()
            data = self._decision_data[dec_id] = json.loads(found[0])
        return data

    def _set_status(self, duty_id: str, status: str, event_id: str | None) -> SharingDuty | None:
        if event_id is None:
            sql = (
                f"UPDATE duties SET status = ? WHERE id = ? AND status = 'raised' "
                f"RETURNING {_DUTY_COLUMNS}"
            )
            args: tuple[str, ...] = (status, duty_id)
        else:
            sql = (
                f"UPDATE duties SET status = ?, because = json_insert(because, '$[#]', ?) "
                f"WHERE id = ? AND status = 'raised' RETURNING {_DUTY_COLUMNS}"
            )
            args = (status, event_id, duty_id)
        row = self._db.execute(sql, args).fetchone()
        if row is None:
            return None
        self.stats[status] += 1
        return _duty_from_row(row, self._decision(row[5]))

    # -- reading and delivering -------------------------------------------------------

    def duties(self, *, status: str | None = None) -> list[SharingDuty]:
        """Every duty (or those with ``status``), in the order they were raised."""
        with self._lock:
            return _select_duties(self._db, status)

    def pending(self) -> list[SharingDuty]:
        """Duties raised and not yet delivered or withdrawn."""
        return self.duties(status="raised")

    def mark_delivered(self, duty_id: str, *, event_id: str | None = None) -> SharingDuty | None:
        """Record that a duty was delivered (committed at once); None if it was not pending."""
        with self._lock:
            duty = self._set_status(duty_id, "delivered", event_id)
            self._commit()
        if duty is not None and self.audit is not None:
            self.audit.record_duty(duty)
        return duty

    def deliver(self, send: Callable[[SharingDuty], object]) -> int:
        """Send every pending duty with ``send`` and mark each delivered after it returns.

        Delivery is at least once: a crash after ``send`` and before the mark
        sends the duty again on the next call, with the same
        :attr:`SharingDuty.idempotency_key`, so receivers can drop the repeat.
        Returns how many duties were delivered.
        """
        count = 0
        for duty in self.pending():
            send(duty)
            if self.mark_delivered(duty.id) is not None:
                count += 1
        return count

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
