"""An append-only, hash-chained, pseudonymous JSON Lines audit log."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from misec_rules._io import os_reason
from misec_rules.errors import AuditError, AuditIntegrityError

__all__ = [
    "GENESIS",
    "KEY_ENV",
    "KEY_FILE_ENV",
    "AuditLog",
    "NotAnAuditLog",
    "VerifyResult",
    "condition_paths",
    "minimal_context",
    "pseudonymise",
    "record_hash",
    "replay_decision",
    "verify_log",
]

#: ``prev`` of the first record.
GENESIS = "0" * 64
#: Environment variable holding the pseudonymisation key (text).
KEY_ENV = "MISEC_AUDIT_KEY"
#: Environment variable naming a file that holds the key.
KEY_FILE_ENV = "MISEC_AUDIT_KEY_FILE"
_MIN_KEY = 16
_FIELDS = ("seq", "at", "kind", "data", "prev")
_PSEUDONYMISED = frozenset({"subject"})
_REQUEST_KEYS = ("from", "to", "categories", "purpose", "initiative", "at")
_SCALARS = (str, int, float, bool, type(None))


class NotAnAuditLog(AuditError):
    """A file that is not a JSON Lines audit log at all (binary, not UTF-8, not JSON)."""


def _canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def record_hash(record: Mapping[str, Any]) -> str:
    """SHA-256 of a record's canonical JSON without its ``hash`` field."""
    return hashlib.sha256(_canonical({k: record.get(k) for k in _FIELDS})).hexdigest()


def pseudonymise(key: bytes, subject: str) -> str:
    """The keyed pseudonym of a subject reference: ``hmac-sha256:<hex>``.

    The same key gives the same pseudonym, so records about one subject can be
    linked by whoever holds the log; reversing it needs the key.

    References
    ----------
    GDPR (EU) 2016/679 art. 4(5) (pseudonymisation), art. 32(1)(a).
    """
    return "hmac-sha256:" + hmac.new(key, subject.encode(), hashlib.sha256).hexdigest()


