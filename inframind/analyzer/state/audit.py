"""The audit log's storage: append-only rows, each holding the hash of the one before (a hash chain).

``hash = sha256(prev_hash + canonical JSON of (seq, event))`` (sorted keys, compact, the same body as
:mod:`inframind.analyzer.audit` hashes): editing, deleting or inserting a row anywhere
breaks every later link, which :meth:`SQLAuditStore.verify_chain` finds. Appends are serialized (SQLite's write
lock; a table lock in PostgreSQL) so two replicas never link to the same predecessor. The REST API builds the
audit log (who may read it, what is recorded) on this store.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from inframind.analyzer.state.records import AuditEntry, AuditEvent, ChainCheck, iso, stamp
from inframind.analyzer.state.sql import SQLState, equal_filters, where

GENESIS = "0" * 64
_COLUMNS = "seq, actor, tenant, action, target, outcome, at, client, role, status, detail, prev_hash, hash"


def chain_hash(prev_hash: str, seq: int, event: AuditEvent) -> str:
    body = {
        "seq": seq,
        "at": iso(event.at),
        "actor": event.actor,
        "role": event.role,
        "tenant": event.tenant,
        "action": event.action,
        "target": event.target,
        "status": event.status,
        "outcome": event.outcome,
        "client": event.client,
        "detail": event.detail,
    }
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def _entry(row: Sequence[Any]) -> AuditEntry:
    seq, actor, tenant, action, target, outcome, at, client, role, status, detail, prev_hash, digest = row
    event = AuditEvent(actor, tenant, action, target, outcome, stamp(at), client, role, int(status), detail)
    return AuditEntry(int(seq), event, prev_hash, digest)


class SQLAuditStore:
    def __init__(self, db: SQLState) -> None:
        self.db = db

    def append(self, event: AuditEvent) -> AuditEntry:
        with self.db.transaction():
            if self.db.dialect.lock_audit:
                self.db.execute(self.db.dialect.lock_audit)
            last = self.db.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
            seq, prev = (int(last[0][0]) + 1, str(last[0][1])) if last else (1, GENESIS)
            entry = AuditEntry(seq, event, prev, chain_hash(prev, seq, event))
            self.db.execute(
                f"INSERT INTO audit ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
                (seq, event.actor, event.tenant, event.action, event.target, event.outcome, iso(event.at),
                 event.client, event.role, event.status, event.detail, prev, entry.hash),
            )  # fmt: skip
        return entry

    def list(
        self,
        tenant: str | None = None,
        actor: str | None = None,
        action: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[AuditEntry]:
        clauses, params = equal_filters((("tenant", tenant), ("actor", actor), ("action", action)))
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM audit {where(clauses)} ORDER BY seq DESC LIMIT ? OFFSET ?",  # noqa: S608
            (*params, limit, offset),
        )
        return [_entry(row) for row in rows]

    def verify_chain(self, page: int = 5000) -> ChainCheck:
        prev, expected, checked = GENESIS, 1, 0
        while True:
            rows = self.db.execute(
                f"SELECT {_COLUMNS} FROM audit WHERE seq >= ? ORDER BY seq LIMIT ?",  # noqa: S608
                (expected, page),
            )
            for row in rows:
                entry = _entry(row)
                if entry.seq != expected:
                    return ChainCheck(False, checked, expected, f"entry {expected} is missing")
                if entry.prev_hash != prev:
                    return ChainCheck(False, checked, entry.seq, "does not link to the entry before it")
                if chain_hash(prev, entry.seq, entry.event) != entry.hash:
                    return ChainCheck(False, checked, entry.seq, "its content does not match its hash")
                prev, expected, checked = entry.hash, expected + 1, checked + 1
            if len(rows) < page:
                return ChainCheck(True, checked)
