"""The analyzer's state behind one interface: SQLite by default, PostgreSQL for several replicas.

:mod:`.base` holds the protocols (key -> JSON, findings, incidents, feedback, tickets, audit, leases, heartbeats),
:mod:`.sqlite` and :mod:`.postgres` the two backends (PostgreSQL is imported only when configured), and
:func:`open_state` picks one from the settings. The names existing code imports stay here.
"""

from inframind.analyzer.state.base import (
    KV,
    AuditStore,
    FeedbackStore,
    FindingsStore,
    IncidentStore,
    LeaseStore,
    LoopState,
    MemberStore,
    StateStore,
    TicketStore,
)
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
    StateError,
    Ticket,
)
from inframind.analyzer.state.settings import (
    ReplicaSettings,
    StateSettings,
    open_state,
    replica_settings,
    state_settings,
)
from inframind.analyzer.state.sqlite import STATE_FILE, StateDB
from inframind.analyzer.state.stores import SQLFindingsStore, SQLiteFindingsStore
from inframind.analyzer.state.view import LeaseLost, ShardState

__all__ = [
    "KV",
    "STATE_FILE",
    "AuditEntry",
    "AuditEvent",
    "AuditStore",
    "ChainCheck",
    "FeedbackAction",
    "FeedbackRecord",
    "FeedbackStore",
    "FindingRecord",
    "FindingState",
    "FindingsStore",
    "IncidentStore",
    "Lease",
    "LeaseLost",
    "LeaseStore",
    "LoopState",
    "Member",
    "MemberStore",
    "ReplicaSettings",
    "SQLFindingsStore",
    "SQLiteFindingsStore",
    "ShardState",
    "StateDB",
    "StateError",
    "StateSettings",
    "StateStore",
    "Ticket",
    "TicketStore",
    "open_state",
    "replica_settings",
    "state_settings",
]