def _resolve_key(key: bytes | str | None, key_file: str | Path | None, log: Path) -> bytes:
    source = "argument"
    if key is None and key_file is None:
        env = os.environ.get(KEY_ENV)
        if env:
            key, source = env, f"${KEY_ENV}"
        elif os.environ.get(KEY_FILE_ENV):
            key_file = os.environ[KEY_FILE_ENV]
    if key is None and key_file is not None:
        kf = Path(key_file)
        if kf.resolve().parent == log.resolve().parent:
            raise AuditError(
                f"key file `{kf}` is in the log's folder; keep the key away from the log"
            )
        try:
            key = kf.read_bytes().strip()
        except OSError as exc:
            raise AuditError(f"cannot read key file `{kf}`: {os_reason(exc)}") from None
        source = f"key file `{kf}`"
    if key is None:
        raise AuditError(
            f"no pseudonymisation key: pass key=, or set ${KEY_ENV} or ${KEY_FILE_ENV}"
        )
    raw = key.encode() if isinstance(key, str) else bytes(key)
    if len(raw) < _MIN_KEY:
        raise AuditError(f"pseudonymisation key from {source} is shorter than {_MIN_KEY} bytes")
    return raw


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """The outcome of :func:`verify_log`.

    ``line`` and ``seq`` name the first bad record (1-based line in the file,
    and the sequence number it claims, when readable).
    """

    ok: bool
    records: int
    head: str
    problem: str | None = None
    line: int | None = None
    seq: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The result as one JSON object."""
        return {
            "ok": self.ok,
            "records": self.records,
            "head": self.head,
            "problem": self.problem,
            "line": self.line,
            "seq": self.seq,
        }


def verify_log(path: str | Path, *, head: str | None = None) -> VerifyResult:
    """Check a log's hash chain from the first record to the last.

    Detects a modified record (its hash no longer matches), a deleted,
    inserted or reordered record (sequence numbers or ``prev`` hashes break),
    and a torn last record (no final newline, or not JSON).  Deleting records
    from the end is only detectable against a head hash kept elsewhere: pass
    it as ``head``.

    A torn or tampered record inside a real log is a broken chain (``ok`` false,
    naming the record); a file that is not an audit log at all raises.

    Raises
    ------
    AuditError
        The file cannot be read.
    NotAnAuditLog
        The file is not a JSON Lines audit log: binary, not UTF-8, or its first
        line is not an audit record (a JSON object with ``seq``, ``prev`` and ``hash``).
    """
    try:
        blob = Path(path).read_bytes()
    except OSError as exc:
        raise AuditError(f"cannot read audit log `{path}`: {os_reason(exc)}") from None
    lines = blob.split(b"\n")
    torn_tail = lines[-1] != b""
    if not torn_tail:
        lines = lines[:-1]
    if lines:
        _check_first_line(path, lines[0], torn=torn_tail and len(lines) == 1)
    prev_hash, prev_seq, count = GENESIS, 0, 0
    for number, raw in enumerate(lines, start=1):
        last = number == len(lines)
        if last and torn_tail:
            return VerifyResult(
                False,
                count,
                prev_hash,
                f"line {number}: torn last record (no final newline)",
                number,
            )
        try:
            rec = json.loads(raw)
            if not isinstance(rec, dict):
                raise ValueError("not an object")
            seq = rec["seq"]
            if not isinstance(seq, int):
                raise ValueError("bad seq")
        except (ValueError, KeyError):
            what = "torn last record" if last else "record is not a JSON audit record"
            return VerifyResult(False, count, prev_hash, f"line {number}: {what}", number)
        if rec.get("hash") != record_hash(rec):
            return VerifyResult(
                False,
                count,
                prev_hash,
                f"line {number} (seq {seq}): record was modified",
                number,
                seq,
            )
        if seq != prev_seq + 1:
            if seq > prev_seq + 1:
                why = f"seq {seq} follows seq {prev_seq}: record(s) deleted or moved"
            else:
                why = f"seq {seq} follows seq {prev_seq}: record inserted or moved"
            return VerifyResult(False, count, prev_hash, f"line {number}: {why}", number, seq)
        if rec.get("prev") != prev_hash:
            return VerifyResult(
                False,
                count,
                prev_hash,
                f"line {number} (seq {seq}): does not chain to the record before it "
                "(a record was inserted, deleted or replaced)",
                number,
                seq,
            )
        prev_hash, prev_seq, count = rec["hash"], seq, count + 1
    if head is not None and head != prev_hash:
        return VerifyResult(
            False,
            count,
            prev_hash,
            f"last record (seq {prev_seq}) is not the expected head `{head}`: records missing at the end",
            len(lines) or None,
            prev_seq or None,
        )
    return VerifyResult(True, count, prev_hash)


def _check_first_line(path: str | Path, first: bytes, *, torn: bool) -> None:
    """Raise :class:`NotAnAuditLog` unless line 1 is (the torn start of) an audit record."""
    if b"\0" in first:
        raise NotAnAuditLog(f"`{path}` is not an audit log: line 1 is binary data")
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError:
        raise NotAnAuditLog(f"`{path}` is not an audit log: line 1 is not utf-8 text") from None
    try:
        rec = json.loads(text)
    except ValueError:
        if torn and text.startswith('{"seq":'):
            return  # a first record cut mid-write: the chain check reports it
        raise NotAnAuditLog(f"`{path}` is not an audit log: line 1 is not json") from None
    if not isinstance(rec, dict) or not {"seq", "prev", "hash"} <= rec.keys():
        raise NotAnAuditLog(
            f"`{path}` is not an audit log: line 1 is not an audit record "
            "(no `seq`, `prev` and `hash`)"
        )


def _read_tail(path: Path) -> tuple[int, str]:
    """Sequence number and hash of the last record (checks it is whole)."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return 0, GENESIS
    if size == 0:
        return 0, GENESIS
    with open(path, "rb") as fh:
        chunk = 4096
        data = b""
        pos = size
        while pos > 0:
            step = min(chunk, pos)
            pos -= step
            fh.seek(pos)
            data = fh.read(step) + data
            if data.count(b"\n") >= 2 or pos == 0:
                break
            chunk *= 2
    if not data.endswith(b"\n"):
        raise AuditIntegrityError(
            f"audit log `{path}` ends in a torn record; run `misec audit verify` before appending"
        )
    last = data[:-1].rsplit(b"\n", 1)[-1]
    try:
        rec = json.loads(last)
        seq, digest = int(rec["seq"]), str(rec["hash"])
    except (ValueError, KeyError, TypeError):
        raise AuditIntegrityError(
            f"audit log `{path}`: last record is not readable; run `misec audit verify`"
        ) from None
    if digest != record_hash(rec):
        raise AuditIntegrityError(
            f"audit log `{path}`: last record (seq {seq}) was modified", record=seq
        )
    return seq, digest


def condition_paths(spec: Any) -> set[tuple[str, ...]]:
    """The context paths a rule condition reads: ``context.a.b`` gives ``("a", "b")``.

    Walks the condition language of the sharing rulesets (``context.<field>`` keys,
    ``all``, ``any`` and ``not``); see docs/rulesets.md.
    """
    paths: set[tuple[str, ...]] = set()
    if isinstance(spec, Mapping):
        for key, value in spec.items():
            if key in ("all", "any") and isinstance(value, list):
                for part in value:
                    paths |= condition_paths(part)
            elif key == "not":
                paths |= condition_paths(value)
            elif isinstance(key, str) and key.startswith("context."):
                paths.add(tuple(key.split(".")[1:]))
    return paths


