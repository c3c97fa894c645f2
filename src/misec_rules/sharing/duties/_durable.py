"""The one adapter to durable_rules: sessions per subject, with its traps hidden.

durable_rules 2.0.28 is the forward-chaining engine behind the duty monitor.
This module is the only place in the project that imports it.  Each trap
measured on this machine (see docs/duties.md) is handled here:

* **one global host** -- we never use ``durable.lang``'s global host; each
  :class:`PairEngine` owns a private host whose background dispatch timers are
  switched off, so actions run only inside our own calls;
* **ruleset names** -- a durable ruleset name may be registered only once, so
  the name carries the ruleset id and a fingerprint of its versions;
* **unmatched facts raise** ``MessageNotHandledException`` -- a catch-all rule
  (a join that can never complete) accepts every fact;
* **1,024 live session ids** -- past that the engine raises ``MemoryError``;
  at most ``max_sessions`` sessions stay live, the least recently used is
  deleted and its subject's facts are reloaded from the caller's store when
  the subject is next touched;
* **deleting a session in which no action ever ran crashes the process**
  (segmentation fault) -- before deleting such a session we post a marker
  event that fires a no-op action;
* **not thread-safe** -- every call into the engine holds one lock;
* **exceptions in actions are swallowed into the session state** -- our
  handler catches them and they are re-raised as :class:`DutyError` naming the
  event id;
* **a silent hang at 512 or more literals on one attribute** (summed over the
  whole ruleset: two rules of 256 hang too) -- every definition is checked
  before it reaches the engine and refused with an error; the category
  prefilter is left to Python when it would need that many literals;
* **a segfault in beta joins that compare two facts' attributes** once
  sessions have been deleted and rebuilt -- the join has no cross-fact test;
  agencies are compared in Python.
"""

from __future__ import annotations

import hashlib
import json
import json.scanner
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import durable_rules_engine as _dr_c
from durable import engine as _dr_engine

from misec_rules.errors import DutyError, EngineError

__all__ = [
    "LITERAL_LIMIT",
    "MAX_LIVE_SESSIONS",
    "PairEngine",
    "check_literals",
    "json_str",
    "literal_budget",
    "loads_compact",
]

#: durable_rules hangs once one attribute is tested against this many literals.
LITERAL_LIMIT = 512
#: durable_rules refuses (``MemoryError``) the 1,025th live session id; stay well below.
MAX_LIVE_SESSIONS = 1000

_OPEN_MARK = "__misec_open__"
_NEVER_ATTR = "__misec_never__"


class _QuietHost(_dr_engine.Host):  # type: ignore[misc]
    """A durable_rules host without background dispatch threads."""

    def _run(self) -> None:  # the stock host starts two timer threads here
        return None


def _literal_counts(expr: Any, counts: dict[str, int]) -> None:
    """Count, per attribute, the literal comparisons in one fact condition."""
    if isinstance(expr, Mapping):
        for key, value in expr.items():
            if key in ("$and", "$or") and isinstance(value, list):
                for item in value:
                    _literal_counts(item, counts)
            elif key.startswith("$") and isinstance(value, Mapping):
                for attr, operand in value.items():
                    if not isinstance(operand, Mapping | list):
                        counts[attr] = counts.get(attr, 0) + 1
            elif not key.startswith("$") and not isinstance(value, Mapping | list):
                counts[key] = counts.get(key, 0) + 1


def check_literals(rules: Mapping[str, Mapping[str, Any]]) -> None:
    """Refuse a ruleset that tests one attribute against too many literals.

    durable_rules hangs (no error, no return) once the literals one attribute
    is compared with reach :data:`LITERAL_LIMIT` across the whole ruleset:
    two rules of 256 hang as surely as one of 512, so the count is summed
    over every rule and condition.

    Raises
    ------
    EngineError
        Some attribute is compared with 512 or more literals in total.
    """
    counts: dict[str, int] = {}
    for rule in rules.values():
        for op in ("all", "any"):
            for cond in rule.get(op, []):
                for expr in cond.values():
                    _literal_counts(expr, counts)
    for attr, n in sorted(counts.items()):
        if n >= LITERAL_LIMIT:
            raise EngineError(
                f"rules test attribute `{attr}` against {n} literals in all; durable_rules "
                f"hangs at {LITERAL_LIMIT} or more in one ruleset, test it in Python instead"
            )


