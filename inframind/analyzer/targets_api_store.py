"""Where API targets and their sealed credentials live: one SQLite table in ``targets.db`` of the state directory.

The credential column holds only Fernet tokens (:mod:`inframind.secretstore`); the store never sees a key or a
plain value. (tenant, address, module) is unique, so one device is not scraped twice by the same module.
:class:`TargetStore` is the interface; a PostgreSQL table can stand behind it for replicas.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from inframind.analyzer.targets_api_model import ApiTarget

TARGETS_FILE = "targets.db"
SCHEMA = """
CREATE TABLE IF NOT EXISTS api_targets (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    address TEXT NOT NULL,
    kind TEXT NOT NULL,
    module TEXT NOT NULL,
    interval REAL NOT NULL,
    asset TEXT NOT NULL,
    labels TEXT NOT NULL,
    auth TEXT,
    credential_fields TEXT NOT NULL,
    credential TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (tenant, address, module)
);
"""
_COLUMNS = "id, tenant, address, kind, module, interval, asset, labels, auth, credential_fields, created_at, updated_at"


class TargetStoreError(Exception):
    """The targets file could not be read or written; the message names it."""


class DuplicateTarget(Exception):
    """Another target of the tenant probes the same address with the same module."""


@dataclass(frozen=True)
class TargetQuery:
    tenant: str | None = None
    kind: str | None = None
    module: str | None = None
    address: str | None = None


class TargetStore(Protocol):
    def put(self, target: ApiTarget, sealed: str | None) -> None:
        """Insert or replace ``target`` with its sealed credential (None: none)."""
        ...

    def get(self, target_id: str, tenant: str | None = None) -> ApiTarget | None: ...

    def sealed(self, target_id: str, tenant: str | None = None) -> tuple[ApiTarget, str] | None:
        """The target and its sealed credential, when it has one (and is ``tenant``'s)."""
        ...

    def list(self, query: TargetQuery, limit: int, offset: int) -> tuple[list[ApiTarget], int]: ...

    def delete(self, target_id: str, tenant: str | None = None) -> bool: ...

    def all_sealed(self) -> Iterator[tuple[str, str]]:
        """(target id, sealed credential) of every target with one, for key rotation."""
        ...

    def reseal(self, target_id: str, old: str, new: str) -> bool:
        """Replace the sealed credential if it is still ``old`` (a concurrent update wins)."""
        ...


def _iso(stamp: dt.datetime) -> str:
    return stamp.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _target(row: tuple[Any, ...]) -> ApiTarget:
    return ApiTarget(
        id=row[0], tenant=row[1], address=row[2], kind=row[3], module=row[4], interval=float(row[5]), asset=row[6],
        labels=json.loads(row[7]), auth=row[8], credential_fields=tuple(json.loads(row[9])),
        created_at=dt.datetime.fromisoformat(row[10].replace("Z", "+00:00")),
        updated_at=dt.datetime.fromisoformat(row[11].replace("Z", "+00:00")),
    )  # fmt: skip


class SQLiteTargetStore:
    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
            self._db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise TargetStoreError(f"cannot open the targets file {self.path}: {exc}") from None
        self._lock = threading.Lock()

    def _rows(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> list[Any]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.IntegrityError:
                raise DuplicateTarget("a target of this tenant already probes this address with this module") from None
            except sqlite3.Error as exc:
                raise TargetStoreError(f"targets file {self.path}: {exc}") from None

    def put(self, target: ApiTarget, sealed: str | None) -> None:
        t = target
        self._rows(
            f"INSERT INTO api_targets ({_COLUMNS}, credential) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "  # noqa: S608
            "ON CONFLICT (id) DO UPDATE SET address = excluded.address, kind = excluded.kind, "
            "module = excluded.module, interval = excluded.interval, asset = excluded.asset, labels = excluded.labels, "
            "auth = excluded.auth, credential_fields = excluded.credential_fields, credential = excluded.credential, "
            "updated_at = excluded.updated_at",
            (t.id, t.tenant, t.address, t.kind, t.module, t.interval, t.asset, json.dumps(dict(t.labels)), t.auth,
             json.dumps(list(t.credential_fields)), _iso(t.created_at), _iso(t.updated_at), sealed),
        )  # fmt: skip

    def _where_id(self, target_id: str, tenant: str | None) -> tuple[str, list[Any]]:
        if tenant is None:
            return "WHERE id = ?", [target_id]
        return "WHERE id = ? AND tenant = ?", [target_id, tenant]

    def get(self, target_id: str, tenant: str | None = None) -> ApiTarget | None:
        where, params = self._where_id(target_id, tenant)
        rows = self._rows(f"SELECT {_COLUMNS} FROM api_targets {where}", params)  # noqa: S608
        return _target(rows[0]) if rows else None

    def sealed(self, target_id: str, tenant: str | None = None) -> tuple[ApiTarget, str] | None:
        where, params = self._where_id(target_id, tenant)
        rows = self._rows(f"SELECT {_COLUMNS}, credential FROM api_targets {where}", params)  # noqa: S608
        if not rows or rows[0][-1] is None:
            return None
        return _target(rows[0][:-1]), str(rows[0][-1])

    def list(self, query: TargetQuery, limit: int, offset: int) -> tuple[list[ApiTarget], int]:
        clauses, params = [], []
        for column in ("tenant", "kind", "module", "address"):
            value = getattr(query, column)
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        total = int(self._rows(f"SELECT count(*) FROM api_targets {where}", params)[0][0])  # noqa: S608
        rows = self._rows(
            f"SELECT {_COLUMNS} FROM api_targets {where} ORDER BY tenant, address, module LIMIT ? OFFSET ?",  # noqa: S608
            [*params, limit, offset],
        )
        return [_target(row) for row in rows], total

    def delete(self, target_id: str, tenant: str | None = None) -> bool:
        where, params = self._where_id(target_id, tenant)
        return bool(self._rows(f"DELETE FROM api_targets {where} RETURNING id", params))  # noqa: S608

    def all_sealed(self) -> Iterator[tuple[str, str]]:
        rows = self._rows("SELECT id, credential FROM api_targets WHERE credential IS NOT NULL ORDER BY id")
        yield from ((str(a), str(b)) for a, b in rows)

    def reseal(self, target_id: str, old: str, new: str) -> bool:
        rows = self._rows(
            "UPDATE api_targets SET credential = ? WHERE id = ? AND credential = ? RETURNING id", (new, target_id, old)
        )
        return bool(rows)

    def close(self) -> None:
        with self._lock:
            self._db.close()
