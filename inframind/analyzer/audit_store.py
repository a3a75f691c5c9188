"""The audit log the API and its middleware use, kept in the state store's ``audit`` table.

Appends go through the state store's :class:`~inframind.analyzer.state.AuditStore` (one hash chain, one
implementation, serialized across replicas on PostgreSQL); this module adds what the API needs on top of that
table: filtered, paged queries with their total, an oldest-first export, retention and verification from an
anchor (:mod:`.audit`). The anchor lives in the state store's key -> JSON under :data:`ANCHOR_KEY`.

Retention (``analyzer.audit.retention``) deletes records older than the policy and moves the anchor in the same
transaction; the newest record is always kept, so the next append still chains from it. It runs when the log
opens and then at most hourly with appends.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from inframind.analyzer.audit import Anchor, AuditEvent, AuditRecord, Verification, verify
from inframind.analyzer.state import StateDB, StateError
from inframind.analyzer.state.records import iso
from inframind.analyzer.state.sql import SQLState

AUDIT_FILE = "audit.db"
"""The file of a stand-alone audit log (when no state store is handed over)."""
ANCHOR_KEY = "audit.anchor"
RETENTION_EVERY = 3600.0
_COLUMNS = "seq, at, actor, role, tenant, action, target, status, outcome, client, detail, prev_hash, hash"
T = TypeVar("T")


class AuditError(Exception):
    """The audit log could not be read or written; the message names the store."""


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    tenant: str | None = None
    action: str | None = None
    """An exact action, or a prefix ending in a space or dot (``POST ``, ``secret.``)."""
    outcome: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None

    def where(self) -> tuple[list[str], list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        for column in ("actor", "tenant", "outcome"):
            value = getattr(self, column)
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if self.action is not None:
            if self.action.endswith((" ", ".")):
                clauses.append("substr(action, 1, length(?)) = ?")
                params.extend((self.action, self.action))
            else:
                clauses.append("action = ?")
                params.append(self.action)
        if self.since is not None:
            clauses.append("at >= ?")
            params.append(iso(self.since))
        if self.until is not None:
            clauses.append("at < ?")
            params.append(iso(self.until))
        return clauses, params


def _sql_where(clauses: list[str]) -> str:
    return f"WHERE {' AND '.join(clauses)}" if clauses else ""


class AuditLog(Protocol):
    def append(self, event: AuditEvent) -> AuditRecord: ...

    def query(self, where: AuditFilter, limit: int, offset: int) -> tuple[list[AuditRecord], int]:
        """Matching records, newest first, and how many match in all."""
        ...

    def export(self, where: AuditFilter) -> Iterator[AuditRecord]:
        """Matching records, oldest first (for JSON lines)."""
        ...

    def verify(self) -> Verification: ...

    def close(self) -> None: ...


def _record(row: Any) -> AuditRecord:
    seq, at, actor, role, tenant, action, target, status, outcome, client, detail, prev_hash, digest = row
    return AuditRecord(int(seq), str(at), actor, role, tenant, action, target, int(status), outcome, client, detail,
                       prev_hash, digest)  # fmt: skip


class StateAuditLog:
    """The audit log over a state store (:class:`StateDB` or the PostgreSQL one); ``owns`` closes it too."""

    def __init__(
        self,
        db: SQLState,
        retention: float | None = None,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        owns: bool = False,
    ) -> None:
        self.db, self.retention, self.clock, self.owns = db, retention, clock, owns
        self._pruned_at: dt.datetime | None = None
        self.apply_retention()

    @classmethod
    def open_file(
        cls,
        path: str | Path,
        retention: float | None = None,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> StateAuditLog:
        """A log in its own SQLite state file (``:memory:`` for one that lives as long as the process)."""
        try:
            return cls(StateDB(path), retention, clock, owns=True)
        except StateError as exc:
            raise AuditError(f"cannot open the audit log: {exc}") from None

    def _guard(self, work: Callable[[], T]) -> T:
        try:
            return work()
        except StateError as exc:
            raise AuditError(f"audit log: {exc}") from None

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return self._guard(lambda: self.db.execute(sql, params))

    def append(self, event: AuditEvent) -> AuditRecord:
        record = AuditRecord.of(self._guard(lambda: self.db.audit.append(event)))
        due = self._pruned_at is None or (self.clock() - self._pruned_at).total_seconds() >= RETENTION_EVERY
        if self.retention is not None and due:
            self.apply_retention()
        return record

    def anchor(self) -> Anchor:
        found = self._guard(lambda: self.db.get(ANCHOR_KEY))
        if not isinstance(found, dict):
            return Anchor()
        return Anchor(int(found["seq"]), str(found["prev_hash"]))

    def apply_retention(self) -> int:
        """Delete records older than the retention (never the newest); the first kept record becomes the anchor."""
        if self.retention is None:
            return 0
        now = self.clock()
        cutoff = iso(now - dt.timedelta(seconds=self.retention))

        def prune() -> int:
            with self.db.transaction():
                if self.db.dialect.lock_audit:
                    self.db.execute(self.db.dialect.lock_audit)
                kept = self.db.execute("SELECT seq, prev_hash FROM audit WHERE at >= ? ORDER BY seq LIMIT 1", (cutoff,))
                if not kept:
                    kept = self.db.execute("SELECT seq, prev_hash FROM audit ORDER BY seq DESC LIMIT 1")
                if not kept:
                    return 0
                seq, prev = int(kept[0][0]), str(kept[0][1])
                gone = int(self.db.execute("SELECT count(*) FROM audit WHERE seq < ?", (seq,))[0][0])
                if gone:
                    self.db.execute("DELETE FROM audit WHERE seq < ?", (seq,))
                    self.db.put(ANCHOR_KEY, {"seq": seq, "prev_hash": prev}, now)
                return gone

        deleted = self._guard(prune)
        self._pruned_at = now
        return deleted

    def query(self, where: AuditFilter, limit: int, offset: int) -> tuple[list[AuditRecord], int]:
        clauses, params = where.where()
        clause = _sql_where(clauses)
        total = self._rows(f"SELECT count(*) FROM audit {clause}", params)  # noqa: S608
        rows = self._rows(
            f"SELECT {_COLUMNS} FROM audit {clause} ORDER BY seq DESC LIMIT ? OFFSET ?",  # noqa: S608
            [*params, limit, offset],
        )
        return [_record(row) for row in rows], int(total[0][0])

    def export(self, where: AuditFilter, batch: int = 1000) -> Iterator[AuditRecord]:
        clauses, params = where.where()
        clause = _sql_where([*clauses, "seq > ?"])
        after = 0
        sql = f"SELECT {_COLUMNS} FROM audit {clause} ORDER BY seq LIMIT ?"  # noqa: S608
        while True:
            rows = self._rows(sql, [*params, after, batch])
            if not rows:
                return
            yield from (_record(row) for row in rows)
            after = int(rows[-1][0])

    def verify(self) -> Verification:
        return verify(self.export(AuditFilter()), self.anchor())

    def close(self) -> None:
        if self.owns:
            self.db.close()
