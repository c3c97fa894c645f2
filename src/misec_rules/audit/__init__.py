"""A tamper-evident, pseudonymous audit log of sharing decisions and duties.

:class:`AuditLog` appends JSON Lines records, each carrying the hash of the one
before it; :func:`verify_log` walks the chain and names the first broken record.
Subject references are replaced by an HMAC-SHA256 pseudonym whose key is kept
outside the log.

References
----------
GDPR (EU) 2016/679 art. 4(5), art. 30 (records of processing), art. 32(1)(a).
"""

from __future__ import annotations

from misec_rules.audit._log import (
    GENESIS,
    KEY_ENV,
    KEY_FILE_ENV,
    AuditLog,
    NotAnAuditLog,
    VerifyResult,
    minimal_context,
    pseudonymise,
    record_hash,
    replay_decision,
    verify_log,
)

__all__ = [
    "GENESIS",
    "KEY_ENV",
    "KEY_FILE_ENV",
    "AuditLog",
    "NotAnAuditLog",
    "VerifyResult",
    "minimal_context",
    "pseudonymise",
    "record_hash",
    "replay_decision",
    "verify_log",
]