def _decision_paths(decision: Any) -> set[tuple[str, ...]]:
    """Every context path read by a condition of the rules of the decision's version."""
    paths: set[tuple[str, ...]] = set()
    version = getattr(decision, "version", None)
    for rule in getattr(version, "rules", None) or ():
        when = getattr(rule, "when", None)
        if when:
            paths |= condition_paths(when)
    return paths


def _pick(
    context: Mapping[str, Any], path: tuple[str, ...], out: dict[str, Any], *, scalars_only: bool
) -> None:
    """Copy the value at ``path`` of ``context`` into ``out``, creating parents.

    A mapping or list at the end of a path read by a condition is kept as an empty
    one: every condition operator gives the same answer on it (equal to no plain
    value, present for ``exists``, an evaluation error when ordered or in a list).
    """
    node: Any = context
    dst = out
    for i, part in enumerate(path):
        if not isinstance(node, Mapping) or part not in node:
            return
        value = node[part]
        if i < len(path) - 1:
            if not isinstance(value, Mapping):
                return
            nxt = dst.get(part)
            if not isinstance(nxt, dict):
                nxt = dst[part] = {}
            dst, node = nxt, value
        elif isinstance(value, _SCALARS):
            dst[part] = value
        elif scalars_only:
            return
        elif isinstance(value, Mapping):
            dst.setdefault(part, {})
        elif isinstance(value, list | tuple):
            dst.setdefault(part, [])
        else:
            dst[part] = value


def minimal_context(
    context: Mapping[str, Any] | None,
    read: Iterable[tuple[str, ...]],
    allowed: Iterable[tuple[str, ...]] = (),
) -> dict[str, Any]:
    """The part of a request's context needed to decide it again, and nothing else.

    Parameters
    ----------
    context
        The request's context as decided.
    read
        Paths the ruleset's conditions read (kept as given; mappings and lists
        emptied, see :func:`_pick`).
    allowed
        Paths the log's owner allowed in addition (kept only when plain values).
    """
    out: dict[str, Any] = {}
    if not isinstance(context, Mapping):
        return out
    for path in sorted(set(read)):
        _pick(context, path, out, scalars_only=False)
    for path in sorted(set(allowed)):
        _pick(context, path, out, scalars_only=True)
    return out


