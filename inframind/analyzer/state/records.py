"""The rows of the analyzer's state as plain frozen dataclasses, shared by every backend.

Timestamps are stored as ISO-8601 text in UTC with microseconds and a ``Z`` (fixed width, so text order is time
order in SQLite and in PostgreSQL with the ``C`` collation); lease and heartbeat expiries are epoch seconds,
because they are compared with the backend's clock in SQL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from inframind.analyzer.findings import Finding

FindingState = Literal["active", "resolved"]
FeedbackAction = Literal["ack", "false_positive", "silence"]
FEEDBACK_ACTIONS: tuple[FeedbackAction, ...] = ("ack", "false_positive", "silence")


class StateError(Exception):
    """The state store could not be read or written; the message names it."""


def iso(stamp: dt.datetime) -> str:
    return stamp.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def stamp(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def maybe_iso(value: dt.datetime | None) -> str | None:
    return None if value is None else iso(value)


def maybe_stamp(text: str | None) -> dt.datetime | None:
    return None if not text else stamp(text)


@dataclass(frozen=True)
class FindingRecord:
    """A finding as it stands: its latest body, whether it is active, and when it was seen."""

    finding: Finding
    state: FindingState
    first_seen: dt.datetime
    """When this episode became active."""
    last_seen: dt.datetime
    """The last cycle its condition held."""
    count: int = 1
    """How many times it became active (episodes)."""
    resolved_at: dt.datetime | None = None

    @property
    def fingerprint(self) -> str:
        return self.finding.fingerprint

    def to_dict(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "state": self.state,
            "first_seen": iso(self.first_seen),
            "last_seen": iso(self.last_seen),
            "resolved_at": maybe_iso(self.resolved_at),
            "count": self.count,
            "finding": self.finding.to_dict(),
        }


@dataclass(frozen=True)
class FeedbackRecord:
    """What a person said about a finding (by fingerprint) or an incident (by id)."""

    id: str
    action: FeedbackAction
    actor: str
    tenant: str
    at: dt.datetime
    fingerprint: str | None = None
    incident_id: str | None = None
    note: str = ""
    until: dt.datetime | None = None
    """End of a silence."""

    def __post_init__(self) -> None:
        if self.action not in FEEDBACK_ACTIONS:
            raise ValueError(f"unknown feedback action {self.action!r}; expected one of {', '.join(FEEDBACK_ACTIONS)}")
        if not self.fingerprint and not self.incident_id:
            raise ValueError("feedback names a finding fingerprint or an incident id")


@dataclass(frozen=True)
class Ticket:
    """The ITSM ticket of an incident in one external system (Jira, ServiceNow)."""

    incident_id: str
    system: str
    key: str
    url: str
    state: str
    updated_at: dt.datetime


@dataclass(frozen=True)
class AuditEvent:
    """One auditable act: who did what to which target, from where, and how it ended (the REST API's audit
    fields; ``client`` is where the request came from)."""

    actor: str
    tenant: str
    action: str
    target: str
    outcome: str
    at: dt.datetime
    client: str = ""
    role: str = ""
    status: int = 0
    detail: str = ""


@dataclass(frozen=True)
class AuditEntry:
    """An audit event as stored: its place in the chain and the hashes that tie it to the one before."""

    seq: int
    event: AuditEvent
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    checked: int
    first_bad: int | None = None
    """Sequence number of the first entry that does not match the chain."""
    reason: str = ""


@dataclass(frozen=True)
class Lease:
    """A named lease: who holds it, until when (epoch seconds, backend clock), and its fencing token.

    The token grows every time the lease changes hands (or is taken again after expiring), so a writer that
    checks its token in the same transaction as its writes never overwrites the work of a newer holder."""

    name: str
    holder: str
    token: int
    expires_at: float


@dataclass(frozen=True)
class Member:
    """A live replica: its heartbeat row."""

    replica: str
    expires_at: float
    started_at: float
