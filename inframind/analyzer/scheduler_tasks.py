"""The analyzer's tasks for the scheduler: detector families per shard, correlation and delivery on the leader.

- ``logs`` (every ``logs.interval``), ``anomalies`` (``metrics.interval``), ``forecasts``
  (``metrics.forecast_interval``) and ``failure_models`` (``metrics.failure_interval``) are sharded: each shard this
  replica holds has its own loop object over the shard's view of the state store (:class:`ShardPool`), so its
  cursor, detectors and findings move together when the shard changes hands;
- ``correlation`` and ``delivery`` run on the leader only, over every finding; correlation's writes are fenced by
  the leader lease, so a replica that lost the leadership while paused cannot write incidents.

A dependency that is down (VictoriaMetrics, the log store, every Alertmanager peer) makes the run fail with
:class:`~.scheduler.Unavailable`: the scheduler retries it with backoff and shows it on /metrics and /health, and
the next run catches up from the committed cursor.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Generic, Protocol, TypeVar

from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from inframind.analyzer.logloop import LogAnalyzer
from inframind.analyzer.metricloop import Family, MetricAnalyzer
from inframind.analyzer.replicas_shard import Shard
from inframind.analyzer.scheduler import Task, Unavailable
from inframind.analyzer.state import LoopState, ShardState, StateStore
from inframind.logstore import LogStoreError

log = logging.getLogger(__name__)
LAST_RUN_KEY = {"forecasts": "capacity", "failure_models": "disks"}
"""The metric loop's persisted last run of a family (anomalies run every time)."""


class Loop(Protocol):
    def reload(self) -> None: ...

    def close(self) -> None: ...

    def collector(self) -> Collector: ...


L = TypeVar("L", bound=Loop)


class ShardPool(Generic[L]):
    """One loop object per shard held, built on first use over :class:`ShardState` (the shard's key prefix, its
    commits fenced by the shard lease). When the lease's token changed since the last run, another replica may
    have committed the shard meanwhile: the loop reloads its state first. With one shard, the one loop object
    lives as long as the pool (its metrics are registered once)."""

    def __init__(self, store: StateStore, replica: str, build: Callable[[LoopState], L]) -> None:
        self.store, self.replica, self.build = store, replica, build
        self._lock = threading.Lock()
        self._loops: dict[tuple[int, int], tuple[ShardState, L]] = {}

    def get(self, shard: Shard) -> L:
        key = (shard.index, shard.count)
        lease = None if shard.token is None else (shard.lease_name, self.replica, shard.token)
        with self._lock:
            found = self._loops.get(key)
            if found is None:
                view = ShardState(self.store, shard.prefix, lease)
                found = self._loops[key] = (view, self.build(view))
                return found[1]
        view, loop = found
        if view.lease != lease:
            view.lease = lease
            loop.reload()
        return loop

    def retain(self, shards: Sequence[Shard]) -> None:
        """Close the loops of shards no longer held (they are rebuilt from the store if the shard comes back)."""
        keep = {(s.index, s.count) for s in shards}
        with self._lock:
            gone = [key for key in self._loops if key not in keep and key[1] > 1]
            dropped = [self._loops.pop(key)[1] for key in gone]
        for loop in dropped:
            loop.close()

    def loops(self) -> list[L]:
        with self._lock:
            return [loop for _, loop in self._loops.values()]

    def by_shard(self) -> list[tuple[int, L]]:
        with self._lock:
            return sorted(((index, loop) for (index, _), (_, loop) in self._loops.items()), key=lambda x: x[0])

    def close(self) -> None:
        with self._lock:
            dropped = [loop for _, loop in self._loops.values()]
            self._loops.clear()
        for loop in dropped:
            loop.close()


class ShardedCollector(Collector):
    """The loops' own metrics when a replica runs several shards: every sample gets a ``shard`` label (bounded by
    ``analyzer.replicas.shards``) and the families of the shards are merged by name, so names stay as with one
    shard and ``sum without (shard)`` gives the replica's figure."""

    def __init__(self, pool: ShardPool[Any]) -> None:
        self.pool = pool

    def collect(self) -> Iterator[Metric]:
        merged: dict[str, Metric] = {}
        for index, loop in self.pool.by_shard():
            for family in loop.collector().collect():
                out = merged.get(family.name)
                if out is None:
                    out = merged[family.name] = Metric(family.name, family.documentation, family.type, family.unit)
                out.samples.extend(s._replace(labels={**s.labels, "shard": str(index)}) for s in family.samples)
        yield from merged.values()


