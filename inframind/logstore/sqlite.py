"""The embedded log store: one SQLite file with WAL, FTS5 full-text search and indexes for common filters.

- Storage order is the rowid (``seq``), which is what ``read_after`` follows; timestamps are microseconds
  since the epoch in UTC, so range filters and buckets are integer arithmetic.
- Deduplication is the UNIQUE fingerprint (16 bytes) with ``INSERT OR IGNORE``; the FTS index is filled
  once per batch from the rows just stored (half the cost of a per-row trigger), so a skipped duplicate
  costs no index work. Deletes keep the index in step through a trigger.
- WAL with ``synchronous=NORMAL``: a committed batch survives a crash of any process (the agent's disk
  buffer covers the rest), and readers (the analyzer) never block the writer.
- Retention deletes by age, then oldest-first until the file fits ``max_bytes`` (auto_vacuum=INCREMENTAL
  gives the pages back).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast

from inframind.config import SQLiteStoreSettings
from inframind.events import Level, LogEvent, Source
from inframind.logstore.base import GROUP_FIELDS, Bucket, GroupField, LogStoreError, Page, Query, WriteResult
from inframind.logstore.fts import fts_query

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    fingerprint BLOB NOT NULL UNIQUE,
    ts INTEGER NOT NULL,
    tenant TEXT NOT NULL,
    source TEXT NOT NULL,
    level TEXT NOT NULL,
    host TEXT NOT NULL,
    asset_id TEXT NOT NULL,
    event_id TEXT,
    provider TEXT,
    channel TEXT,
    record_id TEXT,
    message TEXT NOT NULL,
    fields TEXT
);
CREATE INDEX IF NOT EXISTS events_ts ON events (ts);
CREATE INDEX IF NOT EXISTS events_tenant_ts ON events (tenant, ts);
CREATE INDEX IF NOT EXISTS events_asset_ts ON events (asset_id, ts);
CREATE VIRTUAL TABLE IF NOT EXISTS events_fts USING fts5(
    message, content='events', content_rowid='seq', tokenize='unicode61'
);
CREATE TRIGGER IF NOT EXISTS events_ad AFTER DELETE ON events BEGIN
    INSERT INTO events_fts (events_fts, rowid, message) VALUES ('delete', old.seq, old.message);
END;
"""
COLUMNS = "seq, fingerprint, ts, tenant, source, level, host, asset_id, event_id, provider, channel, record_id, " \
          "message, fields"  # fmt: skip
RETENTION_EVERY = 3600.0
RETENTION_DELAY = 60.0
TOTAL_CAP = 10_000
"""Counting every match of a broad query on a large store is slow; above this the total is a lower bound."""


def _micros(stamp: dt.datetime) -> int:
    delta = stamp.astimezone(dt.UTC) - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def _stamp(micros: int) -> dt.datetime:
    return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=micros)


def _row(event: LogEvent) -> tuple[Any, ...]:
    return (
        bytes.fromhex(event.fingerprint), _micros(event.timestamp), event.tenant, event.source, event.level, event.host,
        event.asset_id, event.event_id, event.provider, event.channel, event.record_id, event.message,
        json.dumps(dict(event.fields), ensure_ascii=False) if event.fields else None,
    )  # fmt: skip


def _event(row: sqlite3.Row | tuple[Any, ...]) -> LogEvent:
    return LogEvent(
        timestamp=_stamp(row[2]),
        tenant=row[3],
        source=cast(Source, row[4]),
        level=cast(Level, row[5]),
        host=row[6],
        asset_id=row[7],
        event_id=row[8],
        provider=row[9],
        channel=row[10],
        record_id=row[11],
        message=row[12],
        fields=json.loads(row[13]) if row[13] else {},
        fingerprint=bytes(row[1]).hex(),
    )


