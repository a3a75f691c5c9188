"""The analyzer's scheduler assembled from the config: which tasks, on which cadences, over which stores.

Detector families (sharded by asset among the replicas): ``logs`` every ``analyzer.logs.interval``, ``anomalies``
every ``analyzer.metrics.interval`` (1 min), ``forecasts`` every ``metrics.forecast_interval`` (1 h),
``failure_models`` every ``metrics.failure_interval`` (1 day). On the leader: ``correlation`` every
``analyzer.correlation.interval`` and, when Alertmanager peers are configured, ``delivery`` every
``analyzer.alertmanager.interval``; callers may add more tasks (``extra``; the service's ``leader_tasks`` hook).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from typing import TYPE_CHECKING

from inframind.analyzer.assets import AssetDirectory
from inframind.analyzer.detect.risk import AssetRisk
from inframind.analyzer.logloop import LogAnalyzer
from inframind.analyzer.metricloop import FAMILIES, MetricAnalyzer
from inframind.analyzer.metricloop_metrics import MetricSnapshot
from inframind.analyzer.replicas import Membership
from inframind.analyzer.replicas_shard import EVERYTHING
from inframind.analyzer.scheduler import Scheduler, Task, TaskRegistry
from inframind.analyzer.scheduler_metrics import SchedulerCollector
from inframind.analyzer.scheduler_tasks import (
    LeaderFence,
    LogTask,
    MetricTask,
    ShardedCollector,
    ShardPool,
    delivery_check,
    leader_task,
)
from inframind.analyzer.state import LoopState, StateStore
from inframind.config import Config
from inframind.secrets import SecretError

if TYPE_CHECKING:
    from inframind.analyzer.api import Deps


class ShardedOutputs:
    """The metric loops of every shard this replica analyzes, as one source for the risk, forecast and anomaly
    routes of the API (each asset belongs to one shard, so the per-asset parts never overlap)."""

    def __init__(self, pool: ShardPool[MetricAnalyzer]) -> None:
        self.pool = pool

    def risk_of(self, asset: str) -> AssetRisk | None:
        return next((r for a in self.pool.loops() if (r := a.risk_of(asset)) is not None), None)

    def risk_as_of(self) -> float | None:
        stamps = [t for a in self.pool.loops() if (t := a.risk_as_of()) is not None]
        return min(stamps) if stamps else None

    @property
    def snapshot(self) -> MetricSnapshot:
        parts = [a.snapshot for a in self.pool.loops()]
        if not parts:
            return MetricSnapshot()
        stamps = [p.analyzed_until for p in parts if p.analyzed_until is not None]
        return MetricSnapshot(
            risk={k: v for p in parts for k, v in p.risk.items()},
            disk_probability=tuple(d for p in parts for d in p.disk_probability),
            time_to_full=tuple(t for p in parts for t in p.time_to_full),
            anomaly=tuple(sorted(a for p in parts for a in p.anomaly)),
            hotspot=parts[0].hotspot,
            cycle_seconds=parts[0].cycle_seconds,
            series_analyzed=dict(sum((Counter(p.series_analyzed) for p in parts), Counter())),
            errors=dict(sum((Counter(p.errors) for p in parts), Counter())),
            detectors=sum(p.detectors for p in parts),
            skipped=sum(p.skipped for p in parts),
            analyzed_until=min(stamps) if stamps else None,
        )


def _detector_tasks(config: Config, deps: Deps, state: StateStore, scheduler: Scheduler,
                    resources: ExitStack) -> list[Task]:  # fmt: skip
    from inframind.analyzer.logloop_runner import build_log_analyzer
    from inframind.analyzer.metricloop_runner import build_metric_analyzer

    analyzer, replica = config.analyzer, scheduler.membership.replica
    one_shard = analyzer.replicas.shards == 1
    registry = deps.registry if one_shard else None  # several shards: one ShardedCollector per family
    directory = AssetDirectory(deps.inventory, deps.assets)
    tasks: list[Task] = []
    logs, logstore = analyzer.logs, deps.logstore
    if logs.enabled and logstore is not None:

        def log_loop(view: LoopState) -> LogAnalyzer:
            return build_log_analyzer(logs, logstore, view, directory, registry)

        log_pool: ShardPool[LogAnalyzer] = ShardPool(state, replica, log_loop)
        resources.callback(log_pool.close)
        if one_shard:
            log_pool.get(EVERYTHING)  # its metrics are on /metrics from the start
        else:
            deps.registry.register(ShardedCollector(log_pool))
        tasks.append(Task("logs", logs.interval, LogTask(log_pool), sharded=True))
    metrics = analyzer.metrics
    if metrics.enabled:
        from inframind.analyzer.service import vm_read

        read_url, read_headers = vm_read(config)

        def metric_loop(view: LoopState) -> MetricAnalyzer:
            return build_metric_analyzer(metrics, read_url, view, directory=directory, registry=registry,
                                         sleep=scheduler.stopping.wait, headers=read_headers)  # fmt: skip

        metric_pool: ShardPool[MetricAnalyzer] = ShardPool(state, replica, metric_loop)
        resources.callback(metric_pool.close)
        if one_shard:
            deps.risk = deps.metric_outputs = metric_pool.get(EVERYTHING)
        else:
            deps.risk = deps.metric_outputs = ShardedOutputs(metric_pool)
            deps.registry.register(ShardedCollector(metric_pool))
        cadences = {"anomalies": metrics.interval, "forecasts": metrics.forecast_interval,
                    "failure_models": metrics.failure_interval, **analyzer.schedule.cadences}  # fmt: skip
        tasks.extend(Task(f, cadences[f], MetricTask(metric_pool, f, cadences[f]), sharded=True) for f in FAMILIES)
    return tasks


def leader_tasks(config: Config, deps: Deps, state: StateStore, replica: str) -> list[Task]:
    """Correlation (fenced by the leader lease) and, with Alertmanager peers configured, delivery.

    Also completes ``deps.delivery`` in place (ITSM webhook, Telegram relay, feedback links): those routes
    answer on every replica, while the delivery task runs on the leader only.
    """
    from inframind.analyzer.correlation_task import TASK_NAME, CorrelationTask
    from inframind.analyzer.delivery_setup import build_delivery
    from inframind.analyzer.recommend_setup import store_recommender
    from inframind.config.delivery import delivery_settings

    tasks: list[Task] = []
    correlation = config.analyzer.correlation
    if correlation.enabled:
        fence = LeaderFence(state, replica)
        task = CorrelationTask(state.findings, state.incidents, deps.inventory, correlation, fence.transaction)
        tasks.append(leader_task(TASK_NAME, correlation.interval, task, fence))
    settings = delivery_settings(config.analyzer)
    # Delivery runs on the scheduler's thread: a recommender (and its VictoriaMetrics client) of its own.
    recommender = store_recommender(config, deps.logstore, deps.inventory, settings.alertmanager.language)
    try:
        delivery = build_delivery(
            settings, state, inventory=deps.inventory, registry=deps.registry, recommend=recommender.for_delivery
        )
    except SecretError as exc:
        raise OSError(f"analyzer.alertmanager.password: {exc}") from None
    deps.delivery.tickets = delivery.deps.tickets
    deps.delivery.relay = delivery.deps.relay
    deps.delivery.feedback = delivery.deps.feedback
    if delivery.task is not None:
        tasks.append(leader_task("delivery", delivery.interval, delivery.task, check=delivery_check))
    return tasks


def with_cadences(tasks: Sequence[Task], cadences: Mapping[str, float]) -> list[Task]:
    """``tasks`` with the cadences of ``analyzer.schedule.cadences``; a name no task has is an error."""
    unknown = sorted(set(cadences) - {t.name for t in tasks})
    if unknown:
        known = ", ".join(sorted(t.name for t in tasks))
        raise OSError(f"analyzer.schedule.cadences: no task named {', '.join(unknown)} (tasks: {known})")
    return [dataclasses.replace(t, cadence=cadences[t.name]) if t.name in cadences else t for t in tasks]


def build_scheduler(
    config: Config, deps: Deps, state: StateStore, resources: ExitStack, extra: Sequence[Task] = ()
) -> Scheduler:
    """The scheduler with every task registered (``extra``: more tasks, e.g. leader-only ones of other parts) and
    its collector on ``deps.registry`` (not started); ``resources`` closes the loops it built."""
    registry = TaskRegistry()
    membership = Membership(state, config.analyzer.replicas)
    scheduler = Scheduler(registry, membership, retry_initial=config.analyzer.schedule.retry_initial)
    tasks = [*_detector_tasks(config, deps, state, scheduler, resources),
             *leader_tasks(config, deps, state, membership.replica), *extra]  # fmt: skip
    for task in with_cadences(tasks, config.analyzer.schedule.cadences):
        registry.add(task)
    deps.registry.register(SchedulerCollector(scheduler))
    return scheduler
