"""A loop's view of the state store for one shard: its keys under a prefix, its commits fenced by a lease.

With replicas, each shard's detector state (cursor, miners, detectors) lives under ``shard/<i>of<n>/`` and only
the replica holding the lease ``shard/<i>of<n>`` may commit it: :meth:`ShardState.transaction` checks the lease's
fencing token first, locking the lease row until commit, so a replica that lost its shard (paused, partitioned)
can never overwrite what the new owner wrote. The owner that takes a shard over loads exactly what the last one
committed: the cursor, the detectors and the findings move together, and nothing is read twice or re-alerted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from inframind.analyzer.state.base import FindingsStore, StateStore
from inframind.analyzer.state.records import StateError


class LeaseLost(StateError):
    """The shard's lease moved to another replica: this replica must drop the shard (nothing was committed)."""


class ShardState:
    """:class:`~.base.LoopState` for one shard; with ``prefix=""`` and no lease it is the store itself."""

    def __init__(self, store: StateStore, prefix: str = "", lease: tuple[str, str, int] | None = None) -> None:
        self.store, self.prefix, self.lease = store, prefix, lease

    @property
    def findings(self) -> FindingsStore:
        return self.store.findings

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.store.transaction():
            if self.lease is not None:
                name, holder, token = self.lease
                if not self.store.leases.check(name, holder, token):
                    raise LeaseLost(f"lease {name} is no longer held by {holder} (token {token})")
            yield

    def get(self, key: str) -> Any | None:
        return self.store.get(self.prefix + key)

    def put(self, key: str, value: Any, now: dt.datetime) -> None:
        self.store.put(self.prefix + key, value, now)

    def items(self, prefix: str) -> dict[str, Any]:
        return self.store.items(self.prefix + prefix)

    def delete(self, key: str) -> None:
        self.store.delete(self.prefix + key)
