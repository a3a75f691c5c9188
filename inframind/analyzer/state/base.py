"""The state store's interface: what the loops, correlation, delivery and the API may ask of it.

Two backends implement it (:mod:`.sqlite` for one node, :mod:`.postgres` for replicas) and one contract suite
(tests/contract/test_state_contract.py) runs against both. Every store of a backend shares its connection, so
``transaction()`` spans them all: a loop cycle commits its cursor, detector state and findings together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from inframind.analyzer.incidents import IncidentStore
from inframind.analyzer.state.records import (
    AuditEntry,
    AuditEvent,
    ChainCheck,
    FeedbackAction,
    FeedbackRecord,
    FindingRecord,
    FindingState,
    Lease,
    Member,
    Ticket,
)

__all__ = [
    "KV",
    "AuditStore",
    "FeedbackStore",
    "FindingsStore",
    "IncidentStore",
    "LeaseStore",
    "LoopState",
    "MemberStore",
    "StateStore",
    "TicketStore",
]


class KV(Protocol):
    """Detector state, cursors and task bookkeeping as key -> JSON of our own types."""

    def get(self, key: str) -> Any | None: ...

    def put(self, key: str, value: Any, now: dt.datetime) -> None: ...

    def items(self, prefix: str) -> dict[str, Any]:
        """Every key starting with ``prefix``, without the prefix."""
        ...

    def delete(self, key: str) -> None: ...


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


class FeedbackStore(Protocol):
    def add(self, record: FeedbackRecord) -> None:
        """Store a new record (its id must be new: feedback is never rewritten)."""
        ...

    def get(self, feedback_id: str, tenant: str | None = None) -> FeedbackRecord | None: ...

    def list(  # noqa: PLR0917 (the API's callers pass the filters positionally)
        self,
        tenant: str | None = None,
        fingerprint: str | None = None,
        incident_id: str | None = None,
        action: FeedbackAction | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> Sequence[FeedbackRecord]:
        """Newest first."""
        ...


class TicketStore(Protocol):
    def upsert(self, ticket: Ticket) -> None:
        """One ticket per (incident, system): a second upsert updates it."""
        ...

    def get(self, incident_id: str, system: str) -> Ticket | None: ...

    def for_incident(self, incident_id: str) -> Sequence[Ticket]: ...

    def list(self, system: str | None = None, state: str | None = None, limit: int = 100,
             offset: int = 0) -> Sequence[Ticket]:  # fmt: skip
        """Most recently updated first."""
        ...


class AuditStore(Protocol):
    def append(self, event: AuditEvent) -> AuditEntry:
        """Add ``event`` at the end of the chain (serialized across replicas)."""
        ...

    def list(
        self,
        tenant: str | None = None,
        actor: str | None = None,
        action: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> Sequence[AuditEntry]:
        """Newest first."""
        ...

    def verify_chain(self, page: int = 5000) -> ChainCheck:
        """Recompute every hash from the first entry: an edited, removed or inserted row breaks the chain."""
        ...


class LeaseStore(Protocol):
    def acquire(self, name: str, holder: str, ttl: float) -> Lease | None:
        """Take the lease if it is free, expired or already ``holder``'s (then it is renewed); None if another
        holder has it. The token grows whenever the lease changes hands or is taken again after expiring."""
        ...

    def renew(self, lease: Lease, ttl: float) -> Lease | None:
        """Extend a lease still held with the same token; None when it was lost."""
        ...

    def release(self, lease: Lease) -> None:
        """Give the lease up now (a no-op when it was lost); the token is kept so it never goes back."""
        ...

    def get(self, name: str) -> Lease | None:
        """The lease as stored (possibly expired), or None if it never existed."""
        ...

    def check(self, name: str, holder: str, token: int) -> bool:
        """Inside a transaction: whether ``holder`` still holds ``token``, locking the lease row until commit so
        no other replica takes it meanwhile (the fencing check)."""
        ...

    def now(self) -> float:
        """The clock leases are measured with (the database's for PostgreSQL: one clock for every replica)."""
        ...


class MemberStore(Protocol):
    def beat(self, replica: str, ttl: float) -> Member:
        """Record that ``replica`` is alive for ``ttl`` more seconds."""
        ...

    def live(self) -> list[Member]:
        """Replicas whose heartbeat has not expired, by id."""
        ...

    def leave(self, replica: str) -> None: ...


class LoopState(KV, Protocol):
    """What a detector loop needs: its key -> JSON state, the findings, and one transaction over both."""

    @property
    def findings(self) -> FindingsStore: ...

    def transaction(self) -> AbstractContextManager[None]: ...


class StateStore(LoopState, Protocol):
    """One backend with all its stores; ``transaction()`` spans every one of them."""

    @property
    def incidents(self) -> IncidentStore: ...

    @property
    def feedback(self) -> FeedbackStore: ...

    @property
    def tickets(self) -> TicketStore: ...

    @property
    def audit(self) -> AuditStore: ...

    @property
    def leases(self) -> LeaseStore: ...

    @property
    def members(self) -> MemberStore: ...

    def close(self) -> None: ...
