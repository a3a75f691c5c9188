"""Audit records as the API shows them, and verification of their hash chain from an anchor (pure, no IO).

The chain itself is the state store's (:mod:`inframind.analyzer.state.audit`): each row stores
``hash = sha256(prev_hash + canonical JSON of the record)``, the first row of a fresh log chaining from
``GENESIS``. Changing, inserting or deleting any row breaks every hash after it, so :func:`verify` finds
tampering anywhere in the kept part of the log.

Retention deletes the oldest records. The chain stays verifiable because the log keeps an **anchor**: the
sequence number of the first kept record and the ``prev_hash`` it must carry (its predecessor's hash, which
the record itself stores). Verification starts from the anchor instead of the genesis; deleting further
records from the head without moving the anchor is detected like any other gap.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Literal

from inframind.analyzer.state import AuditEntry, AuditEvent
from inframind.analyzer.state.audit import GENESIS, chain_hash
from inframind.analyzer.state.records import iso, stamp

__all__ = ["GENESIS", "WRITE_METHODS", "Anchor", "AuditEvent", "AuditRecord", "Verification", "outcome_of", "verify"]

Outcome = Literal["ok", "denied", "failed", "error"]
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def outcome_of(status: int) -> Outcome:
    """``denied`` for 401/403, ``failed`` for other 4xx, ``error`` for 5xx, else ``ok``."""
    if status in (401, 403):
        return "denied"
    if 400 <= status < 500:
        return "failed"
    return "error" if status >= 500 else "ok"


@dataclass(frozen=True)
class AuditRecord:
    """One stored record, flat (as the API answers and exports it, one JSON object a line)."""

    seq: int
    at: str
    actor: str
    """The token's name, or ``-`` when the caller was not identified."""
    role: str
    tenant: str
    action: str
    """``POST /api/v1/targets``, ``secret.read`` ..."""
    target: str
    """What was acted on: the request path (without its query)."""
    status: int
    outcome: str
    client: str
    detail: str
    prev_hash: str
    hash: str

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditRecord:
        e = entry.event
        return cls(entry.seq, iso(e.at), e.actor, e.role, e.tenant, e.action, e.target, e.status, e.outcome,
                   e.client, e.detail, entry.prev_hash, entry.hash)  # fmt: skip

    def event(self) -> AuditEvent:
        return AuditEvent(
            actor=self.actor, tenant=self.tenant, action=self.action, target=self.target, outcome=self.outcome,
            at=stamp(self.at), client=self.client, role=self.role, status=self.status, detail=self.detail,
        )  # fmt: skip

    def computed_hash(self) -> str:
        """The hash this record's content and ``prev_hash`` make (equal to ``hash`` unless it was altered)."""
        return chain_hash(self.prev_hash, self.seq, self.event())

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Anchor:
    """Where the kept chain starts: the first kept record's ``seq`` and the hash it must chain from."""

    seq: int = 1
    prev_hash: str = GENESIS


@dataclass(frozen=True)
class Verification:
    ok: bool
    records: int
    first_seq: int | None
    last_seq: int | None
    head: str
    """The last record's hash: note it elsewhere to detect a rewrite of the whole log as well."""
    anchor: Anchor
    problem: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok, "records": self.records, "first_seq": self.first_seq, "last_seq": self.last_seq,
            "head": self.head, "anchor": asdict(self.anchor), "problem": self.problem,
        }  # fmt: skip


def verify(records: Iterable[AuditRecord], anchor: Anchor) -> Verification:
    """Walk the chain from ``anchor``: consecutive sequence numbers, each ``prev_hash`` equal to the previous
    hash and each hash recomputed from the record. Stops at the first problem and names the record."""
    expected_seq, prev, count, first = anchor.seq, anchor.prev_hash, 0, None
    for record in records:
        first = record.seq if first is None else first
        if record.seq != expected_seq:
            return _broken(count, first, prev, anchor, f"record {record.seq}: expected sequence {expected_seq}")
        if record.prev_hash != prev:
            return _broken(count, first, prev, anchor, f"record {record.seq}: does not chain from its predecessor")
        if record.computed_hash() != record.hash:
            return _broken(count, first, prev, anchor, f"record {record.seq}: content does not match its hash")
        prev, expected_seq, count = record.hash, expected_seq + 1, count + 1
    last = expected_seq - 1 if count else None
    return Verification(True, count, first, last, prev, anchor)


def _broken(count: int, first: int | None, head: str, anchor: Anchor, problem: str) -> Verification:
    return Verification(False, count, first, first + count - 1 if first is not None and count else None, head, anchor,
                        problem)  # fmt: skip