class LogTask:
    """The log loop for one shard per call."""

    def __init__(self, pool: ShardPool[LogAnalyzer]) -> None:
        self.pool = pool

    def __call__(self, now: dt.datetime, shard: Shard) -> None:
        analyzer = self.pool.get(shard)
        try:
            report = analyzer.run_once(now, shard)
        except LogStoreError as exc:
            raise Unavailable(f"the log store is unavailable: {exc}") from exc
        if report.emitted or report.resolved:
            log.info("log analysis (shard %d of %d): %d events, %d new findings, %d resolved, %d active",
                     shard.index, shard.count, report.events, len(report.emitted), len(report.resolved),
                     report.active)  # fmt: skip

    def retain(self, shards: Sequence[Shard]) -> None:
        self.pool.retain(shards)


class MetricTask:
    """One family of the metric loop for one shard per call; the families share the shard's analyzer. ``cadence``
    lets forecasts and failure models skip a run their persisted last run makes early (just after a restart)."""

    def __init__(self, pool: ShardPool[MetricAnalyzer], family: Family, cadence: float) -> None:
        self.pool, self.family, self.cadence = pool, family, cadence

    def __call__(self, now: dt.datetime, shard: Shard) -> float | None:
        """Seconds until the family is due again (forecasts, failure models), for the scheduler."""
        analyzer = self.pool.get(shard)
        before = analyzer.errors["unavailable"]
        report = analyzer.run_once(now, shard, {self.family: self.cadence})
        if analyzer.errors["unavailable"] > before:
            raise Unavailable("the metrics store (VictoriaMetrics) is unavailable; the cycle is retried")
        if report.emitted or report.resolved:
            log.info("metric analysis (%s, shard %d of %d): %d new findings, %d resolved, %d active",
                     ", ".join(report.ran), shard.index, shard.count, len(report.emitted), len(report.resolved),
                     report.active)  # fmt: skip
        last = analyzer.tasks.get(LAST_RUN_KEY.get(self.family, ""))
        return None if last is None else max(0.0, last + self.cadence - now.timestamp())

    def retain(self, shards: Sequence[Shard]) -> None:
        self.pool.retain(shards)


class LeaderFence:
    """A transaction that commits only while this replica still holds the leader lease with the given token."""

    def __init__(self, store: StateStore, replica: str, lease_name: str = "leader") -> None:
        self.store, self.replica, self.lease_name = store, replica, lease_name
        self.token: int | None = None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        lease = None if self.token is None else (self.lease_name, self.replica, self.token)
        with ShardState(self.store, "", lease).transaction():
            yield


class LeaderTask:
    """A ``callable(now)`` of another module (correlation, delivery) as a leader-only task; ``fence`` gets the
    leader lease's token before each call, ``check`` may turn the call's report into a failure."""

    def __init__(
        self,
        run: Callable[[dt.datetime], object],
        fence: LeaderFence | None = None,
        check: Callable[[object], None] | None = None,
    ) -> None:
        self.run, self.fence, self.check = run, fence, check

    def __call__(self, now: dt.datetime, shard: Shard) -> None:
        if self.fence is not None:
            self.fence.token = shard.token
        result = self.run(now)
        if self.check is not None:
            self.check(result)


def delivery_check(report: object) -> None:
    """Delivery keeps its own per-peer backoff and ledger; when a peer refused, the run counts as failed so it
    shows on /health and /metrics (what was accepted elsewhere is already recorded)."""
    failed = getattr(report, "failed", None)
    if failed:
        raise Unavailable("Alertmanager: " + "; ".join(f"{peer}: {why}" for peer, why in sorted(failed.items())))


def leader_task(
    name: str,
    cadence: float,
    run: Callable[[dt.datetime], object],
    fence: LeaderFence | None = None,
    check: Callable[[object], None] | None = None,
) -> Task:
    """A leader-only :class:`~.scheduler.Task` around ``run(now)``."""
    return Task(name, cadence, LeaderTask(run, fence, check), leader_only=True)
