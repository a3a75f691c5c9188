"""The scheduler's own health on /metrics, built fresh on every scrape (DESIGN §4).

- ``inframind_analyzer_task_last_success_timestamp_seconds{task}``: when the task last ran through.
- ``inframind_analyzer_task_failures_total{task,reason}``: failed runs by reason (``unavailable``, ``state``,
  ``lease_lost``, ``error``).
- ``inframind_analyzer_task_lag_seconds{task}``: how far behind its cadence the task is (0 while on time).
- ``inframind_analyzer_task_duration_seconds{task}``: how long the last run took.
- ``inframind_analyzer_is_leader``: 1 on the replica holding the leader lease (correlation, delivery).
- ``inframind_analyzer_shard_info{replica,shards}``: always 1; ``shards`` lists the shards held (``0,2``).
- ``inframind_analyzer_shards``, ``inframind_analyzer_replicas_live``: shards in all, live replicas seen.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from inframind.analyzer.scheduler import Scheduler

P = "inframind_analyzer_"


class SchedulerCollector(Collector):
    def __init__(self, scheduler: Scheduler) -> None:
        self.scheduler = scheduler

    def collect(self) -> Iterator[Metric]:
        s = self.scheduler
        now, view = s.clock(), s.membership.view()
        success = GaugeMetricFamily(P + "task_last_success_timestamp_seconds",
                                    "Unix time the task last ran through.", labels=["task"])  # fmt: skip
        failures = CounterMetricFamily(P + "task_failures", "Failed task runs by reason.", labels=["task", "reason"])
        lag = GaugeMetricFamily(P + "task_lag_seconds", "Seconds the task is behind its cadence (0: on time).",
                                labels=["task"])  # fmt: skip
        duration = GaugeMetricFamily(P + "task_duration_seconds", "Duration of the task's last run.", labels=["task"])
        for status in sorted(s.status(), key=lambda st: st.task.name):
            name = status.task.name
            if status.last_success is not None:
                success.add_metric([name], status.last_success)
            for reason, count in sorted(status.failures.items()):
                failures.add_metric([name, reason], count)
            lag.add_metric([name], status.lag(now, s.started))
            duration.add_metric([name], status.last_duration)
        yield from (success, failures, lag, duration)
        yield GaugeMetricFamily(P + "is_leader", "1 on the replica holding the leader lease.", value=int(view.leader))
        info = GaugeMetricFamily(P + "shard_info", "The shards this replica holds (always 1).",
                                 labels=["replica", "shards"])  # fmt: skip
        info.add_metric([view.replica, ",".join(map(str, view.shards))], 1)
        yield info
        yield GaugeMetricFamily(P + "shards", "Shards the assets are hashed into.", value=view.count)
        yield GaugeMetricFamily(P + "replicas_live", "Replicas with a live heartbeat.", value=len(view.live))