def _where(query: Query) -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if query.tenant is not None:
        clauses.append("tenant = ?")
        params.append(query.tenant)
    for column, values in (("level", query.levels), ("source", query.sources), ("asset_id", query.asset_ids),
                           ("host", query.hosts), ("event_id", query.event_ids)):  # fmt: skip
        if values:
            clauses.append(f"{column} IN ({', '.join('?' * len(values))})")
            params.extend(values)
    if query.since is not None:
        clauses.append("ts >= ?")
        params.append(_micros(query.since))
    if query.until is not None:
        clauses.append("ts < ?")
        params.append(_micros(query.until))
    if query.text:
        match = fts_query(query.text)
        if match:
            clauses.append("seq IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?)")
            params.append(match)
    return clauses, params


def _token(ts: int, seq: int) -> str:
    return base64.urlsafe_b64encode(f"{ts}:{seq}".encode()).decode()


def _untoken(token: str) -> tuple[int, int]:
    try:
        ts, seq = base64.urlsafe_b64decode(token.encode()).decode().split(":")
        return int(ts), int(seq)
    except ValueError:
        raise LogStoreError(f"invalid page token {token!r}: pass back the next_token of the previous page") from None


class SQLiteStore:
    def __init__(self, settings: SQLiteStoreSettings, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.clock = clock
        path = Path(settings.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(
                str(path), check_same_thread=False, isolation_level=None, timeout=settings.busy_timeout
            )
            self._db.execute("PRAGMA synchronous = NORMAL")
            exists = self._db.execute("SELECT 1 FROM sqlite_master WHERE name = 'events_fts'").fetchone()
            if not exists:  # schema work takes the write lock: only on a new file, so readers never wait
                self._db.execute("PRAGMA auto_vacuum = INCREMENTAL")
                self._db.execute("PRAGMA journal_mode = WAL")
                self._db.executescript(SCHEMA)
        except sqlite3.Error as exc:
            raise LogStoreError(f"cannot open the log store {path}: {exc}") from None
        self._lock = threading.Lock()
        # first pass a minute after opening (startup stays quick), then hourly
        self._next_retention = clock() + RETENTION_DELAY

    # ------------------------------------------------------------ writing

    def write(self, events: Sequence[LogEvent]) -> WriteResult:
        if not events:
            return WriteResult(0, 0)
        rows = [_row(e) for e in events]
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                last = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]
                cursor = self._db.executemany(
                    "INSERT OR IGNORE INTO events (fingerprint, ts, tenant, source, level, host, asset_id, event_id,"
                    " provider, channel, record_id, message, fields) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
                written = cursor.rowcount
                if written:
                    self._db.execute(
                        "INSERT INTO events_fts (rowid, message) SELECT seq, message FROM events WHERE seq > ?", (last,)
                    )
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise LogStoreError(f"cannot write to the log store {self.settings.path}: {exc}") from None
        self._maybe_apply_retention()
        return WriteResult(written, len(events) - written)

    def _maybe_apply_retention(self) -> None:
        """Retention runs with the writes, at most hourly: no separate job to forget, no scheduler to run."""
        now = self.clock()
        if now < self._next_retention:
            return
        self._next_retention = now + RETENTION_EVERY
        deleted = self.apply_retention()
        if deleted:
            log.info("log store %s: retention deleted %d events", self.settings.path, deleted)

    # ------------------------------------------------------------ reading

    def _select(self, sql: str, params: Sequence[Any]) -> list[Any]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise LogStoreError(f"log store query failed: {exc}") from None

    def search(self, query: Query, limit: int = 100, page_token: str | None = None) -> Page:
        clauses, params = _where(query)
        # Every interpolated piece below is a fixed column name or a clause of placeholders (see _where).
        total_sql = f"SELECT COUNT(*) FROM (SELECT 1 FROM events {self._sql_where(clauses)} LIMIT {TOTAL_CAP + 1})"  # noqa: S608 # nosec B608
        total = int(self._select(total_sql, params)[0][0])
        if page_token:
            ts, seq = _untoken(page_token)
            clauses = [*clauses, "(ts < ? OR (ts = ? AND seq < ?))"]
            params = [*params, ts, ts, seq]
        rows = self._select(
            f"SELECT {COLUMNS} FROM events {self._sql_where(clauses)} ORDER BY ts DESC, seq DESC LIMIT ?",  # noqa: S608 # nosec B608
            [*params, limit + 1],
        )
        more = len(rows) > limit
        rows = rows[:limit]
        token = _token(rows[-1][2], rows[-1][0]) if more and rows else None
        return Page([_event(r) for r in rows], total, token)

    def counts(self, query: Query, bucket_seconds: float, group_by: GroupField | None = None) -> list[Bucket]:
        if bucket_seconds <= 0:
            raise ValueError("bucket_seconds must be positive")
        if group_by is not None and group_by not in GROUP_FIELDS:  # it becomes SQL: only known columns
            raise ValueError(f"cannot group by {group_by!r}; expected one of {', '.join(GROUP_FIELDS)}")
        width = int(bucket_seconds * 1_000_000)
        clauses, params = _where(query)
        key = f"COALESCE({group_by}, '')" if group_by else "''"
        rows = self._select(
            # floor to the bucket (SQLite's % truncates toward zero, which misplaces events before 1970)
            f"SELECT ts - (((ts % {width}) + {width}) % {width}) AS bucket, {key} AS k, COUNT(*) FROM events "  # noqa: S608 # nosec B608
            f"{self._sql_where(clauses)} GROUP BY bucket, k ORDER BY bucket, k",
            params,
        )
        return [Bucket(_stamp(int(b)), str(k), int(n)) for b, k, n in rows]

    def read_after(self, position: str | None, limit: int, tenant: str | None = None) -> tuple[list[LogEvent], str]:
        try:
            start = int(position) if position else 0
        except ValueError:
            raise LogStoreError(f"invalid position {position!r}: pass back what read_after returned") from None
        sql = f"SELECT {COLUMNS} FROM events WHERE seq > ?"  # noqa: S608 - fixed columns # nosec B608
        params: list[Any] = [start]
        if tenant is not None:
            sql += " AND tenant = ?"
            params.append(tenant)
        rows = self._select(sql + " ORDER BY seq LIMIT ?", [*params, limit])
        return [_event(r) for r in rows], str(rows[-1][0] if rows else start)

    def end_position(self) -> str:
        return str(self._select("SELECT COALESCE(MAX(seq), 0) FROM events", [])[0][0])

    @staticmethod
    def _sql_where(clauses: list[str]) -> str:
        return f"WHERE {' AND '.join(clauses)}" if clauses else ""

    # ------------------------------------------------------------ retention

    def size_bytes(self) -> int:
        page_size, pages, free = (
            int(self._select(f"PRAGMA {name}", [])[0][0]) for name in ("page_size", "page_count", "freelist_count")
        )
        return page_size * (pages - free)

    def apply_retention(self, chunk: int = 10_000) -> int:
        """Delete events past the retention age, then oldest-first until under max_bytes; returns how many."""
        cutoff = _micros(dt.datetime.fromtimestamp(self.clock() - self.settings.retention, tz=dt.UTC))
        deleted = self._delete("DELETE FROM events WHERE ts < ?", [cutoff])
        while self.size_bytes() > self.settings.max_bytes:
            n = self._delete("DELETE FROM events WHERE seq IN (SELECT seq FROM events ORDER BY ts LIMIT ?)", [chunk])
            deleted += n
            if n == 0:
                break
        return deleted

    def _delete(self, sql: str, params: list[Any]) -> int:
        with self._lock:
            try:
                n = self._db.execute(sql, params).rowcount
                self._db.execute("PRAGMA incremental_vacuum")
            except sqlite3.Error as exc:
                raise LogStoreError(f"retention on {self.settings.path} failed: {exc}") from None
        return n

    def close(self) -> None:
        with self._lock:
            self._db.close()
