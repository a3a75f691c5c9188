"""The state store in one SQLite file (WAL): the default, for one analyzer process.

One file and one connection on purpose: a cycle of a loop writes its cursor, the changed detector state and the
findings it raised or resolved in **one transaction**, so a crash leaves either the whole cycle or none of it,
never a cursor ahead of the state that went with it. Values are plain JSON of our own types, never pickle.
Leases and heartbeats live here too (single node: the one replica always wins them), so the scheduler runs the
same way on both backends.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from inframind.analyzer.state.records import StateError
from inframind.analyzer.state.sql import SQLITE, SQLState

STATE_FILE = "analysis.db"
SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS findings (
    fingerprint TEXT PRIMARY KEY, tenant TEXT NOT NULL, kind TEXT NOT NULL, asset_id TEXT NOT NULL,
    assets TEXT NOT NULL, severity TEXT NOT NULL, state TEXT NOT NULL, first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL, resolved_at TEXT, count INTEGER NOT NULL, body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS findings_tenant_state ON findings (tenant, state, kind);
CREATE TABLE IF NOT EXISTS incidents (
    id TEXT PRIMARY KEY, tenant TEXT NOT NULL, state TEXT NOT NULL, detected_at TEXT NOT NULL, body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS incidents_tenant_state ON incidents (tenant, state, detected_at);
CREATE TABLE IF NOT EXISTS incident_findings (fingerprint TEXT PRIMARY KEY, incident_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS incident_findings_incident ON incident_findings (incident_id);
CREATE TABLE IF NOT EXISTS feedback (
    id TEXT PRIMARY KEY, action TEXT NOT NULL, actor TEXT NOT NULL, tenant TEXT NOT NULL, at TEXT NOT NULL,
    fingerprint TEXT, incident_id TEXT, note TEXT NOT NULL, until TEXT
);
CREATE INDEX IF NOT EXISTS feedback_fingerprint ON feedback (fingerprint);
CREATE INDEX IF NOT EXISTS feedback_incident ON feedback (incident_id);
CREATE TABLE IF NOT EXISTS tickets (
    incident_id TEXT NOT NULL, system TEXT NOT NULL, key TEXT NOT NULL, url TEXT NOT NULL, state TEXT NOT NULL,
    updated_at TEXT NOT NULL, PRIMARY KEY (incident_id, system)
);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY, actor TEXT NOT NULL, tenant TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL,
    outcome TEXT NOT NULL, at TEXT NOT NULL, client TEXT NOT NULL, role TEXT NOT NULL,
    status INTEGER NOT NULL, detail TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS leases (
    name TEXT PRIMARY KEY, holder TEXT NOT NULL, token INTEGER NOT NULL, expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS members (replica TEXT PRIMARY KEY, expires_at REAL NOT NULL, started_at REAL NOT NULL);
"""


class StateDB(SQLState):
    """One SQLite file with WAL; safe to share between the loop threads and request threads."""

    dialect = SQLITE

    def __init__(self, path: str | Path, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self._clock = clock
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None, timeout=30)
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise StateError(f"cannot open the analyzer state {self.path}: {exc}") from None
        self._lock = threading.RLock()
        self._depth = 0
        self._open_stores()

    def __repr__(self) -> str:
        return f"StateDB({str(self.path)!r})"

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside commit together or not at all; a nested transaction joins the outer one."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
                self.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            finally:
                self._depth = 0

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            try:
                return self._db.execute(sql, tuple(params)).fetchall()
            except sqlite3.Error as exc:
                raise StateError(f"analyzer state {self.path}: {exc}") from None

    def clock(self) -> float:
        return self._clock()

    def close(self) -> None:
        with self._lock:
            self._db.close()
