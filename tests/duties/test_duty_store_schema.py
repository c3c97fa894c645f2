"""The store's tables: rows kept by subject, raised duties in `pending`; older stores migrated."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from misec_rules.errors import DutyError
from misec_rules.sharing.duties import DutyMonitor, read_duties

from .conftest import DEFAULT_TABLE, FakeRegistry

_OLD_DUTIES = """
CREATE TABLE duties (
  seq INTEGER PRIMARY KEY, id TEXT NOT NULL {unique}, status TEXT NOT NULL,
  subject TEXT NOT NULL, finding TEXT NOT NULL, kase TEXT NOT NULL,
  decision INTEGER NOT NULL REFERENCES decisions (id), category TEXT NOT NULL,
  purpose TEXT NOT NULL, due TEXT, because TEXT NOT NULL, raised_at TEXT NOT NULL);
CREATE INDEX duties_subject ON duties (subject);
"""
# Version 1 (0.1.0) indexed every duty id, and raised duties by their order.
_V1 = (
    _OLD_DUTIES.format(unique="UNIQUE")
    + """
CREATE INDEX duties_pending ON duties (seq) WHERE status = 'raised';
"""
)
# Version 2 (unreleased) indexed raised duties by id in `pending`.
_V2 = (
    _OLD_DUTIES.format(unique="")
    + """
CREATE TABLE pending (id TEXT PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO pending SELECT id, seq FROM duties WHERE status = 'raised';
"""
)
_COLUMNS = (
    "seq, id, status, subject, finding, kase, decision, category, purpose, due, because, raised_at"
)


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


def _downgrade(store: Path, version: int) -> None:
    """Rewrite a current store as version 1, 2 or 3 wrote it (same rows, the old tables)."""
    db = sqlite3.connect(store, isolation_level=None)
    try:
        db.execute("BEGIN")
        # up to version 3, withdrawn duties were rows of `duties` like the others
        db.execute(f"INSERT INTO duties ({_COLUMNS}) SELECT {_COLUMNS} FROM withdrawn")
        db.execute("DROP TABLE withdrawn")
        if version == 3:
            db.execute("UPDATE meta SET value = '3' WHERE key = 'schema'")
            db.execute("COMMIT")
            return
        statements = [st for st in (_V1 if version == 1 else _V2).split(";") if st.strip()]
        db.execute("ALTER TABLE duties RENAME TO duties_now")
        db.execute("DROP TABLE pending")
        db.execute(statements[0])  # the old duties table
        db.execute(f"INSERT INTO duties ({_COLUMNS}) SELECT {_COLUMNS} FROM duties_now")
        for statement in statements[1:]:
            db.execute(statement)
        db.execute("DROP TABLE duties_now")
        # processed events were all in `events`
        db.execute("INSERT INTO events SELECT substr(ref, 2) FROM facts WHERE ref > '~'")
        db.execute("DELETE FROM facts WHERE ref > '~'")
        db.execute("DELETE FROM meta WHERE key = 'next_seq'")
        if version == 1:
            db.execute("DELETE FROM meta WHERE key = 'schema'")
        else:
            db.execute("UPDATE meta SET value = '2' WHERE key = 'schema'")
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


@pytest.mark.parametrize("version", [1, 2, 3])
def test_an_older_store_is_migrated_with_nothing_lost(tmp_path, ev, version):
    store = tmp_path / "d.sqlite"
    events = _events(ev)
    with DutyMonitor(FakeRegistry(dict(DEFAULT_TABLE)), store=store) as m:
        m.process_many(events)
        m.mark_delivered(m.pending()[0].id)
        before = [d.to_json() for d in m.duties()]
    _downgrade(store, version)
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
        assert m.process(events[0]) == []  # also one at a time
        assert m.stats["skipped"] == len(events) + 1
        changed = m.process_many(more)
        assert (changed[0].id, changed[0].status) == (raised[0], "withdrawn")
        assert [d.id for d in m.pending()] == [changed[-1].id]
    assert _pending_ids(store) == [changed[-1].id]
    with DutyMonitor(FakeRegistry(dict(DEFAULT_TABLE)), store=store) as m:
        assert len(m.duties()) == len(before) + 1  # reopened: nothing migrated twice
        assert m.process_many([*events, *more]) == []  # old and new ids: all skipped


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


def test_events_are_marked_processed_under_their_subject(tmp_path, fake_registry, ev):
    """A case or finding event is marked in its subject's rows; a delivery in `events`.

    An event is known by its subject and id, so an id that another subject's
    event already used is processed (and skipped once it is).
    """
    store = tmp_path / "d.sqlite"
    with DutyMonitor(fake_registry, store=store) as m:
        m.process(ev.find("SUPO", "S1", "f1", "security_assessment"))
        m.process(ev.open("MIGRI", "S1", "c1"))
        delivery = ev.deliver("MIGRI", "S1", m.pending()[0].id)
        assert [d.status for d in m.process(delivery)] == ["delivered"]
        reused = {**ev.open("MIGRI", "S2", "c2"), "id": "e1"}  # S1's finding had id e1
        m.process(reused)
        assert m.process(reused) == []
        assert m.process({**delivery, "subject": "S9"}) == []  # a delivery: by id alone
        assert (m.stats["events"], m.stats["skipped"]) == (4, 2)
    db = sqlite3.connect(store)
    try:
        marks = db.execute("SELECT subject, ref FROM facts WHERE ref > '~' ORDER BY 1, 2")
        assert marks.fetchall() == [("S1", "~e1"), ("S1", "~e2"), ("S2", "~e1")]
        assert db.execute("SELECT id FROM events").fetchall() == [(delivery["id"],)]
    finally:
        db.close()


def _table_ids(store: Path, table: str) -> list[tuple[str, str]]:
    db = sqlite3.connect(store)
    try:
        return db.execute(f"SELECT id, status FROM {table} ORDER BY seq").fetchall()
    finally:
        db.close()


@pytest.mark.parametrize("commit_every", [1, 100])
def test_withdrawn_duties_leave_the_subjects_rows(tmp_path, fake_registry, ev, commit_every):
    """A withdrawn duty is in `withdrawn` only, whether it was stored raised or not.

    With ``commit_every=1`` S1's duty is in the store, raised, when its case
    closes (moved); with 100 it is raised and withdrawn before the first write.
    """
    store = tmp_path / "d.sqlite"
    with DutyMonitor(fake_registry, store=store, commit_every=commit_every) as m:
        m.process_many(_events(ev))
        m.mark_delivered(m.pending()[0].id)
        final = [(d.id, d.status) for d in m.duties()]
    assert [s for _, s in final] == ["withdrawn", "delivered", "raised"]
    assert _table_ids(store, "withdrawn") == final[:1]
    assert _table_ids(store, "duties") == final[1:]
    assert [(d.id, d.status) for d in read_duties(store, status="withdrawn")] == final[:1]
    assert [(d.id, d.status) for d in read_duties(store)] == final
