"""The state store in PostgreSQL (psycopg 3): what several analyzer replicas share.

The same tables and SQL as SQLite (:mod:`.sql`), with ``COLLATE "C"`` on text so ordering is byte order as in
SQLite, and the database's clock for leases and heartbeats. One connection per process, used under a lock like
the SQLite one, so ``transaction()`` spans every store; a connection broken by a server restart is replaced at
the next statement outside a transaction (the failed cycle is retried by the scheduler).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg

from inframind.analyzer.state.records import StateError
from inframind.analyzer.state.sql import POSTGRES, SQLState

SCHEMA_LOCK = 0x1F_4D_53_54  # advisory lock id: replicas starting together create the schema one at a time
_T = 'TEXT COLLATE "C"'
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS kv (key {_T} PRIMARY KEY, value TEXT NOT NULL, updated_at {_T} NOT NULL);
CREATE TABLE IF NOT EXISTS findings (
    fingerprint {_T} PRIMARY KEY, tenant {_T} NOT NULL, kind {_T} NOT NULL, asset_id {_T} NOT NULL,
    assets TEXT NOT NULL, severity {_T} NOT NULL, state {_T} NOT NULL, first_seen {_T} NOT NULL,
    last_seen {_T} NOT NULL, resolved_at {_T}, count INTEGER NOT NULL, body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS findings_tenant_state ON findings (tenant, state, kind);
CREATE TABLE IF NOT EXISTS incidents (
    id {_T} PRIMARY KEY, tenant {_T} NOT NULL, state {_T} NOT NULL, detected_at {_T} NOT NULL, body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS incidents_tenant_state ON incidents (tenant, state, detected_at);
CREATE TABLE IF NOT EXISTS incident_findings (fingerprint {_T} PRIMARY KEY, incident_id {_T} NOT NULL);
CREATE INDEX IF NOT EXISTS incident_findings_incident ON incident_findings (incident_id);
CREATE TABLE IF NOT EXISTS feedback (
    id {_T} PRIMARY KEY, action {_T} NOT NULL, actor {_T} NOT NULL, tenant {_T} NOT NULL, at {_T} NOT NULL,
    fingerprint {_T}, incident_id {_T}, note TEXT NOT NULL, until {_T}
);
CREATE INDEX IF NOT EXISTS feedback_fingerprint ON feedback (fingerprint);
CREATE INDEX IF NOT EXISTS feedback_incident ON feedback (incident_id);
CREATE TABLE IF NOT EXISTS tickets (
    incident_id {_T} NOT NULL, system {_T} NOT NULL, key {_T} NOT NULL, url TEXT NOT NULL, state {_T} NOT NULL,
    updated_at {_T} NOT NULL, PRIMARY KEY (incident_id, system)
);
CREATE TABLE IF NOT EXISTS audit (
    seq BIGINT PRIMARY KEY, actor {_T} NOT NULL, tenant {_T} NOT NULL, action {_T} NOT NULL, target TEXT NOT NULL,
    outcome {_T} NOT NULL, at {_T} NOT NULL, client TEXT NOT NULL, role {_T} NOT NULL,
    status INTEGER NOT NULL, detail TEXT NOT NULL, prev_hash {_T} NOT NULL, hash {_T} NOT NULL
);
CREATE TABLE IF NOT EXISTS leases (
    name {_T} PRIMARY KEY, holder {_T} NOT NULL, token BIGINT NOT NULL, expires_at DOUBLE PRECISION NOT NULL
);
CREATE TABLE IF NOT EXISTS members (
    replica {_T} PRIMARY KEY, expires_at DOUBLE PRECISION NOT NULL, started_at DOUBLE PRECISION NOT NULL
);
"""


def _native(sql: str) -> str:
    """``?`` placeholders as psycopg's ``%s`` (our SQL holds no literal ``%`` or ``?``)."""
    return sql.replace("?", "%s")


class PostgresState(SQLState):
    """The state store on a PostgreSQL database named by ``dsn`` (libpq connection string or URI)."""

    dialect = POSTGRES

    def __init__(self, dsn: str, connect_timeout: float = 10.0) -> None:
        self._dsn, self._timeout = dsn, connect_timeout
        self._lock = threading.RLock()
        self._depth = 0
        self._conn = self._connect()
        try:
            with self._conn.transaction():
                self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
                for statement in filter(str.strip, SCHEMA.split(";")):
                    self._conn.execute(statement)
        except psycopg.Error as exc:
            self._conn.close()
            raise StateError(f"cannot create the analyzer state schema in PostgreSQL: {exc}") from None
        self._open_stores()

    def __repr__(self) -> str:
        return "PostgresState(<dsn redacted>)"

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            return psycopg.connect(self._dsn, autocommit=True, connect_timeout=max(1, round(self._timeout)))
        except psycopg.Error as exc:
            # the DSN may hold a password: name the server, never the string
            raise StateError(f"cannot connect to the analyzer state in PostgreSQL: {_first_line(exc)}") from None

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
            self._reconnect_if_broken()
            self._depth = 1
            try:
                with self._conn.transaction():
                    yield
            except psycopg.Error as exc:
                raise StateError(f"analyzer state (PostgreSQL): {_first_line(exc)}") from None
            finally:
                self._depth = 0

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            if not self._depth:
                self._reconnect_if_broken()
            try:
                cursor = self._conn.execute(_native(sql), tuple(params))
                return cursor.fetchall() if cursor.description is not None else []
            except psycopg.Error as exc:
                raise StateError(f"analyzer state (PostgreSQL): {_first_line(exc)}") from None

    def _reconnect_if_broken(self) -> None:
        if self._conn.broken or self._conn.closed:
            self._conn.close()
            self._conn = self._connect()

    def clock(self) -> float:
        rows = self.execute("SELECT extract(epoch FROM clock_timestamp())")
        return float(rows[0][0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
