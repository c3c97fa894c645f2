"""The store's tables: raised duties indexed by id in `pending`, and stores of version 1 migrated."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from misec_rules.errors import DutyError
from misec_rules.sharing.duties import DutyMonitor, read_duties

from .conftest import DEFAULT_TABLE, FakeRegistry

# The duties table as version 1 wrote it: every duty id in a unique index.
_V1_DUTIES = """
CREATE TABLE duties (
  seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, status TEXT NOT NULL,
  subject TEXT NOT NULL, finding TEXT NOT NULL, kase TEXT NOT NULL,
  decision INTEGER NOT NULL REFERENCES decisions (id), category TEXT NOT NULL,
  purpose TEXT NOT NULL, due TEXT, because TEXT NOT NULL, raised_at TEXT NOT NULL);
CREATE INDEX duties_subject ON duties (subject);
CREATE INDEX duties_pending ON duties (seq) WHERE status = 'raised';
"""


def _events(ev):
    """Three subjects: one duty withdrawn, one delivered, one left raised."""
    return [
        ev.open("MIGRI", "S1", "c1", day=1),
        ev.find("SUPO", "S1", "f1", "security_assessment", day=2),
        ev.open("MIGRI", "S2", "c2", day=3),
        ev.find("POLICE", "S2", "f2", "criminal_suspicion", day=4),
        ev.open("MIGRI", "S3", "c3", day=5),
        ev.find("SUPO", "S3", "f3", "security_assessment", day=6),
        ev.close("MIGRI", "S1", "c1", day=7),
    ]


def _pending_ids(store: Path) -> list[str]:
    db = sqlite3.connect(store)
    try:
        return [r[0] for r in db.execute("SELECT id FROM pending ORDER BY seq")]
    finally:
        db.close()


def _downgrade_to_v1(store: Path) -> None:
    """Rewrite a current store as version 1 wrote it (same rows, the old tables)."""
    db = sqlite3.connect(store, isolation_level=None)
    try:
        db.execute("BEGIN")
        db.execute("ALTER TABLE duties RENAME TO duties_now")
        db.execute("DROP INDEX duties_subject")
        for statement in _V1_DUTIES.split(";"):
            if statement.strip():
                db.execute(statement)
        db.execute("INSERT INTO duties SELECT * FROM duties_now")
        db.execute("DROP TABLE duties_now")
        db.execute("DROP TABLE pending")
        db.execute("DELETE FROM meta WHERE key = 'schema'")
        db.execute("COMMIT")
    finally:
        db.close()


def test_pending_holds_exactly_the_raised_duties(tmp_path, fake_registry, ev):
    store = tmp_path / "d.sqlite"
    events = _events(ev)
    with DutyMonitor(fake_registry, store=store, commit_every=2) as m:
        m.process_many(events)
        raised = [d.id for d in m.pending()]
        assert len(raised) == 2  # S2 and S3; S1's case closed
        m.mark_delivered(raised[0])
        left = [d.id for d in m.pending()]
    assert left == raised[1:]
    assert _pending_ids(store) == left
    assert [d.id for d in read_duties(store, status="raised")] == left
    assert {d.status for d in read_duties(store)} == {"raised", "delivered", "withdrawn"}


def test_a_version_1_store_is_migrated_with_nothing_lost(tmp_path, ev):
    store = tmp_path / "d.sqlite"
    events = _events(ev)
    with DutyMonitor(FakeRegistry(dict(DEFAULT_TABLE)), store=store) as m:
        m.process_many(events)
        m.mark_delivered(m.pending()[0].id)
        before = [d.to_json() for d in m.duties()]
    _downgrade_to_v1(store)
    # read-only access works on the old tables too
    assert [d.to_json() for d in read_duties(store)] == before
    raised = [d["id"] for d in before if d["status"] == "raised"]
    assert [d.id for d in read_duties(store, status="raised")] == raised

    more = [
        ev.close("MIGRI", "S3", "c3", day=8),  # withdraws the raised duty
        ev.open("MIGRI", "S4", "c4", day=9),
        ev.find("SUPO", "S4", "f4", "security_assessment", day=10),
    ]
    with DutyMonitor(FakeRegistry(dict(DEFAULT_TABLE)), store=store) as m:
        assert [d.to_json() for d in m.duties()] == before
        assert m.process_many(events) == []  # processed before the migration: skipped
        changed = m.process_many(more)
        assert (changed[0].id, changed[0].status) == (raised[0], "withdrawn")
        assert [d.id for d in m.pending()] == [changed[-1].id]
    assert _pending_ids(store) == [changed[-1].id]
    with DutyMonitor(FakeRegistry(dict(DEFAULT_TABLE)), store=store) as m:
        assert len(m.duties()) == len(before) + 1  # reopened: nothing migrated twice


@pytest.mark.parametrize("drop_pending", [False, True])
def test_a_store_of_an_unknown_version_is_refused(tmp_path, fake_registry, drop_pending):
    """A later version's store is refused, whatever tables it has, and left as it was."""
    store = tmp_path / "d.sqlite"
    with DutyMonitor(fake_registry, store=store):
        pass
    db = sqlite3.connect(store, isolation_level=None)
    if drop_pending:
        db.execute("DROP TABLE pending")
    db.execute("UPDATE meta SET value = '9' WHERE key = 'schema'")
    db.close()
    with pytest.raises(DutyError, match=r"d\.sqlite` has tables of version `9`"):
        DutyMonitor(fake_registry, store=store)
    db = sqlite3.connect(store)
    assert db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == ("9",)
    db.close()
