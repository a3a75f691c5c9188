"""The analyzer's own state: detector state as key -> JSON, and the findings, in one SQLite file.

One file and one connection on purpose: a cycle of the log analyzer writes its cursor, the changed detector
state and the findings it raised or resolved in **one transaction**, so a crash leaves either the whole cycle or
none of it, never a cursor ahead of the state that went with it (and never a finding without the state that
remembers it is out). Values are plain JSON of our own types, never pickle.

:class:`FindingsStore` is the small interface delivery and the API build on (upsert, get, list by tenant, state,
kind and asset); a PostgreSQL implementation can stand beside :class:`SQLiteFindingsStore` later.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from inframind.analyzer.findings import Finding, LogEvidence

FindingState = Literal["active", "resolved"]
STATE_FILE = "analysis.db"
SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS findings (
    fingerprint TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    kind TEXT NOT NULL,
    asset_id TEXT NOT NULL,
    assets TEXT NOT NULL,
    severity TEXT NOT NULL,
    state TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    resolved_at TEXT,
    count INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS findings_tenant_state ON findings (tenant, state, kind);
"""


class StateError(Exception):
    """The state file could not be read or written; the message names it."""


def _iso(stamp: dt.datetime) -> str:
    return stamp.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _stamp(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True)
class FindingRecord:
    """A finding as it stands: its latest body, whether it is active, and when it was seen."""

    finding: Finding
    state: FindingState
    first_seen: dt.datetime
    """When this episode became active."""
    last_seen: dt.datetime
    """The last cycle its condition held."""
    count: int = 1
    """How many times it became active (episodes)."""
    resolved_at: dt.datetime | None = None

    @property
    def fingerprint(self) -> str:
        return self.finding.fingerprint

    def to_dict(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "state": self.state,
            "first_seen": _iso(self.first_seen),
            "last_seen": _iso(self.last_seen),
            "resolved_at": _iso(self.resolved_at) if self.resolved_at else None,
            "count": self.count,
            "finding": self.finding.to_dict(),
        }


class FindingsStore(Protocol):
    def upsert(self, record: FindingRecord) -> None:
        """Insert or replace the record of ``record.fingerprint``."""
        ...

    def get(self, fingerprint: str, tenant: str | None = None) -> FindingRecord | None:
        """The record, or None (also when it belongs to another tenant than a given ``tenant``)."""
        ...

    def list(
        self,
        tenant: str | None = None,
        state: FindingState | None = None,
        kind: str | None = None,
        asset: str | None = None,
        limit: int = 1000,
    ) -> list[FindingRecord]:
        """Matching records, most recently seen first; ``kind`` ending in ``.`` matches a family (``log.``),
        ``asset`` matches the finding's asset or any asset its evidence lists."""
        ...

    def active_counts(self) -> dict[tuple[str, str], int]:
        """Active findings per (kind, severity), for metrics."""
        ...


class StateDB:
    """One SQLite file with WAL; safe to share between the loop thread and request threads."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None, timeout=30)
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise StateError(f"cannot open the analyzer state {self.path}: {exc}") from None
        self._lock = threading.RLock()
        self.findings = SQLiteFindingsStore(self)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside commit together or not at all."""
        with self._lock:
            self.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self.execute("COMMIT")

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise StateError(f"analyzer state {self.path}: {exc}") from None

    # ------------------------------------------------------------ key -> JSON

    def get(self, key: str) -> Any | None:
        rows = self.execute("SELECT value FROM kv WHERE key = ?", (key,))
        return json.loads(rows[0][0]) if rows else None

    def items(self, prefix: str) -> dict[str, Any]:
        """Every key starting with ``prefix``, without the prefix."""
        rows = self.execute("SELECT key, value FROM kv WHERE substr(key, 1, ?) = ?", (len(prefix), prefix))
        return {key[len(prefix) :]: json.loads(value) for key, value in rows}

    def put(self, key: str, value: Any, now: dt.datetime) -> None:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        self.execute(
            "INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
            "value = excluded.value, updated_at = excluded.updated_at",
            (key, text, _iso(now)),
        )

    def delete(self, key: str) -> None:
        self.execute("DELETE FROM kv WHERE key = ?", (key,))

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _assets(finding: Finding) -> list[str]:
    listed = {finding.asset_id} if finding.asset_id else set()
    for evidence in finding.evidence:
        if isinstance(evidence, LogEvidence):
            listed.update(evidence.assets)
    return sorted(listed)


def _record(row: tuple[Any, ...]) -> FindingRecord:
    state, first_seen, last_seen, resolved_at, count, body = row
    return FindingRecord(
        finding=Finding.from_dict(json.loads(body)),
        state=state,
        first_seen=_stamp(first_seen),
        last_seen=_stamp(last_seen),
        count=int(count),
        resolved_at=_stamp(resolved_at) if resolved_at else None,
    )


_RECORD = "state, first_seen, last_seen, resolved_at, count, body"


class SQLiteFindingsStore:
    """Findings keyed by fingerprint in the state file (see :class:`FindingsStore`)."""

    def __init__(self, db: StateDB) -> None:
        self.db = db

    def upsert(self, record: FindingRecord) -> None:
        f = record.finding
        self.db.execute(
            "INSERT OR REPLACE INTO findings (fingerprint, tenant, kind, asset_id, assets, severity, state, first_seen,"
            " last_seen, resolved_at, count, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (f.fingerprint, f.tenant, f.kind, f.asset_id, json.dumps(_assets(f)), f.severity, record.state,
             _iso(record.first_seen), _iso(record.last_seen),
             _iso(record.resolved_at) if record.resolved_at else None, record.count,
             json.dumps(f.to_dict(), ensure_ascii=False, separators=(",", ":"))),
        )  # fmt: skip

    def get(self, fingerprint: str, tenant: str | None = None) -> FindingRecord | None:
        sql = f"SELECT {_RECORD} FROM findings WHERE fingerprint = ?"  # noqa: S608 - fixed columns
        params: tuple[Any, ...] = (fingerprint,)
        if tenant is not None:
            sql, params = sql + " AND tenant = ?", (*params, tenant)
        rows = self.db.execute(sql, params)
        return _record(rows[0]) if rows else None

    def list(
        self,
        tenant: str | None = None,
        state: FindingState | None = None,
        kind: str | None = None,
        asset: str | None = None,
        limit: int = 1000,
    ) -> list[FindingRecord]:
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (("tenant", tenant), ("state", state)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if kind is not None:
            clauses.append("substr(kind, 1, ?) = ?" if kind.endswith(".") else "kind = ?")
            params.extend((len(kind), kind) if kind.endswith(".") else (kind,))
        if asset is not None:
            clauses.append("(asset_id = ? OR EXISTS (SELECT 1 FROM json_each(assets) WHERE value = ?))")
            params.extend((asset, asset))
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self.db.execute(
            f"SELECT {_RECORD} FROM findings {where} ORDER BY last_seen DESC, kind, asset_id, fingerprint LIMIT ?",  # noqa: S608
            (*params, limit),
        )
        return [_record(row) for row in rows]

    def active_counts(self) -> dict[tuple[str, str], int]:
        rows = self.db.execute("SELECT kind, severity, COUNT(*) FROM findings WHERE state = 'active' GROUP BY 1, 2")
        return {(kind, severity): int(n) for kind, severity, n in rows}
