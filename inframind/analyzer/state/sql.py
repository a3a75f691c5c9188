"""What the SQLite and PostgreSQL backends share: key -> JSON and every store, written once in portable SQL.

The stores speak a common SQL subset (``?`` placeholders, ``INSERT ... ON CONFLICT DO UPDATE``, ``RETURNING``,
``substr(x, 1, length(?))`` for prefixes); the few places the engines differ are :class:`Dialect` fragments.
A backend supplies ``execute``, ``transaction``, ``clock`` and ``close``.
"""

from __future__ import annotations

import datetime as dt
import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from inframind.analyzer.state.records import iso


@dataclass(frozen=True)
class Dialect:
    name: str
    json_contains: str
    """A condition: the JSON array in column ``{column}`` holds the text parameter."""
    lock_audit: str | None
    """A statement that serializes audit appends until commit (None when the transaction already does)."""
    lock_lease: str
    """Suffix of the fencing SELECT that locks the lease row until commit."""


SQLITE = Dialect(
    "sqlite",
    "EXISTS (SELECT 1 FROM json_each({column}) WHERE value = ?)",
    None,  # BEGIN IMMEDIATE already holds the write lock
    "",
)
POSTGRES = Dialect(
    "postgres",
    "EXISTS (SELECT 1 FROM jsonb_array_elements_text({column}::jsonb) AS a(v) WHERE a.v = ?)",
    "LOCK TABLE audit IN SHARE ROW EXCLUSIVE MODE",
    " FOR UPDATE",
)


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class SQLState(ABC):
    """Key -> JSON on ``execute`` plus the stores; subclasses connect and create the schema, then call
    :meth:`_open_stores`."""

    dialect: Dialect

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[Any]: ...

    @abstractmethod
    def transaction(self) -> AbstractContextManager[None]: ...

    @abstractmethod
    def clock(self) -> float:
        """Epoch seconds that leases and heartbeats are measured with."""

    @abstractmethod
    def close(self) -> None: ...

    def _open_stores(self) -> None:
        from inframind.analyzer.state.audit import SQLAuditStore
        from inframind.analyzer.state.leases import SQLLeaseStore, SQLMemberStore
        from inframind.analyzer.state.stores import (
            SQLFeedbackStore,
            SQLFindingsStore,
            SQLIncidentStore,
            SQLTicketStore,
        )

        self.findings = SQLFindingsStore(self)
        self.incidents = SQLIncidentStore(self)
        self.feedback = SQLFeedbackStore(self)
        self.tickets = SQLTicketStore(self)
        self.audit = SQLAuditStore(self)
        self.leases = SQLLeaseStore(self)
        self.members = SQLMemberStore(self)

    # ------------------------------------------------------------ key -> JSON

    def get(self, key: str) -> Any | None:
        rows = self.execute("SELECT value FROM kv WHERE key = ?", (key,))
        return json.loads(rows[0][0]) if rows else None

    def items(self, prefix: str) -> dict[str, Any]:
        """Every key starting with ``prefix``, without the prefix."""
        rows = self.execute("SELECT key, value FROM kv WHERE substr(key, 1, length(?)) = ?", (prefix, prefix))
        return {key[len(prefix) :]: json.loads(value) for key, value in rows}

    def put(self, key: str, value: Any, now: dt.datetime) -> None:
        self.execute(
            "INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
            "value = excluded.value, updated_at = excluded.updated_at",
            (key, dumps(value), iso(now)),
        )

    def delete(self, key: str) -> None:
        self.execute("DELETE FROM kv WHERE key = ?", (key,))


def where(clauses: list[str]) -> str:
    return f"WHERE {' AND '.join(clauses)}" if clauses else ""


def equal_filters(pairs: Sequence[tuple[str, Any]]) -> tuple[list[str], list[Any]]:
    """``column = ?`` for every pair whose value is not None."""
    clauses, params = [], []
    for column, value in pairs:
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    return clauses, params
