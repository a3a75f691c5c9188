"""The LogStore protocol: what the agent writes through and the analyzer reads through.

Two implementations share it (SQLite on one machine, OpenSearch at scale) and one contract test suite.

- ``write`` is idempotent by fingerprint: delivery is at-least-once, so the same event may arrive twice
  (an agent retry, a replayed buffer) and must be stored once.
- ``search`` and ``counts`` serve people and rules: filters, full text, time ranges, paging, buckets.
- ``read_after`` serves the analyzer: events in the order they were *stored* (not their timestamps),
  after an opaque position, so a late event with an old timestamp is still seen exactly once.
- Every query is scoped to a tenant unless the caller is explicitly cross-tenant (``tenant=None``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from inframind.events import Level, LogEvent, Source

GroupField = Literal["level", "source", "asset_id", "host", "event_id", "provider", "channel", "tenant"]
GROUP_FIELDS: tuple[GroupField, ...] = ("level", "source", "asset_id", "host", "event_id", "provider", "channel",
                                        "tenant")  # fmt: skip


class LogStoreError(Exception):
    """The store could not do what was asked (down, full, rejected); the message says which and why.

    ``rejected`` names the fingerprints the store refused for good (a mapping error, an oversized
    document), so a writer can set those events aside instead of retrying their whole batch forever.
    """

    def __init__(self, message: str, rejected: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.rejected = rejected


@dataclass(frozen=True)
class WriteResult:
    written: int
    """Events stored by this call."""
    duplicates: int
    """Events already stored (same fingerprint), skipped."""


@dataclass(frozen=True)
class Query:
    """Filters shared by search and counts; empty tuples and None mean "any"."""

    tenant: str | None = None
    """Only this tenant's events; None is a cross-tenant (admin) read."""
    text: str | None = None
    """Words that must all appear in the message; ``"a phrase"`` in double quotes matches as a phrase."""
    levels: tuple[Level, ...] = ()
    sources: tuple[Source, ...] = ()
    asset_ids: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()
    event_ids: tuple[str, ...] = ()
    since: dt.datetime | None = None
    """Inclusive lower bound on the event timestamp."""
    until: dt.datetime | None = None
    """Exclusive upper bound on the event timestamp."""


@dataclass(frozen=True)
class Page:
    events: list[LogEvent]
    total: int
    """Matching events in all (an estimate is allowed above 10 000)."""
    next_token: str | None
    """Pass as ``page_token`` for the next page; None on the last page."""


@dataclass(frozen=True)
class Bucket:
    start: dt.datetime
    key: str
    """The value of the group-by field ("" when not grouping)."""
    count: int


class LogStore(Protocol):
    def write(self, events: Sequence[LogEvent]) -> WriteResult:
        """Store a batch, skipping fingerprints already stored; all or nothing on error."""
        ...

    def search(self, query: Query, limit: int = 100, page_token: str | None = None) -> Page:
        """Matching events, newest first."""
        ...

    def counts(self, query: Query, bucket_seconds: float, group_by: GroupField | None = None) -> list[Bucket]:
        """Event counts per time bucket (aligned to the epoch) and group, oldest bucket first."""
        ...

    def read_after(self, position: str | None, limit: int, tenant: str | None = None) -> tuple[list[LogEvent], str]:
        """Up to ``limit`` events stored after ``position`` (None: from the first), in storage order, and
        the position to continue from (unchanged when nothing new is there)."""
        ...

    def end_position(self) -> str:
        """The position after the last stored event (a reader that wants only new events starts here)."""
        ...

    def close(self) -> None: ...