class AuditLog:
    """Append-only, hash-chained log of sharing decisions and duties.

    One JSON object per line: ``seq`` (1, 2, ...), ``at`` (UTC time written),
    ``kind`` (``decision``, ``duty`` or the caller's), ``data``, ``prev`` (the
    previous record's hash) and ``hash`` (SHA-256 of the canonical JSON of the
    other fields).  Subject references are replaced by a keyed pseudonym
    (HMAC-SHA256); the key comes from ``key``, ``key_file``, ``$MISEC_AUDIT_KEY``
    or ``$MISEC_AUDIT_KEY_FILE`` and is never written to the log.

    Parameters
    ----------
    path
        The log file; created if missing, appended to otherwise.
    key, key_file
        The pseudonymisation key, or a file holding it (not in the log's folder).
    fsync
        Force every record to disk (survives a power loss); otherwise each
        record is flushed to the operating system (survives a killed process).
    context_keys
        Context fields (dotted paths, such as ``open_case`` or ``case.type``)
        to keep in decision records besides those the ruleset's conditions
        read; kept only when plain values (text, number, true/false, null).

    Raises
    ------
    AuditError
        No key, or the file cannot be opened.
    AuditIntegrityError
        The log ends in a torn or modified record (verify and repair it first).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        key: bytes | str | None = None,
        key_file: str | Path | None = None,
        fsync: bool = False,
        context_keys: Iterable[str] = (),
    ) -> None:
        self.path = Path(path)
        self.context_keys = tuple(tuple(k.split(".")) for k in context_keys)
        self._key = _resolve_key(key, key_file, self.path)
        self.fsync = fsync
        self._lock = threading.Lock()
        self._seq, self._head = _read_tail(self.path)
        try:
            self._fh = open(self.path, "ab")  # noqa: SIM115 - kept open for appends
        except OSError as exc:
            raise AuditError(f"cannot open audit log `{self.path}`: {os_reason(exc)}") from None

    @property
    def head(self) -> str:
        """Hash of the last record (keep it elsewhere to detect a cut tail)."""
        return self._head

    @property
    def records(self) -> int:
        """Number of records in the log."""
        return self._seq

    def pseudonym(self, subject: str) -> str:
        """The keyed pseudonym for ``subject`` under this log's key."""
        return pseudonymise(self._key, subject)

    def _scrub(self, obj: Any) -> Any:
        if isinstance(obj, Mapping):
            return {
                str(k): (
                    self.pseudonym(v)
                    if k in _PSEUDONYMISED and isinstance(v, str) and not v.startswith("hmac-")
                    else self._scrub(v)
                )
                for k, v in obj.items()
            }
        if isinstance(obj, list | tuple):
            return [self._scrub(v) for v in obj]
        return obj

    def append(self, kind: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """Append one record (``subject`` values anywhere in ``data`` are pseudonymised)."""
        body = json.loads(json.dumps(self._scrub(data), default=str))
        with self._lock:
            if self._fh.closed:
                raise AuditError(f"audit log `{self.path}` is closed")
            rec: dict[str, Any] = {
                "seq": self._seq + 1,
                "at": datetime.now(UTC).isoformat(timespec="microseconds"),
                "kind": kind,
                "data": body,
                "prev": self._head,
            }
            rec["hash"] = record_hash(rec)
            line = json.dumps(rec, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
            try:
                self._fh.write(line)
                self._fh.flush()
                if self.fsync:
                    os.fsync(self._fh.fileno())
            except OSError as exc:
                raise AuditError(
                    f"cannot write audit log `{self.path}`: {os_reason(exc)}"
                ) from None
            self._seq, self._head = rec["seq"], rec["hash"]
            return rec

    def record_decision(
        self, request: Any, decision: Any, *, subject: str | None = None
    ) -> dict[str, Any]:
        """Log a decision with what is needed to replay it exactly, and no more.

        The record holds the request's ``from``, ``to``, ``categories``,
        ``purpose``, ``initiative`` and ``at``; of its ``context`` only the
        fields that a condition of the decision's ruleset version reads, plus
        the plain-valued ``context_keys`` of this log (any ``subject`` among
        them pseudonymised); the ruleset id and version, the date, the outcome,
        the deciding rules and each category's outcome and rules.  Every other
        context field (names, notes, whatever the caller put there) is dropped.

        Parameters
        ----------
        request
            The request as decided: a mapping in DESIGN.md's shape or a
            ``SharingRequest``.
        decision
            Its ``Decision``.
        subject
            The subject reference, stored pseudonymised.

        References
        ----------
        GDPR (EU) 2016/679 art. 5(1)(c) (data minimisation), art. 4(5).
        """
        to_json = getattr(request, "to_json", None)
        req: Mapping[str, Any] = to_json() if callable(to_json) else request
        kept: dict[str, Any] = {k: req[k] for k in _REQUEST_KEYS if k in req}
        if "categories" in kept and not isinstance(kept["categories"], str):
            kept["categories"] = list(kept["categories"])
        context = minimal_context(req.get("context"), _decision_paths(decision), self.context_keys)
        if context:
            kept["context"] = context
        out = decision.to_json()
        ruleset = str(out.get("ruleset") or "")
        rid, _, version = ruleset.partition("@")
        data: dict[str, Any] = {
            "request": kept,
            "ruleset_id": rid,
            "version": version or None,
            "at": str(getattr(decision, "at", "") or req.get("at") or ""),
            "outcome": out.get("outcome"),
            "rules": out.get("rules", []),
            "per_category": [
                {
                    "category": c.get("category"),
                    "outcome": c.get("outcome"),
                    "rules": c.get("rules", []),
                    "overridden": c.get("overridden", []),
                }
                for c in out.get("per_category", [])
            ],
        }
        if subject is not None:
            data["subject"] = subject
        return self.append("decision", data)

    def record_duty(self, duty: Any) -> dict[str, Any]:
        """Log a duty's current state (its subject pseudonymised)."""
        data = duty.to_json() if hasattr(duty, "to_json") else dict(duty)
        return self.append("duty", data)

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            if not self._fh.closed:
                self._fh.close()

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def replay_decision(record: Mapping[str, Any], registry: Any) -> bool:
    """Decide a logged decision's request again and tell whether it comes out the same.

    Uses the logged version (``registry.decide_in``) and date, so a later
    ruleset version does not change the answer.  Returns True when the
    outcome and the rules match the record.
    """
    data = record.get("data", record)
    request = dict(data["request"])
    at = data.get("at") or request.get("at")
    if data.get("version") and hasattr(registry, "decide_in"):
        decision = registry.decide_in(request, f"{data['ruleset_id']}@{data['version']}", at=at)
    else:
        decision = registry.decide(request, at=at)
    out = decision.to_json()
    return bool(out.get("outcome") == data.get("outcome") and out.get("rules") == data.get("rules"))
