"""Leases with fencing tokens, and replica heartbeats, in the state store.

Both are rows compared with one clock, the backend's (:meth:`SQLState.clock`): PostgreSQL's
``clock_timestamp()`` for replicas, so their own clocks may drift without two of them holding a lease at once.
Acquisition is one ``INSERT ... ON CONFLICT DO UPDATE ... WHERE`` statement: the database decides atomically who
gets an expired lease, and the fencing token grows whenever the lease changes hands.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from inframind.analyzer.state.records import Lease, Member
from inframind.analyzer.state.sql import SQLState


def _lease(row: Sequence[Any]) -> Lease:
    name, holder, token, expires_at = row
    return Lease(str(name), str(holder), int(token), float(expires_at))


class SQLLeaseStore:
    def __init__(self, db: SQLState) -> None:
        self.db = db

    def now(self) -> float:
        return self.db.clock()

    def acquire(self, name: str, holder: str, ttl: float) -> Lease | None:
        if ttl <= 0:
            raise ValueError("a lease needs a positive ttl")
        now = self.db.clock()
        # Same holder and still valid: renewed with the same token; otherwise (free, expired): a new token.
        rows = self.db.execute(
            "INSERT INTO leases (name, holder, token, expires_at) VALUES (?, ?, 1, ?) ON CONFLICT (name) DO UPDATE"
            " SET token = CASE WHEN leases.holder = excluded.holder AND leases.expires_at > ? THEN leases.token"
            " ELSE leases.token + 1 END, holder = excluded.holder, expires_at = excluded.expires_at"
            " WHERE leases.holder = excluded.holder OR leases.expires_at <= ?"
            " RETURNING name, holder, token, expires_at",
            (name, holder, now + ttl, now, now),
        )
        return _lease(rows[0]) if rows else None

    def renew(self, lease: Lease, ttl: float) -> Lease | None:
        now = self.db.clock()
        rows = self.db.execute(
            "UPDATE leases SET expires_at = ? WHERE name = ? AND holder = ? AND token = ? AND expires_at > ?"
            " RETURNING name, holder, token, expires_at",
            (now + ttl, lease.name, lease.holder, lease.token, now),
        )
        return _lease(rows[0]) if rows else None

    def release(self, lease: Lease) -> None:
        self.db.execute(
            "UPDATE leases SET expires_at = ? WHERE name = ? AND holder = ? AND token = ?",
            (0.0, lease.name, lease.holder, lease.token),
        )

    def get(self, name: str) -> Lease | None:
        rows = self.db.execute("SELECT name, holder, token, expires_at FROM leases WHERE name = ?", (name,))
        return _lease(rows[0]) if rows else None

    def check(self, name: str, holder: str, token: int) -> bool:
        rows = self.db.execute(
            "SELECT holder, token FROM leases WHERE name = ?" + self.db.dialect.lock_lease,  # noqa: S608 (a constant)
            (name,),
        )
        return bool(rows) and rows[0][0] == holder and int(rows[0][1]) == token


class SQLMemberStore:
    def __init__(self, db: SQLState) -> None:
        self.db = db

    def beat(self, replica: str, ttl: float) -> Member:
        now = self.db.clock()
        rows = self.db.execute(
            "INSERT INTO members (replica, expires_at, started_at) VALUES (?, ?, ?) ON CONFLICT (replica) DO UPDATE"
            " SET expires_at = excluded.expires_at, started_at = CASE WHEN members.expires_at > ?"
            " THEN members.started_at ELSE excluded.started_at END RETURNING replica, expires_at, started_at",
            (replica, now + ttl, now, now),
        )
        name, expires_at, started_at = rows[0]
        return Member(str(name), float(expires_at), float(started_at))

    def live(self) -> list[Member]:
        rows = self.db.execute(
            "SELECT replica, expires_at, started_at FROM members WHERE expires_at > ? ORDER BY replica",
            (self.db.clock(),),
        )
        return [Member(str(r), float(e), float(s)) for r, e, s in rows]

    def leave(self, replica: str) -> None:
        self.db.execute("DELETE FROM members WHERE replica = ?", (replica,))
