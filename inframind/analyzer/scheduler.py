"""The analyzer's scheduler: every task on its own cadence, on its own thread, retried with backoff.

Tasks come from a small registry (:class:`TaskRegistry`, filled by :mod:`.scheduler_wiring`): logs and
anomalies every minute, forecasts hourly, failure models daily, correlation and delivery on the leader. A task
is called as ``run(now, shard)``:

- ``sharded`` tasks once per shard this replica holds (see :mod:`.replicas`), with that shard;
- ``leader_only`` tasks only while this replica holds the leader lease, with every asset and the lease's token;
- the others on every replica, with every asset.

A failing task (VictoriaMetrics, the log store, Alertmanager or the state store down) is retried after 5 s,
10 s, 20 s ... up to its cadence, counted by reason, and shown by :meth:`Scheduler.health` and on /metrics
(:mod:`.scheduler_metrics`); a task waiting for the lead or a shard looks again at every heartbeat. It catches
up by itself because
the loops read from their committed cursors. Nothing of the scheduler's own is persisted: what must survive a
restart (cursors, detector state, findings) is in the state store, so a restart re-alerts nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from inframind.analyzer.replicas import Membership
from inframind.analyzer.replicas_shard import EVERYTHING, Shard
from inframind.analyzer.state import LeaseLost, StateError

log = logging.getLogger(__name__)
TaskState = Literal["pending", "ok", "failing", "standby", "idle"]
RETRY_INITIAL = 5.0


class Unavailable(Exception):
    """A dependency of the task (metrics store, log store, Alertmanager) could not be reached."""


def failure_reason(exc: BaseException) -> str:
    """A bounded label for ``..._task_failures_total{reason}``."""
    if isinstance(exc, LeaseLost):
        return "lease_lost"
    if isinstance(exc, StateError):
        return "state"
    if isinstance(exc, Unavailable | OSError | TimeoutError):
        return "unavailable"
    return "error"


@dataclass(frozen=True)
class Task:
    name: str
    cadence: float
    """Seconds from the start of one run to the start of the next."""
    run: Callable[[dt.datetime, Shard], object]
    """Called as ``run(now, shard)``; a number returned is the seconds until the task has work again (sooner
    than its cadence when its last run, persisted, was before a restart)."""
    leader_only: bool = False
    sharded: bool = False


class ShardAware(Protocol):
    """A sharded task's callable may also want to know which shards it keeps (to drop the state of the rest)."""

    def retain(self, shards: Sequence[Shard]) -> None: ...


class TaskRegistry:
    """Tasks by name; register before :meth:`Scheduler.start`."""

    def __init__(self) -> None:
        self._tasks: dict[str, Task] = {}

    def add(self, task: Task) -> None:
        if task.name in self._tasks:
            raise ValueError(f"a task named {task.name!r} is already registered")
        if task.cadence <= 0:
            raise ValueError(f"task {task.name!r}: the cadence must be positive")
        if task.leader_only and task.sharded:
            raise ValueError(f"task {task.name!r}: leader-only tasks see every asset, they cannot be sharded")
        self._tasks[task.name] = task

    def __iter__(self) -> Iterator[Task]:
        return iter(list(self._tasks.values()))

    def __len__(self) -> int:
        return len(self._tasks)


@dataclass
class TaskStatus:
    task: Task
    state: TaskState = "pending"
    last_success: float | None = None
    """Wall-clock start of the last successful run."""
    last_attempt: float | None = None
    last_duration: float = 0.0
    last_error: str = ""
    consecutive_failures: int = 0
    failures: dict[str, int] = field(default_factory=dict)

    def lag(self, now: float, since: float) -> float:
        """Seconds behind schedule: how long past its cadence the last success is (0 while on time)."""
        if self.state in ("standby", "idle"):
            return 0.0
        return max(0.0, now - (self.last_success if self.last_success is not None else since) - self.task.cadence)


