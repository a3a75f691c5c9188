"""The scheduler: cadences, retry with backoff, leader-only and sharded tasks, health and metrics, degradation.

The state store is a real SQLite file; the clocks are fixed so cadences and lags are exact. The log store outage is
a wrapper that raises for a while (an SQLite file cannot go down); the metrics store outage is a real refused
connection on 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from inframind.analyzer.detect.logrules import LogRule, Match
from inframind.analyzer.logloop import LogAnalyzer
from inframind.analyzer.logloop_settings import LogAnalysisSettings
from inframind.analyzer.metricloop import FAMILIES, MetricAnalyzer
from inframind.analyzer.metricloop_runner import build_metric_analyzer
from inframind.analyzer.replicas import Membership
from inframind.analyzer.replicas_shard import Shard
from inframind.analyzer.rulefiles import RuleGroup
from inframind.analyzer.scheduler import Scheduler, Task, TaskRegistry, Unavailable, failure_reason
from inframind.analyzer.scheduler_metrics import SchedulerCollector
from inframind.analyzer.scheduler_tasks import LeaderFence, LogTask, MetricTask, ShardPool, leader_task
from inframind.analyzer.scheduler_wiring import with_cadences
from inframind.analyzer.state import LeaseLost, LoopState, ReplicaSettings, StateDB, StateError
from inframind.config import MetricAnalysisSettings, SQLiteStoreSettings, load_config
from inframind.events import LogEvent
from inframind.logstore import LogStoreError
from inframind.logstore.sqlite import SQLiteStore
from inframind.schema import ConfigError, Regex
from tests.helpers.procs import free_port

T0 = 1_800_000_000.0


@dataclass
class Clock:
    now: float = T0

    def __call__(self) -> float:
        return self.now


@dataclass
class Recorder:
    """A task body that records its calls and fails while ``failing`` holds an exception."""

    calls: list[tuple[dt.datetime, Shard]] = field(default_factory=list)
    failing: Exception | None = None
    kept: list[list[Shard]] = field(default_factory=list)

    def __call__(self, now: dt.datetime, shard: Shard) -> None:
        self.calls.append((now, shard))
        if self.failing is not None:
            raise self.failing

    def retain(self, shards: Sequence[Shard]) -> None:
        self.kept.append(list(shards))


@dataclass
class Rig:
    db: StateDB
    clock: Clock
    monotonic: Clock
    tasks: TaskRegistry

    def scheduler(self, replica: str = "r1", shards: int = 1) -> Scheduler:
        settings = ReplicaSettings(id=replica, shards=shards, lease_ttl=30.0)
        membership = Membership(self.db, settings, monotonic=self.monotonic)
        return Scheduler(self.tasks, membership, clock=self.clock)


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    clock = Clock()
    db = StateDB(tmp_path / "analysis.db", clock=clock)
    yield Rig(db, clock, Clock(0.0), TaskRegistry())
    db.close()


def test_a_task_runs_on_its_cadence_with_the_run_time_deducted(rig: Rig) -> None:
    body = Recorder()
    task = Task("logs", 60.0, body)
    scheduler = rig.scheduler()
    assert scheduler.run_task(task) == 60.0
    assert body.calls == [(dt.datetime.fromtimestamp(T0, dt.UTC), Shard())]
    assert scheduler.health()["tasks"]["logs"]["state"] == "ok"


def test_a_failing_task_backs_off_doubling_up_to_its_cadence_and_recovers(rig: Rig) -> None:
    body = Recorder(failing=Unavailable("VictoriaMetrics: connection refused"))
    task = Task("anomalies", 60.0, body)
    scheduler = rig.scheduler()
    delays = [scheduler.run_task(task) for _ in range(6)]
    assert delays == [5.0, 10.0, 20.0, 40.0, 60.0, 60.0]
    health = scheduler.health()
    assert health["status"] == "degraded"
    assert health["tasks"]["anomalies"] | {"lag_seconds": 0} == {
        "state": "failing",
        "cadence_seconds": 60.0,
        "last_success": None,
        "lag_seconds": 0,
        "consecutive_failures": 6,
        "last_error": "VictoriaMetrics: connection refused",
    }
    body.failing = None
    rig.clock.now += 200.0
    assert scheduler.run_task(task) == 60.0
    after = scheduler.health()
    assert after["status"] == "ok"
    assert after["tasks"]["anomalies"]["consecutive_failures"] == 0
    assert after["tasks"]["anomalies"]["last_success"] == T0 + 200.0
    assert scheduler.status()[0].failures == {"unavailable": 6}


def test_lag_is_how_far_past_its_cadence_the_last_success_is(rig: Rig) -> None:
    body = Recorder()
    task = Task("forecasts", 3600.0, body)
    scheduler = rig.scheduler()
    scheduler.run_task(task)
    body.failing = OSError("no route")
    rig.clock.now += 3600.0
    scheduler.run_task(task)
    rig.clock.now += 1000.0
    assert scheduler.health()["tasks"]["forecasts"]["lag_seconds"] == 1000.0
    assert scheduler.status()[0].lag(rig.clock.now, scheduler.started) == 1000.0


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (LeaseLost("moved"), "lease_lost"),
        (StateError("db down"), "state"),
        (Unavailable("down"), "unavailable"),
        (ConnectionRefusedError(), "unavailable"),
        (TimeoutError(), "unavailable"),
        (ValueError("bug"), "error"),
    ],
)
def test_failures_are_counted_by_a_bounded_reason(error: Exception, reason: str) -> None:
    assert failure_reason(error) == reason


def test_leader_only_tasks_wait_on_a_standby_and_run_once_it_leads(rig: Rig) -> None:
    rival = rig.db.leases.acquire("leader", "r0", 30.0)
    assert rival is not None
    body = Recorder()
    task = Task("correlation", 60.0, body, leader_only=True)
    scheduler = rig.scheduler()
    scheduler.membership.tick()
    assert scheduler.run_task(task) == 10.0  # looks again at the next heartbeat, not a whole cadence later
    assert body.calls == []
    assert scheduler.health()["tasks"]["correlation"]["state"] == "standby"
    rig.clock.now += 31.0  # r0 stopped renewing
    scheduler.membership.tick()
    assert scheduler.run_task(task) == 60.0
    lease = rig.db.leases.get("leader")
    assert lease is not None and lease.holder == "r1"
    assert body.calls[0][1] == Shard(0, 1, lease.token)


def test_sharded_tasks_run_once_per_held_shard_and_learn_which_they_keep(rig: Rig) -> None:
    body = Recorder()
    task = Task("logs", 60.0, body, sharded=True)
    scheduler = rig.scheduler(shards=3)
    scheduler.membership.tick()
    scheduler.run_task(task)
    assert [(s.index, s.count) for _, s in body.calls] == [(0, 3), (1, 3), (2, 3)]
    assert all(s.token is not None for _, s in body.calls)
    assert body.kept == [[s for _, s in body.calls]]


def test_a_sharded_task_with_no_shard_is_idle(rig: Rig) -> None:
    body = Recorder()
    scheduler = rig.scheduler(shards=2)  # never ticked: holds nothing
    assert scheduler.run_task(Task("logs", 60.0, body, sharded=True)) == 10.0
    assert body.calls == []
    assert scheduler.health()["tasks"]["logs"]["state"] == "idle"


def test_the_registry_refuses_what_cannot_be_scheduled() -> None:
    tasks = TaskRegistry()
    tasks.add(Task("logs", 60.0, Recorder()))
    with pytest.raises(ValueError, match="already registered"):
        tasks.add(Task("logs", 30.0, Recorder()))
    with pytest.raises(ValueError, match="positive"):
        tasks.add(Task("x", 0.0, Recorder()))
    with pytest.raises(ValueError, match="cannot be sharded"):
        tasks.add(Task("y", 1.0, Recorder(), leader_only=True, sharded=True))


def test_cadences_from_the_schedule_section_override_by_name() -> None:
    tasks = [Task("logs", 60.0, Recorder()), Task("forecasts", 3600.0, Recorder())]
    assert [t.cadence for t in with_cadences(tasks, {"forecasts": 1800.0})] == [60.0, 1800.0]
    with pytest.raises(OSError, match=r"no task named forecast \(tasks: forecasts, logs\)"):
        with_cadences(tasks, {"forecast": 1800.0})


def test_health_and_leadership_are_on_metrics(rig: Rig) -> None:
    failing = Task("anomalies", 60.0, Recorder(failing=Unavailable("down")))
    scheduler = rig.scheduler()
    scheduler.membership.tick()
    scheduler.run_task(Task("logs", 60.0, Recorder()))
    scheduler.run_task(failing)
    scheduler.run_task(failing)
    registry = CollectorRegistry()
    registry.register(SchedulerCollector(scheduler))
    text = generate_latest(registry).decode()
    assert 'inframind_analyzer_task_last_success_timestamp_seconds{task="logs"} 1.8e+09' in text
    assert 'inframind_analyzer_task_failures_total{reason="unavailable",task="anomalies"} 2.0' in text
    assert 'inframind_analyzer_task_lag_seconds{task="anomalies"} 0.0' in text
    assert "inframind_analyzer_is_leader 1.0" in text
    assert 'inframind_analyzer_shard_info{replica="r1",shards="0"} 1.0' in text
    assert "inframind_analyzer_replicas_live 1.0" in text


def test_a_leader_task_commits_only_while_it_holds_the_lease(rig: Rig) -> None:
    fence = LeaderFence(rig.db, "r1")
    written: list[int] = []

    def correlate(now: dt.datetime) -> None:
        with fence.transaction():
            rig.db.put("incident/x", {"n": len(written)}, now)
            written.append(1)

    scheduler = rig.scheduler()
    scheduler.membership.tick()
    task = leader_task("correlation", 60.0, correlate, fence)
    scheduler.run_task(task)
    assert rig.db.get("incident/x") == {"n": 0}
    # another replica took the lease while this one was paused: its next commit is refused
    rig.clock.now += 31.0
    assert rig.db.leases.acquire("leader", "r2", 30.0) is not None
    rig.clock.now -= 31.0
    scheduler.run_task(task, now=T0)
    assert rig.db.get("incident/x") == {"n": 0}
    assert scheduler.status()[0].failures == {"lease_lost": 1}


# ---------------------------------------------------------------- degradation with the real loops


class FlakyLogStore(SQLiteStore):
    """The SQLite log store, unreachable while ``down`` (as an OpenSearch cluster may be)."""

    down = False

    def read_after(self, position: str | None, limit: int, tenant: str | None = None) -> tuple[list[LogEvent], str]:
        if self.down:
            raise LogStoreError("log store http://127.0.0.1:9200: connection refused")
        return super().read_after(position, limit, tenant)


def test_a_log_store_outage_is_retried_and_the_loop_catches_up_from_its_cursor(rig: Rig, tmp_path: Path) -> None:
    logs = FlakyLogStore(SQLiteStoreSettings(path=str(tmp_path / "logs.db")))
    rules = [RuleGroup("t", (LogRule("DiskIO", Match(regex=Regex("I/O error")), threshold=1, window=600),))]

    def build(view: LoopState) -> LogAnalyzer:
        return LogAnalyzer(logs, view, LogAnalysisSettings(), rules, clock=rig.clock)

    pool: ShardPool[LogAnalyzer] = ShardPool(rig.db, "r1", build)
    task = Task("logs", 60.0, LogTask(pool), sharded=True)
    scheduler = rig.scheduler()
    scheduler.membership.tick()
    at = dt.datetime.fromtimestamp(T0, dt.UTC)
    logs.write([LogEvent(at, "syslog", "error", "sda: I/O error", host="a", asset_id="srv-1")])
    assert scheduler.run_task(task) == 60.0
    logs.down = True
    logs.write([LogEvent(at, "syslog", "error", "sdb: I/O error", host="b", asset_id="srv-2")])
    assert [scheduler.run_task(task) for _ in range(2)] == [5.0, 10.0]
    assert "connection refused" in scheduler.health()["tasks"]["logs"]["last_error"]
    assert rig.db.get("cursor") == "1"
    logs.down = False
    assert scheduler.run_task(task) == 60.0
    assert rig.db.get("cursor") == logs.end_position()
    active = {r.finding.asset_id for r in rig.db.findings.list(state="active", kind="log.rule")}
    assert active == {"srv-1", "srv-2"}
    pool.close()
    logs.close()


def test_a_metrics_store_outage_fails_each_family_and_shows_on_health(rig: Rig) -> None:
    settings = MetricAnalysisSettings(retries=0, timeout=2.0)
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there

    def build(view: LoopState) -> MetricAnalyzer:
        return build_metric_analyzer(settings, down, view)

    pool: ShardPool[MetricAnalyzer] = ShardPool(rig.db, "r1", build)
    scheduler = rig.scheduler()
    scheduler.membership.tick()
    for family in FAMILIES:
        task = Task(family, 60.0, MetricTask(pool, family, 60.0), sharded=True)
        assert scheduler.run_task(task) == 5.0
    health = scheduler.health()
    assert health["status"] == "degraded"
    assert {name: t["state"] for name, t in health["tasks"].items()} == {
        "anomalies": "failing",
        "forecasts": "failing",
        "failure_models": "failing",
    }
    assert all("VictoriaMetrics" in t["last_error"] for t in health["tasks"].values())
    pool.close()


def test_state_replicas_and_schedule_live_in_the_config(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yml"
    cfg.write_text(
        "analyzer:\n"
        "  state: {backend: postgres, dsn: env:PG_DSN}\n"
        "  replicas: {id: r1, shards: 8, lease_ttl: 30s, heartbeat: 5s}\n"
        "  schedule: {retry_initial: 2s, cadences: {forecasts: 30m}}\n"
    )
    analyzer = load_config(cfg, env={"INFRAMIND__ANALYZER__SCHEDULE__CADENCES__FAILURE_MODELS": "12h"}).analyzer
    assert analyzer.state.backend == "postgres" and analyzer.state.dsn is not None
    assert analyzer.state.dsn.resolve({"PG_DSN": "host=127.0.0.1"}) == "host=127.0.0.1"
    assert (analyzer.replicas.replica_id, analyzer.replicas.shards, analyzer.replicas.renew_every) == ("r1", 8, 5.0)
    assert analyzer.schedule.cadences == {"forecasts": 1800.0, "failure_models": 43200.0}
    assert analyzer.schedule.retry_initial == 2.0
    cfg.write_text(
        "analyzer:\n"
        "  state: {backend: postgres}\n"
        "  replicas: {shards: 0, lease_ttl: 10s, heartbeat: 10s}\n"
        "  schedule: {cadences: {logs: 0s}}\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(cfg, env={})
    message = str(caught.value)
    for field_path in ("analyzer.state.dsn", "analyzer.replicas.shards", "analyzer.replicas.heartbeat",
                       "analyzer.schedule.cadences.logs"):  # fmt: skip
        assert field_path in message, message


def test_forecasts_and_failure_models_are_not_redone_right_after_a_restart(rig: Rig) -> None:
    """Their last runs are in the state store: a restarted replica waits for the cadence. The metrics store is down,
    so a run that queries it fails: the first runs succeed only because they have nothing to do."""
    at = dt.datetime.fromtimestamp(T0, dt.UTC)
    rig.db.put("metric/tasks", {"capacity": T0 - 600.0, "disks": T0 - 600.0}, at)
    down = f"http://127.0.0.1:{free_port()}"
    pool: ShardPool[MetricAnalyzer] = ShardPool(
        rig.db, "r1", lambda view: build_metric_analyzer(MetricAnalysisSettings(retries=0), down, view)
    )
    scheduler = rig.scheduler()
    scheduler.membership.tick()
    forecasts = Task("forecasts", 3600.0, MetricTask(pool, "forecasts", 3600.0), sharded=True)
    failures = Task("failure_models", 86400.0, MetricTask(pool, "failure_models", 86400.0), sharded=True)
    assert scheduler.run_task(forecasts) == 3000.0  # due an hour after the last run, not after the restart
    assert scheduler.run_task(failures) == 85800.0
    rig.clock.now += 3000.0  # the forecasts are now an hour old, the failure models not a day
    assert scheduler.run_task(forecasts) == 5.0
    assert scheduler.run_task(failures) == 82800.0
    assert {s.task.name: s.state for s in scheduler.status()} == {"forecasts": "failing", "failure_models": "ok"}
    pool.close()
