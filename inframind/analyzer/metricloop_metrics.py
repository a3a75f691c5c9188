"""The metric loop's outputs on the analyzer's /metrics, built fresh on every scrape from the last cycle.

Analytics (Grafana and vmalert read them like any metric; cardinality is bounded by assets, not raw series):

- ``inframind_asset_risk_score{tenant,asset}``: 0-100, see :mod:`inframind.analyzer.detect.risk`;
- ``inframind_disk_failure_probability{tenant,asset,device}``: probability of failure within 14 days of
  operation (the ``disk.failure`` findings' horizon);
- ``inframind_capacity_time_to_full_seconds{tenant,asset,resource,mountpoint}`` (with ``_earliest_seconds`` and
  ``_latest_seconds``, the 80 % interval): for forecasts that reach the
  capacity within their horizon (no series: not filling, or no forecast possible); ``mountpoint`` is empty
  (absent) for memory;
- ``inframind_anomaly_score{tenant,asset,signal}``: 0-1, the strongest score over the asset's series of that
  signal kind during the last cycle interval;
- ``inframind_hotspot_ratio{tenant,group,asset,resource}``: the asset's utilization (percentile over the window)
  over its group's mean; ``group`` is ``label=value`` (``rack=R3``).

Loop health: ``inframind_metric_analyzer_cycle_seconds{task}``, ``..._series_analyzed{task}`` (last run of each
task), ``..._errors_total{reason}``, ``..._lag_seconds`` (now minus the newest sample the anomaly detectors have
consumed), ``..._detector_series`` and ``..._series_skipped`` (beyond ``max_series``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from inframind.analyzer.detect.hotcold import GroupRatio
from inframind.analyzer.detect.risk import AssetRisk
from inframind.analyzer.metricloop_capacity import TimeToFull


@dataclass(frozen=True)
class MetricSnapshot:
    """What the loop knew at the end of its last cycle (swapped in whole, read by scrapes and the API)."""

    risk: Mapping[str, AssetRisk] = field(default_factory=dict)
    """Asset id -> its risk."""
    disk_probability: tuple[tuple[str, str, str, float], ...] = ()
    time_to_full: tuple[TimeToFull, ...] = ()
    anomaly: tuple[tuple[str, str, str, float], ...] = ()
    hotspot: tuple[GroupRatio, ...] = ()
    cycle_seconds: Mapping[str, float] = field(default_factory=dict)
    series_analyzed: Mapping[str, int] = field(default_factory=dict)
    errors: Mapping[str, int] = field(default_factory=dict)
    detectors: int = 0
    skipped: int = 0
    analyzed_until: float | None = None


def _gauge(name: str, doc: str, labels: list[str]) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, labels=labels)


class MetricAnalyzerCollector(Collector):
    def __init__(self, snapshot: Callable[[], MetricSnapshot], clock: Callable[[], float]) -> None:
        self._snapshot = snapshot
        self._clock = clock

    def collect(self) -> Iterator[Metric]:
        m = self._snapshot()
        risk = _gauge(
            "inframind_asset_risk_score",
            "Risk score of the asset, 0-100 (see its factors in the API).",
            ["tenant", "asset"],
        )
        for r in sorted(m.risk.values(), key=lambda r: (r.tenant, r.asset)):
            risk.add_metric([r.tenant, r.asset], round(r.score, 3))
        yield risk
        disk = _gauge(
            "inframind_disk_failure_probability",
            "Probability that the drive fails within 14 days of operation.",
            ["tenant", "asset", "device"],
        )
        for tenant, asset, device, p in m.disk_probability:
            disk.add_metric([tenant, asset, device], p)
        yield disk
        ttf = _gauge(
            "inframind_capacity_time_to_full_seconds",
            "Forecast seconds until the resource is full (only for those that fill within the horizon).",
            ["tenant", "asset", "resource", "mountpoint"],
        )
        early = _gauge(
            "inframind_capacity_time_to_full_earliest_seconds",
            "Early edge of the 80% interval of the time to full (the forecast's upper band reaching capacity).",
            ["tenant", "asset", "resource", "mountpoint"],
        )
        late = _gauge(
            "inframind_capacity_time_to_full_latest_seconds",
            "Late edge of the 80% interval of the time to full (absent when the lower band never fills).",
            ["tenant", "asset", "resource", "mountpoint"],
        )
        for t in m.time_to_full:
            labels = [t.tenant, t.asset, t.resource, t.mountpoint]
            ttf.add_metric(labels, t.seconds)
            if t.earliest is not None:
                early.add_metric(labels, t.earliest)
            if t.latest is not None:
                late.add_metric(labels, t.latest)
        yield ttf
        yield early
        yield late
        anomaly = _gauge(
            "inframind_anomaly_score",
            "Strongest anomaly score (0-1) of the asset's series of a signal kind in the last cycle.",
            ["tenant", "asset", "signal"],
        )
        for tenant, asset, signal, score in m.anomaly:
            anomaly.add_metric([tenant, asset, signal], score)
        yield anomaly
        hot = _gauge(
            "inframind_hotspot_ratio",
            "Utilization of the asset over its group's mean (>1: hotter).",
            ["tenant", "group", "asset", "resource"],
        )
        for g in m.hotspot:
            hot.add_metric([g.tenant, g.group, g.asset, g.resource], round(g.ratio, 4))
        yield hot
        yield from self._health(m)

    def _health(self, m: MetricSnapshot) -> Iterator[Metric]:
        cycle = _gauge("inframind_metric_analyzer_cycle_seconds", "Duration of the last run of each task.", ["task"])
        for task, seconds in sorted(m.cycle_seconds.items()):
            cycle.add_metric([task], seconds)
        yield cycle
        analyzed = _gauge(
            "inframind_metric_analyzer_series_analyzed", "Series the last run of each task analyzed.", ["task"]
        )
        for task, count in sorted(m.series_analyzed.items()):
            analyzed.add_metric([task], count)
        yield analyzed
        errors = CounterMetricFamily(
            "inframind_metric_analyzer_errors", "Failed queries and tasks by reason.", labels=["reason"]
        )
        for reason, count in sorted(m.errors.items()):
            errors.add_metric([reason], count)
        yield errors
        lag = 0.0 if m.analyzed_until is None else max(0.0, self._clock() - m.analyzed_until)
        yield GaugeMetricFamily(
            "inframind_metric_analyzer_lag_seconds",
            "Seconds between now and the newest sample the anomaly detectors consumed.",
            value=lag,
        )
        yield GaugeMetricFamily(
            "inframind_metric_analyzer_detector_series", "Series with a live anomaly detector.", value=m.detectors
        )
        yield GaugeMetricFamily(
            "inframind_metric_analyzer_series_skipped",
            "Series not analyzed in the last cycle because max_series was reached.",
            value=m.skipped,
        )
