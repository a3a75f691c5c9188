"""The log analyzer's metrics on the analyzer's /metrics, built fresh on every scrape (DESIGN §4).

- ``inframind_log_template_rate{tenant,asset,template_id}``: events per second over the last ``rate_window``
  (by event time), for the ``top_n`` busiest templates of each asset. A gauge, so a template that drops out of
  the top N simply has no series any more: cardinality stays at most ``top_n`` per asset, with no counter that
  would have to go backwards. A template the miner generalizes mid-window shows under both ids until the old
  one leaves the window.
- ``inframind_log_templates_evicted_total``: templates the miners' LRU bound dropped (kept across restarts).
- ``inframind_log_analyzer_events_total``: events this process analyzed.
- ``inframind_log_analyzer_lag_seconds``: seconds since the loop last read the log store to its end (0 right
  after a cycle that did): grows when the analyzer stops or falls behind.
- ``inframind_findings_active{kind,severity}``: active findings of every detector, from the findings store.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from inframind.analyzer.state import FindingsStore


class TemplateRates:
    """Events per (tenant, asset, template) in small time buckets covering the last window."""

    def __init__(self, window: float, top_n: int, buckets: int = 10) -> None:
        self.window, self.top_n = window, top_n
        self.width = window / buckets
        self.counts: dict[tuple[str, str], dict[str, dict[int, int]]] = {}

    def add(self, tenant: str, asset: str, template_id: str, at: float) -> None:
        per = self.counts.setdefault((tenant, asset), {}).setdefault(template_id, {})
        bucket = int(at // self.width)
        per[bucket] = per.get(bucket, 0) + 1

    def top(self, now: float) -> list[tuple[str, str, str, float]]:
        """(tenant, asset, template id, events/s) for the busiest templates per asset; forgets older buckets."""
        first = int((now - self.window) // self.width) + 1
        out: list[tuple[str, str, str, float]] = []
        for (tenant, asset), templates in list(self.counts.items()):
            totals = {}
            for tid, per in list(templates.items()):
                for b in [b for b in per if b < first]:
                    del per[b]
                if not per:
                    del templates[tid]
                    continue
                totals[tid] = sum(n for b, n in per.items() if b * self.width <= now)
            if not templates:
                del self.counts[(tenant, asset)]
                continue
            busiest = heapq.nlargest(self.top_n, totals.items(), key=lambda item: (item[1], item[0]))
            out.extend((tenant, asset, tid, n / self.window) for tid, n in busiest if n > 0)
        return out


@dataclass(frozen=True)
class LoopMetrics:
    """What the loop knew at the end of its last cycle (swapped in whole, read by scrapes)."""

    rates: tuple[tuple[str, str, str, float], ...] = ()
    evicted: int = 0
    events: int = 0
    caught_up_at: float | None = None


class LogAnalyzerCollector(Collector):
    def __init__(self, metrics: Callable[[], LoopMetrics], clock: Callable[[], float]) -> None:
        self._metrics = metrics
        self._clock = clock

    def collect(self) -> Iterator[Metric]:
        m = self._metrics()
        rate = GaugeMetricFamily(
            "inframind_log_template_rate",
            "Events per second of a log template on an asset over the last window (the busiest templates per asset).",
            labels=["tenant", "asset", "template_id"],
        )
        for tenant, asset, tid, value in m.rates:
            rate.add_metric([tenant, asset, tid], value)
        yield rate
        yield CounterMetricFamily(
            "inframind_log_templates_evicted", "Templates dropped by the miners' LRU bound.", value=m.evicted
        )
        yield CounterMetricFamily(
            "inframind_log_analyzer_events", "Log events analyzed by this process.", value=m.events
        )
        lag = 0.0 if m.caught_up_at is None else max(0.0, self._clock() - m.caught_up_at)
        yield GaugeMetricFamily(
            "inframind_log_analyzer_lag_seconds",
            "Seconds since the log analyzer last read the log store to its end.",
            value=lag,
        )


class FindingsCollector(Collector):
    def __init__(self, store: FindingsStore) -> None:
        self._store = store

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "inframind_findings_active", "Active findings by kind and severity.", labels=["kind", "severity"]
        )
        for (kind, severity), n in sorted(self._store.active_counts().items()):
            family.add_metric([kind, severity], n)
        yield family