def literal_budget(rules: Mapping[str, Mapping[str, Any]], attr: str) -> int:
    """How many more literals ``attr`` may be tested against before the hang."""
    counts: dict[str, int] = {}
    for rule in rules.values():
        for op in ("all", "any"):
            for cond in rule.get(op, []):
                for expr in cond.values():
                    _literal_counts(expr, counts)
    return LITERAL_LIMIT - 1 - counts.get(attr, 0)


class _Session:
    __slots__ = ("fired",)

    def __init__(self) -> None:
        self.fired = False


Pair = tuple[dict[str, Any], dict[str, Any]]
#: A fact as the caller keeps it: the mapping, or its :func:`fact_json` text.
FactLike = Mapping[str, Any] | str


class PairEngine:
    """Finds (finding, case) fact pairs about one subject from different agencies.

    Facts are flat JSON objects with keys ``t`` (``finding`` or ``case``),
    ``agency``, ``v`` (a finding's category, a case's type) and anything else
    the caller adds; the subject is the session id.  A pair is reported once,
    when its second fact is asserted; the caller keeps the facts of evicted
    sessions and hands them back through ``load``.

    Parameters
    ----------
    name
        A name unique to the ruleset version(s) the engine serves.
    categories
        Finding categories worth pairing (None: all).  Long lists are split
        into several rules to stay under durable_rules' literal limit.
    max_sessions
        Live sessions kept; at most :data:`MAX_LIVE_SESSIONS`.
    load
        ``load(subject)`` returns the subject's standing facts (mappings, or
        their :func:`fact_json` text) when a subject whose session was
        evicted (or never built) is touched.
    """

    _counter = 0
    _counter_lock = threading.Lock()

    def __init__(
        self,
        name: str,
        *,
        categories: Iterable[str] | None = None,
        max_sessions: int = 512,
        load: Callable[[str], Sequence[FactLike]] | None = None,
    ) -> None:
        if not 1 <= max_sessions <= MAX_LIVE_SESSIONS:
            raise EngineError(
                f"max_sessions `{max_sessions}` out of range: durable_rules allows "
                f"at most 1024 live sessions, use 1..{MAX_LIVE_SESSIONS}"
            )
        with PairEngine._counter_lock:
            PairEngine._counter += 1
            serial = PairEngine._counter
        digest = hashlib.sha256(name.encode()).hexdigest()[:12]
        self.name = f"misec_duties_{digest}_{serial}"
        self.max_sessions = max_sessions
        self._load = load
        self._lock = threading.RLock()
        self._sessions: OrderedDict[str, _Session] = OrderedDict()
        self._pairs: list[Pair] = []
        self._error: BaseException | None = None
        self._suppress = False
        # while a session is rebuilt together with a new fact: report only its pairs
        self._only: dict[str, Any] | None = None
        self._current: _Session | None = None
        self.evictions = 0
        self.loads = 0

        rules: dict[str, dict[str, Any]] = {}
        # no test across the two facts (such as agency != f.agency) inside the
        # engine: its beta-join expressions read freed memory once sessions have
        # been deleted and rebuilt (segfault in reduceExpressionSequence); the
        # agencies are compared in Python instead.
        case_cond: dict[str, Any] = {"t": "case"}
        # catch-all: accepts every fact (so nothing raises MessageNotHandled) but
        # its join can never complete, so it never fires.
        rules["catch_all"] = {
            "all": [{"a": {"$nex": {_NEVER_ATTR: 1}}}, {"b": {_NEVER_ATTR: "never"}}],
            "run": self._on_never,
        }
        # a no-op action, fired before deleting a session in which nothing fired
        rules["open_mark"] = {"all": [{"m": {"t": _OPEN_MARK}}], "run": self._on_mark}
        finding: dict[str, Any] = {"t": "finding"}
        self._categories = frozenset(categories) if categories is not None else None
        self.prefilter_in_engine = False
        if self._categories is not None:
            cats = sorted(self._categories)
            if len(cats) <= literal_budget(rules, "v"):
                # the categories worth pairing, tested inside the engine
                finding = {"$and": [{"t": "finding"}, {"$or": [{"v": c} for c in cats]}]}
                self.prefilter_in_engine = True
            # else: too many literals for durable_rules; _record filters them
        rules["pair"] = {"all": [{"f": finding}, {"k": case_cond}], "run": self._on_pair}
        check_literals(rules)
        self._host = _QuietHost()
        try:
            self._host.register_rulesets({self.name: rules})
        except Exception as exc:  # pragma: no cover - engine-specific failures
            raise EngineError(f"durable_rules refused ruleset `{self.name}`: {exc}") from exc
        self._handle = self._host.get_ruleset(self.name)._handle
        self._actions: dict[str, Callable[[dict[str, Any]], None]] = {
            "pair": self._do_pair,
            "open_mark": self._do_mark,
            "catch_all": self._do_never,
        }

    # -- actions (run inside our own engine calls, under the lock) ----------------

    def _on_pair(self, c: Any) -> None:
        # durable_rules would swallow an exception into the session state: keep it
        try:
            if self._current is not None:
                self._current.fired = True
            self._record(dict(c.f._d), dict(c.k._d))
        except BaseException as exc:
            self._error = exc

    def _record(self, finding: dict[str, Any], case: dict[str, Any]) -> None:
        if self._suppress or finding.get("agency") == case.get("agency"):
            return
        if self._categories is not None and finding.get("v") not in self._categories:
            return
        finding.pop("sid", None)
        case.pop("sid", None)
        only = self._only
        if only is not None and finding != only and case != only:
            return  # a pair among reloaded facts: reported when it was made
        self._pairs.append((finding, case))

    def _on_never(self, c: Any) -> None:  # pragma: no cover - the join never completes
        self._error = EngineError("catch-all rule fired")

    def _on_mark(self, c: Any) -> None:
        if self._current is not None:
            self._current.fired = True

    # direct dispatch: the C engine calls durable's Host makes (assert,
    # start_action_for_state, complete_and_start_action; not update_state, see
    # _drive), without its per-action Closure, Promise, callback and JSON
    # re-encoding of the state

    def _do_pair(self, message: dict[str, Any]) -> None:
        if self._current is not None:
            self._current.fired = True
        self._record(message["f"], message["k"])

    def _do_mark(self, message: dict[str, Any]) -> None:
        if self._current is not None:
            self._current.fired = True

    def _do_never(self, message: dict[str, Any]) -> None:  # pragma: no cover - never fires
        raise EngineError("catch-all rule fired")

    def _drive(self, fn: Callable[[int, str], tuple[int, int]], payload: str) -> None:
        """One engine call, then every action it makes ready, run to completion."""
        handle = self._handle
        code, state_handle = fn(handle, payload)
        if code == 1:
            raise _dr_engine.MessageNotHandledException(payload)
        if code == 2:
            raise _dr_engine.MessageObservedException(payload)
        if code == 3:
            state_handle = 0
        result = _dr_c.start_action_for_state(handle, state_handle)
        if not result:
            return
        message = result[1]
        while message:
            for name, content in loads_compact(message).items():
                try:
                    self._actions[name](content)
                except BaseException as exc:  # durable would swallow it: keep it
                    self._error = exc
                break
            # durable's host hands the session state back here (update_state), which
            # applies it as one more message; our actions never change the state,
            # so that message would change nothing: skipped
            message = _dr_c.complete_and_start_action(handle, state_handle)

    # -- sessions ------------------------------------------------------------------

    def _run(
        self, what: str, fn: Callable[[int, str], tuple[int, int]], payload: str, event_id: str
    ) -> None:
        """``self._drive(fn, payload)``, engine errors and action errors raised as DutyError."""
        self._call(what, self._drive, event_id, fn, payload)

    def _call(self, what: str, fn: Callable[..., Any], event_id: str, *args: Any) -> None:
        """``fn(*args)``, engine errors and action errors raised as DutyError."""
        self._error = None
        try:
            fn(*args)
        except _dr_engine.MessageObservedException:
            pass  # the same fact again: nothing new
        except _dr_engine.MessageNotHandledException as exc:  # pragma: no cover - catch-all
            raise DutyError(f"event `{event_id}`: no rule accepted the {what}") from exc
        except DutyError:
            raise
        except Exception as exc:
            raise DutyError(f"event `{event_id}`: rule engine failed on {what}: {exc}") from exc
        if self._error is not None:
            err, self._error = self._error, None
            raise DutyError(f"event `{event_id}`: action failed: {err}") from err

    def _session(
        self, subject: str, event_id: str, loaded: Sequence[FactLike] | None = None
    ) -> _Session:
        sess = self._sessions.get(subject)
        if sess is not None:
            self._sessions.move_to_end(subject)
            return sess
        sess = self._new_session(subject, event_id)
        facts = self._standing(subject, loaded)
        if facts:
            self.loads += 1
            self._current = sess
            self._suppress = True
            try:
                payload = "[" + ",".join(_with_sid(f, subject) for f in facts) + "]"
                self._run("reloaded facts", _dr_c.assert_facts, payload, event_id)
            finally:
                self._suppress = False
                self._pairs.clear()
        return sess

    def _new_session(self, subject: str, event_id: str) -> _Session:
        """Register an empty session for ``subject`` (evicting the least recently used)."""
        while len(self._sessions) >= self.max_sessions:
            self._evict(event_id)
        sess = _Session()
        self._sessions[subject] = sess
        return sess

    def _standing(self, subject: str, loaded: Sequence[FactLike] | None) -> list[str]:
        """The subject's standing facts as JSON, from ``loaded`` or the ``load`` callback."""
        if loaded is None:
            if self._load is None:
                return []
            loaded = self._load(subject)
        return [f if isinstance(f, str) else fact_json(f) for f in loaded]

    def _evict(self, event_id: str) -> None:
        subject, sess = self._sessions.popitem(last=False)
        self._delete(subject, sess, event_id)
        self.evictions += 1

    def _delete(self, subject: str, sess: _Session, event_id: str) -> None:
        self._current = sess
        if not sess.fired:
            # durable_rules segfaults deleting a session in which no action ran
            marker = json.dumps({"sid": subject, "t": _OPEN_MARK})
            self._run("session marker", _dr_c.assert_event, marker, event_id)
        if sess.fired:
            self._call(
                "session delete", lambda: self._host.delete_state(self.name, subject), event_id
            )

    # -- public ----------------------------------------------------------------------

    def touch(self, subject: str, event_id: str) -> None:
        """Make ``subject`` live (reloading its facts) without adding anything."""
        with self._lock:
            self._session(subject, event_id)

    def is_live(self, subject: str) -> bool:
        """Whether ``subject`` has a live session (its facts are in the engine)."""
        return subject in self._sessions

    def assert_fact(
        self,
        subject: str,
        fact: FactLike,
        event_id: str,
        *,
        loaded: Sequence[FactLike] | None = None,
        text: str | None = None,
    ) -> list[Pair]:
        """Add a fact about ``subject``; return the new pairs it completes.

        ``fact``: the mapping or its :func:`fact_json` text.  ``loaded``: the
        subject's standing facts (without ``fact``), when the caller has just
        read them; used instead of ``load`` if the session has to be rebuilt.
        ``text``: ``fact_json(fact)`` if the caller has it.  A session that
        has to be rebuilt gets its standing facts and the new one in a single
        ``assert_facts`` call; only the pairs with the new fact are reported.
        """
        if text is None:
            text = fact if isinstance(fact, str) else fact_json(fact)
        with self._lock:
            self._pairs = []
            sess = self._sessions.get(subject)
            if sess is not None:
                self._sessions.move_to_end(subject)
            else:
                sess = self._new_session(subject, event_id)
                facts = self._standing(subject, loaded)
                if facts:
                    self.loads += 1
                    self._current = sess
                    if text in facts:  # asserted before: reload only, nothing new
                        self._suppress = True
                        facts_only = "[" + ",".join(_with_sid(f, subject) for f in facts) + "]"
                        try:
                            self._run("reloaded facts", _dr_c.assert_facts, facts_only, event_id)
                        finally:
                            self._suppress = False
                            self._pairs = []
                        return []
                    facts.append(text)
                    batch = "[" + ",".join(_with_sid(f, subject) for f in facts) + "]"
                    self._only = loads_compact(text)
                    try:
                        self._run("fact", _dr_c.assert_facts, batch, event_id)
                    finally:
                        self._only = None
                    pairs, self._pairs = self._pairs, []
                    return pairs
            self._current = sess
            payload = _with_sid(text, subject)
            self._run("fact", _dr_c.assert_fact, payload, event_id)
            pairs, self._pairs = self._pairs, []
            return pairs

    def retract_fact(self, subject: str, fact: Mapping[str, Any] | str, event_id: str) -> None:
        """Remove a fact (exactly as asserted; a mapping or its ``fact_json``) about ``subject``."""
        with self._lock:
            sess = self._session(subject, event_id)
            self._current = sess
            payload = _with_sid(fact if isinstance(fact, str) else fact_json(fact), subject)
            self._run("retraction", _dr_c.retract_fact, payload, event_id)
            self._pairs = []

    def facts(self, subject: str) -> list[dict[str, Any]]:
        """The facts durable_rules holds for a live subject (for tests)."""
        with self._lock:
            if subject not in self._sessions:
                return []
            raw = self._host.get_facts(self.name, subject)
            return [
                {k: v for k, v in f.items() if k != "sid"}
                for f in raw
                if "t" in f and f.get("t") != _OPEN_MARK
            ]

    def forget(self, subject: str, event_id: str = "forget") -> None:
        """Drop a subject's live session (its facts are reloaded on next use)."""
        with self._lock:
            sess = self._sessions.pop(subject, None)
            if sess is not None:
                self._delete(subject, sess, event_id)

    @property
    def live_sessions(self) -> int:
        """How many sessions are live in durable_rules now."""
        return len(self._sessions)

    def close(self) -> None:
        """Delete every live session."""
        with self._lock:
            while self._sessions:
                self._evict("close")


_scan = json.scanner.make_scanner(json.JSONDecoder())  # type: ignore[arg-type]


def loads_compact(text: str) -> Any:
    """``json.loads`` of JSON that starts with its value (the engine's, the store's facts).

    Straight to the C scanner, without the decoder's checks around it: about
    three times faster on a fact.
    """
    return _scan(text, 0)[0]


def fact_json(fact: Mapping[str, Any]) -> str:
    """A fact's canonical JSON (what the store keeps, so retraction matches)."""
    return json.dumps(fact, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _with_sid(text: str, subject: str) -> str:
    """A fact's canonical JSON with the session id added (what the engine is given)."""
    sid = json_str(subject)
    return f'{text[:-1]},"sid":{sid}}}' if text != "{}" else f'{{"sid":{sid}}}'


def json_str(text: str) -> str:
    """``json.dumps(text, ensure_ascii=False)``, without the encoder for plain text.

    With ``ensure_ascii=False`` the encoder escapes only ``"``, ``\\`` and
    control characters; printable text without the two is quoted as it is.
    """
    if text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'
    return json.dumps(text, ensure_ascii=False)
