"""This replica's place among the others: its heartbeat, the shards it holds, and whether it leads.

Every ``renew_every`` seconds (:meth:`Membership.tick`): write the heartbeat, read the live replicas, work out
which shards are ours (:func:`.replicas_shard.assign`), give up the leases of shards that are no longer ours,
take or renew the leases of those that are, and take or renew the ``leader`` lease (first come; kept while
renewed). Correlation and delivery run only on the leader, over every finding, so related assets (R3-01 and
R3-02) are always correlated together whichever replicas detected them.

A lease counts as held only until ``ttl`` after its last successful renewal *by the local monotonic clock*: if
the state store cannot be reached, this replica stops leading and stops committing shards before another one
may take them. Commits are fenced in any case (:class:`~.state.view.ShardState`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from inframind.analyzer.replicas_shard import Shard, assign
from inframind.analyzer.state import Lease, ReplicaSettings, StateStore

log = logging.getLogger(__name__)
LEADER = "leader"


@dataclass
class _Held:
    lease: Lease
    valid_until: float
    """Local monotonic time after which we no longer count on it."""


@dataclass(frozen=True)
class View:
    """What :meth:`Membership.view` reports (health and metrics)."""

    replica: str
    shards: tuple[int, ...]
    count: int
    leader: bool
    live: tuple[str, ...]
    leader_token: int | None = None
    errors: int = 0
    last_error: str = ""
    owners: dict[int, str] = field(default_factory=dict)


class Membership:
    def __init__(
        self, store: StateStore, settings: ReplicaSettings, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.store, self.settings, self.replica = store, settings, settings.replica_id
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._shards: dict[int, _Held] = {}
        self._leader: _Held | None = None
        self._live: tuple[str, ...] = ()
        self._owners: dict[int, str] = {}
        self.errors = 0
        self.last_error = ""

    # ------------------------------------------------------------ the tick

    def tick(self) -> None:
        """Heartbeat, rebalance, leases; a state-store error is counted and raised (the scheduler retries)."""
        ttl = self.settings.lease_ttl
        try:
            started = self._monotonic()
            self.store.members.beat(self.replica, ttl)
            live = tuple(m.replica for m in self.store.members.live())
            owners = assign(self.settings.shards, live or (self.replica,))
            mine = {i for i, owner in owners.items() if owner == self.replica}
            for index in sorted(set(self._shards) - mine):
                self._give_up(index)
            for index in sorted(mine):
                self._shards_take(index, ttl, started)
            with self._lock:
                self._leader = self._take(LEADER, self._leader, ttl, started)
                self._live, self._owners = live, owners
            self.last_error = ""
        except Exception as exc:
            self.errors += 1
            self.last_error = str(exc)
            raise

    def _shards_take(self, index: int, ttl: float, started: float) -> None:
        name = Shard(index, self.settings.shards).lease_name
        held = self._take(name, self._shards.get(index), ttl, started)
        with self._lock:
            if held is None:
                self._shards.pop(index, None)
            else:
                if index not in self._shards or self._shards[index].lease.token != held.lease.token:
                    log.info("replica %s took shard %d of %d (token %d)", self.replica, index,
                             self.settings.shards, held.lease.token)  # fmt: skip
                self._shards[index] = held

    def _take(self, name: str, held: _Held | None, ttl: float, started: float) -> _Held | None:
        leases = self.store.leases
        lease = leases.renew(held.lease, ttl) if held is not None else None
        if lease is None:
            lease = leases.acquire(name, self.replica, ttl)
        if lease is None:
            return None
        if name == LEADER and (held is None or held.lease.token != lease.token):
            log.info("replica %s is the leader (token %d)", self.replica, lease.token)
        return _Held(lease, started + ttl)

    def _give_up(self, index: int) -> None:
        with self._lock:
            held = self._shards.pop(index, None)
        if held is not None:
            log.info("replica %s hands shard %d back", self.replica, index)
            self.store.leases.release(held.lease)

    def leave(self) -> None:
        """On a clean stop: release every lease and the heartbeat, so survivors take over at once."""
        with self._lock:
            held = [*self._shards.values(), *([self._leader] if self._leader else [])]
            self._shards, self._leader = {}, None
        for item in held:
            self.store.leases.release(item.lease)
        self.store.members.leave(self.replica)

    # ------------------------------------------------------------ what we hold

    def shards(self) -> list[Shard]:
        """The shards this replica may analyze now, with their fencing tokens."""
        now = self._monotonic()
        with self._lock:
            return [
                Shard(index, self.settings.shards, held.lease.token)
                for index, held in sorted(self._shards.items())
                if held.valid_until > now
            ]

    def leader(self) -> Shard | None:
        """Everything, with the leader lease's token, while this replica leads; else None."""
        with self._lock:
            held = self._leader
        if held is None or held.valid_until <= self._monotonic():
            return None
        return Shard(0, 1, held.lease.token)

    def view(self) -> View:
        leader = self.leader()
        with self._lock:
            live, owners = self._live, dict(self._owners)
        return View(
            replica=self.replica,
            shards=tuple(s.index for s in self.shards()),
            count=self.settings.shards,
            leader=leader is not None,
            live=live,
            leader_token=leader.token if leader else None,
            errors=self.errors,
            last_error=self.last_error,
            owners=owners,
        )