class Scheduler:
    def __init__(
        self,
        tasks: TaskRegistry,
        membership: Membership,
        *,
        clock: Callable[[], float] = time.time,
        retry_initial: float = RETRY_INITIAL,
    ) -> None:
        self.tasks, self.membership, self.clock = tasks, membership, clock
        self.retry_initial = retry_initial
        self.started = clock()
        self._status: dict[str, TaskStatus] = {}
        self._lock = threading.Lock()
        self.stopping = threading.Event()
        """Set on :meth:`stop`; tasks may wait on it between retries so a stop cuts them short."""
        self._threads: list[threading.Thread] = []

    def status(self) -> list[TaskStatus]:
        with self._lock:
            return list(self._status.values())

    # ------------------------------------------------------------ one run

    def run_task(self, task: Task, now: float | None = None) -> float:
        """Run ``task`` once as its thread would; returns the seconds until its next run."""
        started = self.clock() if now is None else now
        at = dt.datetime.fromtimestamp(started, dt.UTC)
        with self._lock:
            status = self._status.setdefault(task.name, TaskStatus(task))
        shards = self._shards_for(task)
        if shards is None or not shards:
            status.state = "standby" if shards is None else "idle"
            # look again at the next heartbeat: a replica that just took the lead (or a shard) starts at once
            return min(task.cadence, self.membership.settings.renew_every)
        errors: list[BaseException] = []
        due_in: list[float] = []
        for shard in shards:
            try:
                result = task.run(at, shard)
            except Exception as exc:
                errors.append(exc)
                log.warning("task %s (shard %d of %d) failed: %s", task.name, shard.index, shard.count, exc,
                            exc_info=not isinstance(exc, Unavailable | OSError | StateError))  # fmt: skip
                continue
            if isinstance(result, int | float) and not isinstance(result, bool):
                due_in.append(float(result))
        status.last_attempt, status.last_duration = started, round(self.clock() - started, 6)
        if not errors:
            status.state, status.last_success, status.consecutive_failures, status.last_error = "ok", started, 0, ""
            return max(0.0, min([task.cadence, *due_in]) - status.last_duration)
        for error in errors:
            reason = failure_reason(error)
            status.failures[reason] = status.failures.get(reason, 0) + 1
        status.state, status.last_error = "failing", str(errors[-1])
        status.consecutive_failures += 1
        return float(min(task.cadence, self.retry_initial * 2.0 ** (status.consecutive_failures - 1)))

    def _shards_for(self, task: Task) -> list[Shard] | None:
        """The shards to run ``task`` for now; None when it is leader-only and we do not lead."""
        if task.leader_only:
            leader = self.membership.leader()
            return None if leader is None else [leader]
        if not task.sharded:
            return [EVERYTHING]
        shards = self.membership.shards()
        retain = getattr(task.run, "retain", None)
        if callable(retain):
            retain(shards)
        return shards

    # ------------------------------------------------------------ threads

    def membership_task(self) -> Task:
        return Task("membership", self.membership.settings.renew_every, lambda _now, _shard: self.membership.tick())

    def start(self) -> None:
        """Join the replicas (once, synchronously, so the first runs know their shards), then one thread per task."""
        beat = self.membership_task()
        self.run_task(beat)
        for task in [beat, *self.tasks]:
            thread = threading.Thread(target=self._loop, args=(task, task is beat), name=f"task-{task.name}",
                                      daemon=True)  # fmt: skip
            thread.start()
            self._threads.append(thread)

    def _loop(self, task: Task, already_ran: bool) -> None:
        delay = task.cadence if already_ran else 0.0
        while not self.stopping.wait(delay):
            delay = self.run_task(task)

    def stop(self, timeout: float = 60.0) -> None:
        """Let runs in flight finish, then hand our leases and shards over (the survivors need not wait a TTL)."""
        self.stopping.set()
        for thread in self._threads:
            thread.join(timeout)
        try:
            self.membership.leave()
        except StateError as exc:
            log.warning("could not release the leases on stop (they expire by themselves): %s", exc)

    # ------------------------------------------------------------ health

    def health(self) -> dict[str, Any]:
        """``ok``, or ``degraded`` while a task (or the heartbeat) fails; per-task state, lag and last error."""
        now, view = self.clock(), self.membership.view()
        tasks = {}
        for status in self.status():
            tasks[status.task.name] = {
                "state": status.state,
                "cadence_seconds": status.task.cadence,
                "last_success": status.last_success,
                "lag_seconds": round(status.lag(now, self.started), 3),
                "consecutive_failures": status.consecutive_failures,
                "last_error": status.last_error,
            }
        degraded = any(t["state"] == "failing" for t in tasks.values())
        return {
            "status": "degraded" if degraded else "ok",
            "replica": view.replica,
            "leader": view.leader,
            "shards": {"count": view.count, "held": list(view.shards)},
            "replicas": list(view.live),
            "tasks": tasks,
        }
